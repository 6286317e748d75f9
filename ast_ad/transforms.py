"""JAX's transforms, built on `differentiate`: value_and_grad, jvp, vjp, jacobian, hessian.

Each is a thin composition of generated derivative functions, with JAX's semantics and
our `wrt` for its `argnums`. The primal value is what the user's own function returns
when called; the derivatives are what the generated code returns. With one `wrt`,
`jacobian` and `hessian` take NumPy arrays (JAX's shapes, one sweep per row or column)
and `vjp` an array seed; elsewhere, where an array would be needed, they raise
`DifferentiationError` rather than return a wrong shape.
"""

import copy
import functools
import inspect
import numbers
import operator
import random
from collections.abc import Callable, Sequence

from ast_ad.api import adjoint_with_seed, differentiate, reads_containers
from ast_ad.errors import DifferentiationError
from ast_ad.frontend.parse import is_dispatcher, name_of, underlying
from ast_ad.runtime.containers import at, rebuilt, typed_like, zeros_like_tree

__all__ = ["value_and_grad", "jvp", "vjp", "jacobian", "hessian"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def value_and_grad(function: Callable, *, wrt=0, has_aux=False) -> Callable:
    """A function returning both `function`'s value and its gradient, as `jax.value_and_grad`.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        wrt: the parameter to differentiate with respect to: an index, a name, or a
            tuple of them.
        has_aux: `function` returns `(value, aux)`; the result is then
            `((value, aux), derivative)`, as JAX's.

    Returns:
        A function of the same arguments returning `(value, derivative)`; the
        derivative is a tuple for a tuple `wrt`.

    Raises:
        DifferentiationError: `function` cannot be differentiated (raised now, as
            `differentiate` does), or, when called, it returns an array.
    """
    gradient = differentiate(function, wrt=_hashable(wrt), has_aux=has_aux)
    if is_dispatcher(function):
        return _compiled(f"value_and_grad_{name_of(function)}", function,
                         "{0}({args}), {1}({args})" + ("[0]" if has_aux else ""),
                         [function, gradient])

    def value_and_gradient(*args, **kwargs):
        if not has_aux:
            return _scalar_output(function, args, kwargs), gradient(*args, **kwargs)
        value, aux = _value(function, args, kwargs)
        derivative, _ = gradient(*args, **kwargs)
        return (_scalar(value, f"the output of {name_of(function)}"), aux), derivative

    return _named(value_and_gradient, "value_and_grad", function)


def jvp(function: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """The value of `function` at `primals` and its directional derivative along `tangents`.

    As `jax.jvp`: one tangent per primal, both given as tuples, the primals being the
    leading positional arguments. Calls the forward-mode (tangent) function once, its
    seeds set to the tangents; that function runs one tangent sweep per primal.

    Args:
        function: a Python function defined with `def`.
        primals: the point, one value per leading positional parameter: numbers, arrays,
            or lists, tuples and dicts of them.
        tangents: the direction, one value per primal, of the primal's shape and
            containers.

    Returns:
        `(value, tangent_out)`, where `tangent_out`, of the output's shape, is the sum
        over the parameters of the partial derivative times its tangent.

    Raises:
        DifferentiationError: primals and tangents do not match in number, containers
            or shapes, or `function` cannot be differentiated.
    """
    primals, tangents = _sequence(primals, "primals"), _sequence(tangents, "tangents")
    if len(primals) != len(tangents):
        raise DifferentiationError(f"jvp takes one tangent per primal: got {len(primals)} "
                                   f"primals and {len(tangents)} tangents")
    wrt = _leading(function, len(primals), "jvp")
    tangent_function = differentiate(function, wrt=wrt, mode="forward")
    seeds = seed_names(tangent_function, function)
    for k, (primal, tangent) in enumerate(zip(primals, tangents)):
        _require_alike(tangent, primal, f"the tangent of primal {k} given to jvp")
    value = _value(function, primals, {})
    # Each partial is linear in its own seed, so seeding with the tangents and adding
    # the partials gives the directional derivative.
    partials = tangent_function(*primals, **dict(zip(seeds, tangents)))
    along = functools.reduce(operator.add, partials)
    if getattr(along, "shape", ()) != getattr(value, "shape", ()):  # code that names no
        _scalar(value, f"the output of {name_of(function)}")  # NumPy gives an array's 1.0
    return value, along


def vjp(function: Callable, *primals) -> tuple:
    """The value of `function` at `primals` and a function pulling adjoints back to them.

    As `jax.vjp`: `vjp_fn(out_bar)` returns one adjoint per primal, `out_bar` times the
    partial derivative. Uses the reverse-mode (adjoint) function, whose keyword-only
    seed `out_bar` receives the adjoint of the output.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        *primals: the point, one value per leading positional parameter.

    Returns:
        `(value, vjp_fn)`; `vjp_fn(out_bar)` returns a tuple with one adjoint per primal.

    Raises:
        DifferentiationError: too many primals, `function` cannot be differentiated, or
            the output or `out_bar` is an array.
    """
    wrt = _leading(function, len(primals), "vjp")
    if any(getattr(p, "shape", ()) for p in primals):  # arrays: the seed may be an array
        adjoint_function = adjoint_with_seed(function, wrt)
        value = _value(function, primals, {})
    else:
        adjoint_function = differentiate(function, wrt=wrt)
        value = _scalar_output(function, primals, {})
    (seed,) = seed_names(adjoint_function, function)

    def vjp_function(out_bar):
        if not getattr(value, "shape", ()):
            _scalar(out_bar, "the out_bar given to vjp_fn")
        adjoints = adjoint_function(*primals, **{seed: out_bar})
        # An array that code on numbers reads item by item has a list for its adjoint.
        return tuple(typed_like(a, p) if isinstance(a, list) and hasattr(p, "shape") else a
                     for a, p in zip(adjoints, primals))

    return value, _named(vjp_function, "vjp", function)


def jacobian(function: Callable, *, wrt=0, mode="reverse") -> Callable:
    """The Jacobian of `function`, as `jax.jacrev` (or `jax.jacfwd` for `mode="forward"`).

    A function of a scalar output and float arguments has a 1-by-n Jacobian, its
    gradient: a float for a single `wrt`, a tuple for a tuple `wrt`.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        wrt: the parameter (index or name), or a tuple of them.
        mode: "reverse" (one adjoint sweep) or "forward" (one tangent sweep per parameter).

    Returns:
        A function of the same arguments returning the Jacobian. It calls `function`
        too, to check that its output is a scalar.

    With NumPy arrays, the Jacobian with respect to `x` has shape `out.shape + x.shape`,
    one such block for each parameter of a tuple `wrt`.

    Raises:
        DifferentiationError: `function` cannot be differentiated (raised now).
    """
    wrt = _hashable(wrt)
    derivative = differentiate(function, wrt=wrt, mode=mode)

    def jacobian_function(*args, **kwargs):
        value = _value(function, args, kwargs)
        items = wrt if isinstance(wrt, tuple) else (wrt,)
        arguments = [_argument(function, item, args, kwargs) for item in items]
        if any(isinstance(a, (list, tuple, dict)) for a in arguments):
            return _container_jacobian(function, wrt, mode, value, args, kwargs)
        if getattr(value, "shape", ()) or any(getattr(a, "shape", ()) for a in arguments):
            blocks = _array_jacobian(function, items, mode, value, arguments, args, kwargs)
            return blocks if isinstance(wrt, tuple) else blocks[0]
        _scalar_output(function, args, kwargs)
        return _shaped(derivative(*args, **kwargs), wrt, f"the Jacobian of {name_of(function)}")

    return _named(jacobian_function, "jacobian", function)


def hessian(function: Callable, *, wrt=0) -> Callable:
    """The Hessian of `function`, as `jax.hessian`: forward mode over reverse mode.

    Each row is the forward-mode derivative of one reverse-mode partial: the generated
    gradient code is transformed again.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        wrt: the parameter (index or name), or a tuple of them.

    Returns:
        A function of the same arguments returning the second derivative: a float for
        a single `wrt`, a tuple of tuples (row i: the derivatives of the i-th partial)
        for a tuple `wrt`. It calls `function` too, to check that its output is a scalar.

    With NumPy arrays the block of `x` and `y` has shape `x.shape + y.shape`; a tuple
    `wrt` gives a tuple of tuples of blocks, as JAX's.

    Raises:
        DifferentiationError: `function` cannot be differentiated (raised now).
    """
    wrt = _hashable(wrt)
    single = not isinstance(wrt, tuple)
    items = (wrt,) if single else wrt
    rows = hessian_rows(function, items, wrt)
    what = f"the Hessian of {name_of(function)}"
    if is_dispatcher(function):
        calls = ", ".join(f"{{{i}}}({{args}})" for i in range(len(rows)))
        return _compiled(f"hessian_{name_of(function)}", function,
                         calls if single else f"({calls},)", rows)

    def hessian_function(*args, **kwargs):
        _scalar_output(function, args, kwargs)
        arguments = [_argument(function, item, args, kwargs) for item in items]
        if any(isinstance(a, (list, tuple, dict)) for a in arguments):
            # The forward sweeps' blocks, the outer containers the gradient's, as JAX's.
            result = tuple(_in_containers(row(*args, **kwargs), first,
                                          arguments[0] if single else tuple(arguments))
                           for row, first in zip(rows, arguments))
            return result[0] if single else result
        if any(getattr(a, "shape", ()) for a in arguments):
            blocks = tuple(tuple(_array_hessian(function, first, second, args, kwargs)
                                 for second in items) for first in items)
            return blocks[0][0] if single else blocks
        result = tuple(_shaped(row(*args, **kwargs), wrt, what) for row in rows)
        return result[0] if single else result

    return _named(hessian_function, "hessian", function)


def _in_containers(rows, first, second):
    """The rows of a Hessian, of the gradient with respect to `first` along `second`, in
    the containers of `first` (outer) and `second` (inner), as JAX gives them: the sweeps
    give the rows of a gradient that does not change as a zero number, and lists for a
    tuple's items."""
    if not isinstance(first, (list, tuple, dict)):
        return rows

    def row(path):
        found = rows
        for step in path:
            if not isinstance(found, (list, tuple, dict)):
                break  # a zero for the rows below
            found = found[step]
        if isinstance(found, numbers.Number) and isinstance(at(first, path), numbers.Number) \
                and found == 0:
            found = zeros_like_tree(second)
        return typed_like(found, second)

    return rebuilt(first, row)


def _container_jacobian(function, wrt, mode, value, args, kwargs):
    """The Jacobian with respect to containers of arrays, in their containers, as JAX
    gives it: of a scalar output, the gradient; of an array output, the forward sweeps'
    blocks of shape `out.shape + leaf.shape`, whichever the mode (the values are the
    same, one sweep per element of the containers)."""
    if getattr(value, "shape", ()) or mode == "forward":
        return differentiate(function, wrt=wrt, mode="forward")(*args, **kwargs)
    _scalar_output(function, args, kwargs)
    return differentiate(function, wrt=wrt)(*args, **kwargs)


def hessian_rows(function, items, wrt):
    """The generated functions of the Hessian's rows: each the forward-mode derivative,
    with respect to `wrt`, of the reverse-mode partial of one of `items` (with the seed
    inside for a container read by keys or fields, whose gradient is one too)."""
    partial = adjoint_with_seed if not is_dispatcher(function) and \
        reads_containers(function, wrt) else lambda f, item: differentiate(f, wrt=item)
    return [differentiate(partial(function, item), wrt=wrt, mode="forward") for item in items]


def _argument(function, wrt, args, kwargs):
    """The value of the parameter `wrt` (an index or a name) in this call."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    names = list(inspect.signature(function).parameters)
    return bound.arguments.get(names[wrt] if isinstance(wrt, int) else wrt)


def _array_jacobian(function, items, mode, value, arguments, args, kwargs):
    """A block of shape `out.shape + x.shape` for each parameter in `items`: a row per
    output element by reverse sweeps (one set of sweeps gives every block), or a column
    per input element by forward sweeps."""
    import numpy

    out_shape = numpy.shape(value)
    if mode == "reverse":
        derivative = adjoint_with_seed(function, list(items))
        seed = seed_names(derivative, function)[-1]
        units = _units(numpy.asarray(value, dtype=float))
        rows = [derivative(*args, **kwargs, **{seed: u}) for u in units]
        return tuple(numpy.stack([numpy.asarray(row[k]) for row in rows]).reshape(
            out_shape + numpy.shape(argument)) for k, argument in enumerate(arguments))
    blocks = []
    for item, argument in zip(items, arguments):
        derivative = differentiate(function, wrt=item, mode="forward")
        seed = seed_names(derivative, function)[-1]
        units = _units(numpy.asarray(argument, dtype=float))
        columns = [numpy.asarray(derivative(*args, **kwargs, **{seed: u})) for u in units]
        blocks.append(numpy.stack(columns, axis=-1).reshape(out_shape + numpy.shape(argument)))
    return tuple(blocks)


def _units(example):
    """The unit arrays shaped like `example`, one per element (a float for a scalar)."""
    import numpy

    if not example.shape:
        return [1.0]
    units = []
    for i in range(example.size):
        unit = numpy.zeros_like(example)
        unit.flat[i] = 1.0
        units.append(unit)
    return units


def _array_hessian(function, first, second, args, kwargs):
    """The block of `first` and `second`, shaped `x.shape + y.shape`: one forward sweep of
    the gradient with respect to `first` per element of `second`."""
    import numpy

    gradient = adjoint_with_seed(function, first) if reads_containers(function, first) else \
        differentiate(function, wrt=first)  # (an array unpacked, `a, b = theta`)
    derivative = differentiate(gradient, wrt=second, mode="forward")
    seed = seed_names(derivative, function)[-1]
    x, y = (numpy.asarray(_argument(function, item, args, kwargs), dtype=float)
            for item in (first, second))
    columns = [numpy.broadcast_to(derivative(*args, **kwargs, **{seed: unit}), x.shape)
               for unit in _units(y)]  # (a gradient that does not change is a zero)
    return numpy.stack(columns, axis=-1).reshape(x.shape + y.shape)


def _require_alike(tangent, primal, what):
    """Raise unless `tangent` has the containers, and shapes, of `primal`, as JAX asks."""
    if isinstance(primal, (list, tuple, dict)):
        if type(tangent) not in (list, tuple, dict, type(primal)) or \
                len(tangent) != len(primal) or \
                isinstance(primal, dict) and set(tangent) != set(primal):
            raise DifferentiationError(f"{what} does not hold the items of the primal, "
                                       f"a {type(primal).__name__} of {len(primal)}")
        for key in (primal if isinstance(primal, dict) else range(len(primal))):
            _require_alike(tangent[key], primal[key], what)
        return
    shape, expected = getattr(tangent, "shape", ()), getattr(primal, "shape", ())
    if not (isinstance(tangent, numbers.Number) or hasattr(tangent, "shape")) or \
            shape != expected:
        raise DifferentiationError(f"{what} is {_described(tangent)}, where the primal is "
                                   f"{_described(primal)}")


def _described(value):
    shape = getattr(value, "shape", None)
    return f"an array of shape {shape}" if shape else f"a {type(value).__name__}"


def _hashable(wrt):
    """`wrt` with a list made a tuple, as `differentiate` caches on it."""
    return tuple(wrt) if isinstance(wrt, list) else wrt


def _sequence(values, what):
    if not isinstance(values, (tuple, list)):
        raise DifferentiationError(f"jvp takes its {what} as a tuple, one per positional "
                                   f"argument; got {type(values).__name__}")
    return tuple(values)


def _leading(function, count, what):
    """`wrt` for the first `count` positional parameters of `function`."""
    if count == 0:
        raise DifferentiationError(f"{what} needs at least one primal value")
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return tuple(range(count))  # not a Python function: differentiate says why
    positional = [p.name for p in parameters if p.kind in _POSITIONAL]
    if count > len(positional):
        raise DifferentiationError(
            f"{what} got {count} primal values, but {name_of(function)} has "
            f"{len(positional)} positional parameters ({', '.join(positional)})")
    return tuple(range(count))


def seed_names(derivative, function):
    """The seeds `differentiate` appended to `function`'s parameters: keyword-only, or,
    for a Numba function, positional after them."""
    if is_dispatcher(derivative):
        own = inspect.signature(underlying(function)).parameters
        return list(inspect.signature(derivative.py_func).parameters)[len(own):]

    own = inspect.signature(function).parameters  # a partial's held keywords among them
    return [p.name for p in inspect.signature(derivative).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in own]


def _shaped(result, wrt, what):
    """A derivative shaped as `wrt`: one value, or a tuple for a tuple; scalars only."""
    if isinstance(wrt, tuple):
        return tuple(_scalar(value, what) for value in result)
    return _scalar(result, what)


def _scalar_output(function, args, kwargs):
    """`function`'s value at the arguments, checked to be a scalar.

    The generated code cannot tell a scalar output from an array one (for `x + A`, with
    `A` an array, it returns the scalar 1.0), so the transforms look at the value.
    """
    return _scalar(_value(function, args, kwargs), f"the output of {name_of(function)}")


def _value(function, args, kwargs):
    """`function`'s value at the arguments, each random generator among them copied: the
    derivative then runs on the same draws, as when it is called alone (JAX's random
    keys are values; a generator is a state that each run takes on)."""
    if isinstance(function, functools.partial):  # (it may hold the generator)
        function = functools.partial(function.func, *map(_fresh, function.args),
                                     **{k: _fresh(v) for k, v in function.keywords.items()})
    return function(*map(_fresh, args), **{k: _fresh(v) for k, v in kwargs.items()})


def _fresh(value):
    """A copy of a random generator, to draw from on its own; any other value itself."""
    kind = type(value)
    module = getattr(kind, "__module__", None)  # (a descriptor on some of Python 3.10's)
    if kind is random.Random or isinstance(module, str) and \
            module.startswith("numpy.random") and kind.__name__ in ("Generator", "RandomState"):
        return copy.deepcopy(value)
    return value


def _scalar(value, what):
    if isinstance(value, numbers.Number) or getattr(value, "shape", None) == ():
        return value
    shape = getattr(value, "shape", None)
    kind = f"an array of shape {shape}" if shape is not None else f"a {type(value).__name__}"
    raise DifferentiationError(
        f"{what} is {kind}: ast_ad differentiates scalar functions of float arguments; "
        "arrays (and other containers) are not supported yet")


def _compiled(name, function, returned, callees):
    """The compiled form of a composition of `callees`, for a Numba function: `returned`
    names them as `{0}`, `{1}`... and the function's arguments as `{args}`."""
    from ast_ad.backend import numba_compile

    names = [callee.__name__ if [c.__name__ for c in callees].count(callee.__name__) == 1
             else f"{callee.__name__}_{i}" for i, callee in enumerate(callees)]
    return numba_compile.composition(name, function, returned.format(*names, args="{args}"),
                                     dict(zip(names, callees)))


def _named(wrapper, prefix, function):
    # Not functools.wraps: its __wrapped__ would make inspect (and so differentiate)
    # read `function`'s source for the wrapper, and differentiate the wrong function.
    wrapper.__name__ = wrapper.__qualname__ = f"{prefix}_{name_of(function)}"
    wrapper.__doc__ = f"{prefix} of {name_of(function)}, made by ast_ad."
    return wrapper

