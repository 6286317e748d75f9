"""The reference derivatives of a program at a point: autograd on the same source where it
runs, extrapolated central differences otherwise, and the differences as a cross-check of
autograd in both cases.

A point where the two references disagree lies on a kink or a branch switch, where no
derivative is defined; it is rejected, and the checker tries another.
"""

import collections
import contextlib
import functools
import inspect
import io
import math
import random
import types
import warnings
from dataclasses import dataclass, field

import autograd
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from tests.fuzz.program import PAIRS

# The largest value of a program that is still checked: beyond it, rounding dominates.
LARGEST_VALUE = 1e8
FIRST_AGREEMENT = 1e-5
SECOND_AGREEMENT = 1e-4
STEP = 1e-3
OUTER_STEP = 1e-2


class BadPoint(Exception):
    """The program is not finite, or has no derivative, at this point."""


@dataclass
class Reference:
    """Derivatives at one point: `gradient[p]` is df/dp, `second` is d/dk (df/dx)."""
    point: dict
    value: float
    effects: tuple
    gradient: dict
    second: object
    source: str
    errors: dict = field(default_factory=dict)


def autograd_math():
    """`math` with autograd's functions, so the program's own text runs under autograd."""
    renamed = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
               "pow": "power", "fabs": "abs"}
    shim = types.SimpleNamespace()
    for name in dir(math):
        if not name.startswith("_"):
            setattr(shim, name, getattr(anp, renamed.get(name, name), getattr(math, name)))
    shim.log = lambda x, base=None: anp.log(x) if base is None else anp.log(x) / anp.log(base)
    shim.pi, shim.e, shim.inf = math.pi, math.e, math.inf
    return shim


AUTOGRAD_MATH = autograd_math()


def autograd_twin(program):
    """The program's `f`, executed from the same text with `math` and `np` for autograd;
    None where autograd's derivative is wrong: it leaves out a reduction's `where`."""
    if "where=" in program.body:
        return None
    namespace = {"__name__": f"{program.module_name}_autograd", "math": AUTOGRAD_MATH,
                 "np": anp, "random": random, "functools": functools,
                 "collections": collections,
                 "stop_gradient": getval, "PAIRS": PAIRS}
    exec(compile(program.body, f"<{program.module_name} under autograd>", "exec"), namespace)
    return namespace["f"]


def call(function, program, point, **keywords):
    """`function` at `point` with fresh effects: its result, and its effects (the text it
    printed, what it appended to `log`, what it sent to `logger`)."""
    args = dict(zip(program.parameters, program.arguments(point)))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = function(*args.values(), **keywords)
    logger = args.get("logger")
    return result, (printed.getvalue(), args.get("log"),
                    logger.stream.getvalue() if logger is not None else None)


def coordinates(program, name):
    """The scalar coordinates of a differentiated parameter: itself, or each entry."""
    if name == "w":
        return [(name, j) for j in range(program.array_length)]
    return [(name, None)]


def shifted(point, coordinate, t):
    name, j = coordinate
    moved = dict(point)
    if j is None:
        moved[name] = point[name] + t
    else:
        moved[name] = point[name].copy()
        moved[name][j] += t
    return moved


def richardson(along, step):
    """d/dt along(t) at 0, twice extrapolated, and the change of the last extrapolation."""
    def central(h):
        return (along(h) - along(-h)) / (2 * h)
    d1, d2, d3 = central(step), central(step / 2), central(step / 4)
    coarse, fine = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    return fine, abs(fine - coarse)


def _value(function, program, point):
    try:
        value = call(function, program, point)[0]
    except (ArithmeticError, ValueError) as error:
        raise BadPoint(f"the program raises {error!r}") from None
    if not isinstance(value, (int, float, np.floating, np.integer)) and np.ndim(value) != 0:
        raise TypeError(f"the program returned {type(value).__name__}, not a number")
    value = float(value)
    if not math.isfinite(value) or abs(value) > LARGEST_VALUE:
        raise BadPoint(f"the program's value is {value}")
    return value


def _differences(function, program, point, coordinate, step=STEP):
    return richardson(lambda t: _value(function, program, shifted(point, coordinate, t)), step)


def _assemble(program, name, parts):
    return np.array(parts) if name == "w" else parts[0]


class FrozenStops:
    """`stop_gradient` for the differences around one point: each call gives the value its
    call gave at the point, so that no difference sees a stopped value move (autograd and
    ast_ad read it as a constant, to every order)."""

    def __init__(self, function):
        self.function, self.values, self.next = function, [], None
        self.namespace = inspect.unwrap(function).__globals__  # (f may be decorated)
        self.stops = self.namespace["stop_gradient"]

    def __call__(self, x):
        if self.next is None:
            self.values.append(x)
            return x
        if self.next >= len(self.values):
            raise BadPoint("the program stops gradients more often away from the point")
        self.next += 1
        return self.values[self.next - 1]

    def recording(self, *args, **keywords):
        return self.function(*args, **keywords)

    def replaying(self, *args, **keywords):
        self.next = 0
        return self.function(*args, **keywords)

    @contextlib.contextmanager
    def installed(self):
        self.namespace["stop_gradient"] = self
        try:
            yield
        finally:
            self.namespace["stop_gradient"] = self.stops


