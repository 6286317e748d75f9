"""Every NumPy rule, on random shapes with broadcasting, against autograd."""

import functools
import textwrap
import types
import warnings

import gast
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import (DifferentiationError, NonDifferentiableError, UnsupportedSyntaxError,
                    differentiate, rules)
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function

np = pytest.importorskip("numpy")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
hnp = pytest.importorskip("hypothesis.extra.numpy")

ANY, POSITIVE, UNIT = (-2.0, 2.0), (0.3, 2.0), (-0.9, 0.9)
# primal -> (expression in arrays a and b, broadcast together; the domain of their values)
CASES = {
    ("array", gast.Add): ("a + b", ANY), ("array", gast.Sub): ("a - b", ANY),
    ("array", gast.Mult): ("a * b", ANY), ("array", gast.Div): ("a / b", POSITIVE),
    ("array", gast.Pow): ("a ** b", POSITIVE), np.power: ("np.power(a, b)", POSITIVE),
    ("array", gast.USub): ("-a * b", ANY), np.negative: ("np.negative(a) * b", ANY),
    np.sin: ("np.sin(a * b)", ANY), np.cos: ("np.cos(a * b)", ANY),
    np.tan: ("np.tan(a * b)", UNIT), np.arcsin: ("np.arcsin(a * b)", UNIT),
    np.arccos: ("np.arccos(a * b)", UNIT), np.arctan: ("np.arctan(a * b)", ANY),
    np.sinh: ("np.sinh(a * b)", ANY), np.cosh: ("np.cosh(a * b)", ANY),
    np.tanh: ("np.tanh(a * b)", ANY), np.exp: ("np.exp(a * b)", ANY),
    np.expm1: ("np.expm1(a * b)", ANY), np.log: ("np.log(a * b)", POSITIVE),
    np.log1p: ("np.log1p(a * b)", POSITIVE), np.sqrt: ("np.sqrt(a * b)", POSITIVE),
    np.square: ("np.square(a - b)", ANY), np.abs: ("np.abs(a - b) * a", ANY),
    np.absolute: ("np.absolute(a - b) * a", ANY), np.maximum: ("np.maximum(a, b) * a", ANY),
    np.minimum: ("np.minimum(a, b) * a", ANY),
    np.sum: ("np.sum(a * b, axis=-1, keepdims=True) * a + np.sum(a * b, 0)", ANY),
    np.mean: ("np.mean(a * b, axis=0) + np.mean(a * b, axis=-1, keepdims=True) * b", ANY),
    np.transpose: ("np.transpose(a * b) * np.transpose(a)", ANY),
    np.reshape: ("np.reshape(a * b, (-1,)) * np.reshape(a * b, -1)", ANY),
    np.expand_dims: ("np.expand_dims(a * b, 0) * a", ANY),
    np.broadcast_to: ("np.broadcast_to(a, np.shape(a * b)) * b", ANY),
    np.max: ("np.max(a * b, axis=-1, keepdims=True) * a + np.max(a * b)", ANY),
    np.amax: ("np.amax(a * b, axis=0) + np.amax(a - b)", ANY),
    np.min: ("np.min(a * b, axis=-1, keepdims=True) * a + np.min(a * b)", ANY),
    np.amin: ("np.amin(a * b, axis=0) + np.amin(a - b)", ANY),
    np.prod: ("np.prod(a * b, axis=0) + np.prod(a * b, axis=-1, keepdims=True) * a", POSITIVE),
    np.linalg.norm: ("np.linalg.norm(a * b) * a", POSITIVE),
    np.where: ("np.where(a > b, a * b, a - b)", ANY),
    np.clip: ("np.clip(a * b, -0.5, 0.5) * a", ANY),
    np.swapaxes: ("np.swapaxes(np.expand_dims(a * b, 0), 0, -1) * a", ANY),
    np.squeeze: ("np.squeeze(np.expand_dims(a * b, 0), 0) * a + np.sum(np.squeeze(a * b))",
                 ANY),
    np.ravel: ("np.ravel(a * b) * np.ravel(b * a * 2.0)", ANY),
    np.add: ("np.add(a, b) * a", ANY), np.subtract: ("np.subtract(a, b) * a", ANY),
    np.multiply: ("np.multiply(a, b)", ANY), np.divide: ("np.divide(a, b)", POSITIVE),
    np.arcsinh: ("np.arcsinh(a * b)", ANY), np.arccosh: ("np.arccosh(1.5 + a * b)", POSITIVE),
    np.arctanh: ("np.arctanh(a * b)", UNIT), np.arctan2: ("np.arctan2(a, b)", POSITIVE),
    np.hypot: ("np.hypot(a, b)", POSITIVE), np.exp2: ("np.exp2(a * b)", ANY),
    np.var: ("np.var(a * b, axis=-1, keepdims=True) * a + np.var(a * b, axis=0)", ANY),
    np.logaddexp: ("np.logaddexp(a, b * a)", ANY), np.log2: ("np.log2(a * b)", POSITIVE),
    np.log10: ("np.log10(a * b)", POSITIVE), np.reciprocal: ("np.reciprocal(a * b)", POSITIVE),
    ("array", abs): ("abs(a - b) * a", ANY),
}
MATRICES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))]
STACKS = [((2, 2, 3), (2, 3, 4)), ((1, 2, 3), (3, 3, 2)), ((4, 2, 3), (3,)), ((3,), (4, 3, 2)),
          ((2, 3), (4, 3, 2)), ((5, 1, 2, 3), (2, 3, 2))]
VECTORS = [((2, 3), (2, 4))]  # of vectors, a[0] and b[0]
SQUARE = [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))]
PRODUCTS = {  # primal -> (expression in a and b, their shapes)
    ("array", gast.MatMult): ("np.tanh(a @ b)", MATRICES + STACKS),
    np.matmul: ("np.matmul(a, b) ** 2", MATRICES + STACKS),
    np.dot: ("np.dot(a, b) * 3.0", MATRICES + [((), (3,)), ((2, 3), ()), ((2, 3), (4, 3, 2)),
                                               ((3,), (2, 3, 2)), ((2, 2, 3), (3,)),
                                               ((2, 2, 3), (2, 3, 4))]),
    np.outer: ("np.outer(a[0], b[0]) ** 2", VECTORS),
    np.trace: ("np.trace(np.outer(a[0], a[0])) * np.sum(b)", VECTORS),
    np.inner: ("np.inner(a, b) ** 2", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (3,)),
                                        ((2, 2, 3), (4, 3))]),
    np.linalg.inv: ("np.linalg.inv(a + 4.0 * np.eye(3)) * np.sum(b)", SQUARE),
    np.linalg.solve: ("np.linalg.solve(a + 4.0 * np.eye(3), b)", SQUARE),
}
HELPERS = {"unbroadcast", "sum_adjoint", "getitem_adjoint", "matmul_adjoint_left",
           "matmul_adjoint_right", "dot_adjoint_left", "dot_adjoint_right",
           "extremum_adjoint", "concatenate_part", "concatenate_part_adjoint", "add_into",
           "broadcast_like", "trace_adjoint", "uniform_adjoint", "materialize", "joined_part",
           "joined_part_adjoint", "mean_adjoint", "cast_like", "inner_adjoint_left",
           "inner_adjoint_right", "outer_adjoint_left", "outer_adjoint_right",
           "cumsum_adjoint", "diff_adjoint", "sorted_like", "unsorted_like", "astype",
           "norm_adjoint", "euclidean", "spread_einsum", "gather_einsum", "reciprocal_or_zero",
           "with_item", "item_tangent", "slogdet_log", "add_to_item",
           "add_trees", "spread_root", "typed_like"}
