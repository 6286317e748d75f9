"""Checks that generated code makes when it runs, where the transform could not decide.

They raise `DifferentiationError` naming the user's parameter or line, where the
generated code would otherwise fail inside NumPy, or give a number for a value the
function cannot take. Each costs one call, made only where needed.
"""

import collections.abc
import numbers

from ast_ad.errors import ARRAY_OUTPUT_ADVICE, DifferentiationError, format_message


def require_scalar(out, filename, lineno):
    """Raise if the output `out` of a function being differentiated, returned at
    `filename:lineno`, is an array: its gradient would silently be that of its sum."""
    if getattr(out, "ndim", 0) != 0:
        raise DifferentiationError(format_message(
            f"the function returns an array of shape {out.shape}; {ARRAY_OUTPUT_ADVICE}",
            filename, lineno))


def require_not_a_view(value, filename, lineno):
    """Raise if `value`, read from an array the function writes into, is a view of it (a
    row, a slice): Python's later writes would change it, and the derivative's do not."""
    if getattr(value, "base", None) is not None and type(value).__module__ == "numpy" and \
            getattr(value, "ndim", 0) > 0:
        raise DifferentiationError(format_message(
            "this value is a view (a row, a slice) of another array, which a write or `+=` "
            "changes in place as Python runs it, and ast_ad cannot follow; take a copy "
            "(`.copy()`), or read the array again after the write", filename, lineno))


def require_not_an_array(value, filename, lineno):
    """Raise if `value`, which `+=` changes in place, is an array that another value of
    the function may be a view of (a row, a slice, another name): Python's `+=` would
    change that one too, and the derivative's does not."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", 0) > 0:
        raise DifferentiationError(format_message(
            "this `+=` changes an array in place that another value of the function may be "
            "a view of (a row, a slice, another name), which Python would change too and "
            "ast_ad cannot follow; write `t = t + ...`", filename, lineno))


def require_number(value, name, function):
    """Raise unless `value`, given for the differentiated parameter `name` of `function`,
    is a number: what the transform of code on numbers planned for."""
    if type(value) not in _NUMBERS and not _is_number(value):
        _refuse(value, name, function, "a number (real-valued)")


def require_array(value, name, function):
    """Raise unless `value`, given for the differentiated parameter `name` of `function`,
    is a NumPy array or a number: what the transform of array code planned for."""
    kind = type(value)
    if kind not in _NUMBERS and (kind.__module__ != "numpy" and not _is_number(value) or
                                 getattr(value, "dtype", None) is not None and
                                 value.dtype.kind == "c"):
        _refuse(value, name, function, "a NumPy array or a number (real-valued)")


def require_arrays(value, name, function):
    """`require_array` for a parameter the code reads only item by item, which may also be
    a list, tuple or dict of arrays and numbers, nested."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        require_array(value, name, function)
        return
    for item in value:
        require_arrays(item, name, function)


def require_sequence(value, name, function, differentiated=True):
    """Raise unless `value`, given for parameter `name` of `function`, can be read by
    positions, as the derivative reads it (a loop over it, an index held in a variable):
    a dict would give its keys, or lack them, and a set has no positions."""
    kind = type(value)
    if kind in _SEQUENCES or hasattr(kind, "__getitem__") and \
            not isinstance(value, collections.abc.Mapping):
        return
    if differentiated:
        _refuse(value, name, function, "a list or tuple, read by positions")
    raise DifferentiationError(
        f"{function} was given {_kind(value)} for `{name}`, which it reads by positions, as "
        "a list (a loop over it, an index held in a variable); pass a list or tuple, or "
        f"loop over `{name}.items()`, `{name}.keys()` or `{name}.values()`")


def zero_gradient(value, name, function, like=0.0):
    """The gradient of the argument `value` of parameter `name`, on which the output does not
    depend: 0.0 for a number, zeros for an array, and a container of them in its own
    type, as `jax.grad` gives; for each leaf of `like` (a zero tangent of an output that
    is a container: a gradient, differentiated again), nested as `jax.jacobian` nests."""
    if isinstance(like, (list, tuple, dict)):
        from ast_ad.runtime.containers import rebuilt

        return rebuilt(like, lambda path: zero_gradient(value, name, function))
    if isinstance(value, (list, tuple, dict)):
        from ast_ad.runtime.containers import typed_like, zeros_like_tree

        require_arrays(value, name, function)
        return typed_like(zeros_like_tree(value), value)
    require_array(value, name, function)
    if type(value).__name__ == "ndarray":  # (a 0-d one too: its type is kept)
        import numpy

        return numpy.zeros(value.shape, numpy.result_type(value, 1.0))
    return 0.0


def zero_gradient_unless_seeded(value, name, function, seed, tangent):
    """`zero_gradient(value, ...)` when `seed` is None (the whole gradient was asked for),
    else `tangent`: how compiled code writes the choice, whose two sides have two types."""
    return zero_gradient(value, name, function) if seed is None else tangent


_NUMBERS = frozenset((float, int))
_SEQUENCES = frozenset((list, tuple))


def _is_number(value):
    """A real number: complex numbers have derivatives of other conventions."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _refuse(value, name, function, planned):
    raise DifferentiationError(
        f"{function} was given {_kind(value)} for `{name}`, which it differentiates; it "
        f"was made for {planned}. A container of parameters (a dict, tuple or list of "
        "arrays) is differentiated where the function reads it by constant keys, indices or "
        "fields (`params[\"w\"]`); otherwise pass each value as a parameter of its own")


def _kind(value):
    if type(value).__name__ == "ndarray":
        return f"an array of {value.dtype}"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def require_length(length, count):
    """Raise Python's error of `a, b = value` when `value` does not hold `count` items."""
    if length != count:
        raise ValueError(f"too many values to unpack (expected {count})" if length > count
                         else f"not enough values to unpack (expected {count}, got {length})")


def raising(exception):
    """`raise exception`, as the function's own `raise` runs: once, in the primal."""
    raise exception


def assertion(holds, message=None):
    """`assert holds, message`, as the function's own `assert` runs: once, in the primal."""
    if not holds:
        raise AssertionError() if message is None else AssertionError(message)
