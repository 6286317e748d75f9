"""The gradient of a container parameter (a pytree), in the container's shape."""


def gradient_like(container, gradients):
    """A container shaped as `container` (dicts, lists, tuples, namedtuples, nested), with
    the values of `gradients` at their paths, and a zero of each other value's type
    elsewhere, as `jax.grad` gives it. A path is the tuple of keys, indices and fields
    that leads to the value: `("layers", 0, "w")`."""
    return _built(container, (), gradients)


def _built(value, path, found):
    if path in found:
        return found[path]
    if isinstance(value, dict):
        return type(value)((k, _built(v, path + (k,), found)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple: by field
        return type(value)(*(_built(v, path + ((f if path + (f,) in found else k),), found)
                             for k, (f, v) in enumerate(zip(value._fields, value))))
    if isinstance(value, (list, tuple)):
        return type(value)(_built(v, path + (k,), found) for k, v in enumerate(value))
    return _zero(value)


def _zero(value):
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return 0.0
    if type(value).__name__ == "ndarray" or hasattr(value, "dtype"):
        import numpy

        return numpy.zeros(numpy.shape(value), numpy.result_type(value, 1.0))
    return None  # not a number: no gradient, as for an integer
