"""Unsupported input fails at transform time with the user's file, line and a way out."""

import math
import os

import pytest

from ast_ad import (DifferentiationError, NonDifferentiableError, UnsupportedSyntaxError,
                    differentiate)
from tests.conftest import make_function

HERE = os.path.basename(__file__)

UNSUPPORTED = [
    ("try:\n        y = x\n    except ValueError:\n        y = 0.0", "try", "helper"),
    ("with open('f') as h:\n        y = x", "with", "outside"),
    ("for i, j in enumerate(XS):\n        if x > 2.0:\n            break", "break",
     "index"),
    ("for i in range(3):\n        return x\n        x = 2.0", "return", "never runs"),
    ("for i in range(3):\n        x = x * x\n    else:\n        x = 0.0", "else", "after"),
    ("for XS[0] in XS:\n        x = x * 2.0", "loop targets", "plain name"),
    ("y = lambda t: t\n    y = x", "lambda", "def"),
    ("global G\n    G = x", "global", "return"),
    ("del x\n    x = 1.0", "del", "stop using"),
    ("y = sum({t for t in (x,)})", "set comprehension", "list comprehension"),
    ("(a, b), c = (x, x), x", "unpacking", "one plain name"),
    ("x.attr = 1.0", "attribute", "one plain name"),
    ("for i in range(2):\n        if i == 0:\n            a = x * 2.0\n        x = x * a",
     "earlier iteration", "before the loop"),
    ("for i in range(2):\n        ys = []\n        ys.append(x)\n        zs = ys\n"
     "        x = ys[0] * zs[0]", "used after it is copied", "use one name"),
    ("ys = []\n    ys.append(x)\n    ys[0] = x * x", "writing into a list", "NumPy array"),
    ("ys = []\n    ys.append(x)\n    ys[0] += x", "writing into a list", "appending"),
    ("y = x\n    y[0] = 1.0", "may share memory", "x.copy()"),
    ("y = (x, x)", "tuple display", "unpacking assignments"),
    ("y = x << 2", "`<<`", "+ - * /"),
    ("y = ~x", "`~`", "use - + not"),
    ("match x:\n        case 1:\n            y = x", "match", "arithmetic"),
    ("y = x\n    return y\n    z = 1.0", "return", "never runs"),
    ("y = x * (1 + 2j)", "complex", "real-valued"),
]


@pytest.mark.parametrize("body, what, advice", UNSUPPORTED, ids=[u[1] for u in UNSUPPORTED])
def test_unsupported_syntax_names_file_line_and_what_to_do(body, what, advice):
    text = f"import math\nXS = (1.0, 2.0)\n\ndef g(x):\n    {body}\n    return x\n"
    g = make_function(text)
    with pytest.raises(UnsupportedSyntaxError) as info:
        differentiate(g)
    error = info.value
    message = str(error)
    assert isinstance(error, SyntaxError) and isinstance(error, DifferentiationError)
    assert error.filename.startswith("<test source")
    assert error.lineno >= 4
    assert error.text.strip() == text.splitlines()[error.lineno - 1].strip()
    assert f":{error.lineno}: " in message
    assert error.text.strip() in message
    assert what.lower() in message.lower() and advice in message


def test_absolute_line_and_real_file_name_for_a_function_in_a_file():
    def g(x):
        y = x

        try:
            y = 2.0 * x
        except ValueError:
            pass
        return y

    with pytest.raises(UnsupportedSyntaxError) as info:
        differentiate(g)
    assert info.value.filename == __file__
    assert info.value.lineno == g.__code__.co_firstlineno + 3
    assert str(info.value).startswith(f"{HERE}:{info.value.lineno}: ")
    assert info.value.offset == 9  # the `try`, in the file's own columns


def unknown(x):
    try:
        return float(x)
    except ValueError:
        return 0.0


def test_a_differentiated_value_into_an_unknown_call_names_it_and_shows_a_rule():
    def g(x):
        return unknown(x * 2.0) + math.gamma(3.0)  # gamma of a constant needs no rule

    with pytest.raises(NonDifferentiableError) as info:
        differentiate(g)
    message = str(info.value)
    assert f"{HERE}:{g.__code__.co_firstlineno + 1}: " in message
    assert "`unknown`" in message and "@adjoint(unknown)" in message
    assert "could not be inlined" in message and "`try`/`except`" in message
    with pytest.raises(NonDifferentiableError, match="math.gamma"):
        differentiate(make_function("import math\ndef g(x):\n    return math.gamma(x)\n"))


def test_wrong_arity_for_a_known_function():
    g = make_function("import math\ndef g(x):\n    return math.hypot(x, x, x)\n")
    with pytest.raises(NonDifferentiableError, match="do not take these 3 arguments"):
        differentiate(g)


@pytest.mark.parametrize("thing, reason", [
    (lambda x: x * x, "lambda"), (math.sin, "Python functions defined with `def`"),
    (len, "Python functions defined with `def`"), (object(), "Python functions"),
])
def test_functions_without_source(thing, reason):
    with pytest.raises(DifferentiationError, match=reason):
        differentiate(thing)


def test_function_made_by_exec_without_source():
    scope = {}
    exec("def g(x):\n    return x * x\n", scope)
    with pytest.raises(DifferentiationError, match="no source file"):
        differentiate(scope["g"])


def f(x, y, *, z=1.0):
    return x * y * z


@pytest.mark.parametrize("wrt, match", [
    (2, "out of range"), (-3, "out of range"), ("w", "no parameter named 'w'"),
    ((0, 0), "twice"), (1.5, "index or name"), (True, "index or name"),
])
def test_bad_wrt(wrt, match):
    with pytest.raises(DifferentiationError, match=match):
        differentiate(f, wrt=wrt)


def test_bad_mode_and_keyword_only_wrt_by_name():
    with pytest.raises(DifferentiationError, match="mode"):
        differentiate(f, mode="sideways")
    assert differentiate(f, wrt="z")(2.0, 3.0) == 6.0


def test_tuple_output_is_not_a_scalar():
    g = make_function("def g(x):\n    return x, x\n")
    with pytest.raises(UnsupportedSyntaxError, match="scalar output"):
        differentiate(g)


def test_missing_return_and_undefined_names():
    with pytest.raises(DifferentiationError, match="can end without a `return`"):
        differentiate(make_function("def g(x):\n    y = x\n"))
    with pytest.raises(DifferentiationError, match="`later` is not defined"):
        differentiate(make_function("def g(x):\n    return later(x)\n"))
    with pytest.raises(UnsupportedSyntaxError, match="used before it is assigned"):
        differentiate(make_function("def g(x):\n    x = y * x\n    y = 1.0\n    return x\n"))


def test_a_complex_array_argument_is_refused():
    import numpy as np

    g = make_function("""
        def g(x):
            return np.sum(x * x)
    """, namespace={"np": np})
    with pytest.raises(DifferentiationError, match="an array of complex128 for `x`"):
        differentiate(g)(np.array([1.0 + 1.0j, 2.0]))
