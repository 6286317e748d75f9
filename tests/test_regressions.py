"""Programs that once gave wrong derivatives or crashed, checked in both modes."""

import math

import pytest

from ast_ad import DifferentiationError, differentiate, source
from ast_ad.testing import central_difference
from tests.conftest import make_function


def _check(source, args, wrt=None, name=None, namespace=None):
    f = make_function(source, name, namespace)
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, float)) if wrt is None else wrt
    for optimized in (True, False):
        for mode in ("reverse", "forward"):
            ours = differentiate(f, wrt=wrt, mode=mode, optimized=optimized)(*args)
            for i, value in zip(wrt, ours):
                direction = [1.0 if j == i else 0.0 for j in range(len(args))]
                numeric = [a if isinstance(a, float) else 0.0 for a in args]
                keep = {j: a for j, a in enumerate(args) if not isinstance(a, float)}

                def along(*values):
                    return f(*[keep.get(j, v) for j, v in enumerate(values)])

                expected = central_difference(along, numeric, direction)
                assert abs(value - expected) <= 1e-6 * (1 + abs(expected)), \
                    (mode, optimized, i, value, expected)


@pytest.mark.parametrize("x", [1.0, -1.0])
def test_loop_inside_a_branch_changing_an_earlier_variable(x):
    _check("""
        def f(x):
            a = x * 2.0
            if x > 0.0:
                z = a * 3.0
            else:
                for i in range(2):
                    a = a * 0.5
                z = a
            return z
        """, (x,))


def test_nested_loops_are_recomputed():
    _check("""
        def f(x):
            s = x
            for i in range(2):
                p = 1.0
                for j in range(2):
                    p = p * s
                s = s + p * x
            return s
        """, (1.3,))


def test_inner_loop_with_break():
    _check("""
        def f(x):
            s = x
            for i in range(3):
                for j in range(4):
                    s = s * x
                    if s > 3.0:
                        break
                s = s * 0.5
            return s
        """, (1.3,))


def test_loop_without_adjoint_work_gives_back_what_it_overwrote():
    _check("""
        def f(x, y):
            z = x * y
            for i in range(2):
                x = x + 1.0
            return z + x
        """, (1.3, 0.7))


def test_value_first_defined_in_a_loop_and_read_after_it():
    _check("""
        def f(x, n):
            for i in range(n):
                t = x * i
            return t * t
        """, (1.3, 3))


def test_value_defined_in_some_iterations_and_read_after_the_loop():
    _check("""
        def f(x, n):
            t = 0.0
            for i in range(n):
                if i > 0:
                    t = x * i
            return t * t
        """, (1.3, 3))


def test_global_of_an_inlined_function_named_like_a_local():
    namespace = {"scale": 3.0, "out": 2.0}
    helper = make_function("def h(t):\n    return t * scale + out\n", namespace=namespace)
    _check("""
        def f(x):
            scale = x * 2.0
            return h(x) + scale
        """, (0.7,), namespace={"h": helper})


def test_reassigned_parameter_is_not_propagated_as_a_constant():
    _check("""
        def f(x, y):
            z = y * 3.0
            if x > 5.0:
                for i in range(2):
                    y = x
                z = z + y
            return z
        """, (1.0, 2.0))


def test_fused_sums_keep_the_order_of_pops():
    _check("""
        def f(x, y):
            A = []
            B = []
            A.append(x)
            A.append(y)
            B.append(y)
            B.append(x)
            s = 0.0
            for a, b in zip(A, B):
                s = s + a * b
            return s
        """, (1.5, 2.0))


def test_users_own_list_is_not_taken_for_a_stack():
    f = make_function("""
        def f(x):
            L = []
            L.append(5.0)
            L.append(2.0)
            L.append(3.0)
            z = L.pop()
            return L[-1] * x
        """)
    assert differentiate(f)(1.0) == 2.0


