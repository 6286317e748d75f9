"""The control-flow corpus: both modes against finite differences and autograd."""

import math
import random
import types
import warnings

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ast_ad import (DifferentiationError, UnsupportedSyntaxError, differentiate, hessian,
                    source, vjp)
from ast_ad.testing import central_difference
from tests import corpus
from tests.conftest import LONG, examples, make_function
from tests.corpus import CORPUS, SECOND_ORDER

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

MATH_AS_AUTOGRAD = types.SimpleNamespace(
    sin=anp.sin, cos=anp.cos, tan=anp.tan, exp=anp.exp, log=anp.log, sqrt=anp.sqrt,
    tanh=anp.tanh, atan2=anp.arctan2, hypot=anp.hypot, log1p=anp.log1p, expm1=anp.expm1,
    pi=math.pi, e=math.e)


def _float_positions(args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, float))


def _points(function, args, count=3):
    rng = random.Random(function.__name__)
    yield args
    for _ in range(count - 1):
        yield tuple(a * (1 + rng.uniform(-0.02, 0.02)) if isinstance(a, float) else a
                    for a in args)


def _partial(function, point, i):
    direction = [1.0 if j == i else 0.0 for j in range(len(point))]
    numeric = [p if isinstance(p, float) else 0 for p in point]
    others = {j: p for j, p in enumerate(point) if not isinstance(p, float)}

    def along(*values):
        return function(*[others.get(j, v) for j, v in enumerate(values)])

    return central_difference(along, numeric, direction)


def _close(actual, expected, rtol=1e-6, atol=1e-9):
    return abs(actual - expected) <= atol + rtol * abs(expected)


def _twin(function):
    """The same code object with `math` replaced by autograd.numpy, for the oracle."""
    scope = dict(function.__globals__, math=MATH_AS_AUTOGRAD)
    twin = types.FunctionType(function.__code__, scope, function.__name__,
                              function.__defaults__)
    twin.__kwdefaults__ = function.__kwdefaults__
    return twin


def test_the_corpus_is_large_enough():
    functions = {f for f, _ in CORPUS}
    assert len(functions) >= 60
    assert len(SECOND_ORDER) >= 12


@pytest.mark.parametrize("function, args", CORPUS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CORPUS)])
def test_both_modes_match_finite_differences_and_autograd(function, args):
    wrt = _float_positions(args)
    reverse = differentiate(function, wrt=wrt)
    forward = differentiate(function, wrt=wrt, mode="forward")
    for point in _points(function, args):
        by_reverse, by_forward = reverse(*point), forward(*point)
        for i, r, f in zip(wrt, by_reverse, by_forward):
            assert _close(r, _partial(function, point, i)), (i, r, point)
            assert abs(r - f) <= 1e-12 * abs(r) + 1e-15, (i, r, f)
            with warnings.catch_warnings():  # "Output seems independent of input": zero
                warnings.simplefilter("ignore", UserWarning)
                oracle = autograd.grad(_twin(function), i)(*point)
            assert _close(r, float(oracle), 1e-9, 1e-12), (i, r, oracle)


@pytest.mark.parametrize("function", SECOND_ORDER, ids=lambda f: f.__name__)
def test_second_derivatives(function):
    args = next(args for f, args in CORPUS if f is function)
    i = _float_positions(args)[0]
    forward_over_reverse = differentiate(differentiate(function, wrt=i), wrt=i, mode="forward")
    reverse_over_forward = differentiate(differentiate(function, wrt=i, mode="forward"), wrt=i)
    gradient = differentiate(function, wrt=i)
    expected = _partial(gradient, args, i)
    assert _close(forward_over_reverse(*args), expected, 1e-5, 1e-7)
    assert _close(reverse_over_forward(*args), forward_over_reverse(*args), 1e-12, 1e-12)


def test_reverse_over_reverse_through_a_branch():
    second = differentiate(differentiate(corpus.elif_chain))
    for a in (-1.5, 0.5, 1.5, 2.5):
        expected = _partial(differentiate(corpus.elif_chain), (a, 0.3), 0)
        assert _close(second(a, 0.3), expected, 1e-5, 1e-7)


# Second order by reverse over reverse needs a gradient without pops (a loop nested in
# another keeps them) and without the adjoint lists of a list the function builds.
NOT_REVERSIBLE_TWICE = {"nested_loops", "for_nested_in_while", "return_from_nested_loops",
                        "list_build_and_read", "list_last_element", "list_iterate_built",
                        "list_sum_in_loop", "list_appended_in_branch", "list_iterate_slice",
                        "list_slice_read"}
# Reverse over reverse transforms each gradient twice more: the costliest check here. An
# ordinary run makes it for every function that must refuse it and for a fixed sample of
# the others, chosen so that between them they reach every line and branch of ast_ad that
# the whole corpus reaches in this check (every function is checked to first order in both
# modes above); AST_AD_LONG=1 makes it for every function.
REVERSED_TWICE_IN_EVERY_RUN = NOT_REVERSIBLE_TWICE | {
    "boolean_condition", "calls_nested_helpers", "calls_other_module", "conditional_expression",
    "early_return", "early_return_nested", "enumerate_weights", "gradient_descent_steps",
    "list_of_indices_made_in_loop", "logistic_map", "logistic_regression_loss",
    "loop_branch_on_index", "piecewise_max", "return_from_while", "series_exp",
    "sigmoid_stable", "tuple_swap", "unused_argument", "while_with_break_and_continue",
    "zip_pairs"}
