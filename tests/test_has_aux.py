"""`has_aux=True`, as in JAX: the function returns `(value, aux)`; `differentiate` gives
`(derivative, aux)` and `value_and_grad` gives `((value, aux), derivative)`."""

import math
import pickle

import autograd
import numpy as np
import pytest
from autograd import numpy as anp
from hypothesis import assume, given
from hypothesis import strategies as st

from ast_ad import UnsupportedSyntaxError, differentiate, source, value_and_grad
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function

BRANCHES = make_function("""
    def f(x, y):
        v = math.sin(x) * y
        for k in range(3):
            if v * k > 0.4:
                return v * k, {"k": k, "v": v}
        if v > 0.0:
            return v * v, {"v": v, "twice": x * 2.0}
        return -v * y, (v, x)
    """, namespace={"math": math})


def branches_value(x, y):
    return BRANCHES(x, y)[0]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@examples(20, 200)
@given(x=st.floats(-3.0, 3.0), y=st.floats(-3.0, 3.0))
def test_the_derivative_of_the_value_and_the_aux_of_the_same_run(mode, x, y):
    v = math.sin(x) * y
    assume(min(abs(v), abs(v - 0.4), abs(2 * v - 0.4)) > 1e-3)  # no branch switch near
    derivative, aux = differentiate(BRANCHES, wrt=(0, 1), mode=mode, has_aux=True)(x, y)
    assert aux == BRANCHES(x, y)[1]
    assert type(aux) is type(BRANCHES(x, y)[1])
    for k in (0, 1):
        direction = [1.0 if j == k else 0.0 for j in (0, 1)]
        expected = central_difference(branches_value, [x, y], direction)
        assert derivative[k] == pytest.approx(expected, rel=1e-6, abs=1e-6)


LOSS = """
    def loss(w, x, y):
        z = np.tanh(x @ w)
        error = z - y
        return np.sum(error * error), {"error": error, "mean": np.mean(z)}
    """


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_array_code_against_autograd(mode):
    rng = np.random.default_rng(2)
    w, x, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    loss = make_function(LOSS, namespace={"np": np})
    twin = make_function(LOSS, namespace={"np": anp})
    gradient, aux = differentiate(loss, mode=mode, has_aux=True)(w, x, y)
    np.testing.assert_allclose(gradient, autograd.grad(lambda *a: twin(*a)[0])(w, x, y),
                               rtol=1e-12)
    expected = loss(w, x, y)[1]
    np.testing.assert_array_equal(aux["error"], expected["error"])
    assert aux["mean"] == expected["mean"]


def test_value_and_grad_with_aux():
    (value, aux), gradient = value_and_grad(BRANCHES, wrt=(0, 1), has_aux=True)(0.3, 0.5)
    assert (value, aux) == BRANCHES(0.3, 0.5)
    assert gradient == differentiate(BRANCHES, wrt=(0, 1), has_aux=True)(0.3, 0.5)[0]


def test_the_generated_code_keeps_aux_where_the_function_returned_it():
    text = source(differentiate(BRANCHES, has_aux=True))
    assert "aux.keep_dict(('v', 'twice'), v, x * 2.0)" in text
    assert text.rstrip().endswith(", aux.take()")


def test_a_derivative_with_aux_pickles_and_caches_apart():
    import pickled_functions

    with_aux = differentiate(pickled_functions.with_aux, has_aux=True)
    assert pickle.loads(pickle.dumps(with_aux)) is with_aux
    assert with_aux is not differentiate(pickled_functions.survey)


@pytest.mark.parametrize("body, message", [
    ("return x * x", "gives `value, aux`"),
    ("return x, 1.0, 2.0", "gives `value, aux`"),
])
def test_a_return_that_is_not_a_pair_is_refused(body, message):
    f = make_function(f"def f(x):\n    {body}\n")
    with pytest.raises(UnsupportedSyntaxError, match=message):
        differentiate(f, has_aux=True)


def test_a_list_the_function_builds_is_the_aux_as_it_was_made():
    f = make_function("""
        def f(x):
            ys = []
            for k in range(3):
                ys.append(x * k)
            return ys[1] * ys[2], ys
        """)
    assert differentiate(f, has_aux=True)(2.0) == (8.0, [0.0, 2.0, 4.0])  # not emptied


def test_a_closures_derivative_with_aux_goes_by_value():
    cloudpickle = pytest.importorskip("cloudpickle")
    scale = 3.0

    def local(x):
        return scale * x * x, {"x": x}

    derivative = differentiate(local, has_aux=True)
    assert cloudpickle.loads(cloudpickle.dumps(derivative))(2.0) == (12.0, {"x": 2.0})
