"""Containers of parameters (pytrees, as in JAX): dicts, lists, tuples and namedtuples,
nested, read by constant keys, indices and fields and by unpacking; the gradient has the
container's structure and types."""

import collections
import math

import autograd
import numpy as np
import pytest
from autograd import numpy as anp
from hypothesis import given
from hypothesis import strategies as st

import ast_ad
from ast_ad import DifferentiationError, differentiate, hessian, source, value_and_grad
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function

Params = collections.namedtuple("Params", "w b")

NESTED = make_function("""
    def f(params, x):
        return math.sin(params["a"] * x) + params["b"]["c"] ** 2 * x * params["b"]["d"]
    """, namespace={"math": math})


@examples(20, 200)
@given(a=st.floats(-2, 2), c=st.floats(-2, 2), d=st.floats(-2, 2), x=st.floats(-2, 2))
def test_a_nested_dict_against_differences(a, c, d, x):
    params = {"a": a, "b": {"c": c, "d": d}, "unused": 3.0, "label": "text"}
    gradient = differentiate(NESTED)(params, x)
    assert type(gradient) is dict and gradient.keys() == params.keys()
    assert gradient["unused"] == 0.0 and gradient["label"] is None
    along = differentiate(NESTED, mode="forward")(params, x)  # one sweep along each number
    assert along["label"] is None and along["unused"] == 0.0
    assert [along["a"], along["b"]["c"], along["b"]["d"]] == pytest.approx(
        [gradient["a"], gradient["b"]["c"], gradient["b"]["d"]], rel=1e-12, abs=1e-12)
    for path, value in ((("a",), a), (("b", "c"), c), (("b", "d"), d)):
        def moved(t, path=path):
            changed = {"a": params["a"], "b": dict(params["b"])}
            if path == ("a",):
                changed["a"] = a + t
            else:
                changed["b"][path[1]] = value + t
            return NESTED(changed, x)

        expected = central_difference(moved, [0.0], [1.0])
        got = gradient[path[0]] if len(path) == 1 else gradient[path[0]][path[1]]
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-7)


LAYERS = """
    def loss(layers, x, y):
        h = np.tanh(x @ layers[0]["W"] + layers[0]["b"])
        out = h @ layers[1]["W"] + layers[1]["b"]
        return np.sum((out - y) ** 2)
    """

UNPACKED = """
    def loss(params, x, y):
        w, b = params
        return np.sum((np.tanh(x @ w + b) - y) ** 2)
    """


def _data(rng):
    return rng.normal(size=(6, 3)), rng.normal(size=6)


def test_a_list_of_layers_against_autograd():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    layers = [{"W": rng.normal(size=(3, 5)), "b": rng.normal(size=5)},
              {"W": rng.normal(size=(5, 2)), "b": rng.normal(size=2)}]
    ours = differentiate(make_function(LAYERS, namespace={"np": np}))(layers, x, y)
    theirs = autograd.grad(make_function(LAYERS, namespace={"np": anp}))(layers, x, y)
    assert type(ours) is list and all(type(layer) is dict for layer in ours)
    for mine, reference in zip(ours, theirs):
        for key in ("W", "b"):
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-12)


