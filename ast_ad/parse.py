"""Function -> gast FunctionDef, with the user's real file and line numbers.

Input: a Python function. Output: its `def` as a gast tree, decorators removed, every
node's `lineno` absolute in the user's file. The FunctionDef carries two annotations:
`origin` (file, indentation, for messages) and `scope` (where its free names resolve).
"""

import builtins
import inspect
import textwrap
import types

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad.errors import DifferentiationError, Origin

MISSING = object()


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


def parse_function(function):
    """The gast FunctionDef of `function`, annotated with its origin and scope."""
    if not isinstance(function, types.FunctionType):
        raise DifferentiationError(
            f"ast_ad differentiates Python functions defined with `def`; got {function!r}.\n"
            "Builtins, C functions and callable objects have no Python source to transform: "
            "wrap the call in a `def` and register a rule for it with ast_ad.extend.adjoint."
        )
    if function.__name__ == "<lambda>":
        raise DifferentiationError(
            f"ast_ad cannot differentiate the lambda at "
            f"{function.__code__.co_filename}:{function.__code__.co_firstlineno}.\n"
            "Its source is one expression inside a line of other code; write it as a `def`."
        )
    try:
        lines, first_line = inspect.getsourcelines(function)
    except (OSError, TypeError) as error:
        raise DifferentiationError(
            f"ast_ad cannot find the source of {function.__qualname__} "
            f"({function.__code__.co_filename}): {error}.\n"
            "Functions typed at the interactive prompt or built with exec() have no source "
            "file; put the function in a .py file and import it."
        ) from None
    text = "".join(lines)
    indent = len(text) - len(text.lstrip(" \t"))
    module = gast.parse(textwrap.dedent(text))
    tree = module.body[0]
    if not isinstance(tree, gast.FunctionDef):
        raise DifferentiationError(f"ast_ad cannot differentiate {function.__qualname__}: "
                                   "only plain `def` functions are supported (not async).")
    tree.decorator_list = []
    gast.increment_lineno(tree, first_line - 1)
    origin = Origin(function.__code__.co_filename, function.__name__, indent)
    anno.set(tree, "origin", origin)
    anno.set(tree, "scope", Scope(function))
    anno.set(tree, "user_names", nodes.all_names(tree))
    return tree
