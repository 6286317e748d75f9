"""Checks one program: ast_ad's first derivatives in both modes and its second derivative
in two orders, against the reference, with the effects of each call against the
function's own.

Each check ends right, wrong, refused or crashed (or skipped, where no point had a
reference); the program's outcome is the worst of its checks.
"""

import functools
import inspect
import re
import signal
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ast_ad import DifferentiationError, differentiate, hessian, jvp
from tests.fuzz.reference import BadPoint, autograd_twin, call, reference_at

SEVERITY = {"skipped": -1, "right": 0, "refused": 1, "wrong": 2, "crashed": 3}
FIRST_RTOL = 1e-6
SECOND_RTOL = 1e-4
EFFECT_RTOL = 1e-9
POINTS = 4
DIRECTION = np.array([1.0, -0.5, 0.25, 2.0])
SECONDS_PER_STEP = 60
LOCATION = re.compile(r"^(?P<file>[^\s:]+\.py|<ast_ad [^>]*>):(?P<line>\d+): ")
# The names the generator makes (t1, xs2_1, h1, ...) and the parameters.
GENERATED_NAME = re.compile(r"\b(?:[a-z]{1,2}\d+(?:_\d+)*|[pqxyw]|items)\b")


@dataclass
class Check:
    name: str
    outcome: str
    summary: str = ""
    details: str = ""

    @property
    def signature(self):
        """What two checks failing for one reason have in common: numbers and names out."""
        summary = re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", self.summary.split(" = ")[0])
        return f"{self.name}: {self.outcome}: {summary}"


@dataclass
class Result:
    seed: int
    index: int
    outcome: str
    checks: list
    source: str
    point: dict = None
    reference: str = "none"
    seconds: float = 0.0
    notes: list = field(default_factory=list)
    second_wrt: str = "x"

    def refusals(self):
        """The refusals' messages, with the program's own names put as NAME."""
        return sorted({_without_names(c.summary)
                       for c in self.checks if c.outcome == "refused"})

    def failures(self):
        return [c for c in self.checks if c.outcome in ("wrong", "crashed")]


def _without_names(message):
    """`message` with the program's names in backquotes put as NAME, so that one refusal
    of many programs is counted once."""
    return re.sub(r"`[^`]*`", lambda m: GENERATED_NAME.sub("NAME", m.group()), message)


class Timeout(BaseException):
    """A step ran too long; a BaseException, so that no `except Exception` swallows it."""