# The helpers are checked through the rules that use them (concatenate_part and
# joined_part: test_packs; uniform_adjoint and materialize: test_shapes; astype:
# test_keywords_array_methods_and_casts; with_item and item_tangent: test_item_writes;
# slogdet_log: test_slogdet; typed_like: test_containers, the Hessians in code on numbers).


def _numpy_rules(table):
    return {primal for primal, templates in table.items()
            if any(t.function.__module__ in ("ast_ad.rules.numpy", "ast_ad.rules.linalg")
                   for t in templates)}


def test_every_numpy_rule_has_a_case():
    registered = _numpy_rules(rules.ADJOINTS) | _numpy_rules(rules.TANGENTS)
    covered = set(CASES) | set(PRODUCTS) | set(STATISTICS) | {np.einsum, np.full_like,
                                                              np.full}
    helpers = {p for p in registered if getattr(p, "__name__", None) in HELPERS}
    assert registered - helpers - set(APART) == covered, registered ^ covered


@pytest.mark.parametrize("body", ["np.sum(np.sin(a) * b)", "np.sum(np.tanh(b[:2, None] @ a[None]))",
                                  "np.mean(a[1:] * b[1:] + a[:-1])", "np.sum(a * 2.0 + b * a)"])
def test_a_float32_argument_gets_a_float32_gradient_among_float64_values(body):
    """As in JAX: the gradient has the argument's type, whatever it met on the way."""
    g = make_function(f"import numpy as np\n\ndef g(a, b):\n    return {body}\n")
    rng = np.random.default_rng(8)
    a, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    ours = differentiate(g, wrt=(0, 1))(a.astype(np.float32), b)
    assert ours[0].dtype == np.float32 and ours[1].dtype == np.float64
    theirs = autograd.grad(_twin(g), (0, 1))(a.astype(np.float32).astype(np.float64), b)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)


def test_a_0d_argument_gets_a_0d_gradient_and_an_empty_mean_none():
    g = make_function("import numpy as np\n\ndef g(s, x):\n"
                      "    return np.sum(s * x) + np.mean(x[5:] * s)\n")
    for dtype in (np.float64, np.float32):
        s_bar, x_bar = differentiate(g, wrt=(0, 1))(np.array(2.0, dtype), np.ones(3))
        assert type(s_bar) is np.ndarray and s_bar.shape == () and s_bar.dtype == dtype
        assert s_bar == 3.0 and np.all(x_bar == 2.0)


# Rules autograd has none of: checked against the same function written otherwise.
APART = {np.copy: ("np.copy(a * b)", "a * b", ANY),
         np.asarray: ("np.asarray(a * b) * np.asarray(b, dtype=float) * a", "a * b * b * a",
                      ANY),
         np.cbrt: ("np.cbrt(a * b)", "(a * b) ** (1.0 / 3.0)", POSITIVE),
         np.flip: ("np.flip(a * b) * a + np.flip(a, axis=-1) * np.flip(a * b, 0)",
                   "(a * b)[::-1, ::-1] * a + a[:, ::-1] * (a * b)[::-1]", ANY),
         np.roll: ("np.roll(a * b, 1) * a + np.roll(a, -1, axis=-1) * "
                   "np.roll(a * b, (1, 2), (0, 1))",
                   "np.reshape(np.concatenate([np.ravel(a * b)[-1:], np.ravel(a * b)[:-1]]), "
                   "(2, 3)) * a + np.concatenate([a[:, 1:], a[:, :1]], axis=-1) * "
                   "(lambda m: np.concatenate([m[:, -2:], m[:, :-2]], axis=1))("
                   "np.concatenate([(a * b)[-1:], (a * b)[:-1]], axis=0))", ANY)}


@pytest.mark.parametrize("primal", list(APART), ids=lambda p: p.__name__)
def test_rules_autograd_lacks(primal):
    expression, reference, (low, high) = APART[primal]
    g, twin = (make_function(f"import numpy as np\n\ndef g(a, b):\n"
                             f"    return np.sum(np.sin({e}) * a)\n")
               for e in (expression, reference))
    rng = np.random.default_rng(6)
    _compare(g, rng.uniform(low, high, (2, 3)), rng.uniform(low, high, 3), reference=twin)


# Statistics, scans, sorting and determinants, on arrays a (3, 3) and b (3,): primal ->
# (expression, the same for autograd where it has no rule of its own, domain).
_LOW = "np.minimum(np.minimum(p[0], p[1]), p[2])"  # of three rows p, sorted by column
_HIGH = "np.maximum(np.maximum(p[0], p[1]), p[2])"
_SORTED_ROWS = f"np.stack([{_LOW}, p[0] + p[1] + p[2] - {_LOW} - {_HIGH}, {_HIGH}])"
STATISTICS = {
    np.std: ("np.std(a * b, axis=-1, keepdims=True) * a + np.std(a * b) + np.std(a, 0, ddof=1)",
             None, ANY),
    np.cumsum: ("np.cumsum(a * b, axis=0) * a + np.cumsum(a * b)[4]", None, ANY),
    np.cumprod: ("np.cumprod(a * b, axis=-1) * a + np.cumprod(a * b)[4]",
                 "np.exp(np.cumsum(np.log(a * b), axis=-1)) * a + np.prod(np.ravel(a * b)[:5])",
                 POSITIVE),
    np.diff: ("np.diff(a * b, axis=0) * a[1:] + np.diff(a * b, n=2)[0, 0]", None, ANY),
    np.sort: ("np.sort(np.stack([(a * b)[0], (a * b)[1], b]), axis=0) * a + "
              "np.sort(a * b, axis=None)[4]",
              f"(lambda p: {_SORTED_ROWS})(np.stack([(a * b)[0], (a * b)[1], b])) * a + "
              "np.sort(np.ravel(a * b))[4]", ANY),
    np.linalg.det: ("np.linalg.det(a * b + 3.0 * np.eye(3)) * a + "  # diagonally dominant
                    "np.linalg.det(np.stack([a, a.T]) * b + 3.0 * np.eye(3))[1]", None, UNIT),
}


@pytest.mark.parametrize("primal", list(STATISTICS), ids=lambda p: p.__name__)
@examples(4, 60)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_statistics_scans_sorting_and_determinants(primal, seed):
    """At random values, and so away from ties (where a sort's derivative jumps) and from
    a spread of zero (where a standard deviation's is infinite)."""
    expression, reference, (low, high) = STATISTICS[primal]
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(low, high, (3, 3)), rng.uniform(low, high, (3,))
    g = _function(expression)
    _compare(g, a, b, reference=_function(reference) if reference else None)


