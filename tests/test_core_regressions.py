"""Classes of programs that once gave a wrong gradient with no error, each now right or
refused clearly: one test per class, in both modes, against central differences."""

import functools
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ast_ad import DifferentiationError, UnsupportedSyntaxError, differentiate, source
from ast_ad.testing import central_difference
from tests.conftest import make_function

MODES = ("reverse", "forward")


def _numeric(f, args, wrt):
    """∂f/∂args[wrt] along all ones, by central differences."""
    point = np.asarray(args[wrt], dtype=float)

    def along(t):
        moved = list(args)
        moved[wrt] = point + t if np.ndim(point) else float(point + t)
        return f(*moved)

    return central_difference(along, [0.0], [1.0])


def _assert_right(f, args, wrt=0, modes=MODES):
    expected = _numeric(f, args, wrt)
    for mode in modes:
        got = differentiate(f, wrt=wrt, mode=mode)(*args)
        along_ones = np.sum(got)  # forward mode's default seed is the direction of ones
        assert along_ones == pytest.approx(expected, rel=1e-6, abs=1e-8), mode


HELPER_WITH_RETURN_IN_LOOP = """
    def first_above(x, limit):
        s = x
        for i in range(10):
            s = s * 1.5
            if s > limit:
                return s
        return s * 0.0 + 99.0
    """


@pytest.mark.parametrize("caller", [
    "def f(x):\n    return first_above(x, 3.0) * x",
    "def f(x):\n    t = 0.0\n    for k in range(3):\n        t = t + first_above(x, 2.0 + k)\n"
    "    return t",
])
def test_a_helper_returning_from_inside_a_loop(caller):
    f = make_function(textwrap.dedent(HELPER_WITH_RETURN_IN_LOOP) + "\n" + caller, name="f")
    _assert_right(f, (1.0,))
    second = differentiate(differentiate(f), mode="forward")
    assert second(1.0) == pytest.approx(
        central_difference(differentiate(f), [1.0], [1.0]), rel=1e-6)


@pytest.mark.parametrize("body", [
    "t = 0.0\n    for i, v in enumerate([x, y]):\n        t = t + v * (i + 1)\n    return t",
    "return sum([x, y * x])",
    "t = 0.0\n    for a, b in zip([x, y], [y, x]):\n        t = t + a * b\n    return t",
    "t = 0.0\n    for v in reversed([x, y * 2.0]):\n        t = t * 0.5 + v\n    return t",
    "t = 0.0\n    for v in [x, y * x]:\n        t = t + v * v\n    return t",
    "xs = [x, y]\n    return xs[0] * xs[1]",
])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_display_given_to_a_builtin_or_a_loop(body, wrt):
    f = make_function(f"def f(x, y):\n    {body}\n")
    _assert_right(f, (1.2, 0.7), wrt)


