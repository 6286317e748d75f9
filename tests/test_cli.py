"""`python -m ast_ad`, end to end: a file and a function in, derivative source out."""

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from ast_ad import differentiate, source
from ast_ad.__main__ import main

MODEL = """\
import math

from constants import TWO


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def g(x):
    return TWO * x * x


def h(x):
    try:
        return x
    except ValueError:
        return 0.0
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """model.py, beside the constants.py it imports, and a working folder elsewhere."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "model.py").write_text(MODEL)
    (folder / "constants.py").write_text("TWO = 2.0\n")
    (folder / "broken.py").write_text("import no_such_module_here\n")
    (folder / "elsewhere").mkdir()
    return folder


def run(model, *args):
    """The command's result, run from a folder where `constants` cannot be imported."""
    return subprocess.run([sys.executable, "-m", "ast_ad", *args], capture_output=True,
                          text=True, timeout=60, cwd=model / "elsewhere")


@pytest.fixture(scope="module")
def module(model):
    """model.py imported here too, to compute what the command must print."""
    sys.path.insert(0, str(model))
    try:
        spec = importlib.util.spec_from_file_location("cli_model", model / "model.py")
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(model))
    return loaded


def test_prints_the_generated_source(model, module):
    result = run(model, f"{model / 'model.py'}:f", "--wrt", "x1,x2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == source(differentiate(module.f, wrt=("x1", "x2")))
    assert result.stderr == ""


def test_the_files_folder_is_on_the_path_for_its_imports(model, module):
    result = run(model, f"{model / 'model.py'}:g", "--at", "3")
    assert result.returncode == 0, result.stderr
    assert f"grad_g(3) = {differentiate(module.g)(3)!r}" in result.stdout


def test_value_at_a_point_and_the_trace_tables(model):
    result = run(model, f"{model / 'model.py'}:f", "--wrt", "x1,x2", "--at", "2", "5",
                 "--trace")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    value = next(line for line in lines if line.startswith("grad_f(2, 5) = "))
    x1_bar, x2_bar = eval(value.partition(" = ")[2])  # noqa: S307 - a tuple of floats
    assert x1_bar == 5.5 and round(x2_bar, 3) == 1.716  # the survey's gradient
    assert "adjoint trace, in reverse order:" in lines
    for figure in ("0.693", "11.652", "-0.284", "1.716", "5.500"):
        assert f" {figure}" in result.stdout


def test_order_mode_and_index_wrt(model, module):
    result = run(model, f"{model / 'model.py'}:f", "--order", "2", "--at", "2", "5",
                 "--mode", "forward", "--trace")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def jvp_jvp_f(")
    assert "jvp_jvp_f(2, 5) = -0.25" in result.stdout  # the survey's second derivative
    assert "tangent trace along x1:" in result.stdout
    by_index = run(model, f"{model / 'model.py'}:f", "--wrt", "1")
    assert by_index.stdout == source(differentiate(module.f, wrt=1))


MISTAKES = [
    (["missing.py:f"], 2, "no such file"),
    (["{model}/model.py"], 2, "PATH.py:FUNC"),
    (["{model}/model.py:nothing"], 2, "no function named 'nothing'"),
    (["{model}/broken.py:f"], 2, "ModuleNotFoundError"),
    (["{model}/model.py:f", "--at", "two", "5"], 2, "invalid value 'two'"),
    (["{model}/model.py:f", "--at", "{{1: 2}}", "5"], 2, "give a number or a list"),
    (["{model}/model.py:f", "--at", "2"], 2, "--at gave 1 values"),
    (["{model}/model.py:f", "--trace"], 2, "--trace needs a point"),
    (["{model}/model.py:f", "--order", "0"], 2, "at least 1"),
    (["{model}/model.py:f", "--wrt", "x1,x2", "--order", "3"], 2, "single --wrt"),
    (["{model}/model.py:f", "--wrt", "x1,x2", "--order", "2", "--emit", "h.py"], 2,
     "several functions"),
    (["{model}/model.py:f", "--emit", "{model}/nowhere/grad_f.py"], 2, "no such folder"),
    ([], 2, "give PATH.py:FUNC"),
    (["{model}/model.py:f", "--mode", "sideways"], 2, "invalid choice"),
    (["{model}/model.py:f", "--wrt", "x3"], 2, "no parameter named 'x3'"),
    (["{model}/model.py:f", "--wrt", "2"], 2, "--wrt 2 is out of range"),
    (["{model}/model.py:h"], 1, "model.py:15: ast_ad cannot differentiate this: `try`"),
    (["{model}/model.py:f", "--at", "0", "5"], 1, "ZeroDivisionError"),
]


def run_here(model, monkeypatch, capsys, *args):
    """What `run` gives, from `main` in this process: the status, stdout and stderr."""
    monkeypatch.chdir(model / "elsewhere")
    monkeypatch.setattr(sys, "path", list(sys.path))  # main puts the file's folder on it
    before = set(sys.modules)
    try:
        status = main(list(args))
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    finally:
        for name in ("model", "constants", "broken"):  # the files main imported
            if name not in before:
                sys.modules.pop(name, None)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _assert_one_line(status, stderr, expected_status, message):
    assert status == expected_status
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert message in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("args, status, message", MISTAKES)
def test_mistakes_are_one_line_on_stderr(model, monkeypatch, capsys, args, status, message):
    """Through `main`, in this process (a process for each costs more than the checks)."""
    code, _, stderr = run_here(model, monkeypatch, capsys,
                               *[arg.format(model=model) for arg in args])
    _assert_one_line(code, stderr, status, message)


def _mistake(message):
    return next(m for m in MISTAKES if m[2] == message)


@pytest.mark.parametrize("args, status, message",
                         [_mistake("ModuleNotFoundError"), _mistake("invalid choice"),
                          _mistake("model.py:15: ast_ad cannot differentiate this: `try`"),
                          _mistake("ZeroDivisionError")],
                         ids=["import", "argparse", "refused", "raised"])
def test_the_command_exits_with_the_status_and_one_line(model, args, status, message):
    """The command itself, for a mistake of each kind: a file that cannot be imported, a bad
    option argparse reports, a function ast_ad refuses, a derivative that raises at --at."""
    result = run(model, *[arg.format(model=model) for arg in args])
    _assert_one_line(result.returncode, result.stderr, status, message)


def test_main_returns_the_exit_status(tmp_path, capsys):
    path = tmp_path / "cli_main_square.py"
    path.write_text(textwrap.dedent("""\
        def square(x):
            return x * x
    """))
    assert main([f"{path}:square", "--at", "3"]) == 0
    assert "grad_square(3) = 6" in capsys.readouterr().out
    assert main([f"{path}:square", "--at", "1.5"]) == 0
    assert "grad_square(1.5) = 3.0" in capsys.readouterr().out
    assert main([f"{path}:cube"]) == 2
    assert "no function named 'cube'" in capsys.readouterr().err


ARRAYS = """\
import numpy as np


def energy(w, x, n):
    return np.sum(np.tanh(x @ w) ** 2) * n
"""


def test_at_takes_integers_and_arrays(tmp_path):
    import numpy as np

    (tmp_path / "arrays_model.py").write_text(ARRAYS)
    result = subprocess.run([sys.executable, "-m", "ast_ad", "arrays_model.py:energy",
                             "--at", "[0.5, -1.0]", "[[1, 2], [3, 4], [5, 6]]", "3"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        energy = importlib.import_module("arrays_model").energy
    finally:
        sys.path.remove(str(tmp_path))
    w, x = np.array([0.5, -1.0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    expected = differentiate(energy)(w, x, 3)
    value = result.stdout.rpartition(" = ")[2]
    assert eval(value) == expected.tolist()  # noqa: S307 - a list of floats
    assert "grad_energy([0.5, -1.0], [[1, 2], [3, 4], [5, 6]], 3) = [" in result.stdout


def test_order_2_with_several_wrt_prints_the_hessian(model, module, monkeypatch, capsys):
    status, out, err = run_here(model, monkeypatch, capsys, f"{model / 'model.py'}:f",
                                "--wrt", "x1,x2", "--order", "2", "--at", "2", "5")
    assert status == 0, err
    from ast_ad.transforms import hessian_rows

    rows = hessian_rows(module.f, ("x1", "x2"), ("x1", "x2"))
    assert out.startswith("\n".join(source(row) for row in rows))
    assert out.endswith("hessian_f(2, 5) = [[-0.25, 1.0], [1.0, -0.9589242746631385]]\n")


def test_version_and_help(capsys):
    import ast_ad

    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"ast_ad {ast_ad.__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "python -m ast_ad model.py:f --wrt x1,x2 --at 2 5" in text
    for status in ("0  done", "1  the function was refused", "2  a bad command line"):
        assert status in text