@pytest.mark.parametrize("primal", list(STATISTICS), ids=lambda p: p.__name__)
def test_statistics_scans_sorting_and_determinants_to_second_order(primal):
    """Forward over reverse, and reverse over reverse, against autograd's Hessian-vector
    product of the function, or of its twin where autograd has no rule."""
    expression, reference, (low, high) = STATISTICS[primal]
    rng = np.random.default_rng(13)
    a, b = rng.uniform(low, high, (3, 3)), rng.uniform(low, high, (3,))
    _second_order(_function(expression), a, b, rng.uniform(-1.0, 1.0, (3, 3)),
                  _function(reference) if reference else None, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("primal", list(STATISTICS), ids=lambda p: p.__name__)
def test_statistics_keep_float32(primal):
    expression, _, (low, high) = STATISTICS[primal]
    rng = np.random.default_rng(2)
    a, b = (rng.uniform(low, high, shape).astype(np.float32) for shape in ((3, 3), (3,)))
    gradients = differentiate(_function(expression), wrt=(0, 1))(a, b)
    assert [g.dtype for g in gradients] == [np.float32, np.float32]


@pytest.mark.parametrize("body, reference", [
    ("np.clip(a * b, a_min=-0.5, a_max=0.5) * a", None),
    ("np.reshape(a * b, (3, 2), order='F')[0] * np.reshape(a, -1, order='F')[:2]", None),
    ("(a * b).astype(np.float32) * a + (a * b).astype(int) * b",
     "(a * b) * a + np.trunc(a * b) * b"),  # (autograd's `astype(int)` passes derivatives)
    ("(a * b).var(axis=0) + (a * b).std(ddof=1) + (a * b).cumsum()[2] + a.cumprod(axis=1)[1, 1]",
     "np.var(a * b, axis=0) + np.std(a * b, ddof=1) + np.cumsum(a * b)[2] + a[1, 0] * a[1, 1]"),
    ("(a * b).copy() * a", "(a * b) * a"),
    ("np.full_like(a, b[0]) * a + np.full_like(a, b) * b + np.full_like(a.astype(int), b[1])",
     "np.ones_like(a) * b[0] * a + np.ones_like(a) * b * b + 0.0 * b[1]"),
    ("np.full((2, 3), b[0]) * a + np.full(3, b[1] * b[2]) * b + np.full((2, 3), b) * a",
     "np.ones((2, 3)) * b[0] * a + np.ones(3) * b[1] * b[2] * b + np.ones((2, 3)) * b * a"),
])
def test_keywords_array_methods_and_casts(body, reference):
    """NumPy's keywords for the bounds of `clip` and the order of `reshape`; an array's
    methods; a cast to float32 (which rounds, and keeps a derivative) and to int (which
    has none, as in JAX). Against autograd, on the same body where it has the rules."""
    rng = np.random.default_rng(4)
    a, b = rng.uniform(0.3, 2.0, (2, 3)), rng.uniform(0.3, 2.0, 3)
    g = _function(body)
    ours = differentiate(g, wrt=(0, 1))(a, b)
    theirs = autograd.grad(_twin(_function(reference) if reference else g), (0, 1))(a, b)
    tolerance = 1e-6 if "float32" in body else 1e-12
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine, expected, rtol=tolerance, atol=tolerance)
    direction = rng.uniform(-1, 1, (2, 3))
    along = differentiate(g, wrt=0, mode="forward")(a, b, a_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours[0] * direction), rtol=tolerance)
    _second_order(g, a, b, direction, _function(reference) if reference else None,
                  rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("body", ["np.std(np.array([x, x])) * 0.0 + x",
                                  "np.linalg.norm(np.array([x - x, 0.0])) + x",
                                  "np.linalg.norm(np.zeros(3) * x, axis=0) + x"])
def test_a_spread_or_norm_of_zero_has_slope_zero(body):
    """Where a standard deviation or a norm is zero it has no derivative (a kink, as `abs`
    at 0): its slope is taken as zero, so that a zero adjoint gives zero, not nan."""
    g = make_function(f"import numpy as np\n\ndef g(x):\n    return {body}\n")
    assert differentiate(g)(0.7) == 1.0
    assert differentiate(g, mode="forward")(0.7) == 1.0
    assert differentiate(differentiate(g))(0.7) == 0.0


def test_methods_of_arrays_the_module_holds():
    """`W.dot(x)`, `W.T.dot(x)` with `W` a global array: NumPy's functions, as for a local
    array, in both modes and to second order; against autograd on `np.dot(W, x)`."""
    body = "np.sum(np.sin(W.dot(a))) + np.sum(W.T.dot(a[:2]) ** 2) + W.astype(int).sum() * a[0]"
    twin = "np.sum(np.sin(np.dot(W, a))) + np.sum(np.dot(W.T, a[:2]) ** 2) + 0.0 * a[0]"
    g, reference = (make_function(f"import numpy as np\n\nW = np.arange(6.0).reshape(2, 3) / 10"
                                  f"\n\ndef g(a):\n    return {e}\n", "g") for e in (body, twin))
    a = np.array([0.5, -1.0, 2.0])
    expected = autograd.grad(_twin(reference))(a)
    np.testing.assert_allclose(differentiate(g)(a), expected, rtol=1e-7)
    direction = np.array([0.3, 0.2, -0.1])
    along = differentiate(g, mode="forward")(a, a_dot=direction)
    np.testing.assert_allclose(along, np.sum(expected * direction), rtol=1e-7)
    twice = autograd.grad(lambda a: anp.sum(autograd.grad(_twin(reference))(a) * direction))(a)
    second = differentiate(differentiate(g), mode="forward")(a, a_dot=direction)
    np.testing.assert_allclose(second, twice, rtol=1e-7)


EINSUMS = [  # subscripts, and the shapes of a and b
    ("ij,jk->ik", (2, 3), (3, 4)), ("ij,jk", (2, 3), (3, 4)), ("ij,ij->i", (2, 3), (2, 3)),
    ("i,j->ij", (3,), (4,)), ("ij,k->k", (2, 3), (4,)), ("i,i", (3,), (3,)),
    ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)), ("...ij,...jk->...ik", (2, 2, 3), (3, 4)),
    ("...j,...j", (1, 3), (2, 3)),  # an ellipsis broadcast, and the implicit output
    ("ij->j", (2, 3), (3,)), ("ji", (2, 3), (3,)), ("ij", (2, 3), (3,)),  # one operand
    ("ij,jk,kl->il", (2, 3), (3, 3)), ("i,ij,i->j", (3,), (3, 4)),  # three: a, b, then
    ("bi,bij,bj", (2, 3), (2, 3, 3)),                                # b or a again
    ("ij,jk,kl,lm->im", (3, 3), (3, 3)), ("i,ij,j,jk", (3,), (3, 3)),  # four
    ("ij,jk,kl,lm,mn->in", (3, 3), (3, 3)), ("i,ij,j,jk,k", (3,), (3, 3)),  # five
]


@pytest.mark.parametrize("subscripts, shape_a, shape_b", EINSUMS)
def test_einsum(subscripts, shape_a, shape_b):
    """Explicit and implicit outputs, `...`, letters summed in one operand alone, one to
    five operands; in both modes, and to second order forward over reverse and reverse
    over reverse."""
    operands = {0: "a", 1: "a, b", 3: "a, b, a, b", 4: "a, b, a, b, a"}.get(
        subscripts.count(","), "a, b, b" if subscripts.startswith("ij") else "a, b, a")
    g = _function(f"np.einsum({subscripts!r}, {operands}) * np.sum(b)")
    rng = np.random.default_rng(5)
    a, b = rng.uniform(-1, 1, shape_a), rng.uniform(-1, 1, shape_b)
    _compare(g, a, b)
    _second_order(g, a, b, rng.uniform(-1, 1, shape_a))


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_slogdet(shape):
    """`np.linalg.slogdet` unpacked, indexed and read by field, of a matrix and of a stack
    of them: both modes and the Hessian, against autograd."""
    text = """
        def f(a):
            sign, logdet = np.linalg.slogdet(a @ np.swapaxes(a, -1, -2) + np.eye(3))
            return np.sum(logdet * sign + np.linalg.slogdet(a + 3.0 * np.eye(3))[1]) + \\
                np.sum(np.linalg.slogdet(2.0 * a - 4.0 * np.eye(3)).logabsdet)
        """
    f = make_function(text, namespace={"np": np})
    twin = make_function(text.replace(").logabsdet", ")[1]"), namespace={"np": anp})
    a = np.random.default_rng(3).uniform(-0.5, 0.5, shape)
    expected = autograd.grad(twin)(a)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(differentiate(f, mode=mode)(a), expected, rtol=1e-10)
    from ast_ad import hessian

    np.testing.assert_allclose(hessian(f)(a), autograd.hessian(twin)(a), rtol=1e-8, atol=1e-10)


def test_slogdet_kept_whole_is_refused_clearly():
    f = make_function("def f(a):\n    r = np.linalg.slogdet(a)\n    return r[1]\n",
                      namespace={"np": np})
    with pytest.raises(UnsupportedSyntaxError, match="returns a tuple of 2: unpack it"):
        differentiate(f)


