"""The differential fuzzer (tests/fuzz) on a fixed sample, the bugs it found as minimal
reproductions, its grammar, and its command line.

The sample's seed was fixed before its outcome was known. A sample program that fails
today is listed in KNOWN with the reproduction it reduces to. A reproduction still `open`
is a strict xfail, so that its fix shows up as an unexpected pass; once fixed, it stays
as a regression test of the outcome the fix gives.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from tests.fuzz.checker import check_program
from tests.fuzz.grammar import GRAMMAR
from tests.fuzz.loader import ProgramFiles
from tests.fuzz.program import generate, written
from tests.fuzz.reference import BadPoint, call
from tests.fuzz.report import program_text
from tests.fuzz.runner import run

SAMPLE_SEED = 2024
SAMPLE_PROGRAMS = 40
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAST_LINE = re.compile(r"^(\d+) programs: (\d+) right, (\d+) wrong, (\d+) refused, "
                       r"(\d+) crashed$")


@dataclass(frozen=True)
class Reproduction:
    """A bug the fuzzer found, reduced: `f`'s source, the point, what went wrong, and the
    outcome since it was fixed (`refused`: a clear error naming the file and line)."""
    name: str
    body: str
    point: dict
    reason: str
    outcome: str = "right"
    second_wrt: str = "x"
    open: bool = False


REPRODUCTIONS = [
    Reproduction("spread-of-entries-equal-up-to-rounding", """
        def f(x, y):
            x *= math.tanh(x) * math.tanh(1.13)
            return np.std(np.array([x, x, x])) / 3.0 + y
        """, {"x": -1.072, "y": 0.25},
        "the spread of entries equal up to rounding is rounding noise, whose gradient is a "
        "number where the spread's derivative is 0 (docs/limits.md)", open=True),
    Reproduction("return-in-two-loops", """
        def f(x, y):
            for i in range(0):
                return x
            for i in range(2):
                return y
            return x
        """, {"x": 0.5, "y": 0.25},
        "reverse mode: the second loop's return is taken for the first's; d/dy is 0, not 1"),
    Reproduction("loop-over-constants-made-differentiated", """
        def f(x, y):
            for c in (0.5, 1.5):
                for i in range(1):
                    c = c * x
                y = y + c
            return y
        """, {"x": 0.5, "y": 0.25},
        "forward mode: the tangent of a loop variable over a tuple of constants, assigned a "
        "differentiated value in a nested loop, is read before it is bound (UnboundLocalError)",
        outcome="refused"),  # reverse over reverse of nested loops: not yet
    Reproduction("loop-over-a-name-the-body-reassigns", """
        def f(x, y, w):
            s = 0.0
            for v in w:
                s = s + v * x
                w = w * 2.0
            return s
        """, {"x": 0.5, "y": 0.25, "w": [0.3, 0.6]},
        "both modes: the loop reads its items from the name's new value, not from the "
        "sequence Python iterates; d/dx is 1.5, not 0.9"),
    Reproduction("alias-of-an-indexed-argument", """
        def f(x, y, w):
            a = w
            return a[0]
        """, {"x": 0.5, "y": 0.25, "w": [0.3, 0.6]},
        "reverse mode multiplies the list gradient of `w` by the seed (TypeError); forward "
        "mode refuses the array when called, naming no file and line", outcome="refused"),
    Reproduction("item-of-constants-made-differentiated", """
        def f(x, y):
            for i, v in enumerate((0.81, 0.3)):
                x = y
                for k in range(2, 0, -1):
                    v *= x
                y *= v
            return x + y
        """, {"x": -0.378, "y": -0.883},
        "reverse mode: an item of a tuple of constants that a nested loop makes "
        "differentiated has no adjoint to give back (AttributeError)"),
    Reproduction("array-adjoint-zeroed-again", """
        def h(p, q):
            for i in range(3):
                while 2:
                    return p
            return 1.0

        def f(x, y):
            if sum([y, y, 1.5]):
                return h(x, y)
            return np.sum(np.array([1.0]))
        """, {"x": -0.273, "y": 0.275},
        "reverse mode, array code: the adjoint of a value a loop may not define is set to "
        "zero where it is defined, and again where a reversed iteration runs it once more, "
        "wiping what the code after the loop gave it; d/dx is 0, not 1", outcome="refused"),
    Reproduction("helper-parameter-named-like-a-loop-counter", """
        def h(p, q, k):
            for v in (q, p, 0.5):
                if k:
                    return math.pi
            return q

        def f(x, y):
            return h(x, x, 0)
        """, {"x": -0.213, "y": -0.588},
        "both modes: the counter of a loop that may return, in an inlined helper, took the "
        "name of the helper's parameter `k`, which the helper then read; d/dx is 0, not 1"),
    Reproduction("spread-of-equal-entries-overwritten", """
        def f(x, y):
            x = np.array([x, x]).std()
            if y > 0.0:
                x = 2.0 * y
            return x + y
        """, {"x": 0.085, "y": 1.191},
        "all modes: the adjoint of a standard deviation of equal entries, which the code "
        "overwrites, was zero divided by a spread of zero; d/dx is nan, not 0"),
    Reproduction("clip-with-its-bounds-crossed", """
        def f(x, y):
            return np.sum(np.clip(np.array([x, 0.49]), a_min=-0.8, a_max=np.array([x, y])))
        """, {"x": -1.13, "y": -0.718},
        "both modes: where the lower bound of np.clip exceeds the upper, NumPy gives the "
        "upper bound, and the rule sent the derivative nowhere; d/dx is 0, not 1"),
]

REPRODUCTIONS += [
    Reproduction("list-parameter-holding-an-array-in-forward-mode", """
        def f(x, y, w):
            return x * math.sin(y) + y

        def f_params(params):
            x, y, w = params
            return x * math.sin(y) + y
        """, {"x": -1.381, "y": -0.509, "w": [-0.206, -0.008, -1.056]},
        "forward mode of code on numbers: the whole gradient of a list of parameters swept "
        "each item as a number, and gave 0.0 for the array among them, not zeros"),
    Reproduction("list-parameter-swept-where-the-function-draws", """
        def f(x, y, rng):
            t = rng.random()
            return x * y + t

        def f_params(params, rng):
            x, y = params
            t = rng.random()
            return x * y + t
        """, {"x": 0.206, "y": -1.066},
        "forward mode of code on numbers: the whole gradient of a list of parameters ran "
        "the function once per item, drawing anew each time; it is refused, as an array's",
        outcome="refused"),
    Reproduction("a-list-started-before-a-loop-in-forward-over-reverse", """
        def h1(ps, q):
            xs1 = []
            xs1.append((q if 1.55 > -0.19 else (-q)))
            xs1.append(0.65)
            for i2 in range(len(ps)):
                t3 = math.exp(math.sin((q + math.pi * 0.25)))
                if i2 % 2 == 0:
                    break
            return (math.log1p(q * q) + q), max(q / (1.0 + q * q) * math.tanh(q),
                                                (math.e * 0.25 + q))

        def f(x, y, n, rng):
            for c1 in (0.98, -0.42, -0.37,):
                x = 0.5 * x + math.cos(y) * math.atan(y)
                if (0.5 * n) < abs(x) < -0.39:
                    for i3, v2 in enumerate((math.exp(math.tanh(y)), y / (1.0 + c1 * c1),
                                             x / (1.0 + (0.5 * n) * (0.5 * n)),)):
                        a4, b5 = h1([math.sin(v2)], math.cos(v2))
            return x + y + ((0.5 * rng.gauss(0, 1)) - math.erf(x))
        """, {"x": -1.159, "y": -0.329, "n": 2},
        "forward over reverse: the tangent of an adjoint list that a loop starts as None "
        "was made as a list of zeros of None's length, a TypeError from generated code"),
    Reproduction("a-pop-of-an-integer-reversed-in-array-code", """
        def f(x, y, n):
            s = sum((math.log(2.0 + math.sin(y)), y, n,))
            return s * x + np.sin(y)
        """, {"x": -1.369, "y": -0.875, "n": 1},
        "reverse over reverse: the zero given back to a display's adjoint list for its "
        "popped int was an int array, which `+=` of a float could not write into",
        second_wrt="y"),
    Reproduction("a-list-each-branch-makes-in-a-loop-reversed-twice", """
        def f(x, y, w):
            for p1, q2 in PAIRS:
                if x:
                    xs3 = [p1, p1]
                else:
                    xs3 = [p1, q2]
                xs3.append(x)
                break
            return y
        """, {"x": -1.418, "y": 0.433, "w": np.array([-0.422, 0.888, -0.76])},
        "reverse over reverse: the list each branch of an iteration makes, merged into one "
        "name, was taken for a list made before the loop, whose length each reversed "
        "iteration reads first: an UnboundLocalError from generated code"),
]

REPRODUCTIONS.append(Reproduction("an-adjoint-list-popped-where-it-carries-no-tangent", """
    def h1(p, q):
        for i1 in range(3):
            p, q = q, math.atan(p)
        return (-sum((q,)))

    def f(x, y, w):
        def g1(pa, pb=1.86):
            pc = pa * x + pb
            for i2 in range(1, 3):
                a3, b4 = [math.sin(math.log1p(pa * pa)), math.atan(pa) * 0.5]
                t5 = math.atan(sum((i2,)))
            return h1((0.79 + pc), math.tanh(pa)) + pc
        t6 = g1((-x), y)
        if (x * x) <= 0.71:
            return math.pow(x, 2)
        return y + t6 + x + 0.73 ** 3
    """, {"x": 0.888, "y": 0.658, "w": [0.325, 0.489, 1.169, 1.453]},
    "forward over reverse, d/dy of df/dx: the tangent of a value popped from an adjoint "
    "list that carries no tangent along y was popped from a tangent list never made, a "
    "NameError from generated code", second_wrt="y",
    outcome="refused"))  # reverse over reverse through the adjoint list: not yet

REPRODUCTIONS.append(Reproduction("an-adjoint-list-added-into-in-array-code", """
    def h1(p, q):
        t1 = q
        if not (0.41 <= 0.16):
            return ((q + q) - p)
        return math.tanh(t1) * math.sin(t1)


    def f(x, y, n):
        x += h1(math.hypot(math.pi * 0.25, 1.0), ((0.5 * n) - 0.93))
        xs1 = [x, y]
        assert x < 1e9, f"x = {x:.3g} is too large"
        y *= math.cos(x)
        o2 = np.zeros(4)
        o3 = np.ones(4) * math.sin(math.pi * 0.25) * math.erf(y) * math.cos(y)
        o3[3] = np.linalg.norm(o3, 2)
        for i4 in range(len(xs1)):
            o5 = np.zeros(4)
            x = t6 = math.cos(x)
            t7 = t6 / (1.0 + t6 * t6)
        x *= math.tanh(xs1[n % len(xs1)])
        t8 = (y + h1(y, 1.49))
        x += math.erf(1.86)
        for u9, v10 in zip(xs1, xs1):
            if x / (1.0 + math.e * 0.25 * math.e * 0.25) > (t8 + u9):
                for i12, v11 in enumerate([y, (0.5 * len(xs1))]):
                    x = t13 = math.erf(u9)
                a14 = ((o3 + np.array([x, u9, y, 1.77])) + o2 / (1.0 + o3 * o3))
            else:
                v10 = math.cos(x)
        return x + t8 + min((z15 := x), h1(t8, x))
    """, {"x": -1.302, "y": -0.561, "n": 2},
    "forward over reverse in array code: the adjoint list of a list the code builds, added "
    "into by index, was given an array's zero tangent, which then had no `pop`",
    outcome="refused"))  # through the adjoint list: not yet

REPRODUCTIONS.append(Reproduction("an-adjoint-list-popped-in-array-code", """
    def f(x, y):
        for c1 in (-0.85,):
            y += 0.5 * math.exp(math.sin(math.exp(math.sin(1.47))))
            x = 0.5 * x + math.cos(x / (1.0 + x * x))
        t2 = y
        t3 = (math.pow(y, 2) - (y - t2))
        ys4 = [1.0] * 2
        ys4[0] = math.cos(sum((x,)))
        ys4[1] *= math.exp(math.sin((1.95 * x)))
        t2 = t2 + 0.5 * sum(ys4)
        t3 *= math.cos(t2)
        t6 = y
        return t2 + min(x, t2)
    """, {"x": 1.373, "y": -1.377},
    "forward over reverse: an item write made the code array code, where the adjoint "
    "list of `sum((x,))`, which the gradient pops, was given an array's tangent",
    second_wrt="y", outcome="refused"))  # reverse over reverse through the list: not yet

REPRODUCTIONS.append(Reproduction("a-loop-that-may-break-over-a-dicts-items", """
    def f(x, y, cfg):
        for key3, c2 in cfg.items():
            x = x * c2 + math.sin(y)
            if x > 10.0:
                break
        return x + y
    """, {"x": 0.3, "y": -0.5},
    "the loop that may break read `cfg.items()` by positions, which a view has not: the "
    "derivative raised TypeError"))

# Sample programs that fail today -> the reproduction each reduces to (none, today).
KNOWN = {}


def test_sample_has_no_wrong_or_crashed_program():
    failing = []

    def keep_failures(result):
        if result.outcome in ("wrong", "crashed") and result.index not in KNOWN:
            failing.append(result)

    summary = run(SAMPLE_SEED, SAMPLE_PROGRAMS, jobs=2, on_result=keep_failures)
    assert summary.programs == SAMPLE_PROGRAMS
    assert not failing, "\n\n".join(program_text(r) for r in failing)


@pytest.mark.parametrize("case", [
    pytest.param(r, id=r.name, marks=[pytest.mark.xfail(strict=True, reason=r.reason)]
                 if r.open else []) for r in REPRODUCTIONS])
def test_reproduction(case):
    point = {k: np.array(v) if isinstance(v, list) else v for k, v in case.point.items()}
    program = written(case.name, case.body, point, case.second_wrt)
    with ProgramFiles() as files:
        result = check_program(program, files)
    assert result.outcome == case.outcome, program_text(result, verbose=True)


def test_known_programs_have_reproductions():
    assert set(KNOWN.values()) <= {r.name for r in REPRODUCTIONS}


def test_every_production_is_used():
    GRAMMAR.used.clear()
    for index in range(500):
        generate(SAMPLE_SEED, index)
    assert set(GRAMMAR.names()) <= set(GRAMMAR.used)


def test_programs_run_as_plain_python():
    """Generated programs are valid: they load, return a number, and stop."""
    with ProgramFiles() as files:
        for index in range(100):
            program = generate(SAMPLE_SEED, index)
            module = files.load(program.module_name, program.source)
            try:
                for point in program.points(2):
                    try:
                        value, _ = call(module.f, program, point)
                    except (ArithmeticError, ValueError, BadPoint):
                        continue
                    assert isinstance(float(value), float), program.source
            finally:
                files.unload(module)


def test_command_line_ends_with_the_outcome_line():
    done = subprocess.run([sys.executable, "-m", "tests.fuzz", "--programs", "3", "--seed", "7"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    last = done.stdout.rstrip("\n").splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, last
    total, *counts = map(int, match.groups())
    assert total == 3 and sum(counts) == 3


def test_the_compiled_checks_run_where_numba_compiles_the_program():
    pytest.importorskip("numba")
    program = written("compiled-checks", """
        def f(x, y):
            s = 0.0
            for i in range(3):
                s = s + math.sin(x * i) * y
            return s
        """, {"x": 0.5, "y": 0.25})
    with ProgramFiles() as files:
        result = check_program(program, files, compiled=True)
    assert {c.name: c.outcome for c in result.checks if c.name.startswith("compiled")} == \
        {"compiled reverse": "right", "compiled forward": "right"}, program_text(result, True)
