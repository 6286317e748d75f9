"""The examples run as they stand and print what they promise."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))
EXPECTED = {"seed.py": ["(5.500, 1.716)", "d/dx1:      5.500", "-0.250", "def grad_f(x1, x2, *, "]}


def test_every_example_is_checked():
    assert {path.name for path in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path):
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    for expected in EXPECTED[path.name]:
        assert expected in result.stdout
