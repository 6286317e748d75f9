"""Arrays built from displays of pieces: np.concatenate, np.stack, np.hstack, np.vstack,
np.column_stack, np.dstack and np.array."""

import functools
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import NonDifferentiableError, UnsupportedSyntaxError, differentiate
from tests.conftest import examples, make_function

np = pytest.importorskip("numpy")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

# expression in a (2, 3) and b (2, 3), scalar-valued through np.sum
EXPRESSIONS = [
    "np.concatenate([a, b])",
    "np.concatenate((a, b * a), axis=1)",
    "np.concatenate([a, b, a], axis=-1)",
    "np.concatenate([a, b[0]], axis=None)",  # autograd's twin: np.concatenate of ravels
    "np.concatenate([a, np.ones((1, 3))])",
    "np.stack([a, b])",
    "np.stack((a, b), axis=1)",
    "np.stack([a, b, a * b], axis=-1)",
    "np.stack([a, b], axis=-2)",
    "np.array([a[0, 0], b[1, 2] * a[0, 1], 2.0])",
    "np.array([a, b])",
    "np.hstack([a, b * a])",
    "np.hstack((a[0], b[1], 2.0 * a[1, 2]))",  # vectors, and a number
    "np.hstack([a[0, 1], b[1, 2] * a[0, 0]])",  # numbers only
    "np.vstack([a, b[0]])",
    "np.vstack((a[0], b[1] * a[1], a))",
    "np.vstack([a[0, 0], b[1, 2]])",
    "np.column_stack([a[0], b[1] * a[1], a.T])",  # vectors as columns, and a matrix
    "np.column_stack((a[0, 1], b[1, 2]))",  # numbers, as 1 x 1 columns
    "np.dstack([a, b * a])",
    "np.dstack((a[0], b[1] * a[1]))",  # vectors as (1, n, 1)
    "np.dstack([np.stack([a, b]), np.stack([b, a])])",  # arrays of three axes, as they are
]
# The same, for autograd, where it cannot: it has no `dstack`, nor concatenates flattened.
REFERENCES = {
    "np.concatenate([a, b[0]], axis=None)": "np.concatenate([np.ravel(a), b[0]])",
    "np.dstack([a, b * a])": "np.stack([a, b * a], axis=-1)",
    "np.dstack((a[0], b[1] * a[1]))": "np.stack([a[0], b[1] * a[1]], axis=-1)[None]",
    "np.dstack([np.stack([a, b]), np.stack([b, a])])":
        "np.concatenate([np.stack([a, b]), np.stack([b, a])], axis=2)",
}


@functools.lru_cache(maxsize=None)
def _function(expression):
    """Made once for each expression: its examples and its second order share the function,
    and so its transforms (`differentiate` caches per function)."""
    return make_function(f"import numpy as np\n\ndef g(a, b):\n"
                         f"    return np.sum(np.sin({expression}) ** 2)\n")


def _twin(function):
    return types.FunctionType(function.__code__, dict(function.__globals__, np=anp))


def _reference(expression):
    """autograd's gradient of the same function, written as autograd can take it."""
    return autograd.grad(_twin(_function(REFERENCES.get(expression, expression))), (0, 1))


@pytest.mark.parametrize("expression", EXPRESSIONS)
@examples(5, 50)
@given(seed=st.integers(0, 2**32 - 1))
def test_against_autograd_in_both_modes(expression, seed):
    g = _function(expression)
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))
    ours = differentiate(g, wrt=(0, 1))(a, b)
    theirs = _reference(expression)(a, b)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    direction = rng.uniform(-1, 1, (2, 3))
    along = differentiate(g, mode="forward")(a, b, a_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours[0] * direction), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_second_order(expression):
    g = _function(expression)
    rng = np.random.default_rng(7)
    a, b = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))
    direction = rng.uniform(-1, 1, (2, 3))
    gradient = differentiate(g)
    ours = differentiate(gradient, mode="forward")(a, b, a_dot=direction)
    theirs = _reference(expression)
    h = 1e-5
    numeric = (theirs(a + h * direction, b)[0] - theirs(a - h * direction, b)[0]) / (2 * h)
    np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)
    # Reverse over reverse: the pieces' parts of an adjoint have rules of their own.
    summed = make_function("def s(a, b):\n    return np.sum(gradient(a, b) * direction)\n",
                           namespace={"np": np, "gradient": gradient, "direction": direction})
    np.testing.assert_allclose(differentiate(summed)(a, b), ours, rtol=1e-9, atol=1e-12)


def test_a_piece_given_twice_and_a_shape_display():
    g = make_function("""
        import numpy as np

        def g(x):
            n = len(x)
            y = np.reshape(np.stack([x, x * x, x]), (3, n))
            return np.sum(y * np.ones((3, n)) * np.arange(3.0)[:, None])
        """)
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(differentiate(g)(x), 2.0 + 2.0 * x, rtol=1e-12)  # x² + 2x