def _scaled(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return 3.0 * function(*args, **kwargs)
    return wrapper


def test_a_functools_wraps_decorator_is_seen_through():
    namespace = {"scaled": _scaled}
    f = make_function("""
        @scaled
        def f(x, k=2.0):
            return x * x * k
        """, namespace=namespace)
    _assert_right(f, (1.2,))
    g = make_function("""
        def g(x):
            return f(x) + x
        """, namespace={"f": f})
    _assert_right(g, (1.2,))


def test_a_wrapper_that_uses_its_arguments_otherwise_is_refused():
    def logged(function):
        @functools.wraps(function)
        def wrapper(*args):
            return function(*args) + len(args)
        return wrapper

    f = make_function("""
        @logged
        def f(x):
            return x * x
        """, namespace={"logged": logged})
    with pytest.raises(UnsupportedSyntaxError, match="may only pass `args` on"):
        differentiate(f)


def test_a_wrapper_without_functools_wraps_is_refused_with_a_way_out():
    def plain(function):
        def wrapper(*args):
            return function(*args)
        return wrapper

    f = make_function("""
        @plain
        def f(x):
            return x * x
        """, namespace={"plain": plain})
    with pytest.raises(UnsupportedSyntaxError, match="functools.wraps"):
        differentiate(f)


def test_lru_cache_and_staticmethod_are_seen_through():
    helper = make_function("def helper(x):\n    return x * x * x\n")
    f = make_function("def f(x):\n    return cached(x) + static(x)\n",
                      namespace={"cached": functools.lru_cache(helper),
                                 "static": staticmethod(helper)})
    _assert_right(f, (1.1,))
    _assert_right(functools.lru_cache(helper), (1.1,))


@pytest.mark.parametrize("body", ["return np.array([x, 2.0]) * x", "return np.sin(x) * 2.0"])
def test_an_array_output_is_refused_when_the_gradient_runs(body):
    f = make_function(f"import numpy as np\n\ndef f(x):\n    {body}\n")
    with pytest.raises(DifferentiationError, match=r"returns an array of shape \(2,\).*jacobian"):
        differentiate(f)(np.array([1.0, 2.0]) if "sin" in body else 1.5)


def test_an_array_output_the_code_shows_is_refused_at_transform_time():
    f = make_function("import numpy as np\n\ndef f(x):\n    return np.stack([x, 2.0 * x])\n")
    with pytest.raises(DifferentiationError, match="f returns an array.*jacobian"):
        differentiate(f)


SHAPES = st.sampled_from([((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
                          ((), (2, 3)), ((2, 3), ()), ((2, 2, 3), (3,))])


@settings(max_examples=12, deadline=None)
@given(shapes=SHAPES, seed=st.integers(0, 2**16), product=st.sampled_from(["inner", "outer"]),
       wrt=st.sampled_from([0, 1]))
def test_inner_and_outer_of_arrays_of_any_shape(shapes, seed, product, wrt):
    f = make_function(f"import numpy as np\n\ndef f(x, y):\n"
                      f"    return np.sum(np.sin(np.{product}(x, y)))\n")
    rng = np.random.default_rng(seed)
    args = [rng.normal(size=s) if s else float(rng.normal()) for s in shapes]
    gradient = differentiate(f, wrt=wrt)(*args)
    assert np.shape(gradient) == np.shape(args[wrt])
    direction = rng.normal(size=np.shape(args[wrt]))
    moved = list(args)

    def along(t):
        moved[wrt] = args[wrt] + t * direction
        return f(*moved)

    numeric = central_difference(along, [0.0], [1.0])
    assert np.sum(gradient * direction) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    tangent = differentiate(f, wrt=wrt, mode="forward")(*args, **{"xy"[wrt] + "_dot": direction})
    assert tangent == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    # Second order, forward over reverse: the Hessian times `direction`.
    hessian_along = differentiate(differentiate(f, wrt=wrt), wrt=wrt, mode="forward")(
        *args, **{"xy"[wrt] + "_dot": direction})

    def gradient_along(t):
        moved[wrt] = args[wrt] + t * direction
        return differentiate(f, wrt=wrt)(*moved)

    expected = (gradient_along(1e-5) - gradient_along(-1e-5)) / 2e-5
    np.testing.assert_allclose(hessian_along, expected, rtol=1e-5, atol=1e-7)


def test_builtin_abs_of_an_array():
    f = make_function("import numpy as np\n\ndef f(a):\n    return np.sum(abs(a) * a)\n")
    a = np.array([-1.0, 2.0, -0.5])
    np.testing.assert_allclose(differentiate(f)(a), 2 * np.abs(a))
    np.testing.assert_allclose(differentiate(f, mode="forward")(a), 2 * np.abs(a))
    assert differentiate(f, mode="forward")(a, a_dot=np.ones(3)) == \
        pytest.approx(np.sum(2 * np.abs(a)))


@pytest.mark.parametrize("body", [
    "z = w * b\n    return z[0] + z[1]",
    "t = 0.0\n    for y in b * 2.0:\n        t = t + w * y\n    return t",
])
@pytest.mark.parametrize("wrt", [0, 1])
def test_code_that_never_names_numpy_given_arrays(body, wrt):
    f = make_function(f"def f(w, b):\n    {body}\n")
    _assert_right(f, (1.5, np.array([1.0, 2.0])), wrt)


def test_a_list_argument_used_twice_by_a_helper():
    f = make_function("""
        def dot(xs, ys):
            t = 0.0
            for i in range(len(xs)):
                t = t + xs[i] * ys[i]
            return t

        def f(xs):
            return dot(xs, xs)
        """, name="f")
    assert differentiate(f)([1.0, 2.0, 3.0]) == pytest.approx([2.0, 4.0, 6.0])


def test_a_list_of_lists_is_refused_in_reverse_mode():
    f = make_function("def f(xss):\n    return xss[0][0] * xss[1][1]\n")
    with pytest.raises(UnsupportedSyntaxError, match="list of lists"):
        differentiate(f)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [{"a": 1.0}, (1.0, 2.0), object()], ids=type)
def test_an_argument_the_transform_did_not_plan_for(value, mode):
    f = make_function("def f(p, q):\n    return p * q\n")
    with pytest.raises(DifferentiationError, match="given .* for `p`"):
        differentiate(f, mode=mode)(value, 2.0)
    g = make_function("import numpy as np\n\ndef g(p, q):\n    return np.sum(p * q)\n")
    with pytest.raises(DifferentiationError, match="given .* for `p`"):
        differentiate(g, mode=mode)(value, np.ones(2))


def test_an_argument_not_differentiated_is_used_as_it_is():
    import random

    f = make_function("def f(x, rng):\n    return x * rng.uniform(1.0, 2.0)\n")
    assert differentiate(f)(1.0, random.Random(3)) == random.Random(3).uniform(1.0, 2.0)


# Found by the fuzzer.

@pytest.mark.parametrize("mode", MODES)
def test_a_list_argument_appended_to_is_changed_once_and_never_undone(mode):
    f = make_function("""
        def f(x, y, log):
            log.append(y)
            s = x
            for i in range(2):
                log.append(s)
                s = s * y
            return s
        """)
    log = []
    assert differentiate(f, wrt=1, mode=mode)(1.0, 2.0, log) == pytest.approx(4.0)
    assert log == [2.0, 1.0, 2.0]
    g = make_function("def g(x, log):\n    log.append(x)\n    return log[0] * x\n")
    with pytest.raises(UnsupportedSyntaxError, match="appends to, as an effect, and also reads"):
        differentiate(g)


@pytest.mark.parametrize("mode", MODES)
def test_an_array_the_output_does_not_depend_on(mode):
    f = make_function("def f(x, w):\n    return x * x\n")
    w = np.ones(3)
    gradient = differentiate(f, wrt=(0, 1), mode=mode)(1.5, w)
    assert gradient[0] == pytest.approx(3.0)
    np.testing.assert_array_equal(gradient[1], np.zeros(3) if mode == "reverse" else 0.0)


def test_a_helper_that_reassigns_its_parameter_in_a_loop_leaves_the_callers_alone():
    f = make_function("""
        def h1(p, q):
            for v in [1.07, p, p]:
                p, q = (q, 1.0)
            return q

        def f(x, y):
            t = h1(y, x)
            return x * y + t
        """, name="f")
    _assert_right(f, (-1.0, 1.3), 0)
    _assert_right(f, (-1.0, 1.3), 1)


@pytest.mark.parametrize("body", [
    "t = 0.0\n    for i, v in enumerate((y, x)):\n        t = t + v * (i + 1)\n    return t",
    "return sum((1.85,)) * x + y",
])
def test_tuple_displays_as_sequences(body):
    f = make_function(f"def f(x, y):\n    {body}\n")
    _assert_right(f, (1.2, 0.7), 0)


def test_a_list_made_in_a_branch_is_refused_in_reverse_mode():
    f = make_function("""
        def f(x, y):
            if x > 0.0:
                xs = []
                xs.append(y)
                return xs[0] * x
            return y
        """)
    with pytest.raises(UnsupportedSyntaxError, match="inside a branch"):
        differentiate(f, wrt=1)
    _assert_right(f, (0.5, 1.2), 1, modes=("forward",))


def test_an_array_carried_by_a_loop_that_may_not_run():
    f = make_function("""
        import numpy as np

        def f(y, w, n):
            for i in range(1, n):
                w = np.sin(w)
            return y * np.sum(w)
        """)
    w = np.array([0.1, -0.7])
    for n in (1, 3):
        gradient = differentiate(f, wrt=(0, 1))(1.5, w, n)
        expected = np.cos(np.sin(w)) * np.cos(w) * 1.5 if n == 3 else np.full(2, 1.5)
        np.testing.assert_allclose(gradient[1], expected)


def test_break_in_a_loop_over_an_iterator():
    """Over `reversed(...)` it counts down by index; over another iterator, refused."""
    f = make_function("""
        def f(x, y):
            t = 0.0
            for v in reversed([x * 0.5, y, x]):
                if t > 2.0:
                    break
                t = t + v * x
            return t
        """)
    assert differentiate(f, wrt=(0, 1))(1.5, 2.0) == pytest.approx((2 * 1.5, 0.0))  # t = x * x
    g = make_function("""
        def f(x, y):
            t = 0.0
            for v in map(abs, [x * 0.5, y, x]):
                if t > 2.0:
                    break
                t = t + v * x
            return t
        """)
    with pytest.raises(UnsupportedSyntaxError, match="loop over an index"):
        differentiate(g)


def test_forward_mode_through_a_pop_whose_value_is_dropped():
    f = make_function("""
        def f(x, y):
            xs = []
            xs.append(x * y)
            xs.append(y)
            xs.pop()
            return xs[0] * x
        """)
    assert differentiate(f, wrt=1, mode="forward")(1.3, 0.4) == pytest.approx(1.3 * 1.3)


def test_a_parameter_read_only_by_values_the_output_does_not_need():
    f = make_function("""
        def f(x, w):
            k = 0
            while k < 2:
                k += 1
                unused = w
                x = x * 1.5
            return x * x
        """)
    gradient = differentiate(f, wrt=(0, 1))(0.5, np.ones(3))
    assert gradient[0] == pytest.approx(2 * 0.5 * 1.5 ** 4)
    np.testing.assert_array_equal(gradient[1], np.zeros(3))


@pytest.mark.parametrize("body", [
    # the branch tests a flag that a loop inside it assigns again
    "def f(x):\n    flag = x > 0.0\n    s = x\n    if flag:\n"
    "        for i in range(3):\n            flag = not flag\n            s = s * x\n"
    "    return s",
    # the loop runs over a list its body makes anew
    "def f(x):\n    ws = [0.5, 1.5]\n    s = 0.0\n    for w in ws:\n        s = s + w * x\n"
    "        ws = [w, w, w]\n    return s",
    # the loop's variable takes constants, and a differentiated value in a nested loop
    "def f(x):\n    s = 0.0\n    for c in (0.5, 1.5):\n        for i in range(2):\n"
    "            c = c * x\n        s = s + c\n    return s",
])
def test_names_a_loop_assigns_again(body):
    f = make_function(body, name="f")
    _assert_right(f, (0.7,))
    _assert_right(f, (-0.6,))


class _Shapes:
    @classmethod
    def square(cls, a):
        return a * a

    @staticmethod
    def cube(a):
        return a * a * a


def _doubled(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return 2.0 * function(*args, **kwargs)
    return wrapper


@_doubled
def _doubled_square(a):
    return a * a


@pytest.mark.parametrize("body", [
    "def f(x):\n    return Shapes.square(x) + Shapes.cube(x)",
    "def f(x):\n    return doubled_square(x) * x",
    "def f(x):\n    s = 0.0\n    for v in (x, x * x, 2.0):\n        s = s + v * v\n    return s",
])
def test_helpers_called_as_written(body):
    f = make_function(body, name="f", namespace={
        "Shapes": _Shapes, "doubled_square": _doubled_square})
    _assert_right(f, (0.7,))


def _jumping(count, jump):
    """`count` blocks `if x > c: if y > c: <jump>` then some work: each jumps on some
    paths of one branch only, so that the code after it once went into both branches."""
    lines = ["def f(x, y):", "    t = x * y"] + (["    for i in range(3):"] if jump != "return"
                                               else [])
    indent = "    " * (2 if jump != "return" else 1)
    for k in range(count):
        lines += [f"{indent}if x > {k / count:.3f}:", f"{indent}    if y > {k / count:.3f}:",
                  f"{indent}        " + ("return t * 2.0" if jump == "return" else jump),
                  f"{indent}t = t + math.sin(t)"]
    return "\n".join(lines + ["    return t"])


@pytest.mark.parametrize("jump", ["return", "break", "continue"])
def test_jumps_on_some_paths_copy_no_code(jump):
    f = make_function("import math\n" + _jumping(3, jump), name="f")
    for point in [(0.1, 0.2), (0.5, 0.9), (0.9, 0.5), (0.8, 0.8), (-0.3, 0.4)]:
        _assert_right(f, point, wrt=0)
        _assert_right(f, point, wrt=1)
    sizes = [len(source(differentiate(make_function("import math\n" + _jumping(n, jump),
                                                     name="f"))).splitlines())
             for n in (4, 8)]
    assert sizes[1] < 2.5 * sizes[0]  # it doubled with each block


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_parameter_indexed_by_a_key_is_a_container(mode):
    """A dict argument (`p["w"]`) was taken for a list: the derivative raised a TypeError
    from generated code. It is a container of parameters now, in both modes. A constant
    dict the module holds is read as it is."""
    f = make_function("""
        def f(p, y):
            return p["w"] * y
        """)
    assert differentiate(f, wrt=(0, 1), mode=mode)({"w": 2.0}, 3.0) == ({"w": 3.0}, 2.0)
    assert differentiate(f, wrt=1, mode=mode)({"w": 2.0}, 3.0) == 2.0
    g = make_function("""
        SCALES = {"w": 2.0}

        def g(y):
            return SCALES["w"] * y
        """, "g")
    assert differentiate(g, mode=mode)(3.0) == 2.0


@pytest.mark.parametrize("body, message", [
    ("y = x\n    z = x if x > 5.0 else (y := 2.0 * x)\n    return y + z", ":5: `:=` here"),
    ("y = x\n    if x > 5.0 or (y := 2.0 * x) > 0.0:\n        pass\n    return y",
     ":5: `:=` here"),
    ("n = 4\n    while (n := n - 1) > 0:\n        x = x * 2.0\n    return x", ":5: `:=` here"),
    ("y = x * np.array([3.0, 1.0])\n    y.sort()\n    return y[0]", r":5: `\.sort\(\)` changes"),
    ("for a, b in TRIPLES:\n        x = x * a\n    return x", ":4: an item of the data"),
    ("a = x * 2.0\n    a = b = a * 1.0\n    a += x\n    return np.sum(b)",
     ":6: this `\\+=` changes an array in place"),
    ("return np.sum(np.einsum(x, [0], [0]))", ":4: np.einsum is differentiated with its"),
])
def test_constructs_that_gave_wrong_numbers_are_refused_at_their_line(body, message):
    """Found in review: a walrus on some evaluations only (a wrong derivative, or a loop
    that never ended), an in-place sort, unpacking data of another length, `+=` on an
    alias made after a reassignment, and einsum's list form all gave wrong numbers."""
    f = make_function(f"import numpy as np\n\ndef f(x):\n    {body}\n",
                      namespace={"TRIPLES": ((1.0, 2.0, 3.0),)})
    with pytest.raises(DifferentiationError, match=message):
        differentiate(f)(np.array([1.0, 3.0]))


def test_reshape_in_the_arrays_own_order_a_difference_of_nothing_and_ord_written_as_float():
    g = make_function("""
        def g(x):
            return np.sum(np.reshape(x, (3, 2), order="A")[0] * np.arange(2.0))
        """, namespace={"np": np})
    x = np.asfortranarray(np.arange(6.0).reshape(2, 3))  # read in Fortran's order
    expected = np.zeros((2, 3))
    expected[1, 1] = 1.0
    np.testing.assert_array_equal(differentiate(g)(x), expected)
    assert differentiate(g, mode="forward")(x, x_dot=expected) == 1.0
    h = make_function("def h(x):\n    return np.sum(np.diff(x, 5)) + x[0]\n",
                      namespace={"np": np})
    np.testing.assert_array_equal(differentiate(h)(np.ones(3)), [1.0, 0.0, 0.0])
    k = make_function("def k(x):\n    return np.linalg.norm(x, 2.0)\n", namespace={"np": np})
    np.testing.assert_allclose(differentiate(k)(np.array([3.0, 4.0])), [0.6, 0.8])
    np.testing.assert_allclose(differentiate(differentiate(k), mode="forward")(
        np.array([3.0, 4.0]), x_dot=np.array([1.0, 0.0])), [0.128, -0.096])
