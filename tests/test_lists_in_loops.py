"""Lists of differentiated values made inside a loop, in reverse mode: a list an
iteration keeps to itself, and one it hands to the next iteration (a binomial tree,
`values = [... for j in ...]`), against forward mode, central differences and the
analytic value."""

import math
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import UnsupportedSyntaxError, differentiate
from tests.conftest import agrees_in_both_modes, examples, hessian_agrees, make_function

BODIES = {
    "kept-to-the-iteration": """
        def f(x, y):
            s = 0.0
            for i in range(3):
                ys = []
                ys.append(x * i + y)
                ys.append(math.sin(x * y))
                s = s + ys[0] * ys[1] + sum(ys)
            return s
        """,
    "handed-to-the-next": """
        def f(x, y):
            rows = [x, y, x * y]
            for step in range(3):
                new = []
                for k in range(len(rows) - 1):
                    new.append(rows[k] * rows[k + 1] + 0.1 * step)
                new.append(rows[0])
                rows = new
            return sum(rows)
        """,
    "comprehension": """
        def f(x, y):
            values = [x * j + y for j in range(4)]
            for step in range(3):
                values = [0.5 * values[j + 1] + 0.4 * values[j] * values[j]
                          for j in range(len(values) - 1)]
            return values[0]
        """,
}
FUNCTIONS = {name: make_function("import math\n" + textwrap.dedent(body), "f")
             for name, body in BODIES.items()}


@pytest.mark.parametrize("name", list(BODIES))
@examples(6, 100)
@given(x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_both_modes_against_differences(name, x, y):
    agrees_in_both_modes(FUNCTIONS[name], x, y)


def test_a_binomial_tree_against_the_closed_form():
    """Two steps of a binomial tree price a call at S = 100, K = 95 with u = 1.1, d = 1/u
    and no discounting: the two upper leaves pay, so the price is p^2 (S u^2 - K) +
    2 p (1 - p) (S u d - K), its delta p^2 u^2 + 2 p (1 - p) u d, and its derivative in
    u 2 p^2 S u (u d is 1: its derivative is 0)."""
    price = make_function("""
        def price(S, K, u, p):
            n = 2
            values = [max(S * u ** j * (1.0 / u) ** (n - j) - K, 0.0) for j in range(n + 1)]
            for step in range(n):
                values = [p * values[j + 1] + (1.0 - p) * values[j]
                          for j in range(len(values) - 1)]
            return values[0]
        """)
    S, K, u, p = 100.0, 95.0, 1.1, 0.6
    d = 1.0 / u
    assert price(S, K, u, p) == pytest.approx(
        p * p * (S * u * u - K) + 2 * p * (1 - p) * (S * u * d - K), rel=1e-12)
    delta, by_u = differentiate(price, wrt=(0, 2))(S, K, u, p)
    assert delta == pytest.approx(p * p * u * u + 2 * p * (1 - p) * u * d, rel=1e-12)
    assert by_u == pytest.approx(2 * p * p * S * u, rel=1e-9)


def test_a_list_used_after_it_is_copied_is_refused():
    f = make_function("""
        def f(x):
            for i in range(2):
                ys = []
                ys.append(x)
                zs = ys
                ys.append(x * x)
                x = zs[0] * zs[1]
            return x
        """)
    with pytest.raises(UnsupportedSyntaxError, match="used after it is copied") as error:
        differentiate(f)
    assert ":7:" in str(error.value).splitlines()[0]


def test_the_analytic_value_of_a_list_kept_to_the_iteration():
    """s = sum over i of (x i + y) sin(x y) + (x i + y) + sin(x y)."""
    x, y = 0.3, 0.7
    expected_x = sum(i * math.sin(x * y) + (x * i + y) * y * math.cos(x * y) + i
                     + y * math.cos(x * y) for i in range(3))
    assert differentiate(FUNCTIONS["kept-to-the-iteration"])(x, y) == \
        pytest.approx(expected_x, rel=1e-13)


SECOND_ORDER = {
    **BODIES,
    "a-display-looped-over": """
        def f(x, y):
            s = 0.0
            for v in [x * y, x + y, math.sin(x)]:
                s = s + v * v * x
            return s + sum([x * y, y]) * y
        """,
    "appended-in-a-loop": """
        def f(x, y):
            xs = []
            for k in range(3):
                xs.append(x * k + y)
            s = 0.0
            for v in xs:
                s = s + v * math.sin(v) * x
            return s
        """,
}
SECOND_FUNCTIONS = {name: make_function("import math\n" + textwrap.dedent(body), "f")
                    for name, body in SECOND_ORDER.items()}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_order_forward_over_reverse_against_differences(name):
    hessian_agrees(SECOND_FUNCTIONS[name], 0.37, -0.61)


def test_reverse_over_reverse_through_a_list_read_outside_loops():
    f = make_function("""
        def f(x, y):
            xs = [x * y, x + y]
            return xs[0] * xs[1] * x + sum(xs)
        """)
    again = differentiate(differentiate(f, wrt=0), wrt=(0, 1))(0.37, -0.61)
    assert again == pytest.approx([row[0] for row in hessian_agrees(f, 0.37, -0.61)],
                                  rel=1e-12)
