"""`check_grads`: it perturbs the arguments named, never an integer, and catches a wrong
derivative."""

import math

import numpy as np
import pytest

from ast_ad.extend import adjoint, d, tangent
from ast_ad.testing import check_grads


def power(x, n):
    return x ** n * math.sin(x)


def energy(w, x, scale):
    return np.sum(np.tanh(x @ w) ** 2) * scale


def wrong_cube(x):
    return x * x * x


@adjoint(wrong_cube)
def _wrong_cube_adjoint(y, x):
    d[x] = d[y] * 2.0 * x * x  # 3 x**2 is right


@tangent(wrong_cube)
def _wrong_cube_tangent(y, x):
    d[y] = d[x] * 2.0 * x * x


def uses_wrong_cube(x, y):
    return wrong_cube(x) + y


def test_integers_are_never_perturbed():
    check_grads(power, (1.3, 3))  # wrt=None: the float only; n stays an integer
    with pytest.raises(TypeError, match="argument 1 is 3"):
        check_grads(power, (1.3, 3), wrt=(0, 1))


def test_arrays_and_the_arguments_named():
    rng = np.random.default_rng(5)
    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    check_grads(energy, (w, x, 2.0), order=1)
    check_grads(energy, (w, x, 2.0), wrt=0, order=1)
    with pytest.raises(TypeError, match="float arguments only"):
        check_grads(energy, (w, x, 2.0), order=2)


def test_a_wrong_derivative_is_caught():
    with pytest.raises(AssertionError, match="reverse mode of uses_wrong_cube"):
        check_grads(uses_wrong_cube, (1.5, 0.5), order=1)
    check_grads(uses_wrong_cube, (1.5, 0.5), wrt=1, order=1)  # y's partial is right
    with pytest.raises(AssertionError, match="against the oracle"):
        check_grads(power, (1.3, 3), order=1, oracle=lambda x, n: (0.0,))
