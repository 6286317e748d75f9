"""Functions defined inside the differentiated one, a nested `def` or a named `lambda`,
inlined where they are called; the names they do not bind read as Python's closures
read them, when the call runs. Both modes and second order (forward over reverse and
reverse over reverse), against central differences, the analytic values and autograd."""

import math
import re
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import UnsupportedSyntaxError, differentiate, source
from tests.conftest import agrees_in_both_modes, examples, hessian_agrees, make_function

BODIES = {
    "closure": """
        def f(x, y):
            w = y * 2.0
            def g(t):
                return math.sin(t) * w + t
            return g(x) * g(y)
        """,
    "lambda": """
        def f(x, y):
            h = lambda t, k=0.5: t * t * k + y
            return h(x) + h(math.cos(y), k=x)
        """,
    "default-at-def": """
        def f(x, y):
            w = x * y
            def g(t, k=w):
                return t * k + w
            w = w + x
            return g(y)
        """,
    "one-calls-another": """
        def f(x, y):
            act = lambda z: math.tanh(z)
            def layer(v, a):
                return act(v * a + y)
            return layer(layer(x, 0.7), x)
        """,
    "nested-in-nested": """
        def f(x, y):
            def outer(t):
                def inner(s):
                    return s * y + x
                return inner(t) * t
            return outer(x * y)
        """,
    "in-a-loop": """
        def f(x, y):
            def step(s, k):
                if s > 1.0:
                    return s * 0.5 + k * y
                return s + math.sin(x * k)
            s = x
            for k in range(4):
                s = step(s, k)
            return s
        """,
    "returns-in-its-loop": """
        def f(x, y):
            def first_above(t):
                for k in range(5):
                    if t * k > 1.0:
                        return t * k + y
                return t
            return first_above(x) * first_above(y)
        """,
    "a-pair": """
        def f(x, y):
            def polar(a, b):
                return math.hypot(a, b), math.atan2(b, a)
            r, phi = polar(x, y)
            return r * math.cos(phi * 0.5)
        """,
    "comprehension-in-a-lambda": """
        def f(x, y):
            total = lambda t: sum(t * k + y for k in range(3))
            return total(x) * total(y)
        """,
}
FUNCTIONS = {name: make_function("import math\n" + textwrap.dedent(body), "f")
             for name, body in BODIES.items()}


def _kink_free(name, x, y):
    """Points no comparison switches within a step's reach."""
    if name == "in-a-loop":  # `s > 1.0` on each of the four steps
        s = x
        for k in range(4):
            if abs(s - 1.0) < 1e-3:
                return False
            s = s * 0.5 + k * y if s > 1.0 else s + math.sin(x * k)
    if name == "returns-in-its-loop":
        return all(abs(t * k - 1.0) > 1e-3 for t in (x, y) for k in range(5))
    return True


@pytest.mark.parametrize("name", list(BODIES))
@examples(8, 200)
@given(x=st.floats(-1.5, 1.5), y=st.floats(0.2, 1.5))
def test_both_modes_against_differences(name, x, y):
    if _kink_free(name, x, y):
        agrees_in_both_modes(FUNCTIONS[name], x, y)


@pytest.mark.parametrize("name", list(BODIES))
def test_second_order_against_differences_of_the_gradient(name):
    f = FUNCTIONS[name]
    x, y = 0.61, 0.83
    assert _kink_free(name, x, y)
    matrix = hessian_agrees(f, x, y)
    if name != "in-a-loop":  # reverse over reverse: not through a nested loop's stacks
        twice = differentiate(differentiate(f, wrt=0), wrt=(0, 1))(x, y)
        assert twice == pytest.approx([matrix[0][0], matrix[0][1]], rel=1e-9, abs=1e-12)


def test_a_closure_reads_the_variable_when_called_and_a_default_when_defined():
    """In "default-at-def", g reads w = x*y + x when called, and its default k keeps
    x*y, the value w had where the def ran: f = y * x*y + x*y + x."""
    x, y = 0.3, 0.7
    f = FUNCTIONS["default-at-def"]
    assert f(x, y) == pytest.approx(y * x * y + x * y + x, rel=1e-15)
    assert differentiate(f, wrt=(0, 1))(x, y) == pytest.approx(
        (y * y + y + 1.0, 2 * x * y + x), rel=1e-14)


