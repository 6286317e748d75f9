"""Random straight-line programs over every supported operation (hypothesis).

Properties: the derivatives of both modes match finite differences to second order, and
the optimized gradient equals the line-by-line one up to rounding;
the lowered trace computes what the original does; generated code is deterministic,
and prints the same through astor and through `ast.unparse`.
"""

import re

import gast
from hypothesis import example, given
from hypothesis import strategies as st

from ast_ad import differentiate, source
from ast_ad.ad.forward import forward
from ast_ad.ad.reverse import reverse
from ast_ad.frontend.check import check
from ast_ad.frontend.lower import lower
from ast_ad.frontend.parse import parse_function
from ast_ad.ir.printer import to_source
from ast_ad.optimize import optimize
from ast_ad.testing import check_grads
from tests.conftest import examples, make_function

# Each wraps its arguments so that any real input stays in the function's domain.
UNARY = ["math.sin({0})", "math.cos({0})", "math.tan(0.5 * math.tanh({0}))", "math.tanh({0})",
         "math.atan({0})", "math.exp(math.sin({0}))", "math.log(1.5 + math.cos({0}))",
         "math.sqrt(1.0 + {0} * {0})", "math.log1p({0} * {0})", "math.expm1(math.tanh({0}))",
         "math.asin(0.5 * math.tanh({0}))", "math.acos(0.5 * math.sin({0}))",
         "math.sinh(math.tanh({0}))", "math.cosh(math.sin({0}))", "math.log2(2.0 + math.sin({0}))",
         "math.log10(2.0 + math.cos({0}))", "math.hypot({0}, 1.0)", "(1.0 + {0} * {0}) ** 0.5",
         "-{0}", "+{0}", "{0} ** 2", "{0} ** 3", "2.0 * {0}", "{0} / 3.0", "float({0})",
         "math.log(2.0 + math.sin({0}), 3.0)", "math.pow(1.0 + {0} * {0}, 0.3)"]
BINARY = ["({0} + {1})", "({0} - {1})", "{0} * {1}", "{0} / (2.0 + math.sin({1}))",
          "math.atan2({0}, 2.0 + math.cos({1}))", "(1.5 + math.sin({0})) ** math.cos({1})",
          "pow(2.0 + math.cos({0}), math.sin({1}))", "math.hypot({0}, 1.5 + math.sin({1}))",
          "math.log(2.0 + math.cos({0}), 3.0 + math.sin({1}))"]


def expressions(names):
    leaves = st.sampled_from(names) | st.sampled_from(["0.5", "1.25", "3"])
    return st.recursive(
        leaves,
        lambda inner: st.builds(lambda t, e: t.format(e), st.sampled_from(UNARY), inner)
        | st.builds(lambda t, a, b: t.format(a, b), st.sampled_from(BINARY), inner, inner),
        max_leaves=4)


@st.composite
def programs(draw):
    """Source of `def g(a, b, c)`: a few assignments, reassignments and `+=`, one return."""
    names = ["a", "b", "c"]
    lines = []
    for i in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(["t", "u", "a", "b"]))
        operator = draw(st.sampled_from(["=", "+=", "*=", "-="])) if target in names else "="
        value = draw(expressions(names))
        if operator == "*=":
            value = f"math.cos({value})"
        lines.append(f"    {target} {operator} {value}")
        if target not in names:
            names.append(target)
    lines.append(f"    return {draw(expressions(names))}")
    return "import math\n\ndef g(a, b, c):\n" + "\n".join(lines) + "\n"


points = st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False) for _ in range(3)])
SETTINGS = examples(12, 300)
SECOND_ORDER = examples(6, 300)  # eleven transforms an example

