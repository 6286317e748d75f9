"""`check_grads`: the one checker of derivatives, public so rule authors can use it.

It projects onto a random direction v: `<grad f, v>` from our code against the
central difference `(f(x + h v) - f(x - h v)) / 2h`, Richardson-extrapolated. For
`order=2` it checks the generated derivatives in turn, so the second derivative is
that of the *generated* code.
"""

import random

from ast_ad.api import differentiate
from ast_ad.frontend.parse import name_of
from ast_ad.transforms import seed_names


def central_difference(function, args, direction, step=1e-3):
    """`d/dt function(args + t * direction)` at t = 0, error O(step**4); a direction of
    None leaves its argument as it is."""

    def along(t):
        return function(*[a if v is None else a + t * v for a, v in zip(args, direction)])

    def difference(h):
        return (along(h) - along(-h)) / (2 * h)

    return (4 * difference(step / 2) - difference(step)) / 3


def check_grads(function, args, *, wrt=None, order=2, modes=("reverse", "forward"),
                oracle=None, rtol=1e-6, atol=1e-9, seed=0):
    """Check the derivatives of `function` at `args` against finite differences.

    Args:
        function: a scalar-valued function.
        args: the point, one value per positional parameter.
        wrt: the indices of the arguments to perturb and differentiate; None: every
            float or float array. Integers are never perturbed: naming one raises.
        order: how many times to differentiate (each order checks the one below); above
            1, the perturbed arguments must be floats.
        modes: the modes to check; every mode must agree with the differences.
        oracle: optional `oracle(*args) -> tuple of partials` (one per `wrt`) to compare
            with too.
        rtol, atol: the tolerance, relative and absolute, of every comparison.

    Raises:
        AssertionError: a derivative differs from its reference.
        TypeError: `wrt` names an argument that is not a float or a float array.
    """
    wrt = _perturbed(args, wrt)
    rng = random.Random(seed)
    direction = [None] * len(args)
    for i in wrt:
        direction[i] = _random_like(args[i], rng)
    expected = central_difference(function, args, direction)
    for mode in modes:
        derivative = differentiate(function, wrt=wrt, mode=mode)
        if mode == "forward":  # seeded with the direction: each partial is projected
            seeds = dict(zip(seed_names(derivative, function), (direction[i] for i in wrt)))
            projections = derivative(*args, **seeds)
        else:
            projections = [_dot(p, direction[i]) for p, i in zip(derivative(*args), wrt)]
        _assert_close(sum(projections), expected, rtol, atol,
                      f"{mode} mode of {name_of(function)}")
        if oracle is not None:
            for ours, theirs, i in zip(projections, oracle(*args), wrt):
                _assert_close(ours, _dot(theirs, direction[i]), rtol, atol,
                              f"{mode} mode against the oracle")
    if order > 1:
        if any(getattr(args[i], "shape", ()) != () for i in wrt):
            raise TypeError("check_grads checks orders above 1 for float arguments only")
        for i in wrt:
            check_grads(differentiate(function, wrt=i, mode=modes[0]), args, wrt=wrt,
                        order=order - 1, modes=modes, rtol=rtol * 100, atol=atol * 100,
                        seed=seed + 1)


def _perturbed(args, wrt):
    """The indices of the arguments `wrt` designates, each a float or float array."""
    if wrt is None:
        return tuple(i for i, a in enumerate(args) if _is_float(a))
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    for i in wrt:
        if not _is_float(args[i]):
            raise TypeError(f"check_grads perturbs floats and float arrays only; argument "
                            f"{i} is {args[i]!r}")
    return wrt


def _is_float(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind == "f"


def _random_like(value, rng):
    if isinstance(value, float):
        return rng.uniform(-1, 1)
    import numpy

    return numpy.random.default_rng(rng.randrange(2**32)).uniform(-1, 1, numpy.shape(value))


def _dot(partial, direction):
    if isinstance(direction, float):
        return partial * direction
    import numpy

    return float(numpy.sum(numpy.asarray(partial) * direction))


def _assert_close(actual, expected, rtol, atol, what):
    if not abs(actual - expected) <= atol + rtol * abs(expected):
        raise AssertionError(f"{what}: {actual!r} != {expected!r} "
                             f"(rtol={rtol}, atol={atol})")
