"""`check_grads`: the one checker of derivatives, public so rule authors can use it.

It projects onto a random direction v: `<grad f, v>` from our code against the
central difference `(f(x + h v) - f(x - h v)) / 2h`, Richardson-extrapolated. For
`order=2` it checks the generated derivatives in turn, so the second derivative is
that of the *generated* code.
"""

import random

from ast_ad.api import differentiate


def central_difference(function, args, direction, step=1e-3):
    """`d/dt function(args + t * direction)` at t = 0, error O(step**4)."""

    def along(t):
        return function(*[a + t * v for a, v in zip(args, direction)])

    def difference(h):
        return (along(h) - along(-h)) / (2 * h)

    return (4 * difference(step / 2) - difference(step)) / 3


def check_grads(function, args, order=2, modes=("reverse", "forward"), oracle=None,
                rtol=1e-6, atol=1e-9, seed=0):
    """Check the derivatives of `function` at `args` against finite differences.

    Args:
        function: a scalar-valued function of float arguments.
        args: the point, one float per parameter (all are differentiated).
        order: how many times to differentiate (each order checks the one below).
        modes: the modes to check; every mode must agree with the differences.
        oracle: optional `oracle(*args) -> tuple of partials` to compare with too.
        rtol, atol: the tolerance, relative and absolute, of every comparison.

    Raises:
        AssertionError: a derivative differs from its reference.
    """
    rng = random.Random(seed)
    wrt = tuple(range(len(args)))
    direction = [rng.uniform(-1, 1) for _ in args]
    expected = central_difference(function, args, direction)
    for mode in modes:
        gradient = differentiate(function, wrt=wrt, mode=mode)
        partials = gradient(*args)
        projected = sum(p * v for p, v in zip(partials, direction))
        _assert_close(projected, expected, rtol, atol, f"{mode} mode of {function.__name__}")
        if oracle is not None:
            for ours, theirs in zip(partials, oracle(*args)):
                _assert_close(ours, theirs, rtol, atol, f"{mode} mode against the oracle")
    if order > 1:
        for i in wrt:
            check_grads(differentiate(function, wrt=i, mode=modes[0]), args, order - 1, modes,
                        None, rtol * 100, atol * 100, seed + 1)


def _assert_close(actual, expected, rtol, atol, what):
    if not abs(actual - expected) <= atol + rtol * abs(expected):
        raise AssertionError(f"{what}: {actual!r} != {expected!r} "
                             f"(rtol={rtol}, atol={atol})")
