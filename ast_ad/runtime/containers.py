"""The gradient of a container parameter (a pytree), in the container's shape."""

from ast_ad.errors import DifferentiationError


def gradient_like(container, gradients):
    """A container shaped as `container` (dicts, lists, tuples, namedtuples, NumPy arrays
    read by index, nested), with the values of `gradients` at their paths, and a zero of
    each other value's type elsewhere, as `jax.grad` gives it. A path is the tuple of keys,
    indices and fields that leads to the value: `("layers", 0, "w")`. A value a
    namedtuple's field and its index both read gets the sum of the two."""
    return _built(container, (), gradients)


def _built(value, path, found):
    if path in found:
        return found[path]
    below = [p for p in found if p[:len(path)] == path]
    if not below:
        return _zero(value)
    if isinstance(value, dict):
        return type(value)((k, _built(v, path + (k,), found)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_aliased(v, path + (f,), path + (k,), found)
                             for k, (f, v) in enumerate(zip(value._fields, value))))
    if isinstance(value, (list, tuple)):
        return type(value)(_built(v, path + (k,), found) for k, v in enumerate(value))
    if type(value).__name__ == "ndarray" and all(isinstance(p[len(path)], int) for p in below):
        gradient = _zero(value)
        for k in sorted({p[len(path)] for p in below}):
            gradient[k] = _built(value[k], path + (k,), found)
        return gradient
    raise DifferentiationError(
        f"the function reads {_shown(below[0])} of a container parameter, but the value "
        f"at {_shown(path) or 'the top'} is {type(value).__name__}, which ast_ad cannot "
        "give a gradient the same shape: pass dicts, lists, tuples, namedtuples and arrays")


def _aliased(value, by_field, by_index, found):
    """A namedtuple's value, read by its field, by its index, or by both."""
    fields = [p for p in found if p[:len(by_field)] == by_field]
    indices = [p for p in found if p[:len(by_index)] == by_index]
    if fields and indices:
        if by_field in found and by_index in found:
            return found[by_field] + found[by_index]
        raise DifferentiationError(
            f"the function reads {_shown(by_field)} both by its field and by its index, "
            "and inside it: read it one way")
    return _built(value, by_field if fields else by_index, found)


def _shown(path):
    return "".join(f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
                   for key in path)


def _zero(value):
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return 0.0
    if type(value).__name__ == "ndarray" or hasattr(value, "dtype"):
        import numpy

        return numpy.zeros(numpy.shape(value), numpy.result_type(value, 1.0))
    return None  # not a number: no gradient, as for an integer
