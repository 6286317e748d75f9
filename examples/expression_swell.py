"""Expression swell: symbolic derivatives grow exponentially, derivative code linearly.

The survey's Table 1: the logistic map l(n+1) = 4 l(n) (1 - l(n)), l(1) = x. Written
out as one expression, l(n) and its derivative d l(n)/dx grow exponentially with n.
ast_ad never builds that expression: its derivative is code over the evaluation trace,
a fixed handful of operations per step of the map.

SymPy and matplotlib are optional: without SymPy the table shows ast_ad's columns
only, and without matplotlib no plot is drawn. With both, the plot is saved as
expression_swell.png in the current folder.
"""

import ast
import linecache

from ast_ad import differentiate, source
from ast_ad.testing import check_grads

STEPS = range(1, 9)
PLOT = "expression_swell.png"


def logistic_map(n):
    """`l<n>(x)`: l(n) as straight-line code, n - 1 steps of the map."""
    name = f"l{n}"
    lines = [f"def {name}(x):", "    l = x"] + ["    l = 4.0 * l * (1.0 - l)"] * (n - 1)
    text = "\n".join(lines + ["    return l"]) + "\n"
    filename = f"<logistic map {name}>"
    # ast_ad reads a function's source with inspect, which finds it in linecache.
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    return namespace[name]


def chain_rule(n, x):
    """d l(n)/dx at x, differentiating the recurrence by hand."""
    value, derivative = x, 1.0
    for _ in range(n - 1):
        value, derivative = 4.0 * value * (1.0 - value), 4.0 * (1.0 - 2.0 * value) * derivative
    return derivative


def code_size(code):
    """The assignments and the operations (+, -, *, /, calls) of generated code."""
    tree = list(ast.walk(ast.parse(code)))
    statements = sum(isinstance(node, (ast.Assign, ast.AugAssign)) for node in tree)
    operations = sum(isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.AugAssign))
                     for node in tree)
    return statements, operations


def symbolic_sizes():
    """`sympy.count_ops` of d l(n)/dx as SymPy differentiates it, and expanded; or None."""
    try:
        import sympy
    except ImportError:
        return None
    x = sympy.Symbol("x")
    # The expanded derivative is that of the polynomial l(n); Poly arithmetic builds it
    # in milliseconds where expanding the nested expression takes seconds at n = 8.
    expression, polynomial = x, sympy.Poly(x, x)
    sizes = {}
    for n in STEPS:
        sizes[n] = (sympy.count_ops(sympy.diff(expression, x)),
                    sympy.count_ops(polynomial.diff(x).as_expr()))
        expression = 4 * expression * (1 - expression)
        polynomial = 4 * polynomial * (1 - polynomial)
    return sizes


def plot(sizes, symbolic):
    try:
        import matplotlib

        matplotlib.use("Agg")  # no window: write the file only
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no plot drawn.")
        return
    figure, axes = plt.subplots(figsize=(6, 4))
    steps = [n for n in STEPS if n > 1]  # l(1) = x has a derivative of size 0: no log
    if symbolic:
        axes.plot(steps, [symbolic[n][0] for n in steps], "o-", label="SymPy diff")
        axes.plot(steps, [symbolic[n][1] for n in steps], "s-", label="SymPy diff, expanded")
    axes.plot(steps, [sizes[n][1] for n in steps], "^-", label="ast_ad derivative code")
    axes.set_yscale("log")
    axes.set_xlabel("n")
    axes.set_ylabel("operations in d l(n)/dx")
    axes.set_title("Expression swell: the logistic map")
    axes.legend()
    figure.tight_layout()
    figure.savefig(PLOT, dpi=100)
    print(f"plot saved to {PLOT}")


maps = {n: logistic_map(n) for n in STEPS}
print("The derivative of l(3), as ast_ad writes it:\n")
print(source(differentiate(maps[3])))

sizes = {n: code_size(source(differentiate(maps[n]))) for n in STEPS}
symbolic = symbolic_sizes()
if symbolic is None:
    print("SymPy is not installed (pip install sympy): ast_ad's columns only.\n")
print("Expression swell: the size of d l(n)/dx")
print(f"{'n':>2}  {'SymPy ops':>9}  {'expanded':>8}  {'ast_ad lines':>12}  {'ast_ad ops':>10}")
for n in STEPS:
    sympy_ops, expanded = symbolic[n] if symbolic else ("-", "-")
    lines, operations = sizes[n]
    print(f"{n:>2}  {sympy_ops:>9}  {expanded:>8}  {lines:>12}  {operations:>10}")

growth = {sizes[n + 1][1] - sizes[n][1] for n in STEPS if n + 1 in STEPS and n > 1}
if len(growth) == 1:
    print(f"\nast_ad's derivative grows by a constant {growth.pop()} operations per step.")
else:
    print(f"\nast_ad's derivative grows by {sorted(growth)} operations per step.")
plot(sizes, symbolic)

# An independent reference: the chain rule along the recurrence.
for n, x in ((n, x) for n in STEPS for x in (0.1, 0.3, 0.7)):
    exact = chain_rule(n, x)
    for mode in ("reverse", "forward"):
        assert abs(differentiate(maps[n], mode=mode)(x) - exact) <= 1e-12 * max(1.0, abs(exact))
print("both modes match the chain rule l'(n+1) = 4 (1 - 2 l(n)) l'(n) for n = 1..8")

# Finite differences cannot follow l(8), a polynomial of degree 128, closely enough for
# check_grads' tolerance; l(5) they can.
check_grads(maps[5], (0.3,), order=2)
print("check_grads: l(5)'s derivatives match finite differences to second order")
