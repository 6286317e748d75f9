"""Dicts the function makes by a display and reads by constant keys: each key's value a
name of its own. Both modes and second order, against autograd (which takes dicts as
Python does) and central differences; what stays refused says what to write."""

import math
import textwrap

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import UnsupportedSyntaxError, differentiate, hessian, source
from ast_ad.testing import central_difference
from tests.conftest import agrees_in_both_modes, examples, hessian_agrees, make_function

BODIES = {
    "read-by-keys": """
        def f(x, y):
            d = {"a": x * y, "b": x + y}
            return d["a"] * d["b"] + math.sin(d["a"])
        """,
    "written-into": """
        def f(x, y):
            d = {"a": x * y, "b": x + y, 0: 1.5}
            d["b"] = d["b"] * 2.0
            d["a"] += x * d[0]
            d["a"] *= y
            return d["a"] + d["b"] ** 2
        """,
    "values-items-keys": """
        def f(x, y):
            d = {"w": x * y, "b": math.cos(x)}
            s = sum(v * x for v in d.values())
            for k, v in d.items():
                s = s + v * y
            for k in d.keys():
                s = s + len(k) * x
            for k in d:
                s = s * 0.5
            return s + len(d) * d.get("w") + ("b" in d) * y + ("c" not in d)
        """,
    "nested": """
        def f(x, y):
            params = {"layer": {"w": x, "b": y}, "scale": 2.0}
            z = params["layer"]["w"] * params["scale"] + params["layer"]["b"]
            return math.tanh(z) * params["layer"]["w"]
        """,
    "in-a-loop": """
        def f(x, y):
            s = 0.0
            for k in range(3):
                state = {"p": s + x, "q": y * k}
                state["p"] = state["p"] * 0.5 + state["q"]
                s = s + state["p"] * x
            return s
        """,
    "in-a-branch": """
        def f(x, y):
            if x > 0.0:
                d = {"a": x * y}
                return d["a"] * x
            return y
        """,
}
FUNCTIONS = {name: make_function("import math\n" + textwrap.dedent(body), "f")
             for name, body in BODIES.items()}


@pytest.mark.parametrize("name", list(BODIES))
@examples(10, 100)
@given(x=st.floats(0.1, 1.8), y=st.floats(-1.8, 1.8))
def test_both_modes_against_differences(name, x, y):
    agrees_in_both_modes(FUNCTIONS[name], x, y)


@pytest.mark.parametrize("name", list(BODIES))
def test_second_order_against_differences_of_the_gradient(name):
    hessian_agrees(FUNCTIONS[name], 0.61, 0.83)


@pytest.mark.parametrize("name", ["read-by-keys", "written-into", "nested", "in-a-loop"])
def test_reverse_over_reverse_equals_forward_over_reverse(name):
    f = FUNCTIONS[name]
    again = differentiate(differentiate(f, wrt=0), wrt=(0, 1))(0.61, 0.83)
    assert again == pytest.approx([row[0] for row in hessian(f, wrt=(0, 1))(0.61, 0.83)],
                                  rel=1e-12)


def test_each_key_is_a_name_in_the_generated_code():
    text = source(differentiate(FUNCTIONS["written-into"], wrt=(0, 1)))
    assert "d_a = x * y" in text and "d_b_1 = d_b * 2.0" in text and "{" not in text


def _network(params, x):
    h = anp.tanh(params["w1"] * x + params["b1"])
    return anp.sum(h * params["w2"])


def network(w1, b1, w2, x):
    params = {"w1": w1, "b1": b1, "w2": w2}
    h = np.tanh(params["w1"] * x + params["b1"])
    return np.sum(h * params["w2"])


