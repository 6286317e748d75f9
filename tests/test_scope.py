"""Names resolve through the function's own scope, and generated names never collide."""

import math
import math as m
from math import cos as c
from math import sin

import pytest

from ast_ad import differentiate, source

SCALE = 3.0


def close(a, b):
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def test_aliases_of_math_reach_the_same_rules():
    def g(x):
        return sin(x) + m.exp(x) * c(x)

    expected = math.cos(0.3) + math.exp(0.3) * (math.cos(0.3) - math.sin(0.3))
    assert close(differentiate(g)(0.3), expected)
    assert close(differentiate(g, mode="forward")(0.3), expected)
    # The rules' `math.cos` reaches math through a cell: this module binds `math` itself.
    assert "math.cos" in source(differentiate(g)) or "cos(" in source(differentiate(g))


def test_globals_stay_live_and_closures_share_cells():
    global SCALE
    scale_of = {"k": 2.0}
    k = 2.0

    def g(x):
        return SCALE * x * x + k * x

    dg = differentiate(g)
    assert close(dg(1.0), 2 * 3.0 + 2.0)
    SCALE, k = 5.0, 7.0
    try:
        assert close(dg(1.0), 2 * 5.0 + 7.0)
    finally:
        SCALE = 3.0
    del scale_of


def test_nested_and_indented_functions():
    class Model:
        @staticmethod
        def energy(x, y):
            return x * x * y

    assert close(differentiate(Model.energy, wrt=1)(3.0, 2.0), 9.0)

    def outer(a):
        def inner(x):
            return a * math.tanh(x)

        return inner

    inner = outer(2.0)
    assert close(differentiate(inner)(0.5), 2.0 * (1 - math.tanh(0.5) ** 2))


def test_generated_names_never_collide_with_user_names():
    def g(x, v1, out=1.0):
        x_bar = x * v1
        v2 = x_bar * out
        out_bar = math.sin(v2)
        return out_bar + x_bar

    dg = differentiate(g, wrt=(0, 1, 2))
    x, v1, out = 0.7, 1.3, 0.4
    v2 = x * v1 * out
    common = math.cos(v2) * out + 1.0
    assert all(map(close, dg(x, v1, out), (common * v1, common * x, math.cos(v2) * x * v1)))
    assert "out_bar_1=1.0" in source(dg).splitlines()[0]
    assert all(map(close, differentiate(g, wrt=(0, 1, 2), mode="forward")(x, v1, out),
                   dg(x, v1, out)))


def test_user_function_named_like_a_rule_module_name():
    math_ = None  # noqa: F841 - a local that must not shadow the rules' `math`

    def g(math):  # a parameter named math: the rules' math module goes by the user's `m`
        return sin(math)

    assert close(differentiate(g)(0.2), math.cos(0.2))
    assert "m.cos(math)" in source(differentiate(g))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_reassignment_augmented_assignment_and_unused_parameters(mode):
    def g(x, y, unused):
        x = x * y
        x += math.exp(y)
        x /= 2.0
        t: float = x ** 2
        t -= y
        return t

    x, y = 0.3, 0.8
    u = (x * y + math.exp(y)) / 2.0
    expected = (2 * u * y / 2.0, 2 * u * (x + math.exp(y)) / 2.0 - 1.0, 0.0)
    assert all(map(close, differentiate(g, wrt=(0, 1, 2), mode=mode)(x, y, 9.0), expected))


def test_constant_function_has_zero_derivative_and_statements_are_kept():
    calls = []

    def g(x):
        calls.append(x)
        return 2.0

    assert differentiate(g)(1.0) == 0.0
    assert calls == [1.0]  # a call used as a statement runs in the derivative too


def test_a_module_with_its_own_zip_and_reversed():
    """The reversed loop reads its stacks with the builtins, or pops them: never with the
    user's functions of the same names."""
    from tests.conftest import make_function

    f = make_function("""
        def zip(*args):
            raise AssertionError("the user's zip")

        def reversed(xs):
            raise AssertionError("the user's reversed")

        def f(a, n):
            for i in range(n):
                a = 4.0 * a * (1.0 - a) + 0.1 * i
            return a
        """, name="f")
    gradient = differentiate(f)
    h = 1e-6
    expected = (f(0.3 + h, 5) - f(0.3 - h, 5)) / (2 * h)
    assert abs(gradient(0.3, 5) - expected) <= 1e-6 * (1 + abs(expected))
