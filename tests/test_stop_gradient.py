"""`ast_ad.stop_gradient`: its argument read as a constant, to every order, as in JAX."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ast_ad
from ast_ad import differentiate, hessian, stop_gradient
from tests.conftest import examples, make_function

np = pytest.importorskip("numpy")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
getval = pytest.importorskip("autograd.tracer").getval

F = make_function("""
    import math
    from ast_ad import stop_gradient

    def f(x, y):
        scale = stop_gradient(x * y)
        return scale * x + math.sin(stop_gradient(y) * x) + y * y
    """)


def _twin(x, y):  # f, for autograd, whose `getval` stops gradients
    scale = getval(x * y)
    return scale * x + anp.sin(getval(y) * x) + y * y


@examples(10, 200)
@given(x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_reverse_and_forward_against_autograd(x, y):
    expected = [float(part) for part in autograd.grad(_twin, (0, 1))(x, y)]
    assert differentiate(F, wrt=(0, 1))(x, y) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for k, name in enumerate("xy"):
        along = differentiate(F, wrt=k, mode="forward")(x, y)
        assert along == pytest.approx(expected[k], rel=1e-12, abs=1e-12), name


def test_the_analytic_values_and_the_second_derivative():
    x, y = 1.5, -0.5
    # d/dx = x*y + y*cos(y*x); d/dy = 2*y: the stopped values give nothing of their own
    assert differentiate(F, wrt=(0, 1))(x, y) == pytest.approx(
        (x * y + y * math.cos(y * x), 2 * y), rel=1e-14)
    expected = [[-y * y * math.sin(y * x), 0.0], [0.0, 2.0]]
    assert np.allclose(hessian(F, wrt=(0, 1))(x, y), expected, rtol=1e-12, atol=1e-14)
    second = differentiate(differentiate(F), wrt=0)(x, y)
    assert second == pytest.approx(expected[0][0], rel=1e-12)


def test_arrays_and_the_module_attribute():
    g = make_function("""
        import numpy as np
        import ast_ad

        def g(w):
            centred = w - ast_ad.stop_gradient(np.mean(w))
            return np.sum(centred ** 2)
        """)
    w = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(differentiate(g)(w), 2.0 * (w - np.mean(w)), rtol=1e-14)
    assert ast_ad.stop_gradient is stop_gradient
    assert stop_gradient(w) is w
