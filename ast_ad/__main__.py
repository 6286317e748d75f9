"""The command line: print, or write as a module, the derivative ast_ad writes for a
function in a file.

    python -m ast_ad model.py:f --wrt x1,x2 --at 2 5 --trace

prints the generated source, its value at the point, and the evaluation-trace tables.
A mistake (a bad path or value, a function that cannot be differentiated) is one line
on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import ast
import importlib.util
import inspect
import os
import sys
import types

from ast_ad import __version__
from ast_ad.backend import standalone
from ast_ad.api import differentiate, source, standalone_module
from ast_ad.errors import DifferentiationError
from ast_ad.trace import trace
from ast_ad.transforms import hessian, hessian_rows

DONE = 0
FAILURE = 1  # the function was refused, or raised at --at; --check: the module is stale
USAGE_ERROR = 2  # the command line is wrong (argparse's own status); --check: not our module

EPILOG = f"""\
example:
  python -m ast_ad model.py:f --wrt x1,x2 --at 2 5    the gradient's source and value
  python -m ast_ad model.py:f --emit grad_f.py        a module that runs without ast_ad
  python -m ast_ad --check grad_f.py                  is that module still fresh?

exit status:
  {DONE}  done (--check: the module is fresh)
  {FAILURE}  the function was refused or raised at --at (--check: the module is stale:
     a source changed or is gone, or another ast_ad version wrote it)
  {USAGE_ERROR}  a bad command line: a flag, path, FUNC, --wrt, --mode or --at (--check:
     the file is not a module ast_ad wrote)
"""


class _Failure(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as every other error here
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default: `sys.argv[1:]`).

    Args:
        argv: the arguments, e.g. `["model.py:f", "--wrt", "x1", "--at", "2", "5"]`.

    Returns:
        The exit status, as the table in `--help` gives it (argparse exits with 2 itself
        for a bad option).
    """
    options = _parser().parse_args(argv)
    try:
        if options.check:
            return _check(options.check)
        if options.target is None:
            raise _Failure("give PATH.py:FUNC, or --check OUT.py", USAGE_ERROR)
        _run(options)
    except _Failure as failure:
        print(f"ast_ad: error: {failure}", file=sys.stderr)
        return failure.status
    except DifferentiationError as error:
        # The first line names the file and line and says what is wrong; the rest
        # (the quoted source, a rule template) is for the Python API.
        print(f"ast_ad: error: {str(error).splitlines()[0]}", file=sys.stderr)
        return FAILURE
    return DONE


def _parser():
    parser = _Parser(prog="ast_ad", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Print the derivative ast_ad generates for a Python "
                                 "function, or write it as a module of its own.")
    parser.add_argument("target", metavar="PATH.py:FUNC", nargs="?",
                        help="the file and the name of the function in it")
    parser.add_argument("--wrt", metavar="NAME[,NAME...]", default="0",
                        help="the parameters to differentiate with respect to, by name or "
                             "index (default: the first)")
    parser.add_argument("--mode", choices=["reverse", "forward"], default="reverse",
                        help="reverse (the default): one adjoint sweep for every partial; "
                             "forward: one tangent sweep per --wrt parameter")
    parser.add_argument("--order", type=int, default=1, metavar="K",
                        help="differentiate K times, each time with respect to --wrt; with "
                             "several --wrt, K may be 2: the Hessian")
    parser.add_argument("--at", type=_value, nargs="+", metavar="V",
                        help="a point, one value per positional parameter, as Python writes "
                             "it (2, 0.5, [[1, 2], [3, 4]]: a list is a NumPy array of "
                             "floats when the function's module imports NumPy): also print "
                             "the derivative's value there")
    parser.add_argument("--trace", action="store_true",
                        help="also print the evaluation-trace tables of the last "
                             "differentiation at the --at point")
    parser.add_argument("--emit", metavar="OUT.py",
                        help="write the derivative as a module that runs without ast_ad, "
                             "instead of printing its source")
    parser.add_argument("--check", metavar="OUT.py",
                        help="whether a module --emit wrote is fresh: exit 0 if so, 1 if "
                             "stale, 2 if ast_ad did not write it")
    parser.add_argument("--version", action="version", version=f"ast_ad {__version__}")
    return parser


