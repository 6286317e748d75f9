"""The command line: print the derivative ast_ad writes for a function in a file.

    python -m ast_ad model.py:f --wrt x1,x2 --at 2 5 --trace

prints the generated source, its value at the point, and the evaluation-trace tables.
A mistake (a bad path or value, a function that cannot be differentiated) is one line
on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import importlib.util
import inspect
import os
import sys

from ast_ad.api import differentiate, source
from ast_ad.errors import DifferentiationError
from ast_ad.trace import trace

USAGE_ERROR = 2  # the command line is wrong: argparse's status
FAILURE = 1  # the function cannot be differentiated or evaluated as asked


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
        The exit status: 0, 1 when the function cannot be differentiated or evaluated,
        2 for a bad command line (argparse exits with 2 itself for bad options).
    """
    options = _parser().parse_args(argv)
    try:
        _run(options)
    except _Failure as failure:
        print(f"ast_ad: error: {failure}", file=sys.stderr)
        return failure.status
    except DifferentiationError as error:
        # The first line names the file and line and says what is wrong; the rest
        # (the quoted source, a rule template) is for the Python API.
        print(f"ast_ad: error: {str(error).splitlines()[0]}", file=sys.stderr)
        return FAILURE
    return 0


def _parser():
    parser = _Parser(prog="ast_ad", description="Print the derivative ast_ad generates for "
                                                 "a Python function.")
    parser.add_argument("target", metavar="PATH.py:FUNC",
                        help="the file and the name of the function in it")
    parser.add_argument("--wrt", metavar="NAME[,NAME...]", default="0",
                        help="the parameters to differentiate with respect to, by name or "
                             "index (default: the first)")
    parser.add_argument("--mode", choices=["reverse", "forward"], default="reverse",
                        help="reverse (the default): one adjoint sweep for every partial; "
                             "forward: one tangent sweep per --wrt parameter")
    parser.add_argument("--order", type=int, default=1, metavar="K",
                        help="differentiate K times, each time with respect to --wrt")
    parser.add_argument("--at", type=float, nargs="+", metavar="V",
                        help="a point, one float per positional parameter: also print the "
                             "derivative's value there")
    parser.add_argument("--trace", action="store_true",
                        help="also print the evaluation-trace tables of the last "
                             "differentiation at the --at point")
    return parser


def _run(options):
    if options.trace and options.at is None:
        raise _Failure("--trace needs a point: give it with --at", USAGE_ERROR)
    if options.order < 1:
        raise _Failure(f"--order must be at least 1, not {options.order}", USAGE_ERROR)
    wrt = _wrt(options.wrt)
    if options.order > 1 and isinstance(wrt, tuple):
        raise _Failure("--order above 1 needs a single --wrt parameter: the derivative of "
                       "a tuple of derivatives is not supported yet", USAGE_ERROR)
    function = _load(options.target)
    derivatives = [function]
    for _ in range(options.order):
        derivatives.append(differentiate(derivatives[-1], wrt=wrt, mode=options.mode))
    print(source(derivatives[-1]), end="")
    if options.at is None:
        return
    at = tuple(options.at)
    _check_point(function, at)
    value = _evaluate(derivatives[-1], at)
    print(f"\n{derivatives[-1].__name__}({', '.join(map(repr, at))}) = {value!r}")
    if options.trace:
        print(f"\n{trace(derivatives[-2], *at, wrt=wrt, mode=options.mode)}")


def _wrt(text):
    """`--wrt x1,x2` as differentiate's `wrt`: names, or indices written as integers."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise _Failure(f"--wrt {text!r} has an empty name", USAGE_ERROR)
    items = [int(item) if item.lstrip("-").isdigit() else item for item in items]
    return items[0] if len(items) == 1 else tuple(items)


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


def _check_point(function, at):
    try:
        inspect.signature(function).bind(*at)
    except TypeError as error:
        raise _Failure(f"--at gave {len(at)} values for {function.__name__}"
                       f"{inspect.signature(function)}: {error}", USAGE_ERROR) from None


def _evaluate(derivative, at):
    try:
        return derivative(*at)
    except Exception as error:  # noqa: BLE001 - the user's code: report it, in one line
        raise _Failure(f"{derivative.__name__} failed at {at}: {type(error).__name__}: "
                       f"{error}", FAILURE) from None


if __name__ == "__main__":
    sys.exit(main())
