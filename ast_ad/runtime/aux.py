"""Where the derivative of a function with `has_aux=True` keeps the auxiliary value its
primal sweep makes, until it returns it beside the derivative."""

import threading


class AuxSlot:
    """Holds one value per thread: the transform puts `slot.keep(aux)` where the function
    returned `value, aux`, a call with effects that runs once, and `slot.take()` beside
    the derivative the generated function returns."""

    def __init__(self):
        self._held = threading.local()

    def __reduce__(self):  # a derivative sent by value takes an empty slot of its own
        return (AuxSlot, ())

    def keep(self, value):
        self._held.value = _as_made(value)

    def keep_tuple(self, *values):
        self._held.value = _as_made(values)

    def keep_dict(self, keys, *values):
        self._held.value = dict(zip(keys, _as_made(values)))

    def take(self):
        value = self._held.value
        del self._held.value
        return value


def _as_made(value):
    """`value` as it is now: a list the function built, which the adjoint sweep then
    takes apart, is copied, inside tuples and dicts too."""
    if isinstance(value, list):
        return [_as_made(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_as_made(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_made(v) for k, v in value.items()}
    return value