DIAGONALS = [  # a letter repeated in one operand; the same written without einsum
    ("np.einsum('ii', a @ b.T) * np.sum(b)", "np.trace(a @ b.T) * np.sum(b)", (3, 3), (3, 3)),
    ("np.einsum('ii->i', a) * b[0]", "np.sum(a * np.eye(3), axis=1) * b[0]", (3, 3), (3, 3)),
    ("np.einsum('ij,jj->i', a, b)", "a @ np.sum(b * np.eye(3), axis=0)", (2, 3), (3, 3)),
    ("np.einsum('iij,j->ij', a, b)", "np.sum(a * np.eye(3)[:, :, None], axis=1) * b",
     (3, 3, 2), (2,)),
]


@pytest.mark.parametrize("expression, written_out, shape_a, shape_b", DIAGONALS)
def test_einsum_of_a_diagonal(expression, written_out, shape_a, shape_b):
    """A letter repeated in one operand (`'ii'`, a trace; `'ii->i'`, a diagonal): its
    adjoint goes on the operand's diagonal, zeros elsewhere; both modes and second order,
    against autograd on the same function written without einsum (autograd takes no
    such einsum)."""
    g, reference = _function(expression), _function(written_out)
    rng = np.random.default_rng(9)
    a, b = rng.uniform(-1, 1, shape_a), rng.uniform(-1, 1, shape_b)
    _compare(g, a, b, reference=reference)
    _second_order(g, a, b, rng.uniform(-1, 1, shape_a), reference=reference)


@pytest.mark.parametrize("call, error, message", [
    ("np.einsum('ij,jk,kl,lm,mn,no->io', a, a, a, a, a, a)", NonDifferentiableError,
     "do not take these 7 arguments"),
])
def test_einsum_refused_clearly(call, error, message):
    g = make_function(f"import numpy as np\n\ndef g(a):\n    return np.sum({call})\n")
    with pytest.raises(error, match=message):
        differentiate(g)(np.ones((2, 2)))


@functools.lru_cache(maxsize=None)
def _shared(source, name=None):
    """`make_function(source, name)`, made once: the shapes and values a test checks share one
    function, and so its transforms (`differentiate` caches per function)."""
    return make_function(source, name)


@functools.lru_cache(maxsize=None)
def _function(expression):
    return make_function(f"import numpy as np\n\ndef g(a, b):\n"
                         f"    return np.sum(np.sin({expression}))\n")


def _twin(function):
    return types.FunctionType(function.__code__, dict(function.__globals__, np=anp))


KINKED = (np.abs, np.absolute, ("array", abs), np.maximum, np.minimum, np.where, np.clip,
          np.max, np.amax, np.min, np.amin)


def _compare(g, a, b, kinked=False, reference=None):
    """`reference`: a function equal to `g` for autograd to differentiate, if not `g`."""
    ours = differentiate(g, wrt=(0, 1))(a, b)
    theirs = autograd.grad(_twin(reference or g), (0, 1))(a, b)
    for mine, reference, value in zip(ours, theirs, (a, b)):
        assert np.shape(mine) == np.shape(value)
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(0)
    direction = rng.uniform(-1, 1, np.shape(a))
    along = differentiate(g, wrt=0, mode="forward")(a, b, a_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours[0] * direction), rtol=1e-9, atol=1e-12)
    if not kinked:  # a finite difference may step across a kink; autograd checks those
        numeric = central_difference(lambda t: g(a + t * direction, b), [0.0], [1.0], step=1e-4)
        np.testing.assert_allclose(along, numeric, rtol=1e-6, atol=1e-8)


def _second_order(g, a, b, direction, reference=None, rtol=1e-9, atol=1e-12):
    """The derivative of `g`'s gradient in `a` along `direction`, forward over reverse and
    reverse over reverse, against autograd's on `reference` (a twin of `g`, if given)."""
    twin = autograd.grad(_twin(reference or g))
    expected = autograd.grad(lambda a: anp.sum(twin(a, b) * direction))(a)
    gradient = differentiate(g)
    forward = differentiate(gradient, mode="forward")(a, b, a_dot=direction)
    np.testing.assert_allclose(forward, expected, rtol=rtol, atol=atol)
    summed = make_function("def s(a, b):\n    return np.sum(gradient(a, b) * direction)\n",
                           namespace={"np": np, "gradient": gradient, "direction": direction})
    np.testing.assert_allclose(differentiate(summed)(a, b), expected, rtol=rtol, atol=atol)


FUNCTIONS = {primal: _function(expression) for primal, (expression, _) in CASES.items()}


@pytest.mark.parametrize("primal", list(CASES), ids=lambda p: getattr(p, "__name__", str(p)))
def test_float32_stays_float32_in_both_modes(primal):
    low, high = CASES[primal][1]
    rng = np.random.default_rng(1)
    a = rng.uniform(low, high, (2, 3)).astype(np.float32)
    b = rng.uniform(low, high, (3,)).astype(np.float32)
    gradients = differentiate(FUNCTIONS[primal], wrt=(0, 1))(a, b)
    assert [g.dtype for g in gradients] == [np.float32, np.float32]
    along = differentiate(FUNCTIONS[primal], wrt=0, mode="forward")(a, b)
    assert np.asarray(along).dtype == np.float32


@pytest.mark.parametrize("primal", list(CASES), ids=lambda p: getattr(p, "__name__", str(p)))
@examples(6, 100)
@given(data=st.data())
def test_elementwise_and_reductions_with_broadcasting(primal, data):
    low, high = CASES[primal][1]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                         max_side=3))
    if primal in (np.transpose, np.reshape):
        shapes = types.SimpleNamespace(input_shapes=(shapes.result_shape,) * 2)
    if primal is np.broadcast_to and len({len(s) for s in shapes.input_shapes}) > 1:
        return  # autograd's broadcast_to cannot add leading axes
    values = [data.draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high)))
              for shape in shapes.input_shapes]
    if primal in (np.abs, np.absolute, np.maximum, np.minimum, np.where) and \
            np.any(np.abs(np.subtract(*np.broadcast_arrays(*values))) < 1e-3):
        return  # away from the kink
    product = np.multiply(*np.broadcast_arrays(*values))
    if primal is np.clip and np.any(np.abs(np.abs(product) - 0.5) < 1e-3):
        return
    if primal in (np.max, np.amax, np.min, np.amin) and len(np.unique(product)) < product.size:
        return  # ties: the conventions differ
    _compare(FUNCTIONS[primal], *values, kinked=primal in KINKED)


@examples(12, 250)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_norm_along_axes(shape, data):
    """The 2-norm of vectors along an axis, or Frobenius' over two, kept or not."""
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1) |
                     st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2,
                              unique=True).map(tuple) if len(shape) > 1 else
                     st.none() | st.integers(-1, 0))
    keepdims = data.draw(st.booleans())
    g, reference = (make_function(f"import numpy as np\n\ndef g(a, b):\n"
                                  f"    return np.sum({norm} ** 3)\n") for norm in (
        f"np.linalg.norm(a * b, axis={axis!r}, keepdims={keepdims})",
        # autograd's own norm spreads its adjoint wrongly with keepdims=True (JAX agrees
        # with ast_ad there)
        f"np.sqrt(np.sum((a * b) ** 2, axis={axis!r}, keepdims={keepdims}))"))
    values = [data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0.3, 2.0)))
              for _ in range(2)]
    _compare(g, *values, reference=reference)
    a, b = values
    direction = np.ones(shape)
    hessian_vector = differentiate(differentiate(g), mode="forward")(a, b, a_dot=direction)
    twin = autograd.grad(_twin(reference))
    expected = autograd.grad(lambda a: anp.sum(twin(a, b) * direction))(a)
    np.testing.assert_allclose(hessian_vector, expected, rtol=1e-9, atol=1e-12)