REVERSED_TWICE = [(i, f, args) for i, (f, args) in enumerate(CORPUS)
                  if LONG or f.__name__ in REVERSED_TWICE_IN_EVERY_RUN]


def test_the_functions_reversed_twice_in_every_run_are_in_the_corpus():
    assert REVERSED_TWICE_IN_EVERY_RUN <= {f.__name__ for f, _ in CORPUS}


@pytest.mark.parametrize("function, args", [(f, args) for _, f, args in REVERSED_TWICE],
                         ids=[f"{f.__name__}-{i}" for i, f, _ in REVERSED_TWICE])
def test_reverse_over_reverse_agrees_with_forward_over_reverse(function, args):
    i = _float_positions(args)[0]
    gradient = differentiate(function, wrt=i)
    if function.__name__ in NOT_REVERSIBLE_TWICE:
        with pytest.raises(DifferentiationError, match="mode=\"forward\""):
            differentiate(gradient, wrt=i)
        return
    reverse_over_reverse = differentiate(gradient, wrt=i)
    forward_over_reverse = differentiate(gradient, wrt=i, mode="forward")
    for point in _points(function, args, count=2):
        assert _close(reverse_over_reverse(*point), forward_over_reverse(*point), 1e-9, 1e-12)


def test_logistic_adjoint_is_a_reversed_loop_over_one_stack():
    text = source(differentiate(corpus.logistic_map))
    assert text.count(".append(") == 1 and text.count("= []") == 1  # no other storage
    assert "a_stack.append(a)" in text and "for a in reversed(a_stack):" in text
    assert ".pop()" not in text


def test_a_nested_loop_pops_its_own_part_of_the_stack():
    text = source(differentiate(corpus.nested_loops))
    assert ".pop()" in text


def test_straight_line_code_and_branches_need_no_stack():
    for function in (corpus.elif_chain, corpus.early_return_nested, corpus.tuple_rotate):
        text = source(differentiate(function))
        assert "stack" not in text and ".pop()" not in text


def test_gradient_with_respect_to_a_list():
    xs, b = [0.5, 1.5, -2.0], 0.3
    gradient, b_bar = differentiate(corpus.list_parameter, wrt=(0, 1))(xs, b)
    assert isinstance(gradient, list) and len(gradient) == 3
    oracle = autograd.grad(corpus.list_parameter, 0)(xs, b)
    for i in range(3):
        def along(t, i=i):
            return corpus.list_parameter([x + t * (j == i) for j, x in enumerate(xs)], b)

        assert _close(gradient[i], central_difference(along, [0.0], [1.0]))
        assert _close(gradient[i], oracle[i], 1e-12, 1e-12)
    assert _close(b_bar, _partial(corpus.list_parameter, (xs, b), 1))
    assert xs == [0.5, 1.5, -2.0]  # the argument is given back as it was


@examples(10, 50)
@given(st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4), st.floats(-1.5, 1.5))
def test_the_gradient_of_a_sequence_read_in_code_on_numbers_has_its_type(xs, b):
    """A parameter looped over in code that names no NumPy takes a list, a tuple or an
    array: its gradient is of the same type (an array of its floating type), in both
    modes and by vjp, as JAX gives; it was a list in reverse mode."""
    np = pytest.importorskip("numpy")
    expected = autograd.grad(corpus.list_parameter, 0)(list(xs), b)
    for value in (list(xs), tuple(xs), np.array(xs), np.array(xs, dtype=np.float32)):
        for mode in ("reverse", "forward"):
            gradient = differentiate(corpus.list_parameter, mode=mode)(value, b)
            assert type(gradient) is type(value)
            if isinstance(value, np.ndarray):
                assert gradient.dtype == value.dtype
            tolerance = 1e-5 if getattr(value, "dtype", None) == np.float32 else 1e-12
            assert all(_close(g, e, tolerance, tolerance) for g, e in zip(gradient, expected))
        pulled, _ = vjp(corpus.list_parameter, value, b)[1](1.0)
        assert type(pulled) is type(value)
        assert all(_close(g, e, 1e-5, 1e-5) for g, e in zip(pulled, expected))


