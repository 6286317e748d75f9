"""Elementwise values an array adjoint reads only for their shape are left out."""

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import differentiate, source
from ast_ad.runtime.arrays import float_type, materialize, mean_count, result_like, uniform_adjoint
from ast_ad.runtime.linalg import matmul_like
from tests.conftest import examples, make_function

np = pytest.importorskip("numpy")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
hnp = pytest.importorskip("hypothesis.extra.numpy")

DTYPES = [np.float64, np.float32, np.int64, np.int32]


@functools.lru_cache(maxsize=None)
def _shared(text, **namespace):
    """`make_function(text)` over `namespace`, made once: the shapes and types a test checks
    share one function, and so its transforms (`differentiate` caches per function)."""
    return make_function(text, namespace=namespace)


@examples(60, 600)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3),
       dtypes=st.lists(st.sampled_from(DTYPES), min_size=3, max_size=3),
       scalar=st.sampled_from([None, 2.0, 3]))
def test_result_like_has_the_shape_and_gradient_type_of_the_result(shapes, dtypes, scalar):
    parts = [np.ones(shape, dtype) for shape, dtype in zip(shapes.input_shapes, dtypes)]
    if scalar is not None:
        parts.append(scalar)
    result = parts[0]
    for part in parts[1:]:
        result = result * part
    like = result_like(*parts)
    assert np.shape(like) == result.shape and np.ndim(like) == result.ndim
    assert np.size(like) == result.size
    assert float_type(like) == float_type(result)


SOURCES = {
    "broadcast": """
        def f(a, b):
            return np.sum(np.exp(a) * b - a * 2.0)
        """,
    "mean": """
        def f(a, b):
            return np.mean(np.tanh(a * b) + a)
        """,
    "axis": """
        def f(a, b):
            return np.sum(np.sum(np.sin(a) * b, axis=0, keepdims=True) * 3.0)
        """,
    "ufunc of two": """
        def f(a, b):
            return np.sum(np.maximum(a * a, b) - np.log1p(a * a))
        """,
}
SHAPES = [((3,), (3,)), ((2, 1), (1, 3)), ((4, 3), (3,)), ((3,), ())]


@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_match_autograd_with_broadcasting_and_types(name, shapes, dtype):
    f = _shared(SOURCES[name], np=np)
    twin = _shared(SOURCES[name], np=anp)
    rng = np.random.default_rng(len(name))
    a, b = (rng.uniform(0.2, 1.5, size).astype(dtype) for size in shapes)
    for i in (0, 1):
        ours = differentiate(f, wrt=i)(a, b)
        expected = autograd.grad(twin, i)(a.astype(np.float64), b.astype(np.float64))
        assert np.shape(ours) == np.shape((a, b)[i]) and ours.dtype == dtype
        tolerance = 1e-9 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(ours, expected, rtol=tolerance, atol=tolerance)


def test_the_summand_of_a_loss_is_not_computed():
    f = make_function("""
        def f(w, X, y):
            z = X @ w
            return np.sum(np.log1p(np.exp(z)) - y * z)
        """, namespace={"np": np})
    text = source(differentiate(f))
    primal = text.split("\n\n")[0]
    assert "log1p" not in primal and "y * z" not in primal
    assert "result_like(" in text
    # z's adjoint is made an array by its next contribution, `v1_bar * v1` (v1 = exp(z))
    assert "materialize" not in text
    # y * z has the shape of the summand, which broadcasts y and z too: only the adjoints
    # to z, and to exp(z), are summed back
    assert text.count("unbroadcast(") == 2 and text.count("result_like(") == 1


def test_a_value_read_for_more_than_its_shape_is_kept():
    f = make_function("""
        def f(x):
            s = np.sin(x)
            return np.sum(s * s)
        """, namespace={"np": np})
    text = source(differentiate(f))
    assert "np.sin(x)" in text.split("\n\n")[0]
    x = np.linspace(0.1, 1.0, 5)
    np.testing.assert_allclose(differentiate(f)(x), 2 * np.sin(x) * np.cos(x), rtol=1e-12)


def test_second_order_through_a_stand_in():
    f = make_function("""
        def f(x):
            return np.sum(x ** 3 * 2.0 + np.exp(x))
        """, namespace={"np": np})
    x = np.linspace(-1.0, 1.0, 4)
    gradient = differentiate(f)
    assert "** 3 * 2.0" not in source(gradient).split("\n\n")[0]
    expected = 12.0 * x + np.exp(x)  # the Hessian is diagonal: its row sums
    forward_over_reverse = differentiate(gradient, mode="forward")
    np.testing.assert_allclose(forward_over_reverse(x, x_dot=1.0), expected, rtol=1e-12)
    np.testing.assert_allclose(forward_over_reverse(x), np.diag(expected), rtol=1e-12)
    summed = make_function("""
        def g(x):
            return np.sum(gradient(x))
        """, namespace={"np": np, "gradient": gradient})
    np.testing.assert_allclose(differentiate(summed)(x), expected, rtol=1e-12)


