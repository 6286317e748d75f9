"""Containers of arrays read item by item (pytrees, as in JAX): a list of layers looped
over (`for W, b in layers`), a dict or list of them read by keys and indices; in reverse
and forward mode, `jvp`, `vjp`, `value_and_grad` and `jacobian`, against autograd."""

import collections

import autograd
import numpy as np
import pytest
from autograd import numpy as anp
from hypothesis import given
from hypothesis import strategies as st

import ast_ad
from ast_ad import DifferentiationError, differentiate
from tests.conftest import examples, make_function

Layer = collections.namedtuple("Layer", "W b")

# Each network twice, in NumPy for ast_ad and in autograd's NumPy for the oracle.
NETWORKS = {
    "pairs": """
        def f(layers, x):
            h = x
            for W, b in layers:
                h = np.tanh(W @ h + b)
            return np.sum(h * h)
        """,
    "zip": """
        def f(Ws, bs, x):
            h = x
            for W, b in zip(Ws, bs):
                h = np.tanh(W @ h + b)
            return np.sum(h)
        """,
    "dicts": """
        def f(layers, x):
            h = x
            for k, layer in enumerate(layers):
                h = np.sin(layer["W"] @ h) * layer["scale"] + k
            return np.sum(h ** 2)
        """,
    "sliced": """
        def f(layers, x):
            h = x
            for W, b in layers[:-1]:
                h = np.tanh(W @ h + b)
            W, b = layers[-1]
            return np.sum(np.sin(W @ h + b))
        """,
    "unpacked": """
        def f(layers, x):
            h = x
            for layer in layers:
                W, b = layer
                h = np.tanh(W @ h) + b
            first, last = layers[0], layers[-1]
            return np.sum(h) * np.sum(first[1]) + np.sum(last[0])
        """,
}


def _pair(text):
    return (make_function(text, namespace={"np": np}),
            make_function(text, namespace={"np": anp}))


PAIRS = {name: _pair(text) for name, text in NETWORKS.items()}


def _arguments(name, rng, namedtuples=False):
    shapes = [(3, 2), (4, 3), (1, 4)]
    Ws = [rng.normal(size=shape) for shape in shapes]
    bs = [rng.normal(size=shape[0]) for shape in shapes]
    x = rng.normal(size=2)
    if name == "zip":
        return (Ws, bs, x)
    if name == "dicts":
        return ([{"W": W, "scale": float(b[0])} for W, b in zip(Ws, bs)], x)
    pair = Layer if namedtuples else (lambda W, b: (W, b))
    return ([pair(W, b) for W, b in zip(Ws, bs)], x)


def _close(ours, theirs):
    """Leaf by leaf, and of the same containers."""
    if isinstance(theirs, dict):
        assert type(ours) is dict and ours.keys() == theirs.keys()
        for key in theirs:
            _close(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b)
    else:
        assert np.shape(ours) == np.shape(theirs)
        assert np.allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NETWORKS)
@examples(4, 30)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_the_gradient_in_both_modes_against_autograd(name, seed):
    ours, theirs = PAIRS[name]
    args = _arguments(name, np.random.default_rng(seed))
    expected = autograd.grad(theirs, 0)(*args)
    _close(differentiate(ours)(*args), expected)
    _close(differentiate(ours, mode="forward")(*args), expected)
    value, gradient = ast_ad.value_and_grad(ours)(*args)
    assert value == pytest.approx(theirs(*args), rel=1e-12)
    _close(gradient, expected)
    _close(ast_ad.jacobian(ours)(*args), expected)


@pytest.mark.parametrize("name", ["pairs", "sliced", "unpacked"])
def test_a_list_of_namedtuples_has_a_gradient_of_namedtuples(name):
    ours, theirs = PAIRS[name]
    args = _arguments(name, np.random.default_rng(1), namedtuples=True)
    gradient = differentiate(ours)(*args)
    assert all(type(layer) is Layer for layer in gradient)
    plain = ([tuple(layer) for layer in args[0]], args[1])
    _close([tuple(layer) for layer in gradient], autograd.grad(theirs)(*plain))


@pytest.mark.parametrize("name", NETWORKS)
def test_jvp_and_vjp_against_autograd(name):
    ours, theirs = PAIRS[name]
    rng = np.random.default_rng(2)
    args = _arguments(name, rng)
    tangents = tuple(_like(a, rng) for a in args)
    gradients = autograd.grad(theirs, tuple(range(len(args))))(*args)
    expected = sum(_dot(g, t) for g, t in zip(gradients, tangents))
    value, along = ast_ad.jvp(ours, args, tangents)
    assert value == pytest.approx(theirs(*args), rel=1e-12)
    assert along == pytest.approx(expected, rel=1e-10)
    value, pullback = ast_ad.vjp(ours, *args)
    for ours_part, their_part in zip(pullback(2.0), gradients):
        _close(ours_part, _scaled(their_part, 2.0))


def _like(value, rng):
    if isinstance(value, dict):
        return {key: _like(item, rng) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_like(item, rng) for item in value)
    return rng.normal(size=np.shape(value)) if np.shape(value) else float(rng.normal())


