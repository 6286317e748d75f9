"""Helpers that generated code on numbers calls.
"""

import math

from ast_ad.runtime.containers import at, rebuilt, typed_like


def log_of_base(x):
    """`log(x)` in the derivative of `x ** y` with respect to `y`, with JAX's conventions:
    0 at `x = 0`, where `x ** y` is 0 for every positive `y`, and nan for `x < 0`, where
    `x ** y` has no real derivative in `y`."""
    if x > 0:
        return math.log(x)
    return 0.0 if x == 0 else math.nan


def list_gradient(tangent, args, keywords, has_aux=False, effect=None, **seeds):
    """What `tangent`, a tangent function of code on numbers, returns when the seed of a
    list parameter (or a dict, nested) is left out: its whole gradient in its containers,
    by one sweep along each number in it (each element of an array in it), as
    `whole_gradient` finds an array's. `seeds`: name -> (the parameter, the seed given or
    None)."""
    from ast_ad.errors import DifferentiationError, format_message

    given = {name: seed for name, (_, seed) in seeds.items() if seed is not None}
    zeros = {name: _zeros_like(value) for name, (value, seed) in seeds.items()
             if seed is None}
    places = {name: list(_places(zero)) for name, zero in zeros.items()}
    count = sum(getattr(at(zeros[name], path), "size", 1)
                for name, found in places.items() for path in found)
    if effect is not None and bool(given) + count > 1:
        raise DifferentiationError(format_message(
            f"{tangent.__name__} needs a direction ({', '.join(zeros)}): a list's whole "
            "gradient takes one sweep along each item, and each would run this call again, "
            "which has effects; give the seed, or use reverse mode", *effect))
    order, gradients, out = list(seeds), {}, None
    several = len(order) > 1  # a tangent each, in a tuple (one may be a namedtuple itself)

    def directions():
        return {name: typed_like(zero, seeds[name][0]) for name, zero in zeros.items()}

    def sweep(name):
        nonlocal out
        out = tangent(*args, **keywords, **given, **directions())
        part = out[0] if has_aux else out
        return part[order.index(name)] if several else part

    for name in zeros:
        parts = {}
        for path in places[name]:
            holder, last = (zeros, name) if not path else (at(zeros[name], path[:-1]),
                                                           path[-1])
            item = holder[last]
            if isinstance(item, float):
                holder[last] = 1.0
                parts[path] = sweep(name)
                holder[last] = 0.0
                continue
            flat, along = item.reshape(-1), []  # an array: one sweep along each element
            for k in range(item.size):
                flat[k] = 1.0
                along.append(sweep(name))
                flat[k] = 0.0
            parts[path] = _array_of(along, item)
        gradients[name] = rebuilt(seeds[name][0], parts.get)  # None: no derivative
    if out is None:  # no list had an item
        out = tangent(*args, **keywords, **given, **directions())
    value, aux = out if has_aux else (out, None)
    result = list(value) if several else [value]
    for name, gradient in gradients.items():
        result[order.index(name)] = gradient
    result = tuple(result) if several else result[0]
    return (result, aux) if has_aux else result


def _zeros_like(value):
    """A zero direction in the containers of `value` (lists, for a tuple's too): 0.0 for
    a number, zeros for an array, None for what has no derivative."""
    if isinstance(value, dict):
        return {key: _zeros_like(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_zeros_like(item) for item in value]
    if hasattr(value, "shape") and value.shape != ():
        import numpy

        return numpy.zeros(value.shape, numpy.result_type(value, 1.0))
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return 0.0 if is_number or hasattr(value, "shape") else None


def _places(tree, path=()):
    """The paths of the numbers and arrays in `tree`, which `_zeros_like` made."""
    if isinstance(tree, dict):
        for key, item in tree.items():
            yield from _places(item, path + (key,))
    elif isinstance(tree, list):
        for k, item in enumerate(tree):
            yield from _places(item, path + (k,))
    elif tree is not None:
        yield path


def _array_of(parts, like):
    """The derivatives along each element of `like`, an array, in its shape."""
    import numpy

    return numpy.array(parts, dtype=like.dtype).reshape(like.shape)
