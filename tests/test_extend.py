"""Users' own rules, registered with ast_ad.extend, in both modes and to second order."""

import math

from ast_ad import differentiate
from ast_ad.extend import adjoint, d, tangent
from ast_ad.testing import check_grads


def softplus(x):
    return math.log1p(math.exp(x))


@adjoint(softplus)
def softplus_adjoint(y, x):
    d[x] = d[y] / (1.0 + math.exp(-x))


@tangent(softplus)
def softplus_tangent(y, x):
    d[y] = d[x] / (1.0 + math.exp(-x))


def loss(w, b):
    return softplus(w * 2.0 + b) * w


def test_user_rule_in_both_modes_to_second_order():
    check_grads(loss, (0.3, -0.7), order=2)
    expected = softplus(0.6 - 0.7) + 0.3 * 2.0 / (1.0 + math.exp(0.1))
    assert abs(differentiate(loss)(0.3, -0.7) - expected) < 1e-12


def cube(x):
    return x * x * x


def test_a_rule_is_checked_where_it_is_registered():
    """A name the template cannot reach, a derivative of a name that is no parameter, and
    inputs the function cannot take are refused at the decorator, naming the rule."""
    import pytest

    from ast_ad import DifferentiationError

    with pytest.raises(DifferentiationError, match=r"test_extend.py:\d+: the rule "
                                                   r".*`mth` is not defined"):
        @adjoint(cube)
        def misspelled(y, x):
            d[x] = d[y] * 3.0 * mth.pow(x, 2)  # noqa: F821 - the mistake under test

    with pytest.raises(DifferentiationError, match="takes the result or an input"):
        @adjoint(cube)
        def stray(y, x):
            d[z] = d[y]  # noqa: F821 - the mistake under test

    with pytest.raises(DifferentiationError, match=r"takes the inputs \(x, k\)"):
        @tangent(cube)
        def too_many(y, x, k):
            d[y] = d[x] * k