def test_list_argument_with_another_argument_unused():
    f = make_function("def f(L, y):\n    return L[0] * 2.0\n")
    assert differentiate(f, wrt=(0, 1))([1.5, 2.0], 3.0) == ([2.0, 0.0], 0.0)


@pytest.mark.parametrize("iterable", ["reversed(range(n))", "enumerate(range(n))"])
def test_loop_over_an_iterator_can_be_reversed(iterable):
    _check(f"""
        def f(x, n):
            s = x
            for p in {iterable}:
                s = s * x
            return s
        """, (1.3, 3))


def test_loop_variable_read_after_an_empty_body():
    _check("def f(x):\n    for i in range(3):\n        pass\n    return x * i\n", (1.3,))


def test_return_none_is_not_a_scalar():
    with pytest.raises(DifferentiationError):
        differentiate(make_function("def f(x):\n    return None\n"))


def test_break_in_a_loop_over_a_local_list():
    _check("""
        def f(x):
            L = []
            L.append(x)
            L.append(x * 2.0)
            s = 0.0
            for v in L:
                if v > 5.0:
                    break
                s = s + v * v
            return s
        """, (1.3,))


def test_list_of_lists_is_refused_clearly():
    from ast_ad import UnsupportedSyntaxError

    f = make_function("""
        def f(x):
            M = []
            M.append(x)
            L = []
            L.append(M)
            return L[0][0] * x
        """)
    with pytest.raises(UnsupportedSyntaxError, match="list of lists"):
        differentiate(f)


def test_a_value_computed_twice_is_shared_only_while_it_cannot_change():
    """The second `x * y` reuses the first; `xs[0]` after an append, `x * y` after `x`
    changes, and the same value inside a loop are computed again."""
    _check("""
        def f(x, y):
            a = x * y + math.sin(x * y)
            xs = []
            xs.append(a)
            b = xs[0]
            xs.append(b * x)
            c = xs[0] * xs[1]
            x = x * 2.0
            for i in range(2):
                c = c + x * y + math.sin(x * y)
            return a + b + c + x * y
        """, (0.7, -1.3), namespace={"math": __import__("math")})
    f = make_function("""
        def f(x, y):
            return x * y + math.sin(x * y)
        """, namespace={"math": __import__("math")})
    from ast_ad import source

    code = [line for line in source(differentiate(f)).splitlines()
            if not line.strip().startswith("#")]
    assert "\n".join(code).count("x * y") == 1


def test_a_name_one_branch_binds_and_a_loop_carries():
    _check("""
        def f(x, y):
            if x > 0.5:
                t = x
            for i in range(2):
                t = x
                x = y * t
            return x
        """, (0.2, 0.3))


@pytest.mark.parametrize("point", [(-0.583, 0.467), (0.3, 0.7), (-0.9, 0.6)])
def test_second_derivative_through_a_loop_reusing_a_branch_value(point):
    """The gradient reads, under the same test, a value one branch of its loop bound."""
    f = make_function("""
        def f(x, y):
            a = x * 0.5
            b = y + 0.25
            c = a
            for i in range(3):
                if y > 0.55:
                    if x > -0.8:
                        x = c
                    b, x = x, x - 0.94 - c
                if b > -0.2:
                    c = b * (y - a)
            return 0.97 * y + a * b
        """)
    gradient = differentiate(f, wrt=0)
    second = differentiate(gradient, wrt=0, mode="forward")(*point)
    expected = central_difference(lambda x: gradient(x, point[1]), [point[0]], [1.0])
    assert abs(second - expected) <= 1e-6 * (1 + abs(expected))


def test_a_value_read_again_after_a_pop_is_not_shared():
    _check("""
        def f(x):
            ks = []
            ks.append(2.0)
            ks.append(5.0)
            a = ks[-1]
            b = ks.pop()
            c = ks[-1]
            return x * a + x * c + b
        """, (0.3,))


