"""Writing into an array the function made (`y[i] = v`, `y[i] += v`, slices, masks, rows),
or a list of numbers (`ys = [0.0] * n`), in loops and branches: both modes and second
order, against central differences (autograd cannot write into arrays); and the writes
Python would make visible through a view, refused at their line."""

import re
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ast_ad import (DifferentiationError, UnsupportedSyntaxError, differentiate, hessian,
                    source, value_and_grad)
from ast_ad.testing import central_difference
from tests.conftest import examples, make_function

BODIES = {
    "recurrence": """
        def f(x, a):
            y = np.zeros_like(x)
            y[0] = x[0]
            for i in range(1, len(x)):
                y[i] = a * y[i - 1] + np.sin(x[i])
            return np.sum(y * y)
        """,
    "matrix": """
        def f(x, a):
            M = np.zeros((2, 3))
            M[0, :] = np.tanh(x * a)
            M[1] = x * x
            M[0, 1] += a * x[2]
            M[:, 2] *= 0.5
            return np.sum(M @ M.T)
        """,
    "in-place-sums": """
        def f(x, a):
            out = x.copy()
            for i in range(len(x)):
                out[i] *= out[i] + a
                out[(i + 1) % len(x)] += 0.5 * out[i]
            prev = out[0]
            out[1] = 3.0 * a
            return np.sum(out ** 2) + prev
        """,
    "mask": """
        def f(x, a):
            y = np.ones_like(x) * a
            y[x > 0.0] = x[x > 0.0] ** 2
            y[np.array([2, 0])] = y[np.array([0, 1])] * a
            return np.sum(y * x)
        """,
    "in-branches-and-nested-loops": """
        def f(x, a):
            grid = np.zeros((3, 3))
            for i in range(3):
                for j in range(3):
                    if x[i] * x[j] > 0.0:
                        grid[i, j] = x[i] * x[j] * a
                    else:
                        grid[i, j] = np.cos(x[i] - x[j])
            return np.sum(grid @ x)
        """,
    "list-of-numbers": """
        def f(x, a):
            ys = [0.0] * (len(x) + 1)
            for i in range(len(x)):
                ys[i] = np.sin(x[i] * a) + ys[i - 1]
            ys[-1] += x[0] * x[1]
            ys[1] *= a
            return sum(ys) + ys[-1] * ys[0]
        """,
}
FUNCTIONS = {name: make_function("import numpy as np\n" + textwrap.dedent(body), "f")
             for name, body in BODIES.items()}


def _kink_free(name, x):
    if name == "mask":
        return bool(np.all(np.abs(x) > 1e-2))
    if name == "in-branches-and-nested-loops":
        return bool(np.all(np.abs(np.outer(x, x)) > 1e-2))
    return True


def _differences(f, x, a):
    """The gradient in x and the derivative in a, by central differences."""
    by_x = [central_difference(f, [x, a], [np.eye(3)[k], None]) for k in range(3)]
    return np.array(by_x), central_difference(f, [x, a], [None, 1.0])