def test_the_generated_code_has_the_calls_inlined():
    text = source(differentiate(FUNCTIONS["closure"], wrt=(0, 1)))
    assert not re.search(r"\bg\(", text)
    assert "math.cos(x)" in text and "math.cos(y)" in text


def test_a_network_of_nested_functions_against_autograd():
    import numpy as np
    from autograd import grad
    from autograd import numpy as anp

    text = """
        def loss(W1, W2, x):
            act = lambda z: np.tanh(z)
            def layer(v, W):
                return act(W @ v)
            def predict(v):
                return np.sum(layer(layer(v, W1), W2))
            return predict(x) ** 2 + np.sum(W1 * W1) * 0.01
        """
    f, twin = (make_function(text, namespace={"np": module}) for module in (np, anp))
    rng = np.random.default_rng(0)
    W1, W2, x = rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=3)
    expected = grad(twin, (0, 1))(W1, W2, x)
    for mode in ("reverse", "forward"):
        found = differentiate(f, wrt=(0, 1), mode=mode)(W1, W2, x)
        for a, b in zip(found, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_closure_over_a_container_parameter():
    f = make_function("""
        def f(params, x):
            def predict(t):
                return params["w"] * t + params["b"]
            return predict(x) ** 2
        """)
    params, x = {"w": 0.5, "b": -0.2}, 1.5
    residual = params["w"] * x + params["b"]
    assert differentiate(f)(params, x) == pytest.approx(
        {"w": 2 * residual * x, "b": 2 * residual}, rel=1e-14)


@pytest.mark.parametrize("body, line, message", [
    ("g = lambda t: t * x\n    return sum(map(g, [x, x]))", 3, "cannot pass it as a value"),
    ("def g(t):\n        return g(t * 0.5) if t > 1 else t\n    return g(x)", 3,
     "calls itself"),
    ("def g(t):\n        return t * w\n    a = g(x)\n    w = 2.0\n    return a", 4,
     "`g` reads `w`, which is not assigned yet where it is called"),
    ("for k in range(2):\n        def g(t):\n            return t\n        x = g(x)\n"
     "    return x", 3, "at the top of the function's body"),
    ("@staticmethod\n    def g(t):\n        return t\n    return g(x)", 3,
     "at the top of the function's body, undecorated"),
    ("return (lambda t: t * 2)(x)", 2, "a `lambda` is supported when it is named"),
    ("def g(t):\n        return t\n    g = 3.0\n    return x * g", 2,
     "names both a function defined here and a variable"),
])
def test_refused_clearly_at_the_line(body, line, message):
    f = make_function(f"def f(x):\n    {body}\n")
    with pytest.raises(UnsupportedSyntaxError, match=message) as error:
        differentiate(f)
    assert f":{line}:" in str(error.value).splitlines()[0]


ALIASES = """
    SETTINGS = {"activation": "tanh"}

    def f(w, x):
        act = np.tanh if SETTINGS["activation"] == "tanh" else np.sin
        square = np.square
        for k in range(2):
            x = act(x * w) + square(w) * k
        return np.sum(x)
    """


@examples(5, 30)
@given(seed=st.integers(0, 2**31 - 1), activation=st.sampled_from(["tanh", "sin"]))
def test_a_local_bound_to_a_function_and_called(seed, activation):
    """`square = np.square`, and `act = np.tanh if ... else np.sin`, chosen once: each call
    calls the function itself (a local called was refused); both modes and the Hessian,
    against autograd."""
    import autograd
    import numpy as np
    from autograd import numpy as anp

    from ast_ad import hessian

    f = make_function(ALIASES, namespace={"np": np})
    twin = make_function(ALIASES, namespace={"np": anp})
    f.__globals__["SETTINGS"]["activation"] = activation
    twin.__globals__["SETTINGS"]["activation"] = activation
    rng = np.random.default_rng(seed)
    w, x = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(differentiate(f, mode=mode)(w, x),
                                   autograd.grad(twin)(w, x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hessian(f)(w, x), autograd.hessian(twin)(w, x),
                               rtol=1e-9, atol=1e-12)


def test_a_local_bound_to_two_functions_in_turn_is_refused():
    f = make_function("""
        def f(x):
            act = math.sin
            y = act(x)
            act = math.cos
            return act(y)
        """, namespace={"math": math})
    with pytest.raises(UnsupportedSyntaxError, match="calling a local variable"):
        differentiate(f)