@examples(10, 50)
@given(st.lists(st.floats(-2.0, 2.0), min_size=9, max_size=9))
def test_arrays_in_a_dict_against_autograd(values):
    w1, b1, w2 = (np.array(values[k:k + 3]) for k in (0, 3, 6))
    x = np.array([0.3, -0.2, 0.9])
    expected = autograd.grad(lambda a, b, c: _network({"w1": a, "b1": b, "w2": c}, x),
                             argnum=(0, 1, 2))(w1, b1, w2)
    for mode in ("reverse", "forward"):
        got = differentiate(network, wrt=(0, 1, 2), mode=mode)(w1, b1, w2, x)
        for g, e in zip(got, expected):
            assert np.allclose(g, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("body", [
    "d = {'a': x}\n    return g(d)",
    "d = {'a': x}\n    k = 'a'\n    return d[k]",
    "d = {'a': x}\n    return d['b']",
    "d = {'a': x}\n    d = {'a': y}\n    return d['a']",
])
def test_a_dict_read_otherwise_is_refused_with_what_to_write(body):
    f = make_function(f"def g(d):\n    return 1.0\n\ndef f(x, y):\n    {body}\n", "f")
    with pytest.raises(UnsupportedSyntaxError, match="read by constant keys"):
        differentiate(f)(0.3, 0.5)


def test_python_runs_the_functions_as_written():
    for name, f in FUNCTIONS.items():
        assert math.isfinite(f(0.61, 0.83)), name


TABLES = make_function("""
    def f(x, y):
        weights = {"a": 0.5, "b": -2.0, "pair": (1.0, -2.5)}
        table = ((1.0, 2.0), (3.0, -4.0))
        s = sum(weights[k] * x for k in ("a", "b")) + weights["pair"][1] * y
        for k, w in weights.items():
            if k != "pair":
                s = s + w * x * y
        for a, b in table:
            s = s + a * x * x + b * y
        return s + len(weights) * weights.get("a") * table[1][0]
    """)


@examples(10, 100)
@given(x=st.floats(-1.8, 1.8), y=st.floats(-1.8, 1.8))
def test_tables_of_constants_as_the_module_would_hold_them(x, y):
    """A dict of constants read by keys held in variables, and nested constant tuples."""
    agrees_in_both_modes(TABLES, x, y)
    expected = (-1.5 - 1.5 * y + 8.0 * x, -2.5 - 1.5 * x - 2.0)
    assert differentiate(TABLES, wrt=(0, 1))(x, y) == pytest.approx(expected, rel=1e-12)
    assert np.allclose(hessian(TABLES, wrt=(0, 1))(x, y), [[8.0, -1.5], [-1.5, 0.0]],
                       rtol=1e-12, atol=1e-12)


WRITTEN_LIST = make_function("""
    def f(x, y):
        state = [x, y, 0.0]
        for k in range(3):
            state[2] = state[2] + state[0] * state[1]
            state[0] += 0.1 * state[1]
            state[-2] = state[1] * math.cos(state[0])
        total = 0.0
        for v in state:
            total = total + v * v
        return sum(state) + state[2] * len(state) + total + max(state)
    """, namespace={"math": math})


@examples(10, 100)
@given(x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_a_list_display_written_by_constant_indices(x, y):
    """Each item a name of its own, and the list, read whole, the list of those names."""
    state = [x, y, 0.0]
    for _ in range(3):  # away from a tie of `max`
        state = [state[0] + 0.1 * state[1], state[1] * math.cos(state[0] + 0.1 * state[1]),
                 state[2] + state[0] * state[1]]
    top = sorted(state)
    if top[-1] - top[-2] > 1e-3:
        agrees_in_both_modes(WRITTEN_LIST, x, y)


def test_a_list_display_written_into_to_second_order():
    hessian_agrees(WRITTEN_LIST, 0.61, 0.83)
    text = source(differentiate(WRITTEN_LIST, wrt=(0, 1)))
    assert "state_0 = x" in text and "state[" not in text


def test_a_list_written_by_an_index_held_in_a_variable_is_refused():
    f = make_function("""
        def f(x, y):
            xs = [x, y]
            for i in range(2):
                xs[i] = xs[i] * 2.0
            return xs[0] + xs[1]
        """)
    with pytest.raises(UnsupportedSyntaxError, match="by constant indices"):
        differentiate(f)


def test_a_table_made_in_a_loop_differentiated_twice():
    """The derivative makes the table again where it runs the iteration again."""
    f = make_function("""
        def f(x, y):
            s = x
            for k in range(3):
                weights = {"a": 0.5, "b": -1.5, "c": (1.0, -0.5)}
                key = "a" if k % 2 else "b"
                s = s * 0.5 + weights[key] * math.sin(s * y) * weights["c"][1]
            return s
        """, namespace={"math": math})
    again = differentiate(differentiate(f, wrt=0), wrt=(0, 1))(0.61, 0.83)
    assert again == pytest.approx([row[0] for row in hessian_agrees(f, 0.61, 0.83)],
                                  rel=1e-10)


OPTIONS = make_function("""
    def f(w, x, opts=None):
        if opts is None:
            opts = {"scale": 2.0, "power": 2}
        scale = opts.get("scale", 1.0)
        return scale * math.sin(w * x) ** opts["power"] + w * len(opts)
    """, namespace={"math": math})


@examples(10, 100)
@given(w=st.floats(-1.5, 1.5), x=st.floats(-1.5, 1.5), scale=st.floats(0.5, 3.0))
def test_a_dict_of_constants_made_when_an_argument_is_left_out(w, x, scale):
    """`if opts is None: opts = {...}`, then read by keys and `.get`: the display is the
    dict of constants it makes (a new one a call), whichever value the name holds; it
    was refused as a dict the function could not take apart."""
    for opts in (None, {"scale": scale, "power": 3}):
        expected = central_difference(lambda t: OPTIONS(t, x, opts), [w], [1.0])
        for mode in ("reverse", "forward"):
            assert differentiate(OPTIONS, mode=mode)(w, x, opts) == pytest.approx(
                expected, rel=1e-6, abs=1e-7)
        second = central_difference(lambda t: differentiate(OPTIONS)(t, x, opts), [w], [1.0])
        assert hessian(OPTIONS)(w, x, opts) == pytest.approx(second, rel=1e-5, abs=1e-6)


def test_a_dict_of_constants_written_into_is_still_refused():
    f = make_function("""
        def f(w, opts=None):
            if opts is None:
                opts = {"scale": 2.0}
            opts["seen"] = 1.0
            return w * opts["scale"]
        """)
    with pytest.raises(UnsupportedSyntaxError, match="a dict display is supported"):
        differentiate(f)