@pytest.mark.parametrize("n", [0, 3])
def test_a_loop_that_runs_no_iteration_leaves_its_target_as_it_was(n):
    _check("""
        def f(x, n):
            y = x * x
            ys = []
            for i in range(n):
                ys.append(x * i)
            for y in ys:
                pass
            t = x
            for t in reversed(ys):
                t = t * 2.0
            return y * x + t
        """, (0.7, n))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_loops_over_reversed_lists_and_zips_of_them(n):
    _check("""
        def f(x, n):
            ys = []
            zs = []
            for i in range(n):
                ys.append(x * i + 1.0)
                zs.append(x * x)
            s = x
            for y, z in zip(reversed(ys), zs):
                s = s * y + z
            for y in reversed(ys):
                s = s + y * y
            return s
        """, (0.7, n))


def test_a_list_appended_after_a_loop_that_reads_its_length():
    """The reversed loop recomputes `len(L)`: the append after it is undone first."""
    _check("""
        def f(x, y):
            a = x * 0.5
            b = y + 0.25
            L = []
            for i in range(2):
                x = math.sin(b) - y
                for w in L:
                    x = w * a
            L.append(0.73)
            x = L[-1] * x
            return x + a * b
        """, (-1.1, 0.2), namespace={"math": math})


def test_a_pop_of_constants_is_undone_for_the_loops_reversed_before():
    _check("""
        def f(x):
            ks = []
            ks.append(2.0)
            ks.append(5.0)
            for k in ks:
                x = x * k + 1.0
            b = ks.pop()
            return x * b
        """, (0.3,))


def test_a_pop_whose_value_is_dropped_is_reversed():
    f = make_function("""
        def f(x):
            ks = []
            ks.append(2.0 * x)
            ks.append(x * x)
            ks.pop()
            return x * ks[0] + len(ks)
        """)
    for mode in ("reverse", "forward"):
        assert differentiate(f, mode=mode)(0.3) == pytest.approx(1.2, rel=1e-12)
    assert differentiate(differentiate(f))(0.3) == pytest.approx(4.0, rel=1e-12)


def test_a_part_of_an_array_subtracted_can_be_differentiated_again():
    """`W_bar[0] += -g` must not become `W_bar[0] -= g`, which ast_ad cannot read back."""
    np = pytest.importorskip("numpy")
    f = make_function("""
        def f(x, W):
            t = x - W[0]
            return np.sum(np.sin(W[1]) * t)
        """, namespace={"np": np})
    x, W = np.array([0.2, -0.1]), np.array([[0.3, -0.4], [0.5, 0.7]])
    gradient = differentiate(f, wrt=1)
    assert "] -=" not in source(gradient)
    direction = np.ones_like(W)
    hvp = differentiate(gradient, wrt=1, mode="forward")(x, W, W_dot=direction)
    t = x - W[0]
    expected = np.array([-np.cos(W[1]), np.cos(W[1]) * (-1.0) - np.sin(W[1]) * t])
    np.testing.assert_allclose(hvp, expected, rtol=1e-12)
    summed = make_function("""
        def g(x, W):
            return np.sum(gradient(x, W))
        """, namespace={"np": np, "gradient": gradient})
    np.testing.assert_allclose(differentiate(summed, wrt=1)(x, W), expected, rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 3, 4])
def test_enumerate_of_reversed_counts_from_the_end(n):
    _check("""
        def f(x, n):
            xs = []
            for i in range(n):
                xs.append(x * i)
            s = 0.0
            for k, v in enumerate(reversed(xs)):
                s = s + k * v
            for k, j in enumerate(reversed(range(n))):
                s = s + k * j * x * x
            return s
        """, (1.3, n))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_repeated_list_of_constant_tuples(mode):
    """`[(1.0, 2.0)] * 2`: the lowering took the tuples for constants and then read them as
    numbers (an AttributeError of ours); the constants now have one reader."""
    f = make_function("""
        def f(x):
            ys = [(1.0, -2.0)] * 2
            return x * ys[1][1] + x * x * ys[0][0]
        """)
    assert differentiate(f, mode=mode)(0.5) == pytest.approx(-2.0 + 2 * 0.5)
