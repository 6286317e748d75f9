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
    list parameter is left out: the list's whole gradient, by one sweep along each item,
    as `whole_gradient` finds an array's (without NumPy). `seeds`: name -> (the
    parameter, the seed given or None)."""
    from ast_ad.errors import DifferentiationError, format_message

    given = {name: seed for name, (_, seed) in seeds.items() if seed is not None}
    zeros = {name: [0.0] * len(value) for name, (value, seed) in seeds.items() if seed is None}
    if effect is not None and bool(given) + sum(map(len, zeros.values())) > 1:
        raise DifferentiationError(format_message(
            f"{tangent.__name__} needs a direction ({', '.join(zeros)}): a list's whole "
            "gradient takes one sweep along each item, and each would run this call again, "
            "which has effects; give the seed, or use reverse mode", *effect))
    order, gradients, out = list(seeds), {}, None
    for name, zero in zeros.items():
        gradients[name] = []
        for i in range(len(zero)):
            unit = list(zero)
            unit[i] = 1.0
            out = tangent(*args, **keywords, **given, **{**zeros, name: unit})
            part = out[0] if has_aux else out
            gradients[name].append(part[order.index(name)] if isinstance(part, tuple) else part)
    if out is None:  # no list had an item
        out = tangent(*args, **keywords, **given, **zeros)
    value, aux = out if has_aux else (out, None)
    parts = list(value) if isinstance(value, tuple) else [value]
    for name, gradient in gradients.items():
        parts[order.index(name)] = gradient
    result = tuple(parts) if isinstance(value, tuple) else parts[0]
    return (result, aux) if has_aux else result
