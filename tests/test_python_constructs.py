"""Everyday Python taken as written: chained comparisons and assignments, the walrus
operator, `max` and `min` of several values or of a display, `assert` guards, f-strings
and `while True:` left by `return`; in both modes and to second order, against central
differences and the analytic values."""

import math
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import (DifferentiationError, UnsupportedSyntaxError, differentiate, hessian, jvp,
                    vjp)
from ast_ad.testing import central_difference
from tests.conftest import agrees_in_both_modes, examples, hessian_agrees, make_function

BODIES = {
    "chained": """
        def f(x, y):
            if -1.0 < x * y <= y < 1.5:
                return math.sin(x * y)
            return x * x + y
        """,
    "chained-value": """
        def f(x, y):
            inside = 0.0 < x < y < 2.0 != x
            return x * y * inside + x
        """,
    "walrus": """
        def f(x, y):
            if (z := x * y) > 0.1:
                return z * z + (w := math.sin(z)) * w
            return z + x
        """,
    "walrus-in-a-loop": """
        def f(x, y):
            s = 0.0
            for k in range(3):
                s = s + (t := x * k + y) * t
            return s * t
        """,
    "max-of-three": """
        def f(x, y):
            return max(x, y * y, 0.25) * x + min(x, y, -x) * y
        """,
    "max-of-a-display": """
        def f(x, y):
            return max([x * y, math.sin(x), y]) + min((x, y * 2.0)) + max([x * x])
        """,
}
FUNCTIONS = {name: make_function("import math\n" + textwrap.dedent(body), "f")
             for name, body in BODIES.items()}


def _away_from_kinks(x, y):
    """Points where no comparison or extremum switches within a step's reach."""
    values = [x * y, y, x, y * y, 0.25, -x, math.sin(x), 2.0 * y, -1.0, 1.5, 0.1, 0.0, 2.0]
    return all(abs(a - b) > 1e-2 for i, a in enumerate(values) for b in values[i + 1:])


@pytest.mark.parametrize("name", list(BODIES))
@examples(10, 200)
@given(x=st.floats(-1.8, 1.8), y=st.floats(-1.8, 1.8))
def test_both_modes_against_differences(name, x, y):
    if _away_from_kinks(x, y):
        agrees_in_both_modes(FUNCTIONS[name], x, y)


@pytest.mark.parametrize("name", list(BODIES))
def test_second_order_against_differences_of_the_gradient(name):
    assert _away_from_kinks(0.61, 0.83)
    hessian_agrees(FUNCTIONS[name], 0.61, 0.83)


def test_analytic_values_and_ties():
    walrus = differentiate(FUNCTIONS["walrus"], wrt=(0, 1))(0.5, 0.4)
    z = 0.2  # z * z + sin(z)²: d/dz = 2z + sin(2z)
    assert walrus == pytest.approx(((2 * z + math.sin(2 * z)) * 0.4,
                                    (2 * z + math.sin(2 * z)) * 0.5), rel=1e-14)
    # On a tie the first of the values Python compares takes the whole adjoint, as Python
    # returns it.
    tie = make_function("def f(x, y):\n    return max(x, y, x) + min([y, x])\n")
    assert differentiate(tie, wrt=(0, 1))(1.0, 1.0) == (1.0, 1.0)


def test_each_operand_of_a_chain_is_evaluated_once_and_only_as_needed():
    f = make_function("""
        def f(x, calls):
            return x * (0.0 < note(calls, x) < note(calls, 2.0 * x) < 5.0)

        def note(calls, v):
            calls.append(v)
            return v
        """, "f")
    for x, expected in ((1.0, 2), (-1.0, 1)):
        calls = []
        assert differentiate(f)(x, calls) == (1.0 if x > 0 else 0.0)
        assert len(calls) == expected  # as Python: the second call only if the first test held