# Norms of other orders, and the same written as autograd differentiates it: a (2, 3).
ORDERS = {
    "np.linalg.norm(a[0], 1)": "np.sum(np.abs(a[0]))",
    "np.linalg.norm(a[1], ord=np.inf)": "np.max(np.abs(a[1]))",
    "np.linalg.norm(a[0], -np.inf)": "np.min(np.abs(a[0]))",
    "np.linalg.norm(a[1], 2)": "np.sqrt(np.sum(a[1] ** 2))",
    "np.linalg.norm(a, 'fro')": "np.sqrt(np.sum(a ** 2))",
    "np.linalg.norm(a, 1)": "np.max(np.sum(np.abs(a), axis=0))",
    "np.linalg.norm(a, np.inf)": "np.max(np.sum(np.abs(a), axis=1))",
    "np.linalg.norm(a, -1)": "np.min(np.sum(np.abs(a), axis=0))",
    "np.linalg.norm(a, -np.inf)": "np.min(np.sum(np.abs(a), axis=1))",
    "np.linalg.norm(a, 1, axis=1)[0] * np.linalg.norm(a, np.inf, axis=0, keepdims=True)[0, 2]":
        "np.sum(np.abs(a[0])) * np.max(np.abs(a[:, 2]))",
}


@pytest.mark.parametrize("call", list(ORDERS))
@examples(3, 50)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_norm_of_other_orders(call, seed):
    """At random values, away from ties and zeros (where these norms have no slope), in
    both modes and to second order, against autograd on the norm written out."""
    g, reference = (make_function(f"import numpy as np\n\ndef g(a, b):\n"
                                  f"    return np.sin({e}) * np.sum(b)\n")
                    for e in (call, ORDERS[call]))
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1, 1, (2, 3)), rng.uniform(0.5, 1, 3)
    _compare(g, a, b, kinked=True, reference=reference)
    direction = rng.uniform(-1, 1, (2, 3))
    twin = autograd.grad(_twin(reference))
    expected = autograd.grad(lambda a: anp.sum(twin(a, b) * direction))(a)
    second = differentiate(differentiate(g), mode="forward")(a, b, a_dot=direction)
    np.testing.assert_allclose(second, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    ("np.linalg.norm(a, 2)", "of ord 2 of vectors, not of matrices"),
    ("np.linalg.norm(a, 'nuc')", "not ord='nuc' of a matrix"),
    ("np.linalg.norm(a[0], 3)", "not ord=3 of a vector")])
def test_norm_of_an_order_without_a_rule_is_refused(call, message):
    g = make_function(f"import numpy as np\n\ndef g(a):\n    return {call}\n")
    with pytest.raises(DifferentiationError, match=message):
        differentiate(g)(np.ones((2, 2)))


@pytest.mark.parametrize("primal", [p for p in CASES if p not in KINKED],
                         ids=lambda p: getattr(p, "__name__", str(p)))
def test_every_smooth_rule_to_second_order(primal):
    """Hessian-vector products, forward over reverse and reverse over reverse."""
    low, high = CASES[primal][1]
    rng = np.random.default_rng(11)
    a, b = rng.uniform(low, high, (2, 3)), rng.uniform(low, high, (3,))
    _second_order(FUNCTIONS[primal], a, b, rng.uniform(-1.0, 1.0, (2, 3)))


@pytest.mark.parametrize("call, shapes", [
    ("np.clip(x * 2.0, None, 0.5)", [(5,), ()]), ("np.clip(x * 2.0, b, 0.5) * x", [(5,), ()]),
    ("np.clip(x, b, None)", [(3,), (2, 3)]), ("np.clip(x * x, -1.0, b)", [(2, 3), (3,)]),
    ("np.clip(x, b + 3.0, b) * x", [(3,), (3,)])])  # bounds crossed: NumPy gives the upper
def test_clip_with_bounds_differentiated_or_none(call, shapes):
    """autograd has no rule for a bound of `np.clip`: central differences, away from the
    kinks."""
    g = make_function(f"import numpy as np\n\ndef g(x, b):\n    return np.sum(np.sin({call}))\n")
    rng = np.random.default_rng(12)
    x, b = (rng.uniform(-1, 1, shape) for shape in shapes)
    ours = differentiate(g, wrt=(0, 1))(x, b)
    for i, value in enumerate((x, b)):
        assert np.shape(ours[i]) == np.shape(value)
        direction = [rng.uniform(-1, 1, np.shape(v)) if j == i else np.zeros(np.shape(v))
                     for j, v in enumerate((x, b))]
        numeric = central_difference(g, [x, b], direction, step=1e-6)
        np.testing.assert_allclose(np.sum(ours[i] * direction[i]), numeric, rtol=1e-6,
                                   atol=1e-9)
        along = differentiate(g, wrt=i, mode="forward")(x, b, **{"xb"[i] + "_dot": direction[i]})
        np.testing.assert_allclose(along, numeric, rtol=1e-6, atol=1e-9)


PRODUCT_CASES = [(primal, shapes) for primal, (_, all_shapes) in PRODUCTS.items()
                 for shapes in all_shapes]


@pytest.mark.parametrize("primal, shapes", PRODUCT_CASES,
                         ids=lambda p: getattr(p, "__name__", str(p)))
def test_products(primal, shapes):
    rng = np.random.default_rng(1)
    a, b = (rng.uniform(-1, 1, shape) for shape in shapes)
    _compare(_function(PRODUCTS[primal][0]), a, b)


@pytest.mark.parametrize("primal, shapes", PRODUCT_CASES,
                         ids=lambda p: getattr(p, "__name__", str(p)))
def test_products_to_second_order(primal, shapes):
    """Forward over reverse: the derivative of the gradient along a direction, against
    central differences of autograd's gradient (autograd has no JVP of `solve` or `inv`)."""
    g = _function(PRODUCTS[primal][0])
    rng = np.random.default_rng(6)
    a, b = (rng.uniform(-1, 1, shape) for shape in shapes)
    direction = rng.uniform(-1, 1, np.shape(a))
    for k in (0, 1):
        gradient = differentiate(g, wrt=k)
        ours = differentiate(gradient, wrt=0, mode="forward")(a, b, a_dot=direction)
        theirs = autograd.grad(_twin(g), k)
        h = 1e-5
        numeric = (theirs(a + h * direction, b) - theirs(a - h * direction, b)) / (2 * h)
        np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)


def test_indexing_methods_and_float32():
    g = make_function("""
        import numpy as np

        def g(x, w):
            h = np.tanh(x.dot(w) + w.T[0])
            return h.sum() * x[1:, 0].mean() + (x[0] ** 2).sum() + x.reshape(-1)[3]
        """)
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    twin = make_function("""
        import numpy as np

        def g(x, w):
            h = np.tanh(np.dot(x, w) + np.transpose(w)[0])
            return np.sum(h) * np.mean(x[1:, 0]) + np.sum(x[0] ** 2) + np.reshape(x, -1)[3]
        """)
    ours = differentiate(g, wrt=(0, 1))(x, w)
    theirs = autograd.grad(_twin(twin), (0, 1))(x, w)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    single = differentiate(g)(x.astype(np.float32), w.astype(np.float32))
    assert single.dtype == np.float32 and single.shape == x.shape