@pytest.mark.parametrize("name", list(BODIES))
@examples(6, 100, deadline=None)
@given(x=arrays(float, 3, elements=st.floats(-1.5, 1.5)), a=st.floats(-1.2, 1.2))
def test_both_modes_against_differences(name, x, a):
    if not _kink_free(name, x):
        return
    f = FUNCTIONS[name]
    expected_x, expected_a = _differences(f, x, a)
    for mode in ("reverse", "forward"):
        gx, ga = differentiate(f, wrt=(0, 1), mode=mode)(x, a)
        np.testing.assert_allclose(gx, expected_x, rtol=1e-6, atol=1e-8)
        assert ga == pytest.approx(expected_a, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", list(BODIES))
def test_second_order_against_differences_of_the_gradient(name):
    f = FUNCTIONS[name]
    x, a = np.array([0.61, -0.83, 0.47]), 0.7
    gradient = differentiate(f)
    matrix = hessian(f)(x, a)
    for k in range(3):
        column = central_difference(lambda v: gradient(v, a), [x], [np.eye(3)[k]])
        np.testing.assert_allclose(matrix[:, k], column, rtol=1e-6, atol=1e-7)
    if name not in ("recurrence", "in-place-sums", "in-branches-and-nested-loops"):
        twice = differentiate(_sum_of_gradient(f))(x, a)  # reverse over reverse
        np.testing.assert_allclose(twice, matrix.sum(axis=0), rtol=1e-9, atol=1e-12)


def _sum_of_gradient(f):
    """`g(x, a) = sum(grad f(x, a))`, written as a module function of its own, so that
    reverse mode differentiates the generated gradient again."""
    gradient = differentiate(f)
    g = make_function("def g(x, a):\n    return np.sum(gradient(x, a))\n",
                      namespace={"np": np, "gradient": gradient})
    return g


def test_the_value_is_python_s_and_the_trace_writes_a_new_version():
    f = FUNCTIONS["in-place-sums"]
    x, a = np.array([0.3, -0.5, 0.8]), 0.4
    value, _ = value_and_grad(f)(x, a)
    assert value == f(x, a)
    text = source(differentiate(f))
    assert "out_1 = with_item(out, i, " in text or "with_item(out" in text


@pytest.mark.parametrize("body, line, kind, message", [
    ("x[0] = 1.0\n    return np.sum(x)", 2, UnsupportedSyntaxError, "is an argument"),
    ("y = x\n    y[0] = 1.0\n    return np.sum(x * y)", 3, UnsupportedSyntaxError,
     "may share memory"),
    ("y = np.zeros(3)\n    t = y.T\n    y[1] = x[0]\n    return np.sum(t) + x[1]", 5,
     UnsupportedSyntaxError, "`t` may be a view of an array written since"),
    ("y = np.zeros((2, 2))\n    for row in y:\n        row[0] = x[0]\n    return np.sum(y)", 4,
     UnsupportedSyntaxError, "`row` may share memory"),
    ("y = np.zeros(3)\n    ys = []\n    ys.append(y)\n    y[0] = x[0]\n"
     "    return np.sum(ys[0]) + x[1]", 6, UnsupportedSyntaxError, "`ys` may be a view"),
    ("a = x * 1.0\n    t = a[0:2]\n    t += 1.0\n    return np.sum(a * a)", 4,
     DifferentiationError, "is a view (a row, a slice) of another array"),
    ("t = x * 1.0\n    r = t[0:2]\n    t += 1.0\n    return np.sum(r * t)", 4,
     DifferentiationError, "changes an array in place"),
    ("y = np.zeros(3)\n    def g(t):\n        y[0] = t\n        return t\n"
     "    return g(x[0]) + np.sum(y)", 4, UnsupportedSyntaxError,
     "belongs to the enclosing function"),
    ("y = np.zeros((2, 3))\n    row = y[0]\n    y[0, 1] = x[0]\n    return np.sum(row)", 3,
     DifferentiationError, "is a view (a row, a slice)"),
    ("y = np.zeros((2, 2))\n    t = y.T\n    s = 0.0\n    for i in range(2):\n"
     "        s = s + t[0, 1] * x[0]\n        y[1, 0] = x[1] + s\n    return s", 5,
     UnsupportedSyntaxError, "this loop reads `t`, which may be a view of an array the loop"),
    ("y = x * 0.5\n    for i, v in enumerate(y):\n        y[-1] *= v\n    return np.sum(y)", 3,
     UnsupportedSyntaxError, "this loop goes over `y`, which its body writes into"),
    ("y = np.zeros((2, 2))\n    y[0][1] = x[0]\n    return np.sum(y)", 3,
     UnsupportedSyntaxError, "`a[i, j] = v`"),
    ("ys = [x[0], x[1]]\n    k = 1\n    ys[k] = x[2]\n    return sum(ys)", 4,
     UnsupportedSyntaxError, "made as `[0.0] * n`"),
    ("ys = [x[0]] * 3\n    return sum(ys)", 2, UnsupportedSyntaxError,
     "of numbers, repeated (`[0.0] * n`)"),
])
def test_writes_python_would_show_through_a_view_are_refused_at_the_line(body, line, kind,
                                                                          message):
    f = make_function(f"def f(x):\n    {body}\n", namespace={"np": np})
    with pytest.raises(kind, match=re.escape(message)) as error:
        differentiate(f)(np.array([0.3, -0.5, 0.8]))
    assert f":{line}:" in str(error.value).splitlines()[0]


def test_a_list_of_numbers_written_into_reads_as_written():
    text = source(differentiate(FUNCTIONS["list-of-numbers"]))
    assert "ys = [0.0] * (" in text and "with_item(ys" in text


def test_an_element_read_of_a_vector_is_a_number_and_may_be_kept():
    f = make_function("""
        def f(x):
            y = np.zeros(3)
            prev = y[0]
            y[0] = x[0] * x[1]
            prev = prev + y[0]
            y[1] = prev * x[2]
            return np.sum(y * y) + prev
        """, namespace={"np": np})
    x = np.array([0.3, -0.5, 0.8])
    expected = [central_difference(f, [x], [np.eye(3)[k]]) for k in range(3)]
    np.testing.assert_allclose(differentiate(f)(x), expected, rtol=1e-7)


def test_a_write_that_names_an_element_twice_is_refused_when_it_runs():
    f = make_function("""
        def f(x):
            y = np.zeros(3)
            y[np.array([0, 0])] = x[:2]
            return np.sum(y * y)
        """, namespace={"np": np})
    with pytest.raises(DifferentiationError, match="names an element twice"):
        differentiate(f)(np.array([0.3, -0.5, 0.8]))
