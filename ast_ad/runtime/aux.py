"""Where the derivative of a function with `has_aux=True` keeps the auxiliary value its
primal sweep makes, until it returns it beside the derivative."""

import threading


class AuxSlot:
    """Holds one value per thread: the transform puts `slot.keep(aux)` where the function
    returned `value, aux`, a call with effects that runs once, and `slot.take()` beside
    the derivative the generated function returns."""

    def __init__(self):
        self._held = threading.local()

    def keep(self, value):
        self._held.value = value

    def keep_tuple(self, *values):
        self._held.value = values

    def keep_dict(self, keys, *values):
        self._held.value = dict(zip(keys, values))

    def take(self):
        value = self._held.value
        del self._held.value
        return value
