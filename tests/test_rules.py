"""Every registered rule, both modes, to second order, against finite differences."""

import math

import gast
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import differentiate, rules
from ast_ad.runtime.scalars import log_of_base
from ast_ad.testing import check_grads
from tests.conftest import examples, make_function

# primitive -> (the expression, in a and b, that applies it; the domain of a and b)
UNIT = (-0.9, 0.9)
POSITIVE = (0.2, 3.0)
ANY = (-3.0, 3.0)
CASES = {
    gast.Add: ("a + b", ANY), gast.Sub: ("a - b", ANY), gast.Mult: ("a * b", ANY),
    gast.Div: ("a / b", POSITIVE), gast.Pow: ("a ** b", POSITIVE), gast.Mod: ("a % b", POSITIVE),
    gast.USub: ("-a * b", ANY), pow: ("pow(a, b)", POSITIVE),
    math.pow: ("math.pow(a, b)", POSITIVE),
    math.sin: ("math.sin(a * b)", ANY), math.cos: ("math.cos(a * b)", ANY),
    math.tan: ("math.tan(a * b)", UNIT), math.asin: ("math.asin(a * b)", UNIT),
    math.acos: ("math.acos(a * b)", UNIT), math.atan: ("math.atan(a * b)", ANY),
    math.atan2: ("math.atan2(a, b)", POSITIVE), math.sinh: ("math.sinh(a * b)", ANY),
    math.cosh: ("math.cosh(a * b)", ANY), math.tanh: ("math.tanh(a * b)", ANY),
    math.exp: ("math.exp(a * b)", ANY), math.expm1: ("math.expm1(a * b)", ANY),
    math.log: ("math.log(a * b) + math.log(a, b + 1.5)", POSITIVE),
    math.log1p: ("math.log1p(a * b)", POSITIVE), math.log2: ("math.log2(a * b)", POSITIVE),
    math.log10: ("math.log10(a * b)", POSITIVE), math.sqrt: ("math.sqrt(a * b)", POSITIVE),
    math.hypot: ("math.hypot(a, b)", POSITIVE), math.fabs: ("math.fabs(a * b)", POSITIVE),
    abs: ("abs(a - b) * a", ANY), math.copysign: ("math.copysign(a, b) * a", POSITIVE),
    max: ("max(a, b * b) * a", ANY), min: ("min(a, b * b) * a", ANY),
    float: ("float(a) * b", ANY), log_of_base: ("log_of_base(a * b) * a", POSITIVE),
    math.erf: ("math.erf(a * b)", ANY), math.erfc: ("math.erfc(a * b)", ANY),
    math.radians: ("math.sin(math.radians(a * 40.0)) * b", ANY),
    math.degrees: ("math.sin(math.degrees(a) / 60.0) * b", ANY),
}


def _builtin(table):
    modules = ("ast_ad.rules.math", "ast_ad.rules.operators")  # NumPy's: tests/test_numpy.py
    return {primal for primal, templates in table.items()
            if any(t.function.__module__ in modules for t in templates)}


def test_every_rule_has_a_case():
    registered = _builtin(rules.ADJOINTS) | _builtin(rules.TANGENTS)
    assert registered == set(CASES), registered ^ set(CASES)
    for primal in registered:
        assert primal in _builtin(rules.ADJOINTS) and primal in _builtin(rules.TANGENTS), primal


FUNCTIONS = {primal: make_function(f"import math\ndef g(a, b):\n    return {expression}\n",
                                   namespace={"log_of_base": log_of_base})
             for primal, (expression, _) in CASES.items()}


@pytest.mark.parametrize("primal", list(CASES), ids=lambda p: getattr(p, "__name__", str(p)))
@examples(15, 150)
@given(data=st.data())
def test_rule_matches_finite_differences(primal, data):
    _, (low, high) = CASES[primal]
    g = FUNCTIONS[primal]
    point = tuple(data.draw(st.floats(low, high)) for _ in range(2))
    if primal in (max, min, abs, math.copysign):  # away from the kink
        if abs(point[0] - point[1] ** 2) < 0.05 or abs(point[0] - point[1]) < 0.05:
            return
    if primal is gast.Mod and abs(point[0] / point[1] - round(point[0] / point[1])) < 0.05:
        return
    check_grads(g, point, order=2, rtol=1e-6, atol=1e-8)




def test_nondifferentiable_primitives_give_zero():
    g = make_function("""
        import math
        def g(x):
            return math.floor(x) * x + round(x) + (x > 1.0) * x
        """)
    from ast_ad import differentiate

    assert differentiate(g)(2.5) == pytest.approx(2.0 + 1.0)
    assert differentiate(g, mode="forward")(0.5) == pytest.approx(0.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_kink_conventions(mode):
    """At a kink the whole adjoint goes to the argument Python returns (abs'(0) = 1, as JAX)."""
    from ast_ad import differentiate

    g = make_function("def g(x, y):\n    return abs(x) + max(x, y) + min(y, x)\n")
    assert differentiate(g, wrt=(0, 1), mode=mode)(0.0, 0.0) == (2.0, 1.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_power_at_a_zero_and_a_negative_base_follows_jax(mode):
    """d/dy x ** y is 0 at x = 0 and nan for x < 0, as in JAX; d/dx is the usual."""
    g = make_function("def g(x, y):\n    return x ** y\n")
    at_zero = [differentiate(g, wrt=k, mode=mode)(0.0, 2.0) for k in (0, 1)]
    assert at_zero == [0.0, 0.0]
    x_part, y_part = (differentiate(g, wrt=k, mode=mode)(-2.0, 2.0) for k in (0, 1))
    assert x_part == -4.0 and math.isnan(y_part)