def _agrees_with_differences(f, mode, x=0.3, y=0.7, second=True):
    """`f`'s partial derivatives at (x, y) in `mode`, and the first column of its Hessian
    (if `second`), against central differences."""
    for k in (0, 1):
        direction = [1.0 if j == k else 0.0 for j in (0, 1)]
        expected = central_difference(f, [x, y], direction)
        assert differentiate(f, wrt=k, mode=mode)(x, y) == pytest.approx(expected, rel=1e-7)
    if not second:
        return
    matrix = hessian(f, wrt=(0, 1))(x, y)
    for i in (0, 1):
        expected = central_difference(lambda a, b: differentiate(f, wrt=i)(a, b), [x, y],
                                      [1.0, 0.0])
        assert matrix[i][0] == pytest.approx(expected, rel=1e-6, abs=1e-8)


CHAINED = make_function("""
    def f(x, y):
        s = t = 0.0
        for k in range(3):
            s = t = s + x * k + t * y
        a = b = s * t
        b = b * 2.0
        return a + b
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_chained_assignment(mode):
    """`a = b = e`: e evaluated once, each name bound to its value, left to right."""
    _agrees_with_differences(CHAINED, mode)


def test_chained_assignment_of_a_list_or_into_a_tuple_is_refused_clearly():
    listed = make_function("def f(x, y):\n    a = b = [x, y]\n    return a[0] * b[1]\n")
    with pytest.raises(UnsupportedSyntaxError, match=":2: a second name for a list"):
        differentiate(listed)(0.3, 0.7)
    unpacked = make_function("def f(x, y):\n    a, b = c = x, y\n    return a * b\n")
    with pytest.raises(UnsupportedSyntaxError, match=":2: a chained assignment is supported"):
        differentiate(unpacked)(0.3, 0.7)


GUARDED = make_function("""
    import math

    def f(x, y):
        assert x > 0, f"x must be positive, not {x!r}"
        for k in range(2):
            assert y < 10.0 + k, "y is too large"
            print(f"step {k}: x = {x:.3f}, x * y = {x * y:8.2e}")
            x = x * y
        assert x * y < 100
        return math.sin(x * y) * x
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_asserts_and_f_strings_run_once_in_the_primal(mode, capsys):
    """`assert` guards and `print(f"...")` run as the function runs them, once each, never
    again in the reversed loop; their text has no derivative."""
    _agrees_with_differences(GUARDED, mode)
    capsys.readouterr()
    differentiate(GUARDED, wrt=1, mode=mode)(0.3, 0.7)
    assert capsys.readouterr().out == "step 0: x = 0.300, x * y = 2.10e-01\n" \
                                      "step 1: x = 0.210, x * y = 1.47e-01\n"
    with pytest.raises(AssertionError, match="x must be positive, not -1.0"):
        differentiate(GUARDED, mode=mode)(-1.0, 0.7)
    with pytest.raises(AssertionError, match="y is too large"):
        differentiate(GUARDED, mode=mode)(0.3, 11.0)


def test_an_assert_reads_as_the_user_wrote_its_test():
    from ast_ad import source

    text = source(differentiate(GUARDED))
    assert "\n    assertion(x * y < 100)\n" in text
    assert "\n            assertion(False, 'y is too large')\n" in text


ENDLESS = make_function("""
    import math

    def f(x, y):
        k = 0
        while True:
            x = x * 0.5 + math.sin(y * x)
            k += 1
            if x < 0.1 or k > 5:
                return x * y
            while True:  # a loop of its own, left by its `break`
                y = y * 0.9
                break
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_while_true_left_by_return(mode):
    _agrees_with_differences(ENDLESS, mode, x=0.8, y=0.3)


def test_while_true_that_may_break_must_return_after_it():
    g = make_function("""
        def g(x):
            while True:
                if x > 1.0:
                    break
                x = x * 2.0
        """)
    with pytest.raises(DifferentiationError, match="can end without a `return`"):
        differentiate(g)(0.3)


UNPACKING = make_function("""
    import math

    DATA = ((1.0, 2.0), (3.0, -1.0), (0.5, 0.25))

    def f(w, b):
        loss = 0.0
        for x_i, t_i in DATA:
            p = math.tanh(w * x_i + b)
            loss = loss + (p - t_i) ** 2
        return loss
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_loop_unpacks_the_items_of_data_the_module_holds(mode):
    _agrees_with_differences(UNPACKING, mode)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_loop_unpacks_the_items_of_an_argument(mode):
    f = make_function("def f(x, pairs):\n    for a, b in pairs:\n        x = x * a + b\n"
                      "    return x\n")
    pairs = [(1.5, 2.0), (0.5, -1.0)]
    assert differentiate(f, mode=mode)(0.3, pairs) == pytest.approx(1.5 * 0.5)
    with pytest.raises(ValueError, match="too many values to unpack"):  # as Python's
        differentiate(f, mode=mode)(0.3, [(1.0, 2.0, 3.0)])


FSUM = make_function("""
    import math

    def f(x, y):
        xs = []
        for k in range(3):
            xs.append(x * k + y * y)
        return math.fsum([x, y, x * y]) * math.fsum(xs) + math.fsum((x, 2.0))
    """)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_fsum_of_a_display_and_of_a_list_the_function_builds(mode):
    """`math.fsum` rounds once, and has the derivative of `sum` (not yet a second one, through
    the adjoint list of a list: limits.md)."""
    _agrees_with_differences(FSUM, mode, second=False)
    x, y = 0.3, 0.7
    a, b = x + y + x * y, 3 * x + 3 * y * y  # the two sums
    expected = ((1 + y) * b + a * 3 + 1, (1 + x) * b + a * 6 * y)
    assert (differentiate(FSUM, wrt=0, mode=mode)(x, y),
            differentiate(FSUM, wrt=1, mode=mode)(x, y)) == pytest.approx(expected, rel=1e-14)


MODEL = make_function("""
    import math

    class Model:
        def __init__(self, scale):
            self.scale = scale
            self.offset = 0.25

        def activation(self, z):
            return math.tanh(z * self.scale)

        def loss(self, x, y=2.0):
            return (self.activation(x * y) - self.offset) ** 2 + x * self.scale

    def make(scale):
        return Model(scale)
    """, "make")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_bound_method(mode):
    """`differentiate(model.loss)`: `wrt` counts the parameters after `self`, whose
    attributes are read as the instance holds them when the derivative runs, and
    `self.activation(...)` is inlined."""
    model = MODEL(1.5)
    _agrees_with_differences(model.loss, mode)
    model.scale = 0.5  # read when the derivative runs, as a global would be
    x, y = 0.3, 0.7
    expected = central_difference(model.loss, [x, y], [1.0, 0.0])
    assert differentiate(model.loss, mode=mode)(x, y) == pytest.approx(expected, rel=1e-7)


PARTIAL = make_function("""
    def f(scale, x, y=2.0, *, k=3.0, offset=0.5):
        return math.sin(scale * x) * y + k * x * x - offset * y
    """, namespace={"math": math})


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_partial(mode):
    """`functools.partial` holds arguments that are read as constants; `wrt` counts the
    parameters left, and the derivative takes them, defaults kept."""
    import functools

    held = functools.partial(PARTIAL, 1.5, k=0.25)
    _agrees_with_differences(held, mode)
    df = differentiate(held, wrt=(0, 1), mode=mode)
    assert df(0.3, 0.7, offset=2.0) == pytest.approx(
        [central_difference(lambda x, y: held(x, y, offset=2.0), [0.3, 0.7], d)
         for d in ([1.0, 0.0], [0.0, 1.0])], rel=1e-7)
    assert differentiate(held, mode=mode)(0.3) == pytest.approx(
        central_difference(held, [0.3], [1.0]), rel=1e-7)  # y's default, 2.0
    with pytest.raises(DifferentiationError, match="holds 5 positional arguments"):
        differentiate(functools.partial(PARTIAL, 1.0, 2.0, 3.0, 4.0, 5.0))
    with pytest.raises(DifferentiationError, match="no free parameter for"):
        differentiate(functools.partial(PARTIAL, 1.0, scale=2.0))
    by_keyword = functools.partial(PARTIAL, x=2.0)  # y after it: by keyword only, as Python
    assert differentiate(by_keyword, mode=mode)(0.7, y=3.0) == pytest.approx(
        central_difference(lambda scale: by_keyword(scale, y=3.0), [0.7], [1.0]), rel=1e-7)
    with pytest.raises(TypeError):
        differentiate(by_keyword, mode=mode)(0.7, 3.0)
    reassigning = make_function("""
        def g(a, x):
            \"\"\"A held argument assigned again is a local, given the value first.\"\"\"
            a = a * x
            return a * x
        """)
    held_again = functools.partial(reassigning, 2.0)
    assert differentiate(held_again, mode=mode)(0.7) == pytest.approx(
        central_difference(held_again, [0.7], [1.0]), rel=1e-7)


def test_a_partial_of_array_code_against_autograd():
    import functools

    import numpy as np
    from autograd import grad
    from autograd import numpy as anp

    f = make_function("""
        def f(w, x, scale):
            return np.sum(np.tanh(x @ w) ** 2) * scale
        """, namespace={"np": np})
    x = np.arange(6.0).reshape(2, 3) / 5
    w = np.array([0.1, -0.4, 0.3])
    expected = grad(lambda w: anp.sum(anp.tanh(x @ w) ** 2) * 2.0)(w)
    held = functools.partial(f, x=x, scale=2.0)
    np.testing.assert_allclose(differentiate(held)(w), expected, rtol=1e-12)


NESTED_TARGETS = make_function("""
    PAIRS = ((0.5, 1.0), (1.5, -0.5))
    NESTED = ((0.5, (1.0, 2.0)), (1.5, (-0.5, 0.25)))

    def f(x, y):
        xs = [x, y, x * y]
        ys = [y, 2.0, x]
        s = 0.0
        for i, (u, v) in enumerate(zip(xs, reversed(ys))):
            s = s + math.sin(u) * v * (i + 1)
        for k, (p, q) in enumerate(PAIRS):
            s = s + p * q * x * k
        for j, (a, (b, c)) in enumerate(NESTED):
            s = s + a * b * c * math.cos(x * j) + j * y
        for t, p in enumerate(xs[1:], start=1):  # counted from 1
            s = s + (p - x) ** 2 / t
        return s
    """, namespace={"math": math})


@examples(10, 100)
@given(x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_loop_targets_that_unpack_inside(x, y):
    """`for i, (u, v) in enumerate(zip(xs, ys))`, the way pairs are numbered, loops over
    zip's index; a target unpacked otherwise or deeper takes its items apart in the body
    first; `enumerate(xs, start=1)` counts from its start."""
    agrees_in_both_modes(NESTED_TARGETS, x, y)
    hessian_agrees(NESTED_TARGETS, x, y)


NLL = """
    def nll(mu, log_sigma, data, lam=0.1):
        spread = np.sum((data - mu) ** 2) / (2 * np.exp(log_sigma) ** 2)
        return len(data) * log_sigma + spread + lam * mu ** 2
    """


@examples(10, 50)
@given(mu=st.floats(-1, 1), log_sigma=st.floats(-0.5, 0.5), t=st.floats(-1, 1),
       u=st.floats(-1, 1))
def test_jvp_vjp_and_hessian_of_a_partial_holding_data_by_keyword_against_autograd(
        mu, log_sigma, t, u):
    """`partial(nll, data=d)`, as JAX users hold data: the parameter after the one held
    by keyword is taken by keyword alone, as Python's partial takes it, and the
    derivative's seeds are told from the partial's held keywords (they were taken for
    seeds, and jvp summed whole gradients instead of the directional derivative)."""
    import functools

    import numpy as np
    from autograd import grad
    from autograd import numpy as anp

    data = np.array([0.1, 0.5, -0.3])
    held = functools.partial(make_function(NLL, namespace={"np": np}), data=data)
    twin = functools.partial(make_function(NLL, namespace={"np": anp}), data=data)
    gradients = [grad(twin, k)(mu, log_sigma) for k in (0, 1)]
    value, along = jvp(held, (mu, log_sigma), (t, u))
    assert value == pytest.approx(twin(mu, log_sigma), rel=1e-12)
    assert along == pytest.approx(gradients[0] * t + gradients[1] * u, rel=1e-9, abs=1e-12)
    _, pull_back = vjp(held, mu, log_sigma)
    assert pull_back(2.0) == pytest.approx([2.0 * g for g in gradients], rel=1e-9, abs=1e-12)
    assert differentiate(held)(mu, log_sigma, lam=0.3) == pytest.approx(
        grad(twin)(mu, log_sigma, lam=0.3), rel=1e-9, abs=1e-12)
    weighted = make_function("""
        def weighted(x, weight, offset):
            return weight * np.sum(np.sin(x - offset) ** 2)
        """, namespace={"np": np})
    x = np.array([mu, log_sigma, t])
    twin_weighted = make_function("""
        def weighted(x, weight, offset):
            return weight * np.sum(np.sin(x - offset) ** 2)
        """, namespace={"np": anp})
    from autograd import hessian as autograd_hessian
    np.testing.assert_allclose(
        hessian(functools.partial(weighted, weight=2.0, offset=0.5))(x),
        autograd_hessian(functools.partial(twin_weighted, weight=2.0, offset=0.5))(x),
        rtol=1e-9, atol=1e-12)


RAISING = make_function("""
    def f(x, y):
        s = 0.0
        for k in range(3):
            if k > 5:
                raise RuntimeError(f"k = {k} at x = {x}")
            s = s + math.sin(x * k) * y
        if s > 100.0:
            return s
        elif y > 50.0:
            raise ValueError("y is too large")
        return s * y
    """, namespace={"math": math})


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_raise_guards(mode):
    """`raise` runs as the function runs it, once, in the primal sweep."""
    _agrees_with_differences(RAISING, mode)
    with pytest.raises(ValueError, match="y is too large"):
        differentiate(RAISING, mode=mode)(0.3, 60.0)
    with pytest.raises(ValueError, match="y is too large"):
        differentiate(differentiate(RAISING), mode=mode)(0.3, 60.0)


@pytest.mark.parametrize("body, message", [
    ("if x > 1.0:\n        raise\n    return x", "with an exception and no `from`"),
    ("if x > 1.0:\n        raise ValueError('x') from None\n    return x", "no `from`"),
    ("raise ValueError('x')\n    return x", "follows a `raise`"),
])
def test_raise_refused(body, message):
    f = make_function(f"def f(x):\n    {body}\n")
    with pytest.raises(UnsupportedSyntaxError, match=message):
        differentiate(f)


COMPREHENSIONS = {
    "sum of a generator": """
        def f(x, y):
            return sum(math.sin(x * k) * y for k in range(4) if k != 2) + y
        """,
    "named, then summed": """
        def f(x, y):
            ys = [x * k + y for k in range(3)]
            return sum(ys) * x
        """,
    "two loops": """
        def f(x, y):
            return sum(a * b * y for a in (x, y) for b in (0.5, 2.0) if b != 0.5 or a != y)
        """,
    "max of a generator": """
        def f(x, y):
            return max(x * k + y * (1 - k) for k in (0.25, 0.5, 0.75))
        """,
    "its name shadows a parameter": """
        def f(x, y):
            total = sum(y * x for x in (1.0, 2.0))
            return total * x
        """,
    "in a loop": """
        def f(x, y):
            s = 0.0
            for i in range(3):
                s = s + sum(x * k * i for k in range(3)) * y
            return s
        """,
    "nested": """
        def f(x, y):
            return sum(sum(x * i * j for j in range(i)) for i in range(3)) + y * y
        """,
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", COMPREHENSIONS)
def test_comprehensions_as_the_loops_they_run(name, mode):
    f = make_function(COMPREHENSIONS[name], namespace={"math": math})
    second = name not in ("named, then summed", "two loops")  # not through a list's adjoint
    _agrees_with_differences(f, mode, second=second)


def test_a_comprehension_of_arrays_against_autograd():
    import numpy as np
    from autograd import grad
    from autograd import numpy as anp

    text = """
        def f(w, x):
            rows = np.array([np.sum(w * x[i]) for i in range(3)])
            return np.sum(rows ** 2) + sum(np.sum(np.tanh(w * k)) for k in (1.0, 2.0))
        """
    f, twin = (make_function(text, namespace={"np": module}) for module in (np, anp))
    w, x = np.array([0.1, 0.2, -0.3]), np.arange(9.0).reshape(3, 3) / 9
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(differentiate(f, mode=mode)(w, x), grad(twin)(w, x),
                                   rtol=1e-12)


@pytest.mark.parametrize("body", [
    "return x if x > 0 else sum(x * k for k in range(3))",
    "return x > 0 and sum(x * k for k in range(3))",
])
def test_a_comprehension_python_runs_only_sometimes_is_refused(body):
    f = make_function(f"def f(x):\n    {body}\n")
    with pytest.raises(UnsupportedSyntaxError, match="runs only sometimes"):
        differentiate(f)


UNPACKED_CALL = make_function("""
    def spread(a, b):
        s = math.sin(a)
        if s * b > 0.25:
            p, q = s * b, s + b
        else:
            p, q = b - s, s * s
        return p, q

    def f(x, y):
        p, q = spread(x, y)
        total = 0.0
        for k in range(2):
            u, v = spread(q * k, p)
            total = total + u * v
        return p * q + total
    """, "f", namespace={"math": math})


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unpacking_what_a_helper_returns(mode):
    """`p, q = helper(x)`: the helper, inlined, assigns the pair its `return p, q` gives."""
    _agrees_with_differences(UNPACKED_CALL, mode)


UNPACKED_ARRAY = """
    def f(log_params, x):
        scale, rate = np.exp(log_params)
        first, second = np.tanh(x * scale)
        return first * rate + second * scale
    """


def test_unpacking_an_array_a_call_returns():
    """`scale, rate = np.exp(log_params)`: the items of the array the call returns, after
    the check of its length Python makes (it was refused); both modes and the Hessian,
    against autograd."""
    import autograd
    import numpy as np
    from autograd import numpy as anp

    f = make_function(UNPACKED_ARRAY, namespace={"np": np})
    twin = make_function(UNPACKED_ARRAY, namespace={"np": anp})
    log_params, x = np.array([0.2, -0.4]), np.array([0.5, -1.5])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(differentiate(f, mode=mode)(log_params, x),
                                   autograd.grad(twin)(log_params, x), rtol=1e-12)
    np.testing.assert_allclose(hessian(f)(log_params, x),
                               autograd.hessian(twin)(log_params, x), rtol=1e-10)
    with pytest.raises(ValueError, match="unpack"):
        differentiate(f)(np.zeros(3), x)  # as Python: too many values to unpack


@pytest.mark.parametrize("call, message", [
    ("pair(x)", "returns something else than 2 values"),
    ("looped(x)", "returns other than once, at its end"),
])
def test_unpacking_a_call_refused(call, message):
    f = make_function(f"""
        def pair(t):
            return t, t, t

        def looped(t):
            for k in range(3):
                if t * k > 1.0:
                    return t, k
            return t, t

        def f(x):
            a, b = {call}
            return a * b
        """, "f", namespace={"math": math})
    with pytest.raises(UnsupportedSyntaxError, match=message):
        differentiate(f)


OUT_OF_ORDER = {
    "walrus": """
        def f(x):
            z = x
            y = (z := 2 * x) + sum(z * i for i in range(3))
            return y
        """,
    "a call of yours": """
        def push(ys, v):
            ys.append(v)
            return v

        def f(x):
            ys = [x]
            s = push(ys, 2 * x) + sum(v * x for v in ys)
            return s
        """,
}


@pytest.mark.parametrize("name", OUT_OF_ORDER)
def test_a_comprehension_that_would_run_out_of_order_is_refused(name):
    f = make_function(OUT_OF_ORDER[name], "f")
    with pytest.raises(UnsupportedSyntaxError, match="before the rest of the statement"):
        differentiate(f)
