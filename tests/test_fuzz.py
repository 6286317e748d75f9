"""The differential fuzzer (tests/fuzz) on a fixed sample, the bugs it found as minimal
reproductions, its grammar, and its command line.

The sample's seed was fixed before its outcome was known. A sample program that fails
today is listed in KNOWN with the reproduction it reduces to; the reproductions are strict
xfails, so a fix shows up as an unexpected pass, and then both entries go.
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
    """A bug the fuzzer found, reduced: `f`'s source, the point, and what goes wrong."""
    name: str
    body: str
    point: dict
    reason: str
    second_wrt: str = "x"


REPRODUCTIONS = [
    Reproduction("return-in-two-loops", """
        def f(x, y):
            for i in range(0):
                return x
            for i in range(2):
                return y
            return x
        """, {"x": 0.5, "y": 0.25},
        "reverse mode: the second loop's return is taken for the first's; d/dy is 0, not 1"),
]

# Sample programs that fail today -> the reproduction each reduces to.
KNOWN = {}


def test_sample_has_no_wrong_or_crashed_program():
    failing = []
    summary = run(SAMPLE_SEED, SAMPLE_PROGRAMS, jobs=2, on_result=lambda r: failing.append(r)
                  if r.outcome in ("wrong", "crashed") and r.index not in KNOWN else None)
    assert summary.programs == SAMPLE_PROGRAMS
    assert not failing, "\n\n".join(program_text(r) for r in failing)


@pytest.mark.parametrize("case", [
    pytest.param(r, id=r.name, marks=pytest.mark.xfail(strict=True, reason=r.reason))
    for r in REPRODUCTIONS])
def test_reproduction(case):
    point = {k: np.array(v) if isinstance(v, list) else v for k, v in case.point.items()}
    program = written(case.name, case.body, point, case.second_wrt)
    with ProgramFiles() as files:
        result = check_program(program, files)
    assert result.outcome in ("right", "refused"), program_text(result, verbose=True)


def test_known_programs_have_reproductions():
    assert set(KNOWN.values()) <= {r.name for r in REPRODUCTIONS}


def test_every_production_is_used():
    GRAMMAR.used.clear()
    for index in range(300):
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
