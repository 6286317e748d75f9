"""What a function's free names refer to: its scope, read when it is transformed, and the
objects its static names resolved to, which annotations hold."""

import builtins

MISSING = object()
ITSELF = object()  # bound to a name, the generated function itself (see codegen)


class Scope:
    """Where a function's free names resolve: its closure cells, then globals, then builtins."""

    def __init__(self, function):
        self.globals = function.__globals__
        code = function.__code__
        self.cells = dict(zip(code.co_freevars, function.__closure__ or ()))
        self.defaults = function.__defaults__
        self.kwdefaults = function.__kwdefaults__
        self.module = function.__module__

    def lookup(self, name):
        """The object `name` refers to now, or MISSING."""
        if name in self.cells:
            try:
                return self.cells[name].cell_contents
            except ValueError:
                return MISSING
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, MISSING)


class Static:
    """The object a static reference resolved to when the function was transformed."""

    def __init__(self, value):
        self.value = value
