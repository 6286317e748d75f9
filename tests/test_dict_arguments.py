"""Dicts given as arguments and read by keys known only when the function runs: looped over
where they are not differentiated, and refused with ast_ad's error, naming the
parameter, where the derivative could not follow them."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import DifferentiationError, NonDifferentiableError, differentiate, hessian
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function

CONFIGURED = make_function("""
    def f(x, cfg):
        for key, c in cfg.items():
            x = x * c + math.sin(x)
        for c in cfg.values():
            x = x + c * x * x
        for key in cfg.keys():
            if cfg[key] > 1.0:
                break
            x = math.tanh(x)
        return x
    """, namespace={"math": math})


@examples(15, 100)
@given(x=st.floats(-1.5, 1.5), a=st.floats(-1, 1), b=st.floats(-1, 2))
def test_a_dict_that_is_not_differentiated_is_looped_over_in_both_modes(x, a, b):
    cfg = {"a": a, "b": b}
    expected = central_difference(lambda t: CONFIGURED(t, cfg), [x], [1.0])
    for mode in ("reverse", "forward"):
        assert differentiate(CONFIGURED, mode=mode)(x, cfg) == pytest.approx(
            expected, rel=1e-6, abs=1e-7)
    second = central_difference(lambda t: differentiate(CONFIGURED)(t, cfg), [x], [1.0])
    assert hessian(CONFIGURED)(x, cfg) == pytest.approx(second, rel=1e-5, abs=1e-6)


def test_a_method_that_gives_the_loop_its_items_runs_once():
    """Once a call, as in the function: it was called again to see whether it was a
    constant of the module, which ran its effects twice."""
    class Source:
        calls = 0

        def pairs(self):
            Source.calls += 1
            return [(0.5, 1.0), (1.5, -0.5)]

    f = make_function("""
        def f(x, source):
            for a, b in source.pairs():
                x = x * a + b * math.sin(x)
            return x
        """, namespace={"math": math})
    for mode in ("reverse", "forward"):
        derivative = differentiate(f, mode=mode)
        Source.calls = 0
        got = derivative(0.3, Source())
        assert Source.calls == 1
        assert got == pytest.approx(central_difference(lambda t: f(t, Source()), [0.3], [1.0]),
                                    rel=1e-6)


LOOPED_BY_KEYS = make_function("""
    def f(x, cfg):
        for key in cfg:
            x = x * cfg[key]
        return x
    """)

BY_POSITIONS = make_function("""
    def f(xs):
        total = 0.0
        for v in xs:
            total = total + v * v
        return total
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_dict_read_by_positions_is_refused_when_called(mode):
    """The derivative reads by positions what the function reads by keys: a dict would
    give a KeyError, or with integer keys the wrong values, in generated code."""
    with pytest.raises(DifferentiationError, match="given a dict for `cfg`.*loop over `cfg.items"):
        differentiate(LOOPED_BY_KEYS, mode=mode)(0.5, {"a": 2.0})
    assert differentiate(BY_POSITIONS, mode=mode)([1.0, 2.0]) == pytest.approx([2.0, 4.0])
    with pytest.raises(DifferentiationError, match="given a dict for `xs`, which it differ"):
        differentiate(BY_POSITIONS, mode=mode)({0: 1.0, 1: 2.0})
    with pytest.raises(DifferentiationError, match="given a set for `cfg`"):
        differentiate(LOOPED_BY_KEYS, mode=mode)(0.5, {2.0})


def test_a_dict_read_by_constant_integer_keys_keeps_its_type_in_forward_mode_only():
    f = make_function("""
        def f(xs):
            return xs[0] * xs[1]
        """)
    assert differentiate(f, mode="forward")({0: 1.5, 1: 2.0}) == {0: 2.0, 1: 1.5}
    with pytest.raises(DifferentiationError, match="made for a list or tuple"):
        differentiate(f)({0: 1.5, 1: 2.0})  # the gradient would be a list
    assert differentiate(f)([1.5, 2.0]) == [2.0, 1.5]


VIEWS_ON_NUMBERS = make_function("""
    def f(p, x):
        s = 0.0
        for key, c in p.items():
            s = s + math.sin(c) * x
        for key in p.keys():
            s = s + p[key] * p[key]
        return s + sum(c * c * x for c in p.values()) * p["a"]
    """, namespace={"math": math})


@examples(10, 100)
@given(a=st.floats(-1.5, 1.5), b=st.floats(-1.5, 1.5), x=st.floats(-1.5, 1.5))
def test_loops_over_the_views_of_a_dict_of_parameters_in_code_on_numbers(a, b, x):
    """`p.items()`, `p.values()` and `p.keys()` of a differentiated dict, looped over and
    in a generator: each a loop over the dict's keys reading `p[key]`, in both modes and
    to second order, against central differences."""
    point = {"a": a, "b": b}
    gradient = differentiate(VIEWS_ON_NUMBERS)(point, x)
    assert type(gradient) is dict and gradient.keys() == point.keys()
    assert differentiate(VIEWS_ON_NUMBERS, mode="forward")(point, x) == pytest.approx(gradient)
    matrix = hessian(VIEWS_ON_NUMBERS)(point, x)
    for key in point:
        def moved(t, key=key):
            return {**point, key: point[key] + t}

        expected = central_difference(lambda t: VIEWS_ON_NUMBERS(moved(t), x), [0.0], [1.0])
        assert gradient[key] == pytest.approx(expected, rel=1e-6, abs=1e-7)
        for other in point:
            row = central_difference(
                lambda t: differentiate(VIEWS_ON_NUMBERS)(moved(t), x)[other], [0.0], [1.0])
            assert matrix[key][other] == pytest.approx(row, rel=1e-5, abs=1e-6)