def reference_at(function, twin, program, point, second_order=True):
    """The reference at `point`, or BadPoint where it has none; its second derivative is
    None unless `second_order`.

    Exceptions other than BadPoint come from the program itself (not from ast_ad)."""
    if "stop_gradient(" not in program.body:
        return _reference_at(function, twin, program, point, second_order)
    frozen = FrozenStops(function)
    with frozen.installed():
        _value(frozen.recording, program, point)
        return _reference_at(frozen.replaying, twin, program, point, second_order)


def _reference_at(function, twin, program, point, second_order):
    value = _value(function, program, point)
    effects = call(function, program, point)[1]
    differences, errors = {}, {}
    for name in program.differentiated:
        found = [_differences(function, program, point, c) for c in coordinates(program, name)]
        differences[name] = _assemble(program, name, [d for d, _ in found])
        errors[name] = _assemble(program, name, [e for _, e in found])
    k = program.second_wrt
    gradient = None  # where autograd cannot run the program, differences alone decide
    try:
        if twin is not None:
            gradient, second, first_x = _autograd(twin, program, point, second_order)
    except BadPoint:
        raise
    except Exception:
        gradient = None
    if gradient is None:
        return _by_differences(function, program, point, value, effects, differences, errors,
                               second_order)
    for name in program.differentiated:
        _agree(gradient[name], differences[name], errors[name], FIRST_AGREEMENT, name)
    for coordinate, expected in zip(coordinates(program, k) if second_order else [],
                                    np.ravel(second)):
        try:
            estimate, error = richardson(
                lambda t: float(first_x(*program.arguments(shifted(point, coordinate, t)))),
                OUTER_STEP)
        except BadPoint:
            raise
        except Exception as failure:  # a step away, the program takes a path autograd
            # cannot follow (`float(x)`): the point is too near a branch switch
            raise BadPoint(f"autograd fails a step away: {failure!r}") from None
        _agree(expected, estimate, error, SECOND_AGREEMENT, f"second {coordinate}")
    return Reference(point, value, effects, gradient, second if second_order else None,
                     "autograd", {})


def _refuse_a_kink(along, value, step=STEP):
    """BadPoint where `along` has a kink at 0: its slopes on the two sides differ by as
    much at half the step (on a smooth curve the gap halves with the step). A central
    difference there is the mean of the two slopes, which no derivative need be."""
    def gap(h):
        return abs((along(h) - value) / h - (value - along(-h)) / h)
    wide, narrow = gap(step), gap(step / 2)
    if narrow > 1e-4 * (1.0 + abs(value)) and narrow > 0.75 * wide:
        raise BadPoint(f"a kink: the slopes on its two sides differ by {narrow:.3g}")


def _autograd(twin, program, point, second_order):
    names = program.differentiated
    positions = [program.parameters.index(n) for n in names]
    args = program.arguments(point)

    def of_differentiated(values):
        full = list(args)
        for position, v in zip(positions, values):
            full[position] = v
        return twin(*full)

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        parts = autograd.grad(of_differentiated)(tuple(point[n] for n in names))
        gradient = {n: _as_float(p) for n, p in zip(names, parts)}
        first_x = autograd.grad(twin, 0)
        k = program.parameters.index(program.second_wrt)
        second = _as_float(autograd.grad(first_x, k)(*program.arguments(point))) \
            if second_order else 0.0
    for part in list(gradient.values()) + [second]:
        if not np.all(np.isfinite(part)):
            raise BadPoint("autograd's derivative is not finite")

    def quiet_first_x(*a):
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return first_x(*a)
    return gradient, second, quiet_first_x


def _as_float(value):
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


def _agree(expected, estimate, error, tolerance, what):
    expected, estimate = np.asarray(expected), np.asarray(estimate)
    scale = 1.0 + np.max(np.abs(expected))
    if np.max(np.abs(expected - estimate)) > tolerance * scale + 10 * np.max(error):
        raise BadPoint(f"autograd and differences disagree on {what}: "
                       f"{expected} against {estimate}")


def _by_differences(function, program, point, value, effects, differences, errors,
                    second_order):
    """First and second derivatives from differences alone, where autograd cannot run."""
    for name in program.differentiated:
        scale = 1.0 + np.max(np.abs(differences[name]))
        if np.max(errors[name]) > FIRST_AGREEMENT * scale:
            raise BadPoint(f"the differences in {name} do not settle")
        for coordinate in coordinates(program, name):
            _refuse_a_kink(lambda t, c=coordinate: _value(function, program,
                                                          shifted(point, c, t)), value)
    if not second_order:
        return Reference(point, value, effects, differences, None, "differences", errors)
    parts, second_errors = [], []
    for coordinate in coordinates(program, program.second_wrt):
        def first_x(t, coordinate=coordinate):
            return _differences(function, program, shifted(point, coordinate, t),
                                ("x", None))[0]
        estimate, error = richardson(first_x, OUTER_STEP)
        if error > SECOND_AGREEMENT * (1.0 + abs(estimate)):
            raise BadPoint("the second differences do not settle")
        parts.append(estimate)
        second_errors.append(error)
    second = _assemble(program, program.second_wrt, parts)
    errors = dict(errors, second=_assemble(program, program.second_wrt, second_errors))
    return Reference(point, value, effects, differences, second, "differences", errors)
