"""Helpers that generated code on numbers calls.
"""

import math


def log_of_base(x):
    """`log(x)` in the derivative of `x ** y` with respect to `y`, with JAX's conventions:
    0 at `x = 0`, where `x ** y` is 0 for every positive `y`, and nan for `x < 0`, where
    `x ** y` has no real derivative in `y`."""
    if x > 0:
        return math.log(x)
    return 0.0 if x == 0 else math.nan


def list_gradient(tangent, args, keywords, has_aux=False, effect=None, **seeds):
    """What `tangent`, a tangent function of code on numbers, returns when the seed of a
    list parameter is left out: the list's whole gradient, by one sweep along each item
    (each element of an item that is an array), as `whole_gradient` finds an array's.
    `seeds`: name -> (the parameter, the seed given or None)."""
    from ast_ad.errors import DifferentiationError, format_message

    given = {name: seed for name, (_, seed) in seeds.items() if seed is not None}
    zeros = {name: [_zero_of(item) for item in value]
             for name, (value, seed) in seeds.items() if seed is None}
    count = sum(getattr(item, "size", 1) for zero in zeros.values() for item in zero)
    if effect is not None and bool(given) + count > 1:
        raise DifferentiationError(format_message(
            f"{tangent.__name__} needs a direction ({', '.join(zeros)}): a list's whole "
            "gradient takes one sweep along each item, and each would run this call again, "
            "which has effects; give the seed, or use reverse mode", *effect))
    order, gradients, out = list(seeds), {}, None

    def sweep(name, unit):
        nonlocal out
        out = tangent(*args, **keywords, **given, **{**zeros, name: unit})
        part = out[0] if has_aux else out
        return part[order.index(name)] if isinstance(part, tuple) else part

    for name, zero in zeros.items():
        gradients[name] = []
        for i, item in enumerate(zero):
            unit = list(zero)
            if isinstance(item, float):
                unit[i] = 1.0
                gradients[name].append(sweep(name, unit))
                continue
            unit[i] = direction = item.copy()  # an array: one sweep along each element
            flat, parts = direction.reshape(-1), []
            for k in range(direction.size):
                flat[k] = 1.0
                parts.append(sweep(name, unit))
                flat[k] = 0.0
            gradients[name].append(_array_of(parts, item))
    if out is None:  # no list had an item
        out = tangent(*args, **keywords, **given, **zeros)
    value, aux = out if has_aux else (out, None)
    parts = list(value) if isinstance(value, tuple) else [value]
    for name, gradient in gradients.items():
        parts[order.index(name)] = gradient
    result = tuple(parts) if isinstance(value, tuple) else parts[0]
    return (result, aux) if has_aux else result


def _zero_of(item):
    """A zero direction for an item of a list: 0.0, or zeros of an array's shape."""
    if hasattr(item, "shape") and item.shape != ():
        import numpy

        return numpy.zeros(item.shape, numpy.result_type(item, 1.0))
    return 0.0


def _array_of(parts, like):
    """The derivatives along each element of `like`, an array, in its shape."""
    import numpy

    return numpy.array(parts, dtype=like.dtype).reshape(like.shape)