@contextmanager
def time_limit(seconds):
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise Timeout(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_program(program, files, seconds_per_step=SECONDS_PER_STEP, only=None,
                  compiled=False):
    """The result of every check of `program` (or of those named in `only`), which
    `files` loads as a module; with `compiled`, of its derivatives compiled by Numba too,
    where Numba compiles the program."""
    started = time.perf_counter()
    result = Result(program.seed, program.index, "right", [], program.source,
                    second_wrt=program.second_wrt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = files.load(program.module_name, program.source)
        except Exception as error:
            result.checks.append(_crash("load", error))
        else:
            try:
                if hasattr(module, "f"):
                    _check_module(program, module, result, seconds_per_step, only, compiled)
                else:
                    result.checks.append(Check("load", "crashed", "the module has no f"))
            finally:
                files.unload(module)
    outcomes = [c.outcome for c in result.checks] or ["skipped"]
    result.outcome = max(outcomes, key=SEVERITY.get)
    result.seconds = time.perf_counter() - started
    return result


def _check_module(program, module, result, seconds, only, compiled=False):
    derivatives = _transform(program, module.f, result.checks, seconds, only,
                             getattr(module, "f_params", None))
    second_order = only is None or any(name.endswith("over reverse") for name in only)
    try:
        with time_limit(seconds):
            reference = _reference(program, module.f, result, second_order)
    except (Exception, Timeout) as error:
        result.checks.append(_crash("program", error, "the program itself raised: "))
        return
    for name, derivative in derivatives.items():
        if reference is None:
            result.checks.append(Check(name, "skipped", "no point had a reference"))
            continue
        result.checks.append(_evaluate(program, name, derivative, reference, seconds))
    if compiled and reference is not None:
        result.checks += _compiled_checks(program, module.f, derivatives, reference, seconds)


COMPILED_RTOL = 1e-9  # compiled and Python derivatives differ by rounding only


def _compiled_checks(program, f, derivatives, reference, seconds):
    """The derivatives of `f` compiled by Numba against the Python ones, at the
    reference's point, where Numba compiles `f` itself. Not for a program with effects:
    compiled code draws from Numba's generator, not Python's, and prints to the process's
    own output."""
    import numba

    if re.search(r"random\.|print\(", program.source) or set(program.extras) - {"n"}:
        return []
    try:
        compiled_f = numba.njit(f)
        with time_limit(seconds):
            compiled_f(*program.arguments(reference.point))
    except Timeout as error:
        return [_crash("compiled", error)]
    except Exception:  # noqa: BLE001 - outside Numba's subset: nothing to check
        return []
    positions = tuple(program.parameters.index(n) for n in program.differentiated)
    checks = []
    for mode in ("reverse", "forward"):
        name = f"compiled {mode}"
        if mode not in derivatives:
            continue
        keywords = {"w_dot": _direction(program)} if "w" in program.differentiated and \
            mode == "forward" else {}
        try:
            with time_limit(seconds):
                got = differentiate(compiled_f, wrt=positions, mode=mode)(
                    *program.arguments(reference.point), **keywords)
        except DifferentiationError as error:
            refusal = _refusal(name, error, program, False)
            reasons = [line for line in str(error).split("\n")  # Numba's, indented by two
                       if line.startswith("  ") and not line.startswith("   ")]
            refusal.summary += f" {reasons[0].strip()}" if reasons else ""
            checks.append(refusal)
            continue
        except (Exception, Timeout) as error:
            checks.append(_crash(name, error))
            continue
        expected = derivatives[mode](*program.arguments(reference.point), **keywords)
        problems = [_difference(g, e, COMPILED_RTOL, 0.0) for g, e in zip(got, expected)]
        problem = next((p for p in problems if p), None)
        checks.append(Check(name, "wrong", f"against the Python derivative: {problem}",
                            f"expected {expected!r}\ngot {got!r}") if problem else
                      Check(name, "right"))
    return checks


def _transform(program, f, checks, seconds, only=None, f_params=None):
    """The derivatives ast_ad writes; refusals and crashes are checks of their own.
    `f_params`, where the program has it, is `f` taking x, y (and w) in a dict."""
    positions = tuple(program.parameters.index(n) for n in program.differentiated)
    k = program.parameters.index(program.second_wrt)
    made = {}
    if only is not None and only & {"forward over reverse", "reverse over reverse"}:
        only = only | {"reverse wrt x"}

    def make(name, build, generated=False):
        if only is not None and name not in only:
            return
        try:
            with time_limit(seconds):
                made[name] = build()
        except DifferentiationError as error:
            checks.append(_refusal(name, error, program, generated))
        except (Exception, Timeout) as error:
            checks.append(_crash(name, error))

    make("reverse", lambda: differentiate(f, wrt=positions))
    make("forward", lambda: differentiate(f, wrt=positions, mode="forward"))
    make("reverse wrt x", lambda: differentiate(f, wrt=0))
    if f_params is not None:
        for mode in ("reverse", "forward"):
            make(f"{mode}, {PARAMS}", lambda mode=mode: _from_a_container(
                differentiate(f_params, mode=mode), program.differentiated, f_params))
        if program.second_wrt in program.differentiated and "w" not in program.differentiated:
            make(f"hessian, {PARAMS}, as forward over reverse", lambda: _hessian_entry(
                hessian(f_params), program.differentiated, f_params, program.second_wrt),
                generated=True)
    if _holds_without_effects(program):
        make(HELD, lambda: _jvp_of_a_partial(f, program))
    gradient = made.get("reverse wrt x")
    if gradient is not None:
        make("forward over reverse",
             lambda: differentiate(gradient, wrt=k, mode="forward"), generated=True)
        make("reverse over reverse", lambda: differentiate(gradient, wrt=k), generated=True)
    return made


PARAMS = "parameters in a container"
HELD = "jvp, the other arguments held by keyword in a partial"


def _holds_without_effects(program):
    """Whether `f` has arguments other than the differentiated ones, numbers and a dict
    that a partial may hold, and no effects: jvp calls the function for its value and
    then the tangent function, which would run an effect twice."""
    others = [p for p in program.parameters if p not in program.differentiated]
    return others and "w" not in program.differentiated and set(others) <= {"n", "cfg"} and \
        not re.search(r"random\.|print\(", program.source)


def _jvp_of_a_partial(f, program):
    """The gradient, as jvp along each unit direction gives it of `f` with its other
    arguments held by a new `functools.partial` (by keyword, as JAX users hold data), at
    each call: one entry per differentiated parameter."""
    count = len(program.differentiated)

    def derivative(*args):
        held = functools.partial(f, **dict(zip(program.parameters[count:], args[count:])))
        units = [tuple(float(i == j) for j in range(count)) for i in range(count)]
        return tuple(jvp(held, tuple(args[:count]), unit)[1] for unit in units)
    return derivative


def _packing(f_params, names):
    """How `f_params` takes its parameters: a function of their values giving the
    container, and whether it is a dict."""
    text = inspect.getsource(f_params)
    fields = f_params.__globals__.get("FParams") if "params." in text else None
    keyed = 'params["' in text or "read_params(params)" in text or "params.items()" in text
    return (lambda values: dict(zip(names, values)) if keyed else
            fields(*values) if fields else list(values)), keyed


def _hessian_entry(matrix_of, names, f_params, second):
    """The entry (x, `second`) of the Hessian `matrix_of` gives of `f_params`, taking the
    parameters one by one as the other checks' derivatives do; the Hessian's containers
    must be the argument's, nested (a list's rows may be arrays, in code that uses
    NumPy)."""
    pack, keyed = _packing(f_params, names)

    def entry(*args):
        container = pack(list(args[:len(names)]))
        matrix = matrix_of(container, *args[len(names):])
        if type(matrix) is not type(container) or not isinstance(container, list) and any(
                type(row) is not type(container) for row in
                (matrix.values() if keyed else matrix)):
            raise TypeError(f"the Hessian at {container!r} is {matrix!r}")
        at = (lambda tree, name: tree[name]) if keyed else \
            (lambda tree, name: tree[names.index(name)])
        return at(at(matrix, "x"), second)
    return entry


def _from_a_container(derivative, names, f_params):
    """`derivative`, of a function of its parameters in a dict, a list it unpacks or a
    namedtuple, taking them one by one and giving their gradients as a tuple, as the
    other checks' derivatives do."""
    pack, keyed = _packing(f_params, names)

    def unpacked(*args):
        container = pack(list(args[:len(names)]))
        gradient = derivative(container, *args[len(names):])
        if type(gradient) is not type(container) or len(gradient) != len(names) or \
                keyed and list(gradient) != names:
            raise TypeError(f"the gradient of {container!r} is {gradient!r}")
        return tuple(gradient.values()) if keyed else tuple(gradient)
    return unpacked


def _reference(program, f, result, second_order):
    twin = autograd_twin(program)
    for point in program.points(POINTS):
        try:
            reference = reference_at(f, twin, program, point, second_order)
        except BadPoint as reason:
            result.notes.append(f"point {show_point(point)} left out: {reason}")
            continue
        result.point, result.reference = point, reference.source
        return reference
    return None


def _evaluate(program, name, derivative, reference, seconds):
    """One derivative at the reference's point: its numbers and its effects."""
    second = name.endswith("over reverse")
    keywords, expected = _expected(program, name, reference, derivative)
    try:
        with time_limit(seconds):
            got, effects = call(derivative, program, reference.point, **keywords)
    except DifferentiationError as error:  # where only the values can tell (limits.md)
        return _refusal(name, error, program, second, "the derivative raised an error ")
    except (Exception, Timeout) as error:
        return _crash(name, error, "the derivative raised: ")
    rtol = SECOND_RTOL if second else FIRST_RTOL
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return Check(name, "wrong", "not a tuple of one derivative per parameter",
                         f"expected {expected!r}\ngot {got!r}")
        parts = zip(program.differentiated, got, expected)
    else:
        parts = [(program.second_wrt if second else "x", got, expected)]
    for parameter, value, wanted in parts:
        slack = 10 * float(np.max(reference.errors.get("second" if second else parameter, 0.0)))
        problem = _difference(value, wanted, rtol, slack)
        if problem:
            return Check(name, "wrong", f"d/d{parameter} {problem}",
                         f"expected {wanted!r}\ngot {value!r}\n"
                         f"reference: {reference.source}")
    problem = _effects_differ(effects, reference.effects)
    if problem:
        return Check(name, "wrong", f"effects: {problem}",
                     f"the function's: {reference.effects!r}\nthe derivative's: {effects!r}")
    return Check(name, "right")


def _expected(program, name, reference, derivative):
    """The seeds to pass (a direction for an array) and the derivative they should give."""
    k = program.second_wrt
    if name in ("reverse", HELD) or name.endswith(PARAMS):
        return {}, tuple(reference.gradient[n] for n in program.differentiated)
    required = "w" in program.differentiated and "w_dot" not in derivative.__kwdefaults__
    if name == "forward" and not required:  # the whole gradient, as reverse mode gives it
        return {}, tuple(reference.gradient[n] for n in program.differentiated)
    if name == "forward":  # a list's tangent: a direction, required
        return {"w_dot": _direction(program)}, tuple(
            _along(program, reference.gradient[n]) for n in program.differentiated)
    if name == "reverse wrt x":
        return {}, reference.gradient["x"]
    if name == "forward over reverse":
        keywords = {f"{k}_dot": _direction(program)} if k == "w" else {}
        return keywords, _along(program, reference.second)
    return {}, reference.second


def _direction(program):
    return DIRECTION[:program.array_length].copy()


def _along(program, derivative):
    if np.ndim(derivative) == 0:
        return derivative
    return float(np.dot(derivative, _direction(program)))


def _difference(got, expected, rtol, slack):
    """What is wrong with `got`, or None when it is `expected` within the tolerance."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"is {type(got).__name__}, not a number or an array"
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"has shape {got.shape}, not {expected.shape}"
    if not np.all(np.isfinite(got)):
        return "is not finite"
    error = np.max(np.abs(got - expected)) if got.size else 0.0
    tolerance = rtol * (1.0 + np.max(np.abs(expected), initial=0.0)) + slack
    if error > tolerance:
        return f"off by {error:.3g} = {_relative(error, expected):.3g} relative"
    return None


def _relative(error, expected):
    return error / max(np.max(np.abs(expected), initial=0.0), 1e-300)


def _effects_differ(got, expected):
    printed, log, logged = got
    printed_expected, log_expected, logged_expected = expected
    if not _same_numbers(printed.split(), printed_expected.split()):
        return "printed text differs"
    if log_expected is not None and not _same_numbers(log, log_expected):
        return "log differs"
    if logged_expected is not None and not _same_numbers(logged.split(),
                                                         logged_expected.split()):
        return "logged text differs"
    return None


def _same_numbers(got, expected):
    """Equal item by item, numbers to within rounding (code may reassociate them), tuples
    and lists of them too."""
    if len(got) != len(expected):
        return False
    for a, b in zip(got, expected):
        if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
            if type(a) is not type(b) or not _same_numbers(a, b):
                return False
            continue
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            if a != b:
                return False
            continue
        if not (a == b or abs(a - b) <= EFFECT_RTOL * (1.0 + abs(b))):
            return False
    return True


def _refusal(name, error, program, generated, prefix="an error "):
    """A refusal names the user's file and line (or, for a second derivative, the line of
    the generated gradient); one that does not is a crash."""
    first = str(error).split("\n", 1)[0]
    match = LOCATION.match(first)
    own_file = match and match["file"] == f"{program.module_name}.py"
    if not (own_file or (match and generated and match["file"].startswith("<ast_ad"))):
        return _crash(name, error, f"{prefix}without the program's file and line: ")
    return Check(name, "refused", first[match.end():], str(error))


def _crash(name, error, prefix=""):
    frames = traceback.extract_tb(error.__traceback__)
    inner = [f for f in frames if "/ast_ad/" in f.filename] or frames
    where = f" (at {_frame(inner[-1])})" if inner else ""
    message = str(error).split("\n", 1)[0]
    summary = f"{prefix}{type(error).__name__}: {message}{where}"
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return Check(name, "crashed", summary, details)


def _frame(frame):
    path = frame.filename
    short = path[path.rindex("/ast_ad/") + 1:] if "/ast_ad/" in path else path
    return f"{short}:{frame.lineno} in {frame.name}"


def show_point(point):
    return ", ".join(f"{k}={show_value(v)}" for k, v in point.items())


def show_value(value):
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(value)
