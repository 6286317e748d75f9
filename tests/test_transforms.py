"""value_and_grad, jvp, vjp, jacobian and hessian against analytic values and differences."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import (DifferentiationError, UnsupportedSyntaxError, differentiate, hessian,
                    jacobian, jvp, value_and_grad, vjp)
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def gradient(x1, x2):
    return (1.0 / x1 + x2, x1 - math.cos(x2))


def second(x1, x2):
    return ((-1.0 / x1 ** 2, 1.0), (1.0, math.sin(x2)))


def scaled(x, *, scale=2.0):
    return scale * x * x * x


POINT = (2.0, 5.0)


def close(a, b, rtol=1e-12, atol=1e-14):
    return abs(a - b) <= atol + rtol * abs(b)


def all_close(a, b, rtol=1e-12, atol=1e-14):
    if isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(
            all_close(x, y, rtol, atol) for x, y in zip(a, b))
    return not isinstance(a, tuple) and close(a, b, rtol, atol)


# ---------------------------------------------------------------- value_and_grad


@pytest.mark.parametrize("wrt, expected", [
    (0, gradient(*POINT)[0]), (1, gradient(*POINT)[1]), ("x2", gradient(*POINT)[1]),
    ((0, 1), gradient(*POINT)), (("x2", "x1"), gradient(*POINT)[::-1]),
    ([0, 1], gradient(*POINT)), ((1,), gradient(*POINT)[1:]),
])
def test_value_and_grad_gives_the_value_and_the_gradient_shaped_as_wrt(wrt, expected):
    value, derivative = value_and_grad(f, wrt=wrt)(*POINT)
    assert value == f(*POINT)
    assert all_close(derivative, expected)


def test_value_and_grad_passes_keyword_arguments_through():
    value, derivative = value_and_grad(scaled)(1.5, scale=3.0)
    assert value == scaled(1.5, scale=3.0)
    assert close(derivative, 9.0 * 1.5 ** 2)


def test_transforms_fail_when_made_not_when_called():
    def branchy(x):
        try:
            return x
        except ValueError:
            return 0.0

    for transform in (value_and_grad, jacobian, hessian):
        with pytest.raises(UnsupportedSyntaxError):
            transform(branchy)
    with pytest.raises(DifferentiationError, match="no parameter named 'y'"):
        value_and_grad(f, wrt="y")


def test_a_transformed_function_is_not_mistaken_for_the_original():
    # functools.wraps would let inspect read f's source for the wrapper, and
    # differentiate would silently return f's gradient for a tuple-valued function.
    with pytest.raises(UnsupportedSyntaxError):
        differentiate(value_and_grad(f))
    assert value_and_grad(f).__name__ == "value_and_grad_f"


# ---------------------------------------------------------------- jvp and vjp


@pytest.mark.parametrize("tangents", [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0)])
def test_jvp_is_the_directional_derivative(tangents):
    value, tangent_out = jvp(f, POINT, tangents)
    assert value == f(*POINT)
    exact = sum(g * t for g, t in zip(gradient(*POINT), tangents))
    assert close(tangent_out, exact)
    assert close(tangent_out, central_difference(f, POINT, tangents), rtol=1e-9)


def test_jvp_differentiates_only_the_leading_primals():
    def g(x, y=3.0):
        return x * x * y

    assert jvp(g, (2.0,), (1.0,)) == (12.0, 12.0)
    assert jvp(g, [2.0, 1.0], [0.0, 1.0]) == (4.0, 4.0)


@pytest.mark.parametrize("out_bar", [1.0, -0.5, 3.0])
def test_vjp_pulls_the_output_adjoint_back_to_every_primal(out_bar):
    value, vjp_fn = vjp(f, *POINT)
    assert value == f(*POINT)
    adjoints = vjp_fn(out_bar)
    assert all_close(adjoints, tuple(out_bar * g for g in gradient(*POINT)))


def square(x):
    return x * x


def test_vjp_of_one_primal_is_a_one_tuple():
    value, vjp_fn = vjp(square, 3.0)
    assert value == 9.0 and vjp_fn(2.0) == (12.0,)


@pytest.mark.parametrize("call, message", [
    (lambda: jvp(f, (2.0, 5.0), (1.0,)), "one tangent per primal"),
    (lambda: jvp(f, 2.0, 1.0), "as a tuple"),
    (lambda: jvp(f, (1.0, 2.0, 3.0), (1.0, 1.0, 1.0)), "2 positional parameters"),
    (lambda: vjp(f), "at least one primal"),
    (lambda: vjp(f, 1.0, 2.0, 3.0), "has 2 positional parameters"),
])
def test_jvp_and_vjp_reject_mismatched_arguments(call, message):
    with pytest.raises(DifferentiationError, match=message):
        call()


# ---------------------------------------------------------------- jacobian and hessian


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_a_scalar_function_is_its_gradient(mode):
    assert close(jacobian(f, mode=mode)(*POINT), gradient(*POINT)[0])
    assert all_close(jacobian(f, wrt=(0, 1), mode=mode)(*POINT), gradient(*POINT))
    assert all_close(jacobian(f, wrt=(1,), mode=mode)(*POINT), gradient(*POINT)[1:])


def test_hessian_of_the_seed_matches_the_survey_and_the_analytic_values():
    assert close(hessian(f)(*POINT), -0.25)  # the survey's d2y/dx1^2
    assert close(hessian(f, wrt="x2")(*POINT), math.sin(5.0))
    assert all_close(hessian(f, wrt=(0, 1))(*POINT), second(*POINT))
    assert all_close(hessian(f, wrt=(1,))(*POINT), ((math.sin(5.0),),))


def test_hessian_passes_keyword_arguments_through():
    assert close(hessian(scaled)(1.5, scale=3.0), 18.0 * 1.5)


class Vector:
    """A stand-in for a NumPy array: a shape, and arithmetic with floats."""

    shape = (2,)

    def __mul__(self, other):
        return self

    __rmul__ = __add__ = __radd__ = __mul__


V = Vector()


def vector_valued(x):
    return x * V


def vector_plus(x):
    return V + x


@pytest.mark.parametrize("function", [vector_valued, vector_plus])
@pytest.mark.parametrize("call", [
    lambda g: value_and_grad(g)(1.0), lambda g: hessian(g)(1.0), lambda g: vjp(g, 1.0),
])
def test_non_scalar_outputs_are_refused_not_returned(function, call):
    # `V + x` is the dangerous one: its generated derivative is the scalar 1.0.
    with pytest.raises(DifferentiationError, match="arrays .* not supported yet"):
        call(function)


def test_jvp_of_a_non_scalar_output_is_its_tangent_or_refused():
    assert jvp(vector_valued, (1.0,), (1.0,)) == (V, V)  # as JAX's, of the output's shape
    with pytest.raises(DifferentiationError, match="arrays .* not supported yet"):
        jvp(vector_plus, (1.0,), (1.0,))  # a tangent 1.0 where the output is a vector


def test_array_seeds_are_refused():
    with pytest.raises(DifferentiationError, match="shape \\(2,\\), where the primal is a"):
        jvp(f, POINT, (V, 1.0))
    with pytest.raises(DifferentiationError, match="not supported yet"):
        vjp(f, *POINT)[1](V)


# ---------------------------------------------------------------- properties

UNARY = ["math.sin({0})", "math.cos({0})", "math.exp(0.5 * math.sin({0}))", "math.tanh({0})",
         "math.log(2.0 + math.cos({0}))", "math.sqrt(1.0 + {0} * {0})", "{0} ** 2", "-{0}",
         "math.atan({0})"]
BINARY = ["({0} + {1})", "({0} - {1})", "{0} * {1}", "{0} / (2.0 + math.sin({1}))"]


def expressions(names):
    leaves = st.sampled_from(names) | st.sampled_from(["0.5", "2.0"])
    return st.recursive(
        leaves,
        lambda inner: st.builds(lambda t, e: t.format(e), st.sampled_from(UNARY), inner)
        | st.builds(lambda t, a, b: t.format(a, b), st.sampled_from(BINARY), inner, inner),
        max_leaves=4)


@st.composite
def programs(draw):
    """`g(a, b)`: one intermediate variable and a return, over both parameters."""
    first, result = draw(expressions(["a", "b"])), draw(expressions(["a", "b", "t"]))
    source = f"import math\n\ndef g(a, b):\n    t = {first}\n    return {result} + a * b\n"
    return make_function(source)


reals = st.floats(-2.0, 2.0, allow_nan=False)
SETTINGS = examples(12, 250)


def near(a, b, rtol=1e-6, atol=1e-8):
    return abs(a - b) <= atol + rtol * abs(b)


@SETTINGS
@given(g=programs(), point=st.tuples(reals, reals), direction=st.tuples(reals, reals),
       out_bar=reals)
def test_first_order_transforms_agree_with_differentiate_and_differences(g, point, direction,
                                                                        out_bar):
    value, grad = value_and_grad(g, wrt=(0, 1))(*point)
    assert (value, grad) == (g(*point), differentiate(g, wrt=(0, 1))(*point))
    assert all_close(jacobian(g, wrt=(0, 1), mode="forward")(*point), grad, rtol=1e-10,
                     atol=1e-12)
    projected = sum(p * d for p, d in zip(grad, direction))
    assert near(jvp(g, point, direction)[1], projected, rtol=1e-10, atol=1e-12)
    assert near(jvp(g, point, direction)[1], central_difference(g, point, direction))
    adjoints = vjp(g, *point)[1](out_bar)
    assert all(near(a, out_bar * p, rtol=1e-12, atol=1e-14) for a, p in zip(adjoints, grad))


@SETTINGS
@given(g=programs(), point=st.tuples(reals, reals))
def test_hessian_is_symmetric_and_matches_differences_of_the_gradient(g, point):
    rows = hessian(g, wrt=(0, 1))(*point)
    assert near(rows[0][1], rows[1][0], rtol=1e-9, atol=1e-11)
    for i in range(2):
        partial = differentiate(g, wrt=i)
        for j, unit in enumerate([(1.0, 0.0), (0.0, 1.0)]):
            assert near(rows[i][j], central_difference(partial, point, unit), rtol=1e-5,
                        atol=1e-7)
        assert near(hessian(g, wrt=i)(*point), rows[i][i], rtol=1e-12, atol=1e-14)


NOISY = make_function("""
    def f(x, rng):
        return x * x * rng.standard_normal()
    """)


def test_the_value_and_the_derivative_come_from_the_same_draws():
    """A generator passed in is copied for the function's own run, so that value and
    derivative see the same draws, as `differentiate` alone does; value_and_grad, jvp,
    vjp, hessian and jacobian drew twice, the derivative of another draw."""
    import functools

    np = pytest.importorskip("numpy")

    def fresh():
        return np.random.default_rng(7)

    z = fresh().standard_normal()
    assert value_and_grad(NOISY)(1.5, fresh()) == pytest.approx((2.25 * z, 3.0 * z))
    held = functools.partial(NOISY, rng=fresh())
    assert jvp(held, (1.5,), (1.0,)) == pytest.approx((2.25 * z, 3.0 * z))
    value, pull_back = vjp(functools.partial(NOISY, rng=fresh()), 1.5)
    assert (value, pull_back(1.0)[0]) == pytest.approx((2.25 * z, 3.0 * z))
    assert hessian(NOISY)(1.5, fresh()) == pytest.approx(2.0 * z)
    assert jacobian(NOISY)(1.5, fresh()) == pytest.approx(3.0 * z)


LINEAR = make_function("""
    def f(c, x):
        total = 0.0
        for i in range(len(c)):
            total += c[i] * x ** i
        return total
    """)
UNPACKED = make_function("""
    def f(params, x):
        slope, intercept = params
        return (slope * x + intercept) ** 2
    """)


def test_hessian_blocks_keep_the_arguments_containers():
    """As JAX's: the rows of a list's Hessian are lists, a tuple's tuples, an array's
    an array, zeros where the gradient does not change (the sweeps gave a flat zero,
    and an array's crashed); an unpacked tuple's inner rows are tuples too."""
    np = pytest.importorskip("numpy")
    assert hessian(LINEAR)([1.0, -2.0, 0.5], 0.7) == [[0.0] * 3] * 3
    assert hessian(LINEAR)((1.0, -2.0), 0.7) == ((0.0, 0.0), (0.0, 0.0))
    np.testing.assert_array_equal(hessian(LINEAR)(np.array([1.0, -2.0]), 0.7),
                                  np.zeros((2, 2)))
    matrix = hessian(UNPACKED)((0.5, 0.1), 2.0)
    assert matrix == ((8.0, 4.0), (4.0, 2.0)) and type(matrix[0]) is tuple


ARRAY_ROWS = make_function("""
    def f(params):
        x, y = params
        k = 0
        while k < 2:
            k += 1
            ys = [0.0] * 2
            for j in range(2):
                ys[j] += math.atan(0.5 * k / 3.0) * j
            ys[-1] *= math.cos(math.cos(x))
            y = y + ys[0] * ys[-1]
        return x + 1.9
    """, namespace={"math": math})


def test_hessian_rows_that_are_arrays_in_code_on_arrays():
    """Found by the fuzzer: in code that writes into a list of numbers (array code), a
    list argument's Hessian rows are arrays; one was taken for a zero number (a crash:
    the truth value of an array)."""
    matrix = hessian(ARRAY_ROWS)([0.9, -1.0])
    assert len(matrix) == 2 and all(float(matrix[i][j]) == 0.0 for i in (0, 1) for j in (0, 1))