UNIFORM = {
    "scaled": "np.sum(a * 2.0)",
    "affine of two": "np.sum(3.0 * a - b * 0.5 + 1.0)",
    "squares": "np.sum(100.0 * (b - a ** 2) ** 2 + (1.0 - a) ** 2)",
    "negated": "-np.sum(-(a * b))",
    "mean": "np.mean(a * 2.0 - b)",
    "two sums": "np.sum(a * 2.0) + np.sum(a * b - a)",
    "a value kept": "np.sum(np.exp(a) * 2.0 + b)",
    "logistic": "np.sum(np.log1p(np.exp(a)) - b * a)",
}


@pytest.mark.parametrize("name", sorted(UNIFORM))
@examples(15, 150)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_sums_seeded_with_a_number_match_autograd(name, shapes, dtype):
    """Operands of one shape take the number; of two, the filled array: both are right."""
    text = f"""
        def f(a, b):
            return {UNIFORM[name]}
        """
    f = _shared(text, np=np)
    twin = _shared(text, np=anp)
    rng = np.random.default_rng(7)
    a, b = (rng.uniform(-1.0, 1.0, shape).astype(dtype) for shape in shapes.input_shapes)
    gradients = differentiate(f, wrt=(0, 1))(a, b)
    expected = autograd.grad(twin, (0, 1))(a.astype(np.float64), b.astype(np.float64))
    tolerance = 1e-9 if dtype == np.float64 else 1e-4
    for ours, theirs, argument in zip(gradients, expected, (a, b)):
        assert np.shape(ours) == argument.shape and np.asarray(ours).dtype == dtype
        assert argument.ndim == 0 or ours.flags.writeable  # not a broadcast view
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_rosenbrock_multiplies_constants_into_a_number():
    f = make_function("""
        def f(x):
            return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        """, namespace={"np": np})
    text = source(differentiate(f))
    # x[1:] and x[:-1] have one shape, and so has all that is computed from them: no
    # adjoint is summed back, and the seed is a number when x is an array.
    assert "uniform_adjoint(out_bar, v4)" in text
    assert "unbroadcast" not in text and "result_like" not in text
    # The adjoints of the two kept operands compute with them (`v6_bar * 100.0 * 2 * v4`):
    # arrays already, of their shapes.
    assert "materialize(" not in text


def test_an_adjoint_the_number_reaches_alone_is_made_an_array():
    f = make_function("""
        def f(a, b):
            return np.sum(np.exp(a) * 2.0 + b)
        """, namespace={"np": np})
    gradient = differentiate(f, wrt=(0, 1))
    assert "materialize(" in source(gradient)
    a, b = np.linspace(0.0, 1.0, 3), np.ones(3, np.float32)
    a_bar, b_bar = gradient(a, b)
    np.testing.assert_allclose(a_bar, 2.0 * np.exp(a), rtol=1e-12)
    assert type(b_bar) is np.ndarray and b_bar.shape == (3,) and np.all(b_bar == 1.0)


@pytest.mark.parametrize("shape", [(4,), (3, 1), (1, 3)], ids=str)
def test_second_order_through_a_number_seed(shape):
    f = _shared("""
        def f(x):
            return np.sum(3.0 * x * x - 2.0 * x)
        """, np=np)
    x = np.linspace(-1.0, 1.0, 4 if shape == (4,) else 3).reshape(shape)
    gradient = differentiate(f)
    assert "uniform_adjoint" in source(gradient)
    np.testing.assert_allclose(gradient(x), 6.0 * x - 2.0, rtol=1e-12)
    forward_over_reverse = differentiate(gradient, mode="forward")
    np.testing.assert_allclose(forward_over_reverse(x, x_dot=1.0), np.full(shape, 6.0),
                               rtol=1e-12)
    hessian = forward_over_reverse(x)  # the Jacobian of the gradient, as jax.jacfwd's
    np.testing.assert_allclose(hessian.reshape(x.size, x.size), 6.0 * np.eye(x.size),
                               rtol=1e-12)
    summed = _shared("""
        def g(x):
            return np.sum(gradient(x) * x)
        """, np=np, gradient=gradient)
    np.testing.assert_allclose(differentiate(summed)(x), 12.0 * x - 2.0, rtol=1e-12)