def test_more_array_methods():
    methods, functions = (make_function(f"""
        import numpy as np

        def g(x, w):
            return {body}
        """) for body in (
        "x.max(axis=0).sum() + x.min() * x.prod(axis=1).mean() + x.ravel()[2] * w[0, 0] + "
        "x.flatten()[1] * x.clip(-0.5, 0.5).sum() + x[None].squeeze(0).swapaxes(0, 1)[0].sum() "
        "+ x.reshape(3, 4)[1, 2] + (x.transpose(-1, 0) * w.T).sum()",
        "np.sum(np.max(x, axis=0)) + np.min(x) * np.mean(np.prod(x, axis=1)) + np.ravel(x)[2] * "
        "w[0, 0] + np.ravel(x)[1] * np.sum(np.clip(x, -0.5, 0.5)) + np.sum(np.swapaxes("
        "np.squeeze(x[None], 0), 0, 1)[0]) + np.reshape(x, (3, 4))[1, 2] + "
        "np.sum(np.transpose(x, (1, 0)) * np.transpose(w))"))
    rng = np.random.default_rng(4)
    x, w = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (4, 3))
    ours = differentiate(methods, wrt=(0, 1))(x, w)
    theirs = autograd.grad(_twin(functions), (0, 1))(x, w)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    direction = rng.uniform(-1, 1, (4, 3))
    along = differentiate(methods, mode="forward")(x, w, x_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours[0] * direction), rtol=1e-9, atol=1e-12)


def test_unused_array_argument_has_a_zero_gradient_of_its_shape():
    g = make_function("import numpy as np\ndef g(x, y):\n    return np.sum(x * x)\n")
    y = np.ones((2, 5))
    _, y_bar = differentiate(g, wrt=(0, 1))(np.arange(3.0), y)
    assert y_bar.shape == (2, 5) and not y_bar.any()


def test_integer_array_index_that_repeats_an_element():
    g = make_function("""
        import numpy as np

        INDEX = np.array([0, 2, 0, 1])

        def g(x):
            return np.sum(np.sin(x[INDEX]) * x[1:3].sum())
        """)
    x = np.array([0.3, -0.7, 1.1])
    ours = differentiate(g)(x)
    np.testing.assert_allclose(ours, autograd.grad(_twin(g))(x), rtol=1e-12, atol=1e-12)


MLP = """
import numpy as np

def loss(W1, b1, W2, b2, X, Y):
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    top = np.max(logits, axis=1, keepdims=True)
    shifted = logits - top
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))
"""