VIEWS_ON_ARRAYS = """
    def f(params, x):
        for layer in params.values():
            x = np.tanh(layer["w"] @ x + layer["b"])
        penalty = sum(np.sum(w * w) for name, layer in params.items() for w in layer.values())
        return np.sum(x) + 0.1 * penalty
    """


@examples(5, 30)
@given(seed=st.integers(0, 2**31 - 1))
def test_loops_over_the_views_of_a_dict_of_layers_against_autograd(seed):
    """A dict of layers, each a dict of arrays, looped over by `.values()` and `.items()`
    as JAX users write a model and its weight penalty: the gradient a dict of dicts, in
    both modes, as autograd gives it; the Hessian's diagonal block of one layer's bias
    against central differences of the gradient."""
    np = pytest.importorskip("numpy")
    anp = pytest.importorskip("autograd.numpy")
    autograd = pytest.importorskip("autograd")
    rng = np.random.default_rng(seed)
    params = {name: {"w": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
              for name in ("first", "second")}
    x = rng.normal(size=2)
    f = make_function(VIEWS_ON_ARRAYS, namespace={"np": np})
    expected = autograd.grad(make_function(VIEWS_ON_ARRAYS, namespace={"np": anp}))(params, x)
    for mode in ("reverse", "forward"):
        gradient = differentiate(f, mode=mode)(params, x)
        for name, layer in expected.items():
            for key, value in layer.items():
                np.testing.assert_allclose(gradient[name][key], value, rtol=1e-7, atol=1e-9)
    block = hessian(f)(params, x)["second"]["b"]["second"]["b"]
    for i in range(2):
        def moved(t, i=i):
            bias = params["second"]["b"] + t * np.eye(2)[i]
            return {**params, "second": {**params["second"], "b": bias}}

        row = central_difference(lambda t: differentiate(f)(moved(t), x)["second"]["b"],
                                 [0.0], [1.0])
        np.testing.assert_allclose(block[:, i], row, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use", ["for item in p.items():\n                s = s + 1.0",
                                 "for c in list(p.values()):\n                s = s + 1.0",
                                 "s = sum(p.values())"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_view_of_a_differentiated_dict_held_whole_is_refused(use, mode):
    f = make_function(f"""
        def f(p):
            s = 0.0
            {use}
            return s * p["a"]
        """)
    with pytest.raises(NonDifferentiableError, match=r"`p.(items|values)\(\)` of a "
                                                     "differentiated dict is supported as the "
                                                     "sequence of a `for` loop"):
        differentiate(f, mode=mode)


KEYS_IN_A_LOOP = make_function("""
    def f(p, x):
        return p["a"] * x + sum(p[k] * p[k] * x for k in ("b", "c"))
    """)

HELPER = make_function("""
    def predict(params, x):
        return math.tanh(params["w"] * x + params["b"])

    def loss(params, x, y):
        return (predict(params, x) - y) ** 2
    """, name="loss", namespace={"math": math})


@examples(10, 100)
@given(a=st.floats(-1.5, 1.5), b=st.floats(-1.5, 1.5), c=st.floats(-1.5, 1.5),
       x=st.floats(-1.5, 1.5))
def test_a_dict_of_parameters_read_by_keys_in_a_variable_and_passed_to_a_helper(a, b, c, x):
    """In code on numbers, reverse mode takes apart a dict that it cannot replace by a name
    per key (a key held in a variable, the dict passed whole to a function it inlines):
    item by item, its adjoint a dict of the argument's type."""
    for f, point, rest in ((KEYS_IN_A_LOOP, {"a": a, "b": b, "c": c}, (x,)),
                           (HELPER, {"w": a, "b": b}, (x, c))):
        gradient = differentiate(f)(point, *rest)
        assert type(gradient) is dict and gradient.keys() == point.keys()
        assert differentiate(f, mode="forward")(point, *rest) == pytest.approx(gradient)
        matrix = hessian(f)(point, *rest)
        for key in point:
            def moved(t, key=key):
                return {**point, key: point[key] + t}

            expected = central_difference(lambda t: f(moved(t), *rest), [0.0], [1.0])
            assert gradient[key] == pytest.approx(expected, rel=1e-6, abs=1e-7)
            row = central_difference(lambda t: differentiate(f)(moved(t), *rest)[key],
                                     [0.0], [1.0])
            assert matrix[key][key] == pytest.approx(row, rel=1e-5, abs=1e-6)
