"""`source(df, standalone=True)` and `--emit`: a module that runs without ast_ad, and
`--check`, which tells whether it is stale."""

import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ast_ad
from ast_ad.backend import standalone
from ast_ad.errors import DifferentiationError
from pickled_functions import energy, survey

# Runs a module's text with `ast_ad` unimportable, and prints the derivative at a point.
RUNNER = """\
import pickle, sys
sys.modules["ast_ad"] = None  # any `import ast_ad` fails
text, name, points = pickle.loads(sys.stdin.buffer.read())
namespace = {"__name__": "emitted"}
exec(compile(text, "emitted.py", "exec"), namespace)
sys.stdout.buffer.write(pickle.dumps([namespace[name](*p) for p in points]))
"""


def run_alone(derivative, points):
    import pickle

    text = ast_ad.source(derivative, standalone=True)
    done = subprocess.run([sys.executable, "-c", RUNNER],
                          input=pickle.dumps((text, derivative.__name__, points)),
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return text, pickle.loads(done.stdout)


def _rng_arrays(count):
    rng = np.random.default_rng(11)
    return [(rng.normal(size=3), rng.normal(size=(4, 3))) for _ in range(count)]


CASES = {
    "reverse": (lambda: ast_ad.differentiate(survey, wrt=(0, 1)), [(2.0, 5.0), (0.5, -1.0)]),
    "forward": (lambda: ast_ad.differentiate(survey, wrt=1, mode="forward"), [(2.0, 5.0)]),
    "second": (lambda: ast_ad.differentiate(ast_ad.differentiate(survey)), [(2.0, 5.0)]),
    "numpy": (lambda: ast_ad.differentiate(energy), _rng_arrays(2)),
    "numpy forward": (lambda: ast_ad.differentiate(energy, mode="forward"), _rng_arrays(1)),
}


@pytest.mark.parametrize("case", CASES)
def test_the_module_runs_without_ast_ad_and_gives_the_same_values(case):
    make, points = CASES[case]
    derivative = make()
    text, values = run_alone(derivative, points)
    for got, point in zip(values, points):
        expected = derivative(*point)
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    assert "ast_ad" not in "".join(line for line in text.splitlines()
                                   if line.startswith(("import", "from")))
    assert ("numpy" in text) == ("numpy" in case)  # only what it uses


def test_the_header_says_how_to_write_it_again():
    text = ast_ad.source(ast_ad.differentiate(survey, wrt=("x1", "x2")), standalone=True)
    path = os.path.relpath(importlib.import_module("pickled_functions").__file__)
    assert f"python -m ast_ad {path}:survey --wrt x1,x2 --mode reverse --emit " \
           "grad_survey.py" in text
    recipe = standalone.read_recipe(text)
    assert recipe["version"] == ast_ad.__version__
    assert recipe["steps"] == [["reverse", ["x1", "x2"], False]]


def test_a_value_it_cannot_write_out_is_refused_by_name():
    import random

    from tests.conftest import make_function

    f = make_function("""
        def f(x):
            GENERATOR.random()
            return x * x
    """, namespace={"GENERATOR": random.Random(0)})
    with pytest.raises(DifferentiationError, match="cannot hold `GENERATOR`, a Random"):
        ast_ad.source(ast_ad.differentiate(f), standalone=True)


def test_every_runtime_helper_can_be_copied_beside_the_others():
    from ast_ad.runtime import arrays, checks, linalg, markers, scalars

    module = standalone._Module("all")
    helpers = {name: value for m in (arrays, checks, linalg, markers, scalars)
               for name, value in vars(m).items()
               if callable(value) and getattr(value, "__module__", "") == m.__name__}
    for name, value in sorted(helpers.items()):
        module.define(name, value)
    namespace = {}
    exec("\n".join(module.imports()) + "\n" + "\n\n".join(module.definitions), namespace)
    assert set(helpers) <= set(namespace)


MODEL = """\
import math

from parts import bump

SCALE = 2.0


def f(x, y):
    return math.exp(bump(x) * y) * SCALE


def with_aux(x, y):
    return f(x, y), {"scale": SCALE}
"""


def test_check_tells_fresh_from_stale(tmp_path, monkeypatch, capsys):
    """Through `main`, in this process: each run imports the sources afresh."""
    from ast_ad.__main__ import main

    source = tmp_path / "src"
    source.mkdir()
    (source / "model.py").write_text(MODEL)
    (source / "parts.py").write_text("def bump(x):\n    return x * x + 1.0\n")
    out = tmp_path / "generated"
    out.mkdir()
    monkeypatch.chdir(out)
    monkeypatch.setattr(sys, "path", list(sys.path))

    def command(*args):
        for name in ("model", "parts"):
            sys.modules.pop(name, None)
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out + captured.err

    status, said = command("../src/model.py:f", "--wrt", "x,y", "--emit", "grad_f.py")
    assert status == 0, said
    assert "python -m ast_ad ../src/model.py:f --wrt x,y --mode reverse --emit grad_f.py" in \
        (out / "grad_f.py").read_text()
    assert command("--check", "grad_f.py")[0] == 0
    (source / "parts.py").write_text("def bump(x):\n    return x * x + 2.0\n")  # a callee
    status, said = command("--check", "grad_f.py")
    assert status == 1 and "changed" in said
    (source / "parts.py").write_text("def bump(x):\n    return x * x + 1.0\n")
    assert command("--check", "grad_f.py")[0] == 0
    (source / "model.py").write_text(MODEL.replace("SCALE = 2.0", "SCALE = 3.0"))
    assert command("--check", "grad_f.py")[0] == 1  # a value it writes out
    (source / "model.py").write_text(MODEL)
    assert command("--check", "grad_f.py")[0] == 0
    text = (out / "grad_f.py").read_text()
    (out / "old.py").write_text(text.replace(f'"version": "{ast_ad.__version__}"',
                                             '"version": "0.0.1"'))
    status, said = command("--check", "old.py")
    assert status == 1 and "ast_ad 0.0.1 wrote it" in said
    (source / "model.py").unlink()
    assert command("--check", "grad_f.py")[0] == 1
    (out / "mine.py").write_text("def grad_f(x, y):\n    return 0.0, 0.0\n")
    status, said = command("--check", "mine.py")
    assert status == 2 and "not a module ast_ad wrote" in said
    assert command("--check", "missing.py")[0] == 2
    for name in ("model", "parts"):
        sys.modules.pop(name, None)


def test_the_emitted_module_imports_as_a_module(tmp_path):
    """Written by the command, imported as any module is, with ast_ad blocked."""
    module_path = importlib.import_module("pickled_functions").__file__
    done = subprocess.run([sys.executable, "-m", "ast_ad", f"{module_path}:energy", "--emit",
                           str(tmp_path / "grad_energy.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "grad_energy.py").read_text()
    assert "require_scalar(out, '" in text  # names the source file in its message,
    assert f"'{module_path}'" not in text and f"({module_path})" not in text  # relatively
    script = textwrap.dedent("""\
        import sys
        sys.modules["ast_ad"] = None
        import numpy as np
        from grad_energy import grad_energy
        print(repr(grad_energy(np.array([0.5, -1.0]), np.eye(2)).tolist()))
    """)
    ran = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True)
    assert ran.returncode == 0, ran.stderr
    expected = ast_ad.differentiate(energy)(np.array([0.5, -1.0]), np.eye(2))
    assert eval(ran.stdout) == expected.tolist()


def test_a_module_with_aux_checks_fresh_and_one_from_a_partial_cannot(tmp_path, monkeypatch,
                                                                      capsys):
    import functools
    import importlib

    from ast_ad.__main__ import main

    (tmp_path / "model_aux.py").write_text(MODEL.replace("from parts import bump", "") +
                                           "\n\ndef bump(x):\n    return x * x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("model_aux")
    (tmp_path / "aux.py").write_text(ast_ad.source(
        ast_ad.differentiate(module.with_aux, has_aux=True), standalone=True))
    assert main(["--check", "aux.py"]) == 0
    held = functools.partial(module.f, 0.5)
    (tmp_path / "held.py").write_text(ast_ad.source(ast_ad.differentiate(held),
                                                    standalone=True))
    assert main(["--check", "held.py"]) == 1
    assert "functools.partial" in capsys.readouterr().out
    sys.modules.pop("model_aux", None)


def test_numpy_scalars_and_unpacked_helpers():
    """np.float64 is a float: it was written without its import. A helper unpacked where
    it is called counts in the hash, as an inlined one does."""
    from ast_ad.api import sources
    from tests.conftest import make_function

    f = make_function("""
        def pair(t):
            return t * SCALE, t

        def f(x):
            a, b = pair(x)
            return a * b
        """, "f", namespace={"SCALE": np.sqrt(2.0)})
    derivative = ast_ad.differentiate(f)
    namespace = {}
    exec(ast_ad.source(derivative, standalone=True), namespace)
    assert namespace["grad_f"](1.5) == derivative(1.5)
    assert "pair" in sources(derivative)
