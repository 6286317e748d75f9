"""The examples run as they stand and print what they promise."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))
EXPECTED = {
    "seed.py": ["(5.500, 1.716)", "d/dx1:      5.500", "-0.250", "def grad_f(x1, x2, *, "],
    "expression_swell.py": ["def grad_l3(x, *, out_bar=1.0):", " n  SymPy ops  expanded",
                            "grows by a constant", "both modes match the chain rule",
                            "check_grads: l(5)'s derivatives match"],
    "logistic_regression.py": ["def grad_loss(w, b, X, y, *, out_bar=1.0):", "step 200  loss 0.1",
                               "gradient matches finite differences"],
    "compiled.py": ["x_bar[i] += v7_bar", "a CPUDispatcher; equal to the Python gradient to "
                    "1e-12: True", "its compiled gradient"],
    "mlp.py": ["step 300  loss 0.1", "accuracy 0.9", "gradient matches finite differences"],
    "layers.py": ["def grad_loss(layers, X, y, *, out_bar=1.0):", "step 1500  loss 0.01",
                  "gradient is a list of tuple pairs", "gradient matches finite differences"],
    "binomial_tree.py": ["price 8.7635  delta -0.5331  vega 37.6980",
                         "delta and vega match finite differences: True"],
}


def test_every_example_is_checked():
    assert {path.name for path in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, tmp_path):
    if path.name == "compiled.py":
        pytest.importorskip("numba")
    # In a scratch folder: an example may save a file (expression_swell.py, its plot).
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for expected in EXPECTED[path.name]:
        assert expected in result.stdout


def test_the_seed_example_needs_no_numpy(tmp_path):
    """The core needs only gast and astor: the README's first command installs no more."""
    seed = next(path for path in EXAMPLES if path.name == "seed.py")
    blocked = ("import runpy, sys; sys.modules['numpy'] = None; "
               f"runpy.run_path({str(seed)!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "-0.250" in result.stdout
