"""Derivatives of Numba functions: compiled by Numba, equal to the Python derivatives.

Each compilation costs Numba a fraction of a second, so the tests share the derivatives
they compile, and the corpus is sampled (`python -m tests.numba_corpus` runs it all).
"""

import functools
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import DifferentiationError, differentiate, hessian, source, value_and_grad
from tests.conftest import examples, make_function

numba = pytest.importorskip("numba")
scipy = pytest.importorskip("scipy")  # Numba's `@` calls BLAS through SciPy

from tests import numba_corpus  # noqa: E402 - needs Numba
from tests.corpus import CORPUS  # noqa: E402
from tests.numba_workloads import WORKLOADS, logistic, pendulum, rosenbrock, trig_sum  # noqa: E402

Dispatcher = numba.core.registry.CPUDispatcher


close = numba_corpus.close  # to 1e-12 relative


def _tuple(value):
    return value if isinstance(value, tuple) else (value,)


LOGISTIC, TRIG_SUM, PENDULUM, ROSENBROCK = map(numba.njit, (logistic, trig_sum, pendulum,
                                                            rosenbrock))


@pytest.mark.parametrize("name", WORKLOADS)
def test_a_workload_compiled_equals_its_python_gradient_and_the_hand_written_one(name):
    function, wrt, args, by_hand = WORKLOADS[name]
    gradient = differentiate(numba.njit(function), wrt=wrt)
    assert isinstance(gradient, Dispatcher)
    got = gradient(*args)
    for g, e in zip(_tuple(got), _tuple(differentiate(function, wrt=wrt)(*args))):
        assert close(g, e), name
    if not isinstance(args[0], np.ndarray):  # the array ones are checked by the benchmark
        for g, e in zip(_tuple(got), _tuple(numba.njit(by_hand)(*args))):  # other rounding
            assert np.allclose(g, e, rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize("compiled, function, args", [
    (LOGISTIC, logistic, (0.3,)), (PENDULUM, pendulum, (0.3, 0.1))])
def test_forward_mode_compiled_equals_python_and_takes_its_seeds_by_position(compiled,
                                                                              function, args):
    wrt = tuple(range(len(args)))
    tangent = differentiate(compiled, wrt=wrt, mode="forward")
    assert isinstance(tangent, Dispatcher)
    assert close(tangent(*args), differentiate(function, wrt=wrt, mode="forward")(*args))
    seeds = (2.0,) * len(args)
    expected = differentiate(function, wrt=wrt, mode="forward")(
        *args, **{f"{p}_dot": 2.0 for p in function.__code__.co_varnames[:len(args)]})
    assert close(tangent(*args, *seeds), expected)


def test_forward_mode_on_an_array_takes_a_direction_and_needs_one():
    x, v = np.linspace(-1.0, 1.5, 30), np.cos(np.arange(30.0))
    tangent = differentiate(ROSENBROCK, mode="forward")
    assert close(tangent(x, v), np.dot(differentiate(rosenbrock)(x), v))
    with pytest.raises(DifferentiationError, match="direction"):
        tangent(x)


def test_the_reverse_seed_is_positional_after_the_parameters():
    gradient = differentiate(TRIG_SUM, wrt=(0, 1))
    assert close(gradient(0.3, 0.7, 2.0), tuple(2.0 * g for g in gradient(0.3, 0.7)))


def test_the_compiled_source_is_in_numbas_subset_and_reads_as_code():
    text = source(differentiate(LOGISTIC))
    assert "def grad_logistic(x, out_bar=1.0):" in text
    assert "x_stack = empty_stack(x, 100)" in text and "reversed" not in text
    assert ".append(" not in text
    assert "x_bar = x_bar * ((1.0 - x) * 4.0 - 4.0 * x)" in text  # one factor, one chain
    assert "for i in range(49, -1, -1):" in source(differentiate(TRIG_SUM, wrt=(0, 1)))
    text = source(differentiate(ROSENBROCK))
    assert "x_bar[i] += " in text and "getitem_adjoint" not in text
    assert "s_stack = shape_stack(s, len(v4))" in text and "zeros_like" not in text
    # Python's own derivative is untouched.
    assert "out_bar=1.0" in source(differentiate(logistic)).splitlines()[0]
    assert "*, out_bar=1.0" in source(differentiate(logistic))


def test_an_array_gradient_in_a_loop_is_added_into_in_place():
    x = np.linspace(-1.0, 1.5, 1000)
    gradient = differentiate(ROSENBROCK)
    assert gradient(x).shape == x.shape and close(gradient(x), differentiate(rosenbrock)(x))


def test_value_and_grad_and_hessian_of_a_numba_function_are_compiled():
    both = value_and_grad(TRIG_SUM, wrt=(0, 1))
    assert isinstance(both, Dispatcher)
    assert close(both(0.3, 0.7)[0], trig_sum(0.3, 0.7))
    assert close(both(0.3, 0.7)[1], value_and_grad(trig_sum, wrt=(0, 1))(0.3, 0.7)[1])
    for wrt in (0, (0, 1)):
        second = hessian(TRIG_SUM, wrt=wrt)
        assert isinstance(second, Dispatcher)
        expected = hessian(trig_sum, wrt=wrt)(0.3, 0.7)
        for got_row, row in zip(_tuple(second(0.3, 0.7)), _tuple(expected)):
            assert close(got_row, row)


def test_a_second_derivative_transforms_the_python_derivative_beside_the_compiled_one():
    second = differentiate(differentiate(LOGISTIC), mode="forward")
    assert isinstance(second, Dispatcher)
    assert close(second(0.3), differentiate(differentiate(logistic), mode="forward")(0.3))


def test_differentiate_stacks_above_njit_and_sees_through_compiled_helpers():
    function = make_function("""
        @numba.njit
        def helper(x):
            return x * math.sin(x)

        @differentiate(wrt=(0, 1))
        @numba.njit(fastmath=True)
        def scaled(x, y):
            return helper(x) * y
    """, "scaled", {"differentiate": differentiate, "numba": numba, "math": math})
    assert isinstance(function, Dispatcher) and function.targetoptions["fastmath"]
    x, y = 1.3, 0.4
    assert np.allclose(function(x, y), (y * (math.sin(x) + x * math.cos(x)), x * math.sin(x)),
                       rtol=1e-12)


def test_has_aux_keeps_the_auxiliary_value_in_compiled_code():
    function = make_function("""
        def loss(x):
            y = x * x
            return y * x, y + 1.0
    """)
    compiled = numba.njit(function)
    for mode in ("reverse", "forward"):
        derivative, aux = differentiate(compiled, has_aux=True, mode=mode)(2.0)
        assert (derivative, aux) == (12.0, 5.0)
    both = value_and_grad(compiled, has_aux=True)
    assert isinstance(both, Dispatcher) and both(2.0) == ((8.0, 5.0), 12.0)


def test_cache_and_standalone_modules_are_refused_with_a_reason():
    with pytest.raises(DifferentiationError, match="cache=True"):
        differentiate(numba.njit(cache=True)(logistic))
    with pytest.raises(DifferentiationError, match=r"compiled by Numba.*logistic\.py_func"):
        source(differentiate(LOGISTIC), standalone=True)


def test_a_derivative_numba_cannot_compile_names_the_function_and_numbas_reason():
    function = make_function("""
        def peak(x):
            return np.sum(np.sort(x) * x)
    """, namespace={"np": np})
    gradient = differentiate(numba.njit(function))
    with pytest.raises(DifferentiationError) as raised:
        gradient(np.ones(3))
    message = str(raised.value)
    assert re.match(r"<test source \d+>:2: Numba cannot compile grad_peak, the derivative of "
                    r"peak:", message)
    assert "sorted_like" in message  # the line Numba stopped at, and why


def test_a_function_numba_cannot_compile_itself_gets_numbas_own_report():
    function = make_function("""
        def keyed(x, table):
            return x * table["a"]
    """)
    gradient = differentiate(numba.njit(function))
    with pytest.raises(DifferentiationError, match=r"^<test source \d+>:\d+: Numba cannot "
                                                   r"compile keyed itself"):
        gradient(1.0, {"a": object()})


@given(st.floats(0.05, 0.95), st.floats(-3.0, 3.0))
@examples(quick=15, long=200)
def test_compiled_gradients_at_random_points_equal_python_and_finite_differences(x, y):
    assert close(differentiate(LOGISTIC)(x), differentiate(logistic)(x))
    got = differentiate(TRIG_SUM, wrt=(0, 1))(x, y)
    assert close(got, differentiate(trig_sum, wrt=(0, 1))(x, y))
    step = 1e-6
    assert math.isclose(got[1], (trig_sum(x, y + step) - trig_sum(x, y - step)) / (2 * step),
                        rel_tol=1e-5, abs_tol=1e-6)


SAMPLE = ["while_with_break_and_continue", "nested_loops", "return_from_loop", "euler_ode"]


@pytest.mark.parametrize("name", SAMPLE)
def test_a_sample_of_the_corpus_compiles_to_the_python_derivative(name):
    function, args = next((f, a) for f, a in CORPUS if f.__name__ == name)
    assert numba_corpus.check(function, args) == ("right", "")


def test_asserts_and_means_compile_as_python_runs_them():
    function = make_function("""
        def guarded(x, w):
            assert x > 0, "x must be positive"
            return math.log(x) * np.mean(w * w)
    """, namespace={"math": math, "np": np})
    gradient = differentiate(numba.njit(function), wrt=(0, 1))
    w = np.array([0.5, -1.0, 2.0])
    expected = differentiate(function, wrt=(0, 1))(1.5, w)
    for got, wanted in zip(gradient(1.5, w), expected):
        assert close(got, wanted)
    with pytest.raises(AssertionError, match="x must be positive"):
        gradient(-1.0, w)


def test_a_stack_of_a_value_that_starts_as_an_int_keeps_the_floats_it_becomes():
    function = make_function("""
        def halving(x, n):
            s = x
            for i in range(n):
                s = s * 0.5 + 0.25 * s * s
            return s
    """)
    gradient = differentiate(numba.njit(function))
    assert "empty_stack(s, max(n, 0))" in source(gradient)
    assert close(gradient(1, 5), differentiate(function)(1, 5))


def test_review_cases_give_the_python_derivative_or_a_clear_error():
    """A stack read only for shapes, by a loop that counts it; a slice added into; an
    index array, refused (`+=` would add a repeated index once); a negative count."""
    namespace = {"np": np}
    shapes = make_function("""
        def shapes(x):
            s = 0.0
            for _ in range(3):
                s = s + np.sum(x * x)
            return s
    """, namespace=namespace)
    sliced = make_function("""
        def sliced(x, n):
            s = x[0] * 0.0
            for j in range(n):
                s = s + np.sum(x[1:] * x[j])
            return s
    """, namespace=namespace)
    fancy = make_function("""
        def fancy(x, idx):
            s = 0.0
            for j in range(2):
                s = s + np.sum(x[idx] * x[j])
            return s
    """, namespace=namespace)
    x = np.array([1.0, 2.0, 3.0])
    assert close(differentiate(numba.njit(shapes))(x), differentiate(shapes)(x))
    for n in (3, -2):
        assert close(differentiate(numba.njit(sliced))(x, n), differentiate(sliced)(x, n))
    with pytest.raises(DifferentiationError, match="integers and slices"):
        differentiate(numba.njit(fancy))(x, np.array([1, 1, 2]))


def test_jvp_vjp_and_jacobian_pass_their_seeds_to_the_compiled_derivative():
    from ast_ad import jacobian, jvp, vjp

    assert close(jvp(TRIG_SUM, (0.3, 0.7), (1.0, 0.0)), jvp(trig_sum, (0.3, 0.7), (1.0, 0.0)))
    assert close(vjp(TRIG_SUM, 0.3, 0.7)[1](2.0), vjp(trig_sum, 0.3, 0.7)[1](2.0))
    x = np.linspace(-1.0, 1.5, 5)
    assert close(vjp(ROSENBROCK, x)[1](2.0), vjp(rosenbrock, x)[1](2.0))
    for mode in ("reverse", "forward"):
        assert close(jacobian(ROSENBROCK, mode=mode)(x), jacobian(rosenbrock, mode=mode)(x))
    # An array's Hessian: the Jacobian of the compiled gradient, by forward sweeps.
    assert close(jacobian(differentiate(ROSENBROCK), mode="forward")(x), hessian(rosenbrock)(x))


def test_an_output_that_may_be_none_and_a_cumulative_sum_compile():
    namespace = {"np": np}
    chosen = make_function("""
        def chosen(x, w, n):
            result = None
            if n > 0:
                result = x * np.sum(w)
            else:
                result = x
            return result
    """, namespace=namespace)
    summed = make_function("""
        def summed(x):
            return np.sum(np.cumsum(x) ** 2)
    """, namespace=namespace)
    x = np.array([0.5, -1.0, 2.0])
    for n in (1, 0):
        assert close(differentiate(numba.njit(chosen))(1.5, x, n),
                     differentiate(chosen)(1.5, x, n))
    assert close(differentiate(numba.njit(summed))(x), differentiate(summed)(x))


def test_the_tangent_of_an_array_the_output_ignores_is_typed_by_its_seed():
    function = make_function("""
        def ignores(x, w):
            for i in range(0):
                a = w * x
            return x * x
    """)
    tangent = differentiate(numba.njit(function), wrt=(0, 1), mode="forward")
    expected = differentiate(function, wrt=(0, 1), mode="forward")
    w = np.array([0.5, 2.0])
    got, wanted = tangent(1.5, w), expected(1.5, w)  # w's whole gradient: zeros
    assert close(got[0], wanted[0]) and np.array_equal(got[1], wanted[1])
    got, wanted = tangent(1.5, w, 1.0, np.ones(2)), expected(1.5, w, w_dot=np.ones(2))
    assert close(got, wanted)


def test_an_array_the_output_ignores_needs_its_direction_in_forward_mode():
    function = make_function("""
        def ignored(x, w):
            return x * x + np.sum(np.ones(2))
    """, namespace={"np": np})
    tangent = differentiate(numba.njit(function), wrt=(0, 1), mode="forward")
    w = np.array([0.5, 2.0])
    got = tangent(1.5, w, 1.0, np.ones(2))
    assert close(got, differentiate(function, wrt=(0, 1), mode="forward")(
        1.5, w, x_dot=1.0, w_dot=np.ones(2)))
    with pytest.raises(DifferentiationError, match="direction"):
        tangent(1.5, w)


@pytest.mark.parametrize("body", ["np.max(x) * 2.0 + np.min(x * x)",
                                  "np.linalg.norm(x) * 2.0 + np.linalg.norm(x - x)",
                                  "np.sum(np.clip(x, -0.5, 1.0) ** 2)",
                                  "np.sum(np.clip(x, None, 1.0) * x)"])
def test_extrema_norms_and_clips_compile_in_both_modes(body):
    function = make_function(f"""
        def reduced(x):
            return {body}
    """, namespace={"np": np})
    x, v = np.array([0.5, -1.0, 2.0, 2.0, 0.3]), np.cos(np.arange(5.0))
    compiled = numba.njit(function)
    assert close(differentiate(compiled)(x), differentiate(function)(x))
    assert close(differentiate(compiled, mode="forward")(x, v),
                 differentiate(function, mode="forward")(x, x_dot=v))


# Loops over an array whose reversed iterations depend on none before them, but for the
# entries they add into, run in the primal's order; the others still count down.
IN_ORDER = {
    "neighbours": ("s = 0.0\n    for i in range(x.shape[0] - 1):\n"
                   "        s = s + (x[i + 1] - x[i] ** 2) ** 2 + x[i] * 0.5", True),
    "three_reads": ("s = 0.0\n    for i in range(1, x.shape[0] - 1):\n"
                    "        s = s + x[i - 1] * x[i] * math.sin(x[i + 1])", True),
    "a_loop_value_used_after": ("s = 0.0\n    t = 0.0\n    for i in range(x.shape[0]):\n"
                                "        t = x[i] * 2.0\n        s = s + t * t\n"
                                "    return s + t", False),  # t's adjoint: the last only
    "a_product": ("s = 1.0\n    for i in range(x.shape[0]):\n        s = s * x[i]", False),
    "a_carried_mix": ("s = 0.0\n    for i in range(x.shape[0]):\n"
                      "        s = 0.5 * s + math.tanh(x[i])", False),
}


@functools.lru_cache(maxsize=None)
def _in_order_function(name):
    body, _ = IN_ORDER[name]
    ending = "" if "return" in body else "\n    return s"
    return make_function(f"def {name}(x):\n    {body}{ending}\n",
                         namespace={"math": math})


@functools.lru_cache(maxsize=None)
def _compiled_gradient(name):
    return differentiate(numba.njit(_in_order_function(name)))


@pytest.mark.parametrize("name", IN_ORDER)
def test_a_reversed_loop_of_independent_iterations_runs_in_order(name):
    function = _in_order_function(name)
    compiled = _compiled_gradient(name)
    text = source(compiled)
    adjoint_loop = [line for line in text.splitlines() if line.strip().startswith("for ")][-1]
    assert ("-1, -1)" not in adjoint_loop) == IN_ORDER[name][1], adjoint_loop
    x = np.linspace(0.2, 1.3, 9)
    assert close(compiled(x), differentiate(function)(x))


def test_the_additions_of_an_in_order_loop_follow_the_primals_reads():
    text = source(differentiate(ROSENBROCK))
    assert "for k_1 in range(len(v4)):" in text and "i = v4.start + k_1 * v4.step" in text
    assert text.index("x_bar[v5] += v6_bar") < text.index("x_bar[i] += v7_bar")


@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=12))
@examples(quick=10, long=100)
def test_in_order_loops_equal_python_and_finite_differences(values):
    x = np.array(values)
    for name in ("neighbours", "three_reads"):
        function = _in_order_function(name)
        got = _compiled_gradient(name)(x)
        assert close(got, differentiate(function)(x))
        step = 1e-6
        for i in range(len(x)):
            e = np.zeros_like(x)
            e[i] = step
            difference = (function(x + e) - function(x - e)) / (2 * step)
            assert math.isclose(got[i], difference, rel_tol=1e-5, abs_tol=1e-5)