@given(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
@examples(5, 50)
def test_second_derivative_through_a_differentiated_list(a, b):
    """Forward over reverse, through the adjoint list and the cut of the list back before
    each reversed iteration; reverse over reverse is refused (limits.md)."""
    f = corpus.list_last_element
    matrix = hessian(f, wrt=(0, 1))(a, b, 4)
    gradient = differentiate(f, wrt=(0, 1))
    for k in (0, 1):
        for i in (0, 1):
            along = central_difference(lambda s, t: gradient(s, t, 4)[i], [a, b],
                                       [float(k == 0), float(k == 1)])
            assert _close(matrix[i][k], along, 1e-6, 1e-7)
    with pytest.raises(DifferentiationError, match="a list of differentiated values"):
        differentiate(differentiate(f))


def test_forward_mode_along_a_list_direction():
    xs, b = [0.5, 1.5, -2.0], 0.3
    tangent = differentiate(corpus.list_parameter, mode="forward")
    gradient = differentiate(corpus.list_parameter)(xs, b)
    rng = random.Random(0)
    for _ in range(3):
        direction = [rng.uniform(-1, 1) for _ in xs]
        expected = sum(g * d for g, d in zip(gradient, direction))
        assert _close(tangent(xs, b, xs_dot=direction), expected, 1e-12, 1e-12)
    assert tangent(xs, b) == pytest.approx(gradient, rel=1e-12)  # left out: sweeps give all


def test_recursion_is_a_clear_error():
    g = make_function("""
        def power(x, n):
            if n == 0:
                return 1.0
            return x * power(x, n - 1)

        def g(x):
            return power(x, 3)
        """, "g")
    with pytest.raises(UnsupportedSyntaxError, match="calls itself"):
        differentiate(g)


def test_arguments_not_differentiated_get_no_adjoint_code():
    text = source(differentiate(corpus.loop_uses_outer_value, wrt=0))
    assert "b_bar" not in text
    text = source(differentiate(corpus.branch_string_flag, wrt=0))
    assert "mode_bar" not in text and "b_bar" not in text


LIST_ON_EVERY_PATH = make_function("""
    def f(x, y):
        if x > 0.0:
            xs = [x, y]
            s = xs[0] * 2.0
        elif y > 0.0:
            xs = [y, x, x * y]
            s = sum(xs)
        else:
            xs = []
            xs.append(math.sin(x))
            s = y
        for v in xs:
            s = s + v * x
        return xs[0] * xs[-1] * x + s
    """, namespace={"math": math})


@given(st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 1e-3),
       st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 1e-3))
@examples(10, 100)
def test_a_list_made_on_every_path_through_branches_in_reverse_mode(x, y):
    gradient = differentiate(LIST_ON_EVERY_PATH, wrt=(0, 1))(x, y)
    for k in (0, 1):
        along = central_difference(LIST_ON_EVERY_PATH, [x, y], [float(k == 0), float(k == 1)])
        assert _close(gradient[k], along, 1e-6, 1e-8)
    assert differentiate(LIST_ON_EVERY_PATH, wrt=(0, 1), mode="forward")(x, y) == \
        pytest.approx(gradient, rel=1e-12, abs=1e-12)
    matrix = hessian(LIST_ON_EVERY_PATH, wrt=(0, 1))(x, y)
    for k in (0, 1):
        for i in (0, 1):
            along = central_difference(
                lambda s, t: differentiate(LIST_ON_EVERY_PATH, wrt=(0, 1))(s, t)[i], [x, y],
                [float(k == 0), float(k == 1)])
            assert _close(matrix[i][k], along, 1e-5, 1e-6)


def test_a_list_made_on_some_paths_only_is_refused_in_reverse_mode():
    f = make_function("""
        def f(x, y):
            s = x
            if x > 0.0:
                xs = [x, y]
                s = sum(xs)
            return s * y
        """)
    with pytest.raises(UnsupportedSyntaxError, match="inside a branch"):
        differentiate(f)


BREAK_BACKWARDS = make_function("""
    def f(x, y):
        s = 0.0
        for v in reversed([x, y, x * y]):
            if v > 1.0:
                break
            s = s + v * x
        xs = []
        for k in range(3):
            xs.append(x * k + y)
        for v in reversed(xs):
            s = s + v * v
            if s > 2.5:
                break
        for k in reversed(range(4)):
            s = s * 0.5 + k * y
            if s > 3.0:
                break
        return s
    """)


@given(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
@examples(10, 100)
def test_break_in_a_loop_over_reversed(x, y):
    """`reversed(xs)` left by `break`: counted down by index, in both modes and to second
    order."""
    gradient = differentiate(BREAK_BACKWARDS, wrt=(0, 1))(x, y)
    for k in (0, 1):
        along = central_difference(BREAK_BACKWARDS, [x, y], [float(k == 0), float(k == 1)])
        if abs(along - gradient[k]) > 1e-4 * (1 + abs(along)):  # a branch switches nearby
            step = 1e-4
            near = [BREAK_BACKWARDS(x + s * (k == 0), y + s * (k == 1)) for s in (-step, step)]
            assume(abs(near[1] - near[0]) < 1.0)
        assert _close(gradient[k], along, 1e-5, 1e-6)
    assert differentiate(BREAK_BACKWARDS, wrt=(0, 1), mode="forward")(x, y) == \
        pytest.approx(gradient, rel=1e-12, abs=1e-12)


def test_break_in_a_loop_over_reversed_to_second_order():
    from tests.conftest import hessian_agrees

    for point in ((0.7, 0.5), (1.3, 0.9), (0.2, 1.6)):
        hessian_agrees(BREAK_BACKWARDS, *point)