@pytest.mark.parametrize("body, message", [
    ("return np.sum(np.stack([x, x], axis=k))", "axis of np.stack must be written as a number"),
    ("return np.sum([x, x])", "only through np.concatenate, np.stack, np.hstack"),
    ("return helper([x, x])", "make it one first, with `np.stack"),
])
def test_unsupported_displays_are_refused_clearly(body, message):
    g = make_function(f"""
import numpy as np

def helper(pieces):
    return np.sum(pieces)

def g(x, k=0):
    {body}
""", "g")
    with pytest.raises(UnsupportedSyntaxError, match=message):
        differentiate(g)(np.ones(2))


LIST_CALLS = ["np.concatenate(pieces)", "np.concatenate(pieces, axis=1)", "np.stack(pieces)",
              "np.stack(pieces, axis=-1)", "np.array(pieces)", "np.hstack(pieces)",
              "np.vstack(pieces)", "np.column_stack(pieces)", "np.dstack(pieces)"]


_BUILDS_PIECES = """
import numpy as np

def g(x, n):
    pieces = []
    h = x
    for i in range(n):
        h = np.tanh(h * 0.5 + 0.1 * i)
        pieces.append(h * x)
    return np.sum(np.sin({call}))
"""


@pytest.mark.parametrize("call", LIST_CALLS)
def test_pieces_in_a_list_the_function_builds(call):
    """Each piece's adjoint is its part of the result's, added into the list's adjoint."""
    g = make_function(_BUILDS_PIECES.format(call=call), "g")
    twin = make_function(_BUILDS_PIECES.format(  # autograd has no `dstack`
        call=call.replace("np.dstack(pieces)", "np.stack(pieces, axis=-1)")), "g")
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, (2, 3))
    ours = differentiate(g)(x, 3)
    np.testing.assert_allclose(ours, autograd.grad(_twin(twin))(x, 3), rtol=1e-9, atol=1e-12)
    direction = rng.uniform(-1, 1, (2, 3))
    along = differentiate(g, mode="forward")(x, 3, x_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours * direction), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("function", ["concatenate", "stack", "array", "hstack", "vstack",
                                      "column_stack", "dstack"])
def test_pieces_given_otherwise_are_refused_clearly(function):
    g = make_function(f"""
import numpy as np

def g(x, rows):
    return np.sum(np.{function}(rows * x))
""", "g")
    with pytest.raises(NonDifferentiableError,
                       match=rf":5: `np\.{function}` takes its pieces written out"):
        differentiate(g)(np.ones(2), np.ones((3, 2)))


def test_an_array_given_whole_to_np_array_is_refused_with_a_way_out():
    g = make_function("""
import numpy as np

def g(x):
    return np.sum(np.array(x * 2.0))
""", "g")
    with pytest.raises(NonDifferentiableError, match=r"write `np\.copy\(x\)`"):
        differentiate(g)(np.ones(2))


NESTED = """
    def f(theta, k, v):
        c, s = np.cos(theta), np.sin(theta)
        R = np.array([[c, -s], [s, c]])
        K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], (-k[1], k[0], 0.0)])
        table = np.array([[1.0, 2.0], [3.0, 4.0]])
        row0 = [c * theta, -s]
        row1 = [s, c]
        Q = np.array([row0, row1])
        return np.sum((R @ v[:2]) ** 2 @ table) + np.sum((K @ v) ** 2) + np.sum(Q @ v[1:] ** 2)
    """


@examples(5, 30)
@given(seed=st.integers(0, 2**31 - 1))
def test_a_nested_display_given_to_np_array(seed):
    """A rotation written as `np.array([[c, -s], [s, c]])`: the rows are made by
    `np.array` first, the same array, so that the sweeps take the display apart a level
    at a time (it was refused in both modes); a display of constants gives the same
    table; rows named first (`row0 = [c, -s]`) get their adjoints item by item (reverse
    mode added an array to the list). Both modes and the Hessian, against autograd."""
    from ast_ad import hessian

    rng = np.random.default_rng(seed)
    theta, k, v = rng.uniform(-1, 1), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    f = make_function(NESTED, namespace={"np": np})
    twin = make_function(NESTED, namespace={"np": anp})
    for wrt in (0, 1):
        expected = autograd.grad(twin, wrt)(theta, k, v)
        for mode in ("reverse", "forward"):
            np.testing.assert_allclose(differentiate(f, wrt=wrt, mode=mode)(theta, k, v),
                                       expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hessian(f, wrt=wrt)(theta, k, v),
                                   autograd.hessian(twin, wrt)(theta, k, v),
                                   rtol=1e-9, atol=1e-12)