def _value(text):
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: give a number or a list "
                                         "of numbers, as Python writes them") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, list)):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: give a number or a list "
                                         "of numbers")
    return value


def _run(options):
    if options.trace and options.at is None:
        raise _Failure("--trace needs a point: give it with --at", USAGE_ERROR)
    if options.order < 1:
        raise _Failure(f"--order must be at least 1, not {options.order}", USAGE_ERROR)
    wrt = _wrt(options.wrt)
    several = isinstance(wrt, tuple)
    if several and options.order > 2:
        raise _Failure("--order above 2 needs a single --wrt parameter (--order 2 with "
                       "several gives the Hessian)", USAGE_ERROR)
    if several and options.order == 2 and (options.emit or options.trace):
        raise _Failure("the Hessian of several --wrt is several functions: --emit and "
                       "--trace take one --wrt at --order 2", USAGE_ERROR)
    function = _load(options.target)
    _check_wrt(function, wrt)
    if several and options.order == 2:
        _print_hessian(function, wrt, options)
        return
    derivatives = [function]
    for _ in range(options.order):
        derivatives.append(differentiate(derivatives[-1], wrt=wrt, mode=options.mode))
    if options.emit:
        _emit(derivatives[-1], options.emit)
    else:
        print(source(derivatives[-1]), end="")
    if options.at is None:
        return
    at = _point(function, options.at)
    value = _evaluate(derivatives[-1], at)
    print(f"\n{derivatives[-1].__name__}({', '.join(map(repr, options.at))}) = "
          f"{_printable(value)!r}")
    if options.trace:
        print(f"\n{trace(derivatives[-2], *at, wrt=wrt, mode=options.mode)}")


def _print_hessian(function, wrt, options):
    """The source of each row of `hessian(function, wrt)`, and its value at --at."""
    rows = hessian_rows(function, wrt, wrt)
    print("\n".join(source(row) for row in rows), end="")
    if options.at is not None:
        at = _point(function, options.at)
        value = _evaluate(hessian(function, wrt=wrt), at)
        print(f"\nhessian_{function.__name__}({', '.join(map(repr, options.at))}) = "
              f"{_printable(value, tuple_type=list)!r}")


def _printable(value, tuple_type=tuple):
    """`value` with its arrays as nested lists, whose repr shows every digit."""
    if isinstance(value, tuple):
        return tuple_type(_printable(item, tuple_type) for item in value)
    return value.tolist() if hasattr(value, "tolist") else value