def test_a_number_only_for_operands_alike():
    a, b = np.ones(3), np.ones((2, 3))
    assert np.ndim(uniform_adjoint(2.0, result_like(a, a))) == 0
    spread = uniform_adjoint(2.0, result_like(a, b))
    assert spread.shape == (2, 3) and np.all(spread == 2.0)
    assert uniform_adjoint(2.0, np.ones(3, np.float32)).dtype == np.float32
    made = materialize(np.float32(2.0), a)
    assert made.shape == (3,) and made.dtype == np.float32 and made.flags.writeable
    assert materialize(b, a) is b


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3, 3), (3, 3)), ((3, 3), (3,)),
                                    ((3,), (3, 2))], ids=str)
def test_matmul_called_as_a_function_is_no_elementwise_operation(shapes):
    """`np.matmul` is a ufunc too, but of matrices: its result is computed, not stood in for."""
    text = """
        def f(a, b):
            return np.sum(np.matmul(a, b)) + np.sum(np.matmul(a, b) * 2.0)
        """
    f = _shared(text, np=np)
    twin = _shared(text, np=anp)
    rng = np.random.default_rng(3)
    a, b = (rng.uniform(-1.0, 1.0, shape) for shape in shapes)
    for ours, theirs in zip(differentiate(f, wrt=(0, 1))(a, b), autograd.grad(twin, (0, 1))(a, b)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@st.composite
def _matmul_shapes(draw):
    """The shapes of two operands `np.matmul` takes: vectors, matrices, broadcast stacks."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    stacks = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    left = draw(st.sampled_from([(k,), stacks.input_shapes[0] + (n, k)]))
    right = draw(st.sampled_from([(k,), stacks.input_shapes[1] + (k, m)]))
    return left, right


@examples(60, 600)
@given(shapes=_matmul_shapes(), dtypes=st.lists(st.sampled_from(DTYPES), min_size=2,
                                                max_size=2))
def test_matmul_like_has_the_shape_and_gradient_type_of_the_product(shapes, dtypes):
    x, y = (np.ones(shape, dtype) for shape, dtype in zip(shapes, dtypes))
    like, product = matmul_like(x, y), np.matmul(x, y)
    assert np.shape(like) == np.shape(product) and float_type(like) == float_type(product)
    inner = matmul_like(result_like(x, 2.0), y)  # stand-ins nest
    assert np.shape(inner) == np.shape(product)


@pytest.mark.parametrize("shapes", [((3, 4), (5, 2)), ((4,), (5,)), ((), (3,)), ((3,), ())],
                         ids=str)
def test_a_product_left_out_still_checks_its_shapes(shapes):
    """Only the product's shape is read, so `matmul_like` raises as `@` would have."""
    f = _shared("""
        def f(a, b):
            return np.sum(a @ b)
        """, np=np)
    assert "matmul_like" in source(differentiate(f, wrt=(0, 1)))
    with pytest.raises(ValueError, match="matmul"):
        differentiate(f, wrt=(0, 1))(*(np.ones(shape) for shape in shapes))


LAYER = """
    def f(W, b, X):
        H = np.tanh(X @ W + b)
        return np.sum(H * H)
    """


@pytest.mark.parametrize("shapes", [((3, 4), (4,), (5, 3)), ((3, 4), (5, 4), (1, 3)),
                                    ((3,), (), (5, 3)), ((3, 4), (4,), (3,)),
                                    ((2, 3, 4), (4,), (5, 3))], ids=str)
def test_a_product_read_once_is_not_named(shapes):
    """Its shape is read through `matmul_like`, even where the bias broadcasts it larger."""
    f = _shared(LAYER, np=np)
    twin = _shared(LAYER, np=anp)
    gradient = differentiate(f, wrt=(0, 1))
    assert "np.tanh(X @ W + b)" in source(gradient).split("\n\n")[0]
    assert "matmul_like(X, W)" in source(gradient)
    rng = np.random.default_rng(5)
    W, b, X = (rng.uniform(-1.0, 1.0, shape) for shape in shapes)
    for ours, theirs in zip(gradient(W, b, X), autograd.grad(twin, (0, 1))(W, b, X)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    v = rng.uniform(-1.0, 1.0, shapes[0])
    hessian_vector = differentiate(differentiate(f), mode="forward")(W, b, X, W_dot=v)
    expected = autograd.grad(lambda W: np.sum(autograd.grad(twin)(W, b, X) * v))(W)
    np.testing.assert_allclose(hessian_vector, expected, rtol=1e-10, atol=1e-12)


def test_the_adjoint_through_a_layer_goes_into_the_activation_line():
    """No name holds a layer's adjoint to the end: `x_bar` for a product `x @ W2` is read
    once, by the tanh's adjoint."""
    f = make_function("""
        def f(W1, W2, X):
            H = np.tanh(X @ W1)
            return np.sum((H @ W2) ** 2)
        """, namespace={"np": np})
    text = source(differentiate(f, wrt=(0, 1)))
    assert "H_bar" not in text
    assert "matmul_adjoint_left(v2_bar, H, W2) * (1.0 - H * H)" in text


@examples(40, 400)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_mean_count_is_how_many_entries_each_mean_averages(shape, data):
    axes = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1) |
                     st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True)
                     .map(tuple))
    x = np.ones(shape)
    assert mean_count(x, axes) == x.size // np.mean(x, axis=axes).size
    assert mean_count(result_like(x, 1.0), axes) == mean_count(x, axes)