def _dot(a, b):
    if isinstance(a, dict):
        return sum(_dot(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return sum(_dot(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def _scaled(tree, factor):
    if isinstance(tree, dict):
        return {key: _scaled(item, factor) for key, item in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_scaled(item, factor) for item in tree)
    return tree * factor


def test_a_dict_of_parameters_in_forward_mode_and_jvp():
    text = """
        def f(p, x):
            w, b = p["w"], p["b"]
            return np.sum(np.tanh(w * x + b) * p["scale"][0])
        """
    ours, theirs = _pair(text)
    p = {"w": np.array([0.5, -1.0, 2.0]), "b": 0.3, "scale": np.array([1.5, 2.0])}
    expected = autograd.grad(theirs)(p, 0.7)
    _close(differentiate(ours, mode="forward")(p, 0.7), expected)
    _close(differentiate(ours)(p, 0.7), expected)
    direction = {"w": np.array([1.0, 0.0, -1.0]), "b": 2.0, "scale": np.array([0.5, 0.0])}
    assert ast_ad.jvp(ours, (p, 0.7), (direction, 0.0))[1] == \
        pytest.approx(_dot(expected, direction), rel=1e-12)


def test_an_array_output_has_a_jacobian_in_the_containers():
    text = """
        def f(layers, x):
            h = x
            for W, b in layers:
                h = np.tanh(W @ h + b)
            return h
        """
    ours, theirs = _pair(text)
    layers, x = _arguments("pairs", np.random.default_rng(3))
    rows = [autograd.grad(lambda *args, i=i: theirs(*args)[i])(layers, x)
            for i in range(np.size(theirs(layers, x)))]  # autograd's jacobian takes arrays
    expected = [tuple(np.stack([row[k][j] for row in rows]) for j in range(2))
                for k in range(len(layers))]
    for mode in ("reverse", "forward"):
        _close(ast_ad.jacobian(ours, mode=mode)(layers, x), expected)


@pytest.mark.parametrize("name", ["pairs", "dicts", "sliced"])
def test_the_hessian_against_differences_of_the_gradient(name):
    """Block (P, Q) is the derivative of the gradient's leaf P by the argument's leaf Q:
    contracted with a direction over every Q, the difference of the gradient along it."""
    ours, _ = PAIRS[name]
    rng = np.random.default_rng(5)
    layers, x = _arguments(name, rng)
    matrix = ast_ad.hessian(ours)(layers, x)
    direction = _like(layers, rng)
    gradient = differentiate(ours)
    h = 1e-5
    moved = [gradient(_plus(layers, direction, s * h), x) for s in (1, -1)]
    for place, _ in _leaves_of(layers):  # the outer containers: the gradient's
        block = _at(matrix, place)
        along = sum(np.tensordot(part, d, axes=np.ndim(d)) for (_, part), (_, d) in
                    zip(_leaves_of(block), _leaves_of(direction)))
        numeric = (_at(moved[0], place) - _at(moved[1], place)) / (2 * h)
        assert np.allclose(along, numeric, rtol=1e-6, atol=1e-8)
    assert type(matrix) is type(layers) and len(matrix) == len(layers)


def _plus(tree, direction, scale):
    if isinstance(tree, dict):
        return {key: _plus(tree[key], direction[key], scale) for key in tree}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_plus(a, b, scale) for a, b in zip(tree, direction))
    return tree + scale * direction


def _leaves_of(tree, path=()):
    """The leaves of the argument's containers: a Hessian's blocks stop at them."""
    if isinstance(tree, dict):
        return [found for key in tree for found in _leaves_of(tree[key], path + (key,))]
    if isinstance(tree, (list, tuple)):
        return [found for k, item in enumerate(tree)
                for found in _leaves_of(item, path + (k,))]
    return [(path, tree)]


def _at(tree, path):
    for step in path:
        tree = tree[step]
    return tree


def test_what_is_refused_or_checked():
    ours, _ = PAIRS["pairs"]
    layers, x = _arguments("pairs", np.random.default_rng(4))
    with pytest.raises(ValueError, match="too many values to unpack"):  # as Python's
        differentiate(ours)([(layers[0][0], layers[0][1], 1.0)], x)
    with pytest.raises(DifferentiationError, match="does not hold the items of the primal"):
        ast_ad.jvp(ours, (layers, x), (layers[:1], x))
    with pytest.raises(DifferentiationError, match="an array of shape \\(3,\\), where the "):
        ast_ad.jvp(ours, (layers, x), (layers, np.ones(3)))
    with pytest.raises(DifferentiationError, match="was given a str for `layers`"):
        differentiate(ours)([("W", "b")], x)
    by_field = make_function("""
        def f(p, x):
            return np.sum(p.W @ x) * p.b[0]
        """, namespace={"np": np})
    layer = Layer(np.ones((2, 2)), np.ones(2))
    gradient = differentiate(by_field)(layer, x)
    assert gradient.b[0] == pytest.approx(np.sum(x) * 2)
    along = differentiate(by_field, mode="forward")(layer, x)  # the tangent's fields too
    assert type(along) is Layer and all(np.allclose(a, g) for a, g in zip(along, gradient))
    read_whole = make_function("""
        def f(p, x):
            return np.sum(p["w"] * x) + np.sum(p)
        """, namespace={"np": np})
    for mode in ("reverse", "forward"):
        with pytest.raises(DifferentiationError, match="read by a key"):
            differentiate(read_whole, mode=mode)({"w": np.ones(2)}, 1.0)