def _emit(derivative, path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _Failure(f"no such folder: {folder}", USAGE_ERROR)
    text = standalone_module(derivative, source(derivative), folder)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {path}: {derivative.__name__}, a module that runs without ast_ad")


def _check(path):
    """Exit status of `--check`: whether the module at `path` is what ast_ad would write
    from the sources as they are now."""
    try:
        with open(path, encoding="utf-8") as module:
            recipe = standalone.read_recipe(module.read())
    except (OSError, UnicodeDecodeError) as error:
        raise _Failure(f"cannot read {path}: {error}", USAGE_ERROR) from None
    if recipe is None:
        raise _Failure(f"{path} is not a module ast_ad wrote (it has no recipe line)",
                       USAGE_ERROR)
    stale = _staleness(recipe, os.path.dirname(os.path.abspath(path)))
    if stale:
        print(f"{path} is stale: {stale}")
        return FAILURE
    print(f"{path} is fresh: {recipe['source']}:{recipe['function']} is unchanged")
    return DONE


def _staleness(recipe, folder):
    """Why the module `recipe` describes is stale, or None."""
    if recipe["version"] != __version__:
        return f"ast_ad {recipe['version']} wrote it, and this is ast_ad {__version__}"
    if recipe["function"] is None:
        return ("it was written from a functools.partial or a bound method, which --check "
                "cannot derive again")
    try:
        function = _load(f"{os.path.join(folder, recipe['source'])}:{recipe['function']}")
        for mode, wrt, has_aux in recipe["steps"]:
            wrt = tuple(wrt) if isinstance(wrt, list) else wrt
            function = differentiate(function, wrt=wrt, mode=mode, has_aux=has_aux)
        fresh = standalone_module(function, source(function), folder)
    except (_Failure, DifferentiationError) as error:
        return str(error).splitlines()[0]
    if standalone.read_recipe(fresh)["hash"] != recipe["hash"]:
        return (f"the source of {recipe['function']}, of a function it calls, or a value "
                "it reads changed")
    return None


def _wrt(text):
    """`--wrt x1,x2` as differentiate's `wrt`: names, or indices written as integers."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise _Failure(f"--wrt {text!r} has an empty name", USAGE_ERROR)
    items = [int(item) if item.lstrip("-").isdigit() else item for item in items]
    return items[0] if len(items) == 1 else tuple(items)


def _check_wrt(function, wrt):
    """A --wrt that names no parameter is a mistake of the command line."""
    parameters = inspect.signature(function).parameters
    positional = [p for p in parameters.values() if p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for item in wrt if isinstance(wrt, tuple) else (wrt,):
        if isinstance(item, int) and not -len(positional) <= item < len(positional):
            raise _Failure(f"--wrt {item} is out of range: {function.__name__} has "
                           f"{len(positional)} positional parameters", USAGE_ERROR)
        if isinstance(item, str) and item not in parameters:
            raise _Failure(f"{function.__name__} has no parameter named {item!r}; its "
                           f"parameters are {', '.join(parameters)}", USAGE_ERROR)


def _load(target):
    """The function named by `PATH.py:FUNC`, its file imported as a module."""
    path, colon, name = target.rpartition(":")
    if not colon or not path or not name:
        raise _Failure(f"expected PATH.py:FUNC, got {target!r}", USAGE_ERROR)
    if not os.path.isfile(path):
        raise _Failure(f"no such file: {path}", USAGE_ERROR)
    path = os.path.abspath(path)
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise _Failure(f"{path} is not a Python file", USAGE_ERROR)
    sys.path.insert(0, os.path.dirname(path))  # for the file's own imports
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(module_name, module)  # as an import would (dataclasses need it)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - the user's code: report it, in one line
        message = str(error).splitlines()[0] if str(error) else ""
        raise _Failure(f"cannot import {path}: {type(error).__name__}: {message}",
                       USAGE_ERROR) from None
    function = getattr(module, name, None)
    if function is None:
        defined = sorted(n for n, v in vars(module).items()
                         if inspect.isfunction(v) and v.__module__ == module.__name__)
        raise _Failure(f"{os.path.basename(path)} has no function named {name!r}; it defines "
                       f"{', '.join(defined) or 'none'}", USAGE_ERROR)
    return function


def _point(function, values):
    """The --at values as arguments of `function`: lists are arrays of floats when its
    module imports NumPy."""
    numpy = next((v for v in function.__globals__.values() if isinstance(v, types.ModuleType)
                  and v.__name__ == "numpy"), None)
    at = tuple(numpy.asarray(v, dtype=float) if numpy and isinstance(v, list) else v
               for v in values)
    try:
        inspect.signature(function).bind(*at)
    except TypeError as error:
        raise _Failure(f"--at gave {len(at)} values for {function.__name__}"
                       f"{inspect.signature(function)}: {error}", USAGE_ERROR) from None
    return at


def _evaluate(derivative, at):
    try:
        return derivative(*at)
    except Exception as error:  # noqa: BLE001 - the user's code: report it, in one line
        raise _Failure(f"{derivative.__name__} failed at {at}: {type(error).__name__}: "
                       f"{error}", FAILURE) from None


if __name__ == "__main__":
    sys.exit(main())
