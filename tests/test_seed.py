"""The seed function of the survey: its figures, its generated code, its higher orders."""

import inspect
import math
import traceback

import pytest

from ast_ad import differentiate, source
from ast_ad.testing import check_grads


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def close(a, b, rtol=1e-12):
    return abs(a - b) <= rtol * abs(b)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_first_derivatives_match_the_survey(mode):
    exact = (1 / 2.0 + 5.0, 2.0 - math.cos(5.0))
    assert close(differentiate(f, mode=mode)(2.0, 5.0), 5.5)
    assert close(differentiate(f, wrt=1, mode=mode)(2.0, 5.0), exact[1])
    assert close(differentiate(f, wrt="x2", mode=mode)(2.0, 5.0), exact[1])
    both = differentiate(f, wrt=(0, 1), mode=mode)(2.0, 5.0)
    assert isinstance(both, tuple) and all(map(close, both, exact))
    assert differentiate(f, wrt=("x1", "x2"), mode=mode)(2.0, 5.0) == both
    assert round(both[1], 3) == 1.716


@pytest.mark.parametrize("inner", ["reverse", "forward"])
@pytest.mark.parametrize("outer", ["reverse", "forward"])
def test_second_derivatives_by_transforming_generated_code(inner, outer):
    second = differentiate(differentiate(f, mode=inner), mode=outer)
    assert close(second(2.0, 5.0), -0.25)
    mixed = differentiate(differentiate(f, wrt=0, mode=inner), wrt=1, mode=outer)
    assert close(mixed(2.0, 5.0), 1.0)
    assert close(differentiate(differentiate(f, wrt=1), wrt=1)(2.0, 5.0), math.sin(5.0))


def test_third_derivative_of_sin_is_minus_cos():
    def g(x):
        return math.sin(x)

    third = differentiate(differentiate(differentiate(g)))
    for x in (-1.3, 0.2, 2.9):
        assert close(third(x), -math.cos(x))
    fourth = differentiate(third, mode="forward")
    assert close(fourth(0.7), math.sin(0.7))


def test_check_grads_passes_on_the_seed_to_second_order():
    check_grads(f, (2.0, 5.0), order=2)


def test_seed_scales_the_derivative():
    assert close(differentiate(f)(2.0, 5.0, out_bar=2.0), 11.0)
    assert close(differentiate(f, mode="forward")(2.0, 5.0, x1_dot=3.0), 16.5)
    with pytest.raises(TypeError):
        differentiate(f)(2.0, 5.0, 2.0)  # the seed is keyword-only


def test_generated_adjoint_is_short_plain_arithmetic():
    text = source(differentiate(f, wrt=(0, 1)))
    lines = text.strip().splitlines()
    assert len(lines) <= 20
    assert lines[0] == "def grad_f(x1, x2, *, out_bar=1.0):"
    for forbidden in ("ast_ad.", "push", "pop", "stack", "tape", "import"):
        assert forbidden not in text.split('"""')[2]
    assert "math.log(x1)\n" in text  # quoted in a comment, not computed: it is dead
    assert not any(line.strip().startswith("v1 = math.log") for line in lines)
    assert "    x2_bar = x1 - math.cos(x2)\n" in text  # -cos(x2) from v4, x1 from v2
    assert "    x1_bar = x2 + 1.0 / x1\n" in text
    assert lines[-1] == "    return out_bar * x1_bar, out_bar * x2_bar"


def test_source_is_registered_for_inspect_and_tracebacks():
    df = differentiate(f)
    assert inspect.getsource(df) == source(df)
    with pytest.raises(ZeroDivisionError) as info:
        df(0.0, 5.0)
    shown = "".join(traceback.format_exception(info.value))
    assert "x1_bar = x2 + 1.0 / x1" in shown
    assert "<ast_ad grad_f" in shown


def test_decorators_and_caching():
    @differentiate
    def g(x):
        return x * x * x

    @differentiate(wrt="y")
    def h(x, y):
        return x * y * y

    assert close(g(2.0), 12.0)
    assert close(h(3.0, 2.0), 12.0)
    assert differentiate(f) is differentiate(f)
    assert differentiate(f, wrt=1) is not differentiate(f)


def test_defaults_and_keyword_only_parameters_are_kept():
    def g(x, scale=2.0, *, shift=1.0):
        return scale * math.exp(x) + shift * x

    dg = differentiate(g)
    assert close(dg(0.5), 2.0 * math.exp(0.5) + 1.0)
    assert close(dg(0.5, 3.0, shift=4.0), 3.0 * math.exp(0.5) + 4.0)
    assert close(differentiate(g, wrt="shift")(0.5), 0.5)
    assert close(differentiate(g, wrt="scale", mode="forward")(0.5, 1.0), math.exp(0.5))
    assert str(inspect.signature(dg)) == "(x, scale=2.0, *, shift=1.0, out_bar=1.0)"