# Programs that between them apply every operation above and make every kind of statement
# the strategy makes, given to each property besides the sample it draws.
EVERY_OPERATION = [
    """import math

def g(a, b, c):
    t = math.sin(a) * math.cos(b)
    a += math.tan(0.5 * math.tanh(c)) - math.tanh(t)
    return math.atan(a) + math.exp(math.sin(b))
""",
    """import math

def g(a, b, c):
    b *= math.cos(math.log(1.5 + math.cos(c)))
    return math.sqrt(1.0 + a * a) * math.log1p(b * b)
""",
    """import math

def g(a, b, c):
    t = math.expm1(math.tanh(a)) / (2.0 + math.sin(b))
    b -= math.atan2(math.asin(0.5 * math.tanh(c)), 2.0 + math.cos(t))
    return b
""",
    """import math

def g(a, b, c):
    u = (1.5 + math.sin(math.acos(0.5 * math.sin(b)))) ** math.cos(math.sinh(math.tanh(a)))
    return math.cosh(math.sin(u)) + math.log2(2.0 + math.sin(c))
""",
    """import math

def g(a, b, c):
    a = math.log10(2.0 + math.cos(a)) * math.hypot(c, 1.0)
    return a + (1.0 + b * b) ** 0.5
""",
    """import math

def g(a, b, c):
    t = pow(2.0 + math.cos(-a), math.sin(+b))
    c *= math.cos(math.hypot(t ** 2, 1.5 + math.sin(c ** 3)))
    return c
""",
    """import math

def g(a, b, c):
    u = math.log(2.0 + math.cos(2.0 * c), 3.0 + math.sin(b / 3.0)) * (3 - 1.25 * a)
    u += float(u) * math.log(2.0 + math.sin(0.5 * a), 3.0)
    return math.pow(1.0 + u * u, 0.3)
""",
]


def every_operation(with_point=True):
    """The test, given each of EVERY_OPERATION (at a point inside every domain) first."""
    def decorate(test):
        for program in EVERY_OPERATION:
            arguments = {"program": program}
            if with_point:
                arguments["point"] = (0.3, -0.7, 1.1)
            test = example(**arguments)(test)
        return test
    return decorate


def test_the_explicit_programs_apply_every_operation():
    text = "".join(EVERY_OPERATION)
    for template in UNARY + BINARY:
        pattern = re.escape(template).replace(r"\{0\}", ".+?").replace(r"\{1\}", ".+?")
        assert re.search(pattern, text), template
    for statement in ("    t = ", "    u = ", "    a = ", " += ", " -= ", " *= math.cos("):
        assert statement in text, statement


@SECOND_ORDER
@every_operation()
@given(program=programs(), point=points)
def test_derivatives_match_finite_differences(program, point):
    g = make_function(program)
    check_grads(g, point, order=2, rtol=1e-6, atol=1e-9)


@SETTINGS
@every_operation()
@given(program=programs(), point=points)
def test_forward_and_reverse_agree(program, point):
    g = make_function(program)
    by_reverse = differentiate(g, wrt=(0, 1, 2))(*point)
    by_forward = differentiate(g, wrt=(0, 1, 2), mode="forward")(*point)
    for r, f in zip(by_reverse, by_forward):
        assert abs(r - f) <= 1e-12 * abs(r) + 1e-15, (r, f)


@SETTINGS
@every_operation()
@given(program=programs(), point=points)
def test_lowered_trace_computes_the_original(program, point):
    g = make_function(program)
    lowered = make_function("import math\n" + to_source(lower(check(parse_function(g)))))
    assert lowered(*point) == g(*point)


@SETTINGS
@every_operation(with_point=False)
@given(program=programs())
def test_generated_code_is_deterministic_and_printers_agree(program):
    first = source(differentiate(make_function(program), wrt=(0, 2)))
    assert first == source(differentiate(make_function(program), wrt=(0, 2)))
    for sweep in (reverse, forward):
        tree = optimize(sweep(lower(check(parse_function(make_function(program)))), ["a", "c"]))
        assert to_source(tree, printer="astor") == to_source(tree, printer="ast")
    code_only = "".join(line for line in first.splitlines(keepends=True)
                        if line.strip() and not line.strip().startswith("#"))
    assert to_source(gast.parse(first)) == code_only


@SETTINGS
@every_operation()
@given(program=programs(), point=points)
def test_optimized_gradients_equal_the_line_by_line_ones(program, point):
    """Only a value computed once where the trace computed it twice (its adjoint then sums
    before it multiplies) may move the last bits."""
    g = make_function(program)
    optimized = differentiate(g, wrt=(0, 1, 2))(*point)
    line_by_line = differentiate(g, wrt=(0, 1, 2), optimized=False)(*point)
    for a, b in zip(optimized, line_by_line):
        assert abs(a - b) <= 1e-12 * abs(b) + 1e-300 or (a != a and b != b), (a, b)
