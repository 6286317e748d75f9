"""Random programs with branches, loops, break, continue, return, unpacking and lists.

Each program is checked in both modes, optimized or not, against finite differences,
and its second derivative by reverse over reverse against forward over reverse;
an input the subset does not cover must raise an ast_ad error, never a wrong number or
an internal one.
"""

import math
import random
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ast_ad import DifferentiationError, differentiate
from tests.conftest import examples, make_function

VARIABLES = ["x", "y", "a", "b"]


def _expression(rng, depth=0):
    if depth > 1 or rng.random() < 0.4:
        if rng.random() < 0.7:
            return rng.choice(VARIABLES)
        return repr(round(rng.uniform(0.5, 1.5), 2))
    if rng.random() < 0.15:
        return f"math.sin({_expression(rng, depth + 1)})"
    operator = rng.choice(["+", "-", "*"])
    return f"({_expression(rng, depth + 1)} {operator} {_expression(rng, depth + 1)})"


def _block(rng, indent, depth, in_loop):
    lines, pad = [], "    " * indent
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.45 or depth >= 2:
            operator = rng.choice(["=", "=", "+=", "*="])
            value = _expression(rng)
            value = f"math.tanh({value})" if operator == "*=" else value
            lines.append(f"{pad}{rng.choice(VARIABLES)} {operator} {value}")
        elif k < 0.6:
            lines.append(f"{pad}if {rng.choice(VARIABLES)} > {round(rng.uniform(-1, 1), 2)}:")
            lines += _block(rng, indent + 1, depth + 1, in_loop)
            if rng.random() < 0.5:
                lines.append(f"{pad}else:")
                lines += _block(rng, indent + 1, depth + 1, in_loop)
        elif k < 0.75:
            lines.append(f"{pad}for i{depth} in range({rng.randint(0, 3)}):")
            lines += _block(rng, indent + 1, depth + 1, True)
        elif k < 0.82 and in_loop:
            lines.append(f"{pad}if {rng.choice(VARIABLES)} > {round(rng.uniform(-1, 1), 2)}:")
            lines.append(f"{pad}    {rng.choice(['break', 'continue', 'return x * y'])}")
        elif k < 0.86:
            first, second = rng.sample(VARIABLES, 2)
            lines.append(f"{pad}{first}, {second} = {second}, {_expression(rng)}")
        elif k < 0.92:
            items = rng.choice(["L", "reversed(L)", "zip(L, reversed(L))"])
            target = "w, u" if items.startswith("zip") else "w"
            lines.append(f"{pad}for {target} in {items}:")
            lines.append(f"{pad}    {rng.choice(VARIABLES)} = w * {_expression(rng)}")
        else:
            lines.append(f"{pad}L.append({_expression(rng)})")
            lines.append(f"{pad}{rng.choice(VARIABLES)} = L[-1] * {_expression(rng)}")
    return lines


def _program(seed):
    rng = random.Random(seed)
    lines = ["import math", "", "def f(x, y):", "    a = x * 0.5", "    b = y + 0.25",
             "    w = a * b", "    L = []"] + _block(rng, 1, 0, False)
    lines.append(f"    return {_expression(rng)} + a * b + w")
    point = (rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2))
    return "\n".join(lines) + "\n", point


def _difference(f, point, i, h=1e-6):
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


# Each construct the programs are made of, as it shows in their source.
CONSTRUCTS = {
    "if": r"^ +if \w > ", "else": r"^ +else:$", "for over a range": r"for i\d in range",
    "for nested in a for": r"for i[12] in range", "break": r"^ +break$",
    "continue": r"^ +continue$", "return in a loop": r"^ +return x \* y$",
    "unpacking": r"^ +\w, \w = ", "for over a list": r"for w in L:",
    "for over a reversed list": r"for w in reversed\(L\):",
    "for over a zip": r"for w, u in zip\(L, reversed\(L\)\):",
    "append": r"L\.append\(", "last item": r"L\[-1\]", "call": r"math\.sin\(",
    "*=": r" \*= math\.tanh\(", "+=": r" \+= ",
}
# Programs that between them have every construct (break, continue and a return in a loop
# are rare in a sample), checked in every run besides the sample drawn.
EVERY_CONSTRUCT = [2841, 663, 2512, 1014]


def test_the_explicit_programs_have_every_construct():
    sources = "".join(_program(seed)[0] for seed in EVERY_CONSTRUCT)
    for construct, pattern in CONSTRUCTS.items():
        assert re.search(pattern, sources, re.M), construct


@examples(10, 300)
@example(seed=EVERY_CONSTRUCT[0])
@example(seed=EVERY_CONSTRUCT[1])
@example(seed=EVERY_CONSTRUCT[2])
@example(seed=EVERY_CONSTRUCT[3])
@given(seed=st.integers(0, 10**9))
def test_random_programs(seed):
    _check(*_program(seed))


# Programs cut down from samples that reached two of the optimizer's rarer rewrites (a sum
# of adjoint contributions too long to fuse into one line; a negation above the read of a
# negated temporary, which does not take the sign), checked in every run.
CUT_DOWN = {
    "a sum too long to fuse": ("""import math

def f(x, y):
    a = x * 0.5
    b = y + 0.25
    for i0 in range(3):
        y += x
        b += ((0.56 * b) * (a * x))
        x *= math.tanh(((x * b) + math.sin(b)))
    return a * b
""", (0.7, -0.4)),
    "a negation that keeps its sign": ("""import math

def f(x, y):
    a = x * 0.5
    b = y + 0.25
    w = a * b
    if a > 0.97:
        if b > 0.62:
            b *= math.tanh(((x - b) + (0.84 + a)))
        a, x = x, ((a + b) - 0.92)
    if b > -0.97:
        a *= math.tanh((1.33 - b))
    return 0.97 + a * b + w
""", (2.1, 0.5)),
}


@pytest.mark.parametrize("name", list(CUT_DOWN))
def test_programs_cut_down_from_samples(name):
    assert _check(*CUT_DOWN[name]), "left out"


def _check(source, point):
    """Checks one program at one point; False if it is left out (no finite value there)."""
    f = make_function(source)
    try:
        value = f(*point)
    except (ArithmeticError, ValueError):
        return False
    if not math.isfinite(value) or abs(value) > 1e6:
        return False
    for optimized in (True, False):
        for mode in ("reverse", "forward"):
            try:
                ours = differentiate(f, wrt=(0, 1), mode=mode, optimized=optimized)(*point)
            except DifferentiationError:
                continue  # outside the subset, said clearly
            for i in range(2):
                expected = _difference(f, point, i)
                assert abs(ours[i] - expected) <= 1e-4 * (1 + abs(expected)), \
                    (mode, optimized, i, ours[i], expected, source)
    gradient = differentiate(f, wrt=0)
    try:
        reverse_over_reverse = differentiate(gradient, wrt=0)
    except DifferentiationError:
        return True  # a gradient that pops (a loop nested in another), said clearly
    forward_over_reverse = differentiate(gradient, wrt=0, mode="forward")
    expected = forward_over_reverse(*point)
    assert abs(reverse_over_reverse(*point) - expected) <= 1e-8 * (1 + abs(expected)), source
    return True
