"""Generated functions pickle by reference to the function they differentiate, and
compute the same values in another process."""

import concurrent.futures
import multiprocessing
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import ast_ad
from pickled_functions import energy, survey

POINTS = [(2.0, 5.0), (1.5, -0.3), (0.7, 2.2), (3.1, 0.4)]


def _derivatives():
    return [ast_ad.differentiate(survey, wrt=(0, 1)),
            ast_ad.differentiate(survey, wrt="x2", mode="forward"),
            ast_ad.differentiate(ast_ad.differentiate(survey), wrt=1)]


@pytest.mark.parametrize("derivative", _derivatives(), ids=["reverse", "forward", "second"])
def test_a_derivative_unpickles_as_itself_in_process(derivative):
    data = pickle.dumps(derivative)
    assert pickle.loads(data) is derivative
    assert len(data) < 400  # a reference, not the code


def test_a_fresh_interpreter_derives_it_again():
    derivatives = _derivatives()
    script = ("import pickle, sys\n"
              "functions, points = pickle.loads(sys.stdin.buffer.read())\n"
              "print(repr([[f(*p) for p in points] for f in functions]))\n")
    done = subprocess.run([sys.executable, "-c", script],
                          input=pickle.dumps((derivatives, POINTS)), capture_output=True,
                          env=_path_env(), check=True)
    assert eval(done.stdout) == [[f(*p) for p in POINTS] for f in derivatives]


def _path_env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _call(task):
    function, args = task
    return function(*args)


@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_a_process_pool_computes_what_the_process_does(start):
    if start not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start} here")
    gradient = ast_ad.differentiate(survey, wrt=(0, 1))
    weights = ast_ad.differentiate(energy)
    rng = np.random.default_rng(3)
    arrays = [(rng.normal(size=3), rng.normal(size=(4, 3))) for _ in range(3)]
    tasks = [(gradient, p) for p in POINTS] + [(weights, a) for a in arrays]
    context = multiprocessing.get_context(start)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        results = list(pool.map(_call, tasks))
    for got, (function, args) in zip(results, tasks):
        np.testing.assert_array_equal(got, function(*args))


def test_the_derivative_of_a_closure_is_refused_by_pickle_and_sent_by_value():
    cloudpickle = pytest.importorskip("cloudpickle")
    scale = 3.0

    def local(x):
        return scale * x * x

    derivative = ast_ad.differentiate(local)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(derivative)
    script = ("import pickle, sys\n"
              "print(repr(pickle.loads(sys.stdin.buffer.read())(1.25)))\n")
    done = subprocess.run([sys.executable, "-c", script], input=cloudpickle.dumps(derivative),
                          capture_output=True, env=_path_env(), check=True)
    assert float(done.stdout) == derivative(1.25) == 7.5


def test_a_notebooks_function_keeps_its_module(monkeypatch):
    """A notebook's `__main__` has no file: its functions go by value, their derivatives too."""
    from tests.conftest import make_function

    main = type(sys)("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    cell, line = (make_function(f"""
        def {name}(x):
            return x * x * x
    """) for name in ("cell", "line"))
    for function in (cell, line):
        function.__module__ = "__main__"
        setattr(main, function.__name__, function)
    assert ast_ad.differentiate(cell).__module__ == "__main__"
    main.__file__ = "script.py"  # a script's: its functions go by reference
    assert ast_ad.differentiate(line).__module__.startswith("ast_ad.pickling.grad_line")


def test_a_dask_cluster_computes_what_the_process_does():
    distributed = pytest.importorskip("distributed")
    gradient = ast_ad.differentiate(survey, wrt=(0, 1))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        futures = client.map(gradient, *zip(*POINTS))
        assert client.gather(futures) == [gradient(*p) for p in POINTS]


def test_a_module_name_that_is_no_recipe_is_not_found():
    with pytest.raises(ImportError, match="not a derivative"):
        __import__("ast_ad.pickling.grad_f__notbase32")
