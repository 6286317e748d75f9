"""A derivative in Numba's subset -> a Numba dispatcher, compiled as its function was.

Numba compiles when a dispatcher is first called with new argument types, and reports
what it cannot compile only then: the dispatcher made here turns that report into a
`DifferentiationError` naming the user's function, the line of the derivative Numba
stopped at, and Numba's reason. When the function itself does not compile for those
arguments, the error is Numba's own about the user's line.
"""

import linecache
import re

import numba
from numba.core import errors as numba_errors

import ast_ad.runtime.compiled  # noqa: F401 - registers the helpers' compiled forms
from ast_ad.backend.codegen import compile_function
from ast_ad.errors import DifferentiationError, format_message
from ast_ad.ir.scope import Scope

_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')


def jit(code, function, python_derivative):
    """`code` compiled by Numba with the options of the dispatcher `function`."""
    dispatcher = numba.njit(**_options(function))(code)
    dispatcher.python_derivative = python_derivative
    _report_failures(dispatcher, function)
    return dispatcher


def _options(function):
    options = dict(function.targetoptions)
    options.pop("nopython", None)
    if _caches(function):
        raise DifferentiationError(
            f"{function.__name__} is compiled with cache=True; ast_ad compiles its derivative "
            "in memory, where Numba cannot cache: decorate it without cache=True (the "
            "derivative is compiled once per process and argument types)")
    return options


def _caches(function):
    return type(getattr(function, "_cache", None)).__name__ not in ("NullCache", "NoneType")


def _report_failures(dispatcher, function):
    compile_for_args = dispatcher._compile_for_args
    primal_count = function.py_func.__code__.co_argcount

    def compiled_or_explained(*args, **kwargs):
        try:
            return compile_for_args(*args, **kwargs)
        except numba_errors.NumbaError as error:
            raise _explained(error, dispatcher, function, args[:primal_count]) from None

    dispatcher._compile_for_args = compiled_or_explained


def _explained(error, dispatcher, function, primal_args):
    """The error to raise for Numba's `error`, at the user's file and line: the line of
    the function Numba stopped at, when the function itself does not compile, else the
    function's `def`."""
    code = function.py_func.__code__
    try:
        function._compile_for_args(*primal_args)
    except numba_errors.NumbaError as primal_error:
        found = [m for m in _LOCATION.finditer(str(primal_error))
                 if m.group(1) == code.co_filename]
        line = int(found[0].group(2)) if found else code.co_firstlineno
        return DifferentiationError(format_message(
            f"Numba cannot compile {function.__name__} itself for these arguments:\n"
            f"{_reason(primal_error)}", code.co_filename, line))
    except Exception:  # noqa: BLE001 - a wrong argument: the derivative's report says more
        pass
    return DifferentiationError(format_message(
        f"Numba cannot compile {dispatcher.__name__}, the derivative of {function.__name__}:"
        f"\n{_reason(error)}{_failing_line(error)}", code.co_filename, code.co_firstlineno))


def _reason(error):
    """Numba's reason, without its report of which pass of its own it was in."""
    lines = [line for line in str(error).splitlines()
             if line.strip() and not line.startswith(("Failed in ", "During: "))]
    return "\n".join("  " + line for line in lines[:12])


def _failing_line(error):
    found = _LOCATION.search(str(error))
    if found is None or not found.group(1).startswith("<ast_ad"):
        return ""
    text = linecache.getline(found.group(1), int(found.group(2))).strip()
    return f"\nat line {found.group(2)} of the derivative: {text}" if text else ""


def composition(name, function, returned, callees):
    """A dispatcher `name` with `function`'s parameters that returns `returned` (calls of
    `callees`, by their names here, of the arguments, `{args}`), compiled as `function`
    was: the compiled forms of `value_and_grad` and `hessian`."""
    scope = Scope(function.py_func)
    own = function.py_func.__code__
    names = own.co_varnames[:own.co_argcount]
    first_default = len(names) - len(scope.defaults or ())
    # The text's defaults stand in for the function's own, which the code takes.
    parameters = ", ".join(n + ("=None" if i >= first_default else "")
                           for i, n in enumerate(names))
    text = f"def {name}({parameters}):\n    return {returned.format(args=', '.join(names))}\n"
    dispatcher = numba.njit(**_options(function))(compile_function(text, name, scope,
                                                                   callees, {}))
    _report_failures(dispatcher, function)
    return dispatcher