SLICES = st.one_of(
    st.tuples(st.none() | st.integers(0, 4), st.none() | st.integers(-4, -1)),
    st.tuples(st.none() | st.just(0), st.integers(0, 4)),
    st.tuples(st.integers(-4, -1), st.none()))


@examples(200, 2000)
@given(n=st.integers(0, 7), first=SLICES, second=SLICES)
def test_slices_of_one_class_keep_as_many_entries(n, first, second):
    """The static rule behind dropping `unbroadcast` between `x[1:]` and `x[:-1]`."""
    import gast

    from ast_ad.ad.sweeps import _entries_kept

    def kept(bounds):
        node = gast.parse(f"x[{bounds[0] if bounds[0] is not None else ''}:"
                          f"{bounds[1] if bounds[1] is not None else ''}]").body[0].value
        return _entries_kept(node.slice)

    x = np.arange(n)
    assert kept(first) is not None and kept(second) is not None
    if kept(first) == kept(second):
        assert len(x[slice(*first)]) == len(x[slice(*second)])


FINITE_DIFFERENCES = {
    "first difference": "np.sum((x[1:] - x[:-1]) ** 2 * w[1:])",
    "second difference": "np.sum(np.sin(x[2:] - 2.0 * x[1:-1] + x[:-2]))",
    "ends": "np.sum(x[:2] * np.exp(x[-2:]))",
    "a smaller weight": "np.sum((x[1:] - x[:-1]) * w[:1])",
}


@pytest.mark.parametrize("name", sorted(FINITE_DIFFERENCES))
@pytest.mark.parametrize("shape", [(1,), (2,), (3,), (6,), (5, 2)], ids=str)
def test_differences_of_slices_match_autograd(name, shape):
    text = f"""
        def f(x, w):
            return {FINITE_DIFFERENCES[name]}
        """
    f = _shared(text, np=np)
    twin = _shared(text, np=anp)
    rng = np.random.default_rng(len(name) + len(shape))
    x, w = rng.uniform(-1.0, 1.0, shape), rng.uniform(-1.0, 1.0, shape)
    for ours, theirs in zip(differentiate(f, wrt=(0, 1))(x, w),
                            autograd.grad(twin, (0, 1))(x, w)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    direction = rng.uniform(-1.0, 1.0, shape)
    along = differentiate(f, mode="forward")(x, w, x_dot=direction)
    np.testing.assert_allclose(along, np.sum(differentiate(f)(x, w) * direction), rtol=1e-9,
                               atol=1e-12)


def test_names_a_loop_assigns_have_no_shape_class():
    """A name assigned once inside a loop may hold values of other shapes on other
    iterations (`x = X[i:]`): only names outside loops are of one shape for certain."""
    from ast_ad.frontend.expressions import parameters
    from ast_ad.frontend.lower import lower
    from ast_ad.frontend.parse import parse_function
    from ast_ad.ad.sweeps import applications, shape_classes

    f = make_function("""
        def f(X, n):
            a = X[1:]
            b = X[:-1]
            s = np.sum(a * b)
            for i in range(n):
                x = X[i:] * 1.0
                c = x[1:]
                d = X[1:]
                s = s + np.sum(c * d)
            return s
        """, namespace={"np": np})
    tree = lower(parse_function(f))
    classes = shape_classes(tree.body, applications(tree.body), parameters(tree))
    assert classes["a"] == classes["b"] and classes["a"] is not None
    assert not {"x", "c", "d"} & set(classes)