def test_unpacking_a_tuple_and_a_namedtuple():
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=3), rng.normal(size=6)
    x, y = _data(rng)
    f = make_function(UNPACKED, namespace={"np": np})
    twin = make_function(UNPACKED, namespace={"np": anp})
    expected = autograd.grad(twin)((w, b), x, y)
    for params in ((w, b), [w, b], Params(w, b)):
        gradient = differentiate(f)(params, x, y)
        assert type(gradient) is type(params)
        for mine, theirs in zip(gradient, expected):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_a_namedtuples_fields_and_value_and_grad():
    f = make_function("""
        def f(p, x):
            return np.sum(np.tanh(x @ p.w + p.b) ** 2) + p.w[0]
        """, namespace={"np": np})
    rng = np.random.default_rng(6)
    p, x = Params(rng.normal(size=3), rng.normal(size=6)), rng.normal(size=(6, 3))
    value, gradient = value_and_grad(f)(p, x)
    assert value == f(p, x) and type(gradient) is Params
    twin = lambda w, b: anp.sum(anp.tanh(x @ w + b) ** 2) + w[0]  # noqa: E731
    expected = autograd.grad(twin, (0, 1))(p.w, p.b)
    np.testing.assert_allclose(gradient.w, expected[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradient.b, expected[1], rtol=1e-12, atol=1e-14)
    assert "gradient_like(p, {('b',): " in source(differentiate(f))


def test_with_other_parameters_and_a_tuple_wrt():
    gradient = differentiate(NESTED, wrt=(0, 1))({"a": 0.5, "b": {"c": 1.5, "d": 2.0}}, 0.7)
    x_partial = central_difference(lambda x: NESTED({"a": 0.5, "b": {"c": 1.5, "d": 2.0}}, x),
                                   [0.7], [1.0])
    assert gradient[1] == pytest.approx(x_partial, rel=1e-7)
    assert gradient[0]["b"]["d"] == pytest.approx(1.5 ** 2 * 0.7)


def test_what_is_refused_and_forward_mode():
    params = {"a": 0.5, "b": {"c": 1.5, "d": 2.0}, "label": "text"}
    assert differentiate(NESTED, mode="forward")(params, 0.7) == \
        differentiate(NESTED)(params, 0.7)  # forward mode: one sweep along each number
    deep = make_function("""
        def f(p, x):
            return p["a"]["w"] * x + p["a"] * x
        """)
    with pytest.raises(DifferentiationError, match="read both"):
        differentiate(deep)


@examples(10, 100)
@given(a=st.floats(-1.5, 1.5), c=st.floats(-1.5, 1.5), d=st.floats(-1.5, 1.5),
       x=st.floats(-1.5, 1.5))
def test_hessian_of_containers_in_code_on_numbers_against_differences(a, c, d, x):
    """Nested as `jax.hessian` nests them, in the argument's types: a dict of dicts, and a
    namedtuple of namedtuples; zeros so nested where the gradient does not depend on it."""
    params = {"a": a, "b": {"c": c, "d": d}, "label": "text"}
    matrix = hessian(NESTED)(params, x)
    paths = [("a",), ("b", "c"), ("b", "d")]

    def at(tree, path):
        for step in path:
            tree = tree[step]
        return tree

    def moved(path, t):
        changed = {"a": a, "b": {"c": c, "d": d}, "label": "text"}
        at(changed, path[:-1])[path[-1]] += t
        return changed

    for first in paths:
        row = at(matrix, first)
        assert row["label"] is None and type(row) is dict
        for second in paths:
            expected = central_difference(
                lambda t: at(differentiate(NESTED)(moved(second, t), x), first), [0.0], [1.0])
            assert at(row, second) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    p = Params(a, c)
    fields = hessian(NUMBERS)(p, x)
    assert type(fields) is Params and all(type(row) is Params for row in fields)
    for i in range(2):
        for j in range(2):
            expected = central_difference(
                lambda t: differentiate(NUMBERS)(p._replace(**{p._fields[j]: p[j] + t}), x)[i],
                [0.0], [1.0])
            assert fields[i][j] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    linear = make_function("""
        def f(p, x):
            return p["a"] * x
        """)
    assert hessian(linear)({"a": a, "b": c}, x) == {"a": {"a": 0.0, "b": 0.0},
                                                     "b": {"a": 0.0, "b": 0.0}}
    for ignored in ("y * 0.0", "0.5"):  # a gradient of zeros; an output that ignores both
        unpacked = make_function(f"""
            def f(params):
                x, y = params
                x = math.sin(1.33)
                return x + {ignored}
            """, namespace={"math": math})
        assert hessian(unpacked)([a, c]) == [[0.0, 0.0], [0.0, 0.0]]


def test_hessian_of_a_list_parameter_the_output_ignores_in_array_code():
    """Its Hessian, by the sweeps with the seed inside, is zeros in its containers: the
    sweeps once gave `np.zeros_like(params)`, and then refused the list they were given."""
    f = make_function("""
        def f(params, w):
            x, y = params
            x = 2.0
            return np.sum(w * w) * x
        """, namespace={"np": np})
    assert hessian(f)([0.3, -0.4], np.array([1.0, 2.0])) == [[0.0, 0.0], [0.0, 0.0]]


LOTKA_VOLTERRA = """
    def f(theta, z0):
        alpha, beta, gamma, delta = theta
        z = z0
        for i in range(3):
            x, y = z[0], z[1]
            z = z + 0.1 * np.array([alpha * x - beta * x * y, delta * x * y - gamma * y])
        return np.sum(z ** 2)
    """


@examples(5, 30)
@given(seed=st.integers(0, 2**31 - 1))
def test_hessian_of_an_array_unpacked_against_autograd(seed):
    """`alpha, beta, gamma, delta = theta` of an array: its Hessian is forward over the
    sweeps with the seed inside, which take it apart item by item (the gradient's
    `gradient_like` of a dict display could not be differentiated again)."""
    rng = np.random.default_rng(seed)
    theta, z0 = rng.uniform(0.2, 1.0, 4), rng.uniform(0.5, 1.5, 2)
    f = make_function(LOTKA_VOLTERRA, namespace={"np": np})
    twin = make_function(LOTKA_VOLTERRA, namespace={"np": anp})
    np.testing.assert_allclose(hessian(f)(theta, z0), autograd.hessian(twin)(theta, z0),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(differentiate(f)(theta, z0), autograd.grad(twin)(theta, z0),
                               rtol=1e-9, atol=1e-12)


def test_found_in_review():
    """Each gave a wrong gradient without an error, or crashed."""
    import types

    one = make_function("def f(p):\n    return p['w'] ** 2\n")
    assert differentiate(one)({"w": 3.0, "b": 1.0}) == {"w": 6.0, "b": 0.0}  # not (6.0,)
    two = make_function("def f(p, x):\n    return p['w'] * x * x\n")
    assert differentiate(two, wrt=(0,))({"w": 2.0}, 3.0) == ({"w": 9.0},)
    assert differentiate(two, wrt=(1,))({"w": 2.0}, 3.0) == (12.0,)
    unpacked = make_function("def f(x):\n    a, b = x\n    return a * b * 3.0\n")
    np.testing.assert_array_equal(differentiate(unpacked)(np.array([2.0, 3.0])), [9.0, 6.0])
    aliased = make_function("def f(p):\n    return p.w * p[0] + p.b\n")
    assert differentiate(aliased)(Params(3.0, 1.0)) == Params(6.0, 1.0)  # both reads add
    fields = make_function("def f(p):\n    return p.w * p.w\n")
    with pytest.raises(DifferentiationError, match="SimpleNamespace"):
        differentiate(fields)(types.SimpleNamespace(w=3.0))
    keyword = make_function("def f(x, *, cfg=CFG):\n    return cfg['s'] * x * x\n",
                            namespace={"CFG": {"s": 2.0}})
    assert differentiate(keyword)(1.5) == 6.0
    assert differentiate(keyword, wrt="cfg")(1.5) == {"s": 2.25}


FIELDS = make_function("""
    def f(p, x):
        return np.sum(np.tanh(x @ p.w + p.b) ** 2) + p.w[0] * p.b[1]
    """, namespace={"np": np})
NUMBERS = make_function("""
    def f(p, x):
        return math.sin(p.w * x + p.b) * p.w + p[1] ** 2
    """, namespace={"math": math})


@examples(10, 100)
@given(st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6), st.floats(-1.5, 1.5))
def test_a_namedtuples_fields_in_forward_mode_jvp_and_jacobian(values, t):
    """Forward mode reads the tangent's fields as the function reads the primal's: the
    tangent is the same namedtuple, and so is the whole gradient."""
    p = Params(np.array(values[:3]), np.array(values[3:5]))
    x = np.array([[0.3, -0.2, 0.5], [1.0, 0.4, -0.7]])
    gradient = differentiate(FIELDS)(p, x)
    along = differentiate(FIELDS, mode="forward")(p, x)
    assert type(along) is Params
    for a, g in zip(along, gradient):
        np.testing.assert_allclose(a, g, rtol=1e-12, atol=1e-12)
    direction = Params(np.array([0.5, -1.0, 0.25]), np.array([1.0, -0.5]))
    value, tangent = ast_ad.jvp(FIELDS, (p, x), (direction, np.zeros_like(x)))
    moved = lambda s: FIELDS(Params(p.w + s * direction.w, p.b + s * direction.b), x)  # noqa: E731
    assert value == pytest.approx(FIELDS(p, x), rel=1e-12)
    assert tangent == pytest.approx(central_difference(moved, [0.0], [1.0]), rel=1e-6, abs=1e-8)
    jacobian = ast_ad.jacobian(FIELDS, wrt=0, mode="forward")(p, x)
    for a, g in zip(jacobian, gradient):
        np.testing.assert_allclose(a, g, rtol=1e-12, atol=1e-12)
    q = Params(values[0], t)
    assert differentiate(NUMBERS, mode="forward")(q, 0.7) == differentiate(NUMBERS)(q, 0.7)
    assert type(differentiate(NUMBERS, mode="forward")(q, 0.7)) is Params
    assert differentiate(NUMBERS, mode="forward")(q, 0.7, p_dot=Params(1.0, 0.0)) == \
        pytest.approx(differentiate(NUMBERS)(q, 0.7).w, rel=1e-12)


KEYED = make_function("""
    def f(p, x):
        return np.sum(np.tanh(p["w"] * x + p["b"]) ** 2) * p["b"]
    """, namespace={"np": np})


@examples(5, 50)
@given(st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3), st.floats(-1.5, 1.5))
def test_hessian_and_vjp_of_containers_read_by_keys_and_fields_against_autograd(w, b):
    """Nested as `jax.hessian` nests them: the gradient's containers, then the argument's."""
    x = np.array([0.3, -1.2, 0.8])
    twin = lambda w, b: anp.sum(anp.tanh(w * x + b) ** 2) * b  # noqa: E731
    rows = autograd.hessian(lambda v: twin(v[:3], v[3]))(np.array(w + [b]))
    for f, p in ((KEYED, {"w": np.array(w), "b": b}),
                 (make_function("def f(p, x):\n    return np.sum(np.tanh(p.w * x + p.b) ** 2)"
                                " * p.b\n", namespace={"np": np}), Params(np.array(w), b))):
        matrix = hessian(f)(p, x)
        block = (lambda q, key: q[key]) if isinstance(p, dict) else getattr
        np.testing.assert_allclose(block(block(matrix, "w"), "w"), rows[:3, :3], rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(block(block(matrix, "w"), "b"), rows[:3, 3], rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(block(block(matrix, "b"), "b"), rows[3, 3], rtol=1e-9,
                                   atol=1e-12)
        value, pull = ast_ad.vjp(f, p, x)
        gradient = pull(2.0)[0]
        expected = autograd.grad(twin, (0, 1))(np.array(w), b)
        np.testing.assert_allclose(block(gradient, "w"), 2.0 * expected[0], rtol=1e-10)
        assert block(gradient, "b") == pytest.approx(2.0 * expected[1], rel=1e-10)
        assert type(gradient) is type(p)