@pytest.mark.parametrize("wrt", [0, 1, 2, 3])
def test_hessian_vector_products_of_a_small_network(wrt):
    loss = make_function(MLP, "loss")
    rng = np.random.default_rng(3)
    params = [0.3 * rng.normal(size=(3, 4)), 0.1 * rng.normal(size=4),
              0.3 * rng.normal(size=(4, 2)), 0.1 * rng.normal(size=2)]
    X, Y = rng.normal(size=(5, 3)), np.eye(2)[rng.integers(0, 2, 5)]
    gradient = differentiate(loss, wrt=wrt)
    seed = "W1_dot b1_dot W2_dot b2_dot".split()[wrt]
    product = differentiate(gradient, wrt=wrt, mode="forward")
    direction = rng.normal(size=params[wrt].shape)
    ours = product(*params, X, Y, **{seed: direction})

    def moved(step):
        shifted = list(params)
        shifted[wrt] = params[wrt] + step * direction
        return gradient(*shifted, X, Y)

    h = 1e-5
    np.testing.assert_allclose(ours, (moved(h) - moved(-h)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_hessian_of_an_array_argument():
    from ast_ad import hessian

    f = make_function("""
        import numpy as np

        def f(x):
            return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        """)
    x = np.random.default_rng(4).uniform(-1, 1, 6)
    ours = hessian(f)(x)
    assert ours.shape == (6, 6)
    np.testing.assert_allclose(ours, ours.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, autograd.hessian(_twin(f))(x), rtol=1e-9, atol=1e-9)


def test_in_place_update_of_an_aliased_array_is_refused_and_of_a_number_is_not():
    from ast_ad import DifferentiationError

    g = make_function("""
        import numpy as np

        def g(x):
            y = x
            x += 1.0
            return np.sum(y * x)
        """)
    with pytest.raises(DifferentiationError, match="changes an array in place") as error:
        differentiate(g)(np.array([1.0, 2.0]))
    assert ":6:" in str(error.value).splitlines()[0]
    assert differentiate(g)(0.5) == pytest.approx(2 * 0.5 + 1.0)  # (x + 1) * x


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_an_array_function(mode):
    from ast_ad import jacobian

    f = make_function("""
        import numpy as np

        def f(x, W):
            return np.tanh(W @ x) * np.sum(x * x)
        """)
    rng = np.random.default_rng(5)
    x, W = rng.normal(size=3), rng.normal(size=(4, 3))
    ours = jacobian(f, mode=mode)(x, W)
    assert ours.shape == (4, 3)
    np.testing.assert_allclose(ours, autograd.jacobian(_twin(f))(x, W), rtol=1e-9, atol=1e-12)
    by_matrix = jacobian(f, wrt=1, mode=mode)(x, W)
    assert by_matrix.shape == (4, 4, 3)
    np.testing.assert_allclose(by_matrix, autograd.jacobian(_twin(f), 1)(x, W), rtol=1e-9,
                               atol=1e-12)


def test_vjp_of_an_array_function():
    from ast_ad import vjp

    f = make_function("import numpy as np\ndef f(x):\n    return np.sin(x) * x[0]\n")
    x = np.array([0.3, -1.2, 2.0])
    value, pull_back = vjp(f, x)
    seed = np.array([1.0, -2.0, 0.5])
    (ours,) = pull_back(seed)
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(ours, autograd.make_vjp(_twin(f))(x)[0](seed), rtol=1e-12)


PARTS = """
import numpy as np

INDEX = np.array([0, 2, 2])

def parts(x):
    whole = np.sum(x * x) + np.sum(x[1:] * x[:-1])
    return whole + np.sum(x[::2] ** 3) + x[0] * x[-1] + np.sum(np.sin(x[INDEX])) + x[1:3].sum()
"""


def test_adjoints_of_parts_added_in_place():
    """Slices, single elements and an index array of one argument, with the whole too: the
    later parts add into the adjoint array in place, and twice differentiated."""
    from ast_ad import hessian, source, vjp

    f = make_function(PARTS, "parts")
    x = np.random.default_rng(8).uniform(-1, 1, 5)
    gradient = differentiate(f)
    assert "x_bar[" in source(gradient) and "] +=" in source(gradient)
    np.testing.assert_allclose(gradient(x), autograd.grad(_twin(f))(x), rtol=1e-12, atol=1e-12)
    exact = autograd.hessian(_twin(f))(x)
    np.testing.assert_allclose(hessian(f)(x), exact, rtol=1e-9, atol=1e-12)  # forward over
    seed = np.linspace(-1.0, 1.0, 5)
    (back,) = vjp(gradient, x)[1](seed)  # and reverse over reverse
    np.testing.assert_allclose(back, exact @ seed, rtol=1e-9, atol=1e-12)
    assert np.array_equal(x, np.random.default_rng(8).uniform(-1, 1, 5))  # x itself unchanged


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_and_hessian_with_respect_to_several_arrays(mode):
    from ast_ad import hessian, jacobian

    f = make_function("""
        import numpy as np

        def f(x, W, s):
            return np.tanh(W @ x) * np.sum(x * x) * s
        """)
    g = make_function("""
        import numpy as np

        def g(x, W, s):
            return np.sum(np.tanh(W @ x) * x[0]) * s ** 2
        """)
    rng = np.random.default_rng(9)
    args = (rng.normal(size=3), rng.normal(size=(4, 3)), 0.7)
    blocks = jacobian(f, wrt=(0, 1, 2), mode=mode)(*args)
    for k, block in enumerate(blocks):
        reference = autograd.jacobian(_twin(f), k)(*args)
        assert np.shape(block) == np.shape(reference)
        np.testing.assert_allclose(block, reference, rtol=1e-9, atol=1e-12)
    if mode == "forward":
        return
    rows = hessian(g, wrt=(0, 1, 2))(*args)
    for i in range(3):
        for j in range(3):
            reference = autograd.jacobian(autograd.grad(_twin(g), i), j)(*args)
            assert np.shape(rows[i][j]) == np.shape(reference)
            np.testing.assert_allclose(rows[i][j], reference, rtol=1e-9, atol=1e-12)


def test_power_with_a_zero_base_has_a_zero_exponent_derivative_as_autograd():
    g = make_function("import numpy as np\ndef g(x, y):\n    return np.sum(x ** y)\n")
    x, y = np.array([0.0, 0.5, 2.0]), np.array([2.0, 1.5, 0.5])
    for mine, theirs in zip(differentiate(g, wrt=(0, 1))(x, y),
                            autograd.grad(_twin(g), (0, 1))(x, y)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


REVIEWED = {  # programs a review found wrong or crashing, each against autograd
    "sum of a list of arrays, and a norm": """
        def f(x):
            parts = []
            parts.append(x)
            parts.append(np.sin(x))
            s = sum(parts)
            m = np.linalg.norm(x)
            return np.sum((s + m) ** 2)
        """,
    "sum of a list of arrays, and a full sum": """
        def f(x):
            parts = []
            parts.append(x)
            parts.append(x * x)
            return np.sum((sum(parts) + np.sum(x)) ** 2)
        """,
    "a full sum that keeps its dimensions": """
        def f(x):
            return np.sum(np.sin(np.sum(x, keepdims=True))) + np.sum(np.mean(x, keepdims=True) * x)
        """,
    "the builtin sum of an array's rows": """
        def f(x):
            return np.sum(sum(x) ** 2)
        """,
    "a branch on the data, reversed twice": """
        def f(x):
            if np.sum(x) > 1.2:
                t = x + x * x
            else:
                t = x * x + np.sin(x[-1])
            return np.sum(np.sin(t))
        """,
    "a scalar added to an array, squared after the sum": """
        def f(x):
            s = np.sum(x + x[0])
            return s * s + np.sum(x[0] + np.ones(3))
        """,
}


def _reviewed(name):
    return make_function("import numpy as np\n" + textwrap.dedent(REVIEWED[name]), "f")


@pytest.mark.parametrize("name", list(REVIEWED))
def test_reviewed_programs_in_both_modes_and_to_second_order(name):
    f = _reviewed(name)
    x = np.random.default_rng(10).uniform(0.1, 0.9, (4, 3) if "rows" in name else 3)
    for x in [x, x * 0.5] if "branch" in name else [x]:  # both paths of the branch
        _check_reviewed(f, x, name)


def _check_reviewed(f, x, name):
    from ast_ad import hessian, vjp

    exact = autograd.grad(_twin(f))(x)
    np.testing.assert_allclose(differentiate(f)(x), exact, rtol=1e-9, atol=1e-12)
    direction = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    along = differentiate(f, mode="forward")(x, x_dot=direction)
    np.testing.assert_allclose(along, np.sum(exact * direction), rtol=1e-9, atol=1e-12)
    if "list" in name:
        return  # second derivatives through lists are refused
    hvp = autograd.hessian(_twin(f))(x).reshape(x.size, x.size) @ direction.ravel()
    ours = differentiate(differentiate(f), mode="forward")(x, x_dot=direction)
    np.testing.assert_allclose(np.ravel(ours), hvp, rtol=1e-9, atol=1e-12)
    (back,) = vjp(differentiate(f), x)[1](direction)
    np.testing.assert_allclose(np.ravel(back), hvp, rtol=1e-9, atol=1e-12)
    assert np.shape(hessian(f)(x)) == x.shape + x.shape


def test_forward_tangent_of_a_broadcast_sum_has_the_result_shape():
    from ast_ad import hessian

    f = make_function("""
        import numpy as np

        def f(x, b):
            s = np.sum(x + b)
            return s * s
        """)
    x, b = np.array([0.1, 0.2, 0.3, 0.4]), 0.5
    assert differentiate(f, wrt=1, mode="forward")(x, b) == differentiate(f, wrt=1)(x, b)
    blocks = hessian(f, wrt=(0, 1))(x, b)
    exact = autograd.hessian(_twin(f), 1)(x, b)
    np.testing.assert_allclose(blocks[1][1], exact, rtol=1e-12)
    np.testing.assert_allclose(blocks[0][1], np.full(4, 8.0), rtol=1e-12)


def test_solve_with_a_right_side_broadcast_over_a_stack():
    f = make_function("""
        import numpy as np

        def f(A, b):
            return np.sum(np.linalg.solve(A + 3.0 * np.eye(3), b) ** 2)
        """)
    rng = np.random.default_rng(11)
    A, b = rng.uniform(-1, 1, (2, 3, 3)), rng.uniform(-1, 1, (3, 2))
    A_bar, b_bar = differentiate(f, wrt=(0, 1))(A, b)
    assert A_bar.shape == A.shape and b_bar.shape == b.shape
    direction = rng.uniform(-1, 1, b.shape)
    numeric = central_difference(lambda t: f(A, b + t * direction), [0.0], [1.0], step=1e-5)
    np.testing.assert_allclose(np.sum(b_bar * direction), numeric, rtol=1e-7)


def test_trace_of_a_stack_and_float32_extrema():
    f = make_function("""
        import numpy as np

        def f(A):
            return np.sum(np.trace(A) ** 2) + np.max(A) + np.min(A)
        """)
    A = np.random.default_rng(12).uniform(-1, 1, (3, 3, 2))
    np.testing.assert_allclose(differentiate(f)(A), autograd.grad(_twin(f))(A), rtol=1e-12)
    assert differentiate(f)(A.astype(np.float32)).dtype == np.float32


def test_forward_mode_gives_the_whole_gradient_without_a_seed():
    """As reverse mode does; with a seed, the derivative along it (a number is the
    direction of all its values)."""
    g = make_function("import numpy as np\ndef g(x, s):\n    return np.sum(x * x) * s\n")
    x = np.array([1.0, 2.0, 3.0])
    for wrt in (0, (0, 1), 1):
        forward = differentiate(g, wrt=wrt, mode="forward")(x, 2.0)
        reverse = differentiate(g, wrt=wrt)(x, 2.0)
        for mine, theirs in zip(*[(v,) if wrt != (0, 1) else v for v in (forward, reverse)]):
            np.testing.assert_allclose(mine, theirs, rtol=1e-15)
    x32 = x.astype(np.float32)
    assert differentiate(g, mode="forward")(x32, 2.0).dtype == np.float32
    g = make_function("import numpy as np\ndef g(x, s):\n    return np.sum(x) * s\n")
    assert differentiate(g, mode="forward")(x, 2.0, x_dot=1.0) == 6.0
    assert differentiate(g, mode="forward")(x, 2.0, x_dot=0.5) == 3.0
    assert differentiate(g, mode="forward")(x, 2.0, x_dot=np.array([1.0, 0.0, 0.0])) == 2.0


def test_code_that_names_no_numpy_but_multiplies_arrays():
    f = make_function("def f(s, x):\n    return (s + x) @ x\n")
    s, x = 0.5, np.array([0.2, -1.0, 0.7])
    for mine, theirs in zip(differentiate(f, wrt=(0, 1))(s, x), autograd.grad(f, (0, 1))(s, x)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    np.testing.assert_allclose(differentiate(f, wrt=1, mode="forward")(s, x, x_dot=x),
                               autograd.grad(f, 1)(s, x) @ x, rtol=1e-12)


LOOP_VALUES = """
import numpy as np

def used_after_the_loop(x, s):
    for i in range(3):
        u = np.sin(x) * s * (i + 1)
    y = x * 1.0
    for k in range(2):
        y = y * u
    return np.sum(y)

def used_after_the_loop_in_a_branch(x, s):
    for i in range(3):
        if s > 0:
            u = np.sin(x) * (i + 1)
        else:
            u = np.cos(x) * (i + 1)
    if s > 0.5:
        out = np.sum(u * x)
    else:
        out = np.sum(x)
    return out

def over_rows_of_a_product(x, s):
    total = 0.0
    for row in np.outer(x, x) * s:
        total = total + np.sum(np.sin(row))
    return total

def over_rows_reversed(x, s):
    total = 0.0
    for row in reversed(np.outer(x, x) * s):
        total = total * 0.5 + np.sum(np.sin(row))
    return total

def over_rows_of_a_call(x, s):
    total = 0.0
    for k, row in enumerate(np.tanh(np.outer(x, x) + s)):
        total = total + k * np.sum(row * row)
    return total
"""


@pytest.mark.parametrize("name", ["used_after_the_loop", "used_after_the_loop_in_a_branch",
                                  "over_rows_of_a_product", "over_rows_of_a_call",
                                  "over_rows_reversed"])
@pytest.mark.parametrize("s", [0.7, 0.3, -0.4])
def test_arrays_a_loop_defines_and_later_code_reads(name, s):
    """Loops over an array the function computes too: each row's adjoint has its place."""
    f = _shared(LOOP_VALUES, name)
    x = np.random.default_rng(13).uniform(-1, 1, 3)
    ours = differentiate(f, wrt=(0, 1))(x, s)
    for mine, theirs in zip(ours, autograd.grad(_twin(f), (0, 1))(x, s)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert np.any(ours[0] != 0.0)
    direction = np.linspace(-1.0, 1.0, 3)
    along = differentiate(f, mode="forward")(x, s, x_dot=direction)
    np.testing.assert_allclose(along, np.sum(ours[0] * direction), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("b_shape", [(3,), (3, 2), (2, 3, 1)])
def test_solve_with_a_stack_of_matrices(b_shape):
    f = _shared("""
        import numpy as np

        def f(A, b):
            return np.sum(np.sin(np.linalg.solve(A + 3.0 * np.eye(3), b)))
        """)
    rng = np.random.default_rng(14)
    A, b = rng.uniform(-1, 1, (2, 3, 3)), rng.uniform(-1, 1, b_shape)
    gradients = differentiate(f, wrt=(0, 1))(A, b)
    for k, (value, gradient) in enumerate(zip((A, b), gradients)):
        assert gradient.shape == value.shape
        direction = rng.uniform(-1, 1, value.shape)
        moved = [lambda t: f(A + t * direction, b), lambda t: f(A, b + t * direction)][k]
        numeric = central_difference(moved, [0.0], [1.0], step=1e-5)
        np.testing.assert_allclose(np.sum(gradient * direction), numeric, rtol=1e-7)
        along = differentiate(f, wrt=k, mode="forward")(A, b, **{"Ab"[k] + "_dot": direction})
        np.testing.assert_allclose(along, numeric, rtol=1e-7)


REDUCTION_KEYWORDS = [  # a body with NumPy's keywords, and the same without them
    ("np.sum(a * b, axis=1, where=b > 0.0, initial=0.5) @ np.arange(2.0)",
     "(np.sum(np.where(b > 0.0, a * b, 0.0), axis=1) + 0.5) @ np.arange(2.0)"),
    ("np.prod(a, where=b > 0.0) + np.sum(a * a, initial=-1.0, dtype=np.float64)",
     "np.prod(np.where(b > 0.0, a, 1.0)) + (np.sum(a * a) - 1.0)"),
    ("np.max(a * b, axis=0, where=b > 0.0, initial=-2.0).sum() + np.min(a, initial=0.25)",
     "np.maximum(np.max(np.where(b > 0.0, a * b, -np.inf), axis=0), -2.0).sum() + "
     "np.minimum(np.min(a), 0.25)"),
    ("np.mean(a * b, axis=0, where=b > 0.0, keepdims=True).sum() + (a * a).mean(dtype=float)",
     "(np.sum(np.where(b > 0.0, a * b, 0.0), axis=0, keepdims=True) / "
     "np.sum(np.where(b > 0.0, np.ones_like(a), 0.0), axis=0, keepdims=True)).sum() + "
     "np.mean(a * a)"),
    ("(a * a).sum(where=b < 0.5) + a.astype(np.float32).sum(dtype=np.float32)",
     "np.sum(np.where(b < 0.5, a * a, 0.0)) + np.sum(a.astype(np.float32))"),
    ("np.var(a * b, where=b > 0.0) + np.sum(np.std(a, axis=1, ddof=1, where=b < 0.9))",
     "np.sum(np.where(b > 0.0, (a * b - np.sum(np.where(b > 0.0, a * b, 0.0)) / "
     "np.sum(np.where(b > 0.0, 1.0, 0.0))) ** 2, 0.0)) / np.sum(np.where(b > 0.0, 1.0, 0.0))"
     " + np.sum(np.sqrt(np.sum(np.where(b < 0.9, (a - np.sum(np.where(b < 0.9, a, 0.0), "
     "axis=1, keepdims=True) / np.sum(np.where(b < 0.9, 1.0, 0.0), axis=1, keepdims=True))"
     " ** 2, 0.0), axis=1) / (np.sum(np.where(b < 0.9, 1.0, 0.0), axis=1) - 1)))"),
    ("np.var(a, axis=0, dtype=np.float64, keepdims=True).sum()", "np.var(a, axis=0).sum()"),
]


@pytest.mark.parametrize("body, reference", REDUCTION_KEYWORDS)
def test_reductions_with_where_initial_and_dtype(body, reference):
    """`where`, `initial` and `dtype` on `sum prod mean max min var std`, as the same
    reductions written without them: both modes and forward over reverse, against autograd."""
    g, twin = (make_function(f"import numpy as np\n\ndef g(a, b):\n    return {e}\n")
               for e in (body, reference))
    a, b = np.array([[0.5, -1.0, 2.0], [0.3, 0.7, -0.2]]), np.array([[1.0, -1.0, 0.3],
                                                                      [0.5, 0.8, -0.2]])
    assert g(a, b) == pytest.approx(twin(a, b), rel=1e-6)
    expected = autograd.grad(_twin(twin))(a, b)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(differentiate(g, mode=mode)(a, b), expected, rtol=1e-6)
    from ast_ad import hessian

    with warnings.catch_warnings():  # autograd's, where the gradient is constant
        warnings.simplefilter("ignore", UserWarning)
        exact = autograd.hessian(_twin(twin))(a, b)
    np.testing.assert_allclose(hessian(g)(a, b), exact, rtol=1e-6, atol=1e-9)


def test_a_masked_spread_of_equal_entries_has_a_derivative_of_zero():
    """A fuzzer find: `np.std(..., where=m)` of entries all equal took the derivative of
    its square root at 0 (inf) times that of its variance (0): nan, where it is 0."""
    g = make_function("""
        import numpy as np

        def g(x, y):
            return np.std(np.array([y, y, y]), ddof=1, where=np.array([x, y, y]) < 0.5) + x
        """)
    for mode in ("reverse", "forward"):
        assert differentiate(g, wrt=(0, 1), mode=mode)(-1.192, -0.683) == (1.0, 0.0)


@pytest.mark.parametrize("call, message", [
    ("np.max(a, where=a > 0)", "with `where` needs `initial`"),
    ("np.mean(a, initial=1.0)", "takes no `initial`"),
])
def test_reduction_keywords_numpy_refuses_are_refused(call, message):
    g = make_function(f"import numpy as np\n\ndef g(a):\n    return {call}\n")
    with pytest.raises(UnsupportedSyntaxError, match=message):
        differentiate(g)
