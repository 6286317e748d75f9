"""Expression productions: scalars, bounded scalars, 1-D arrays and conditions.

Every function is applied on a safe domain (exp of a bounded value, log of 1 + e * e, a
division by 1 + e * e), so any real input keeps every value finite. "bounded" expressions
stay within a few units whatever their operands: loops update their carried values with
them, so that no value grows with the trip count.
"""

from tests.fuzz.grammar import GRAMMAR
from tests.fuzz.writer import MAX_EXPRESSION_DEPTH

production = GRAMMAR.production


def _sub(w, depth, kind="scalar"):
    return w.expression(kind, depth)


def _atom(text):
    """`text` ready to be indexed or to have a method called: parenthesized unless a name."""
    return text if text.isidentifier() else f"({text})"


def _leaf(w, kind="scalar"):
    """A name or a number, never a random draw: for an operand written several times (as
    in `1.0 + e * e`), to keep lines short."""
    return w.expression(kind, MAX_EXPRESSION_DEPTH, same_each_time=True)


# -- scalar leaves ----------------------------------------------------------------------

@production("scalar", weight=8, leaf=True)
def name(w, depth):
    return w.pick(w.scalars())


@production("scalar", weight=2, leaf=True)
def number(w, depth):
    return w.constant()


@production("scalar", weight=1, leaf=True, when=lambda w: w.ints())
def integer_name(w, depth):
    return w.pick([f"{w.pick(w.ints())}", f"(0.5 * {w.pick(w.ints())})"])


@production("scalar", weight=0.5, leaf=True)
def module_constant(w, depth):
    return w.pick(["math.pi", "math.e"]) + " * 0.25"


# -- scalar operations ------------------------------------------------------------------

@production("scalar", weight=6)
def arithmetic(w, depth):
    return f"({_sub(w, depth)} {w.pick('+-*')} {_sub(w, depth)})"


@production("scalar", weight=1)
def negation(w, depth):
    return f"(-{_sub(w, depth)})"


@production("scalar", weight=2)
def safe_division(w, depth):
    b = _leaf(w)
    denominator = w.pick([f"(1.0 + {b} * {b})", f"(2.0 + math.cos({b}))", "3.0"])
    return f"{_sub(w, depth)} / {denominator}"


@production("scalar", weight=4)
def bounded_value(w, depth):
    return w.expression("bounded", depth)


@production("scalar", weight=1.5)
def safe_exponential(w, depth):
    inner = w.pick(["math.sin", "math.tanh", "math.cos"])
    outer = w.pick(["math.exp", "math.exp", "math.expm1"])
    return f"{outer}({inner}({_sub(w, depth)}))"


@production("scalar", weight=1.5)
def safe_logarithm(w, depth):
    e = _leaf(w)
    return w.pick([f"math.log(1.0 + {e} * {e})", f"math.log1p({e} * {e})",
                   f"math.sqrt(1.0 + {e} * {e})", f"math.log(2.0 + math.sin({e}))"])


@production("scalar", weight=1)
def power(w, depth):
    e = _leaf(w)
    return w.pick([f"{e} ** 2", f"{e} ** 3", f"math.pow({e}, 2)",
                   f"(1.0 + {e} * {e}) ** 0.5"])


@production("scalar", weight=0.5)
def hypotenuse(w, depth):
    return f"math.hypot({_sub(w, depth)}, 1.0)"


@production("scalar", weight=0.4)
def extremum_of_several(w, depth):
    a, b, c = (_sub(w, depth) for _ in range(3))
    return w.pick([f"max({a}, {b}, {c})", f"min({a}, {b}, {c})", f"max([{a}, {b}])",
                   f"min(({a}, {b}))"])


@production("scalar", weight=0.3)
def named_expression(w, depth):
    return f"({w.fresh('z')} := {_sub(w, depth)})"  # a name nothing else reads


@production("scalar", weight=1)
def kinked_builtin(w, depth):
    a, b = _sub(w, depth), _sub(w, depth)
    return w.pick([f"abs({a})", f"max({a}, {b})", f"min({a}, {b})"])


@production("scalar", weight=0.3)
def float_call(w, depth):
    return f"float({_sub(w, depth)})"


@production("scalar", weight=1.5)
def conditional_expression(w, depth):
    return f"({_sub(w, depth)} if {w.condition(depth)} else {_sub(w, depth)})"


@production("scalar", weight=2, when=lambda w: w.lists())
def list_read(w, depth):
    xs = w.pick(w.lists())
    length = w.list_length(xs)
    choices = [f"sum({xs})", f"math.fsum({xs})", f"(0.5 * len({xs}))"]
    if length:
        choices += [f"{xs}[0]", f"{xs}[-1]", f"{xs}[{length - 1}]"]
        if w.ints():
            choices.append(f"{xs}[{w.pick(w.ints())} % len({xs})]")
    return w.pick(choices)


@production("scalar", weight=0.6)
def comprehension(w, depth):
    k, body, n = w.fresh("k"), _sub(w, depth), w.rng.randint(1, 3)
    items = w.pick([f"range({n})", "(0.5, 1.5)", f"range(1, {n + 1})"])
    element, condition = f"{body} * {k}", w.pick(["", f" if {k} != 1"])
    return w.pick([f"sum({element} for {k} in {items}{condition})",
                   f"sum([{element} for {k} in {items}{condition}])",
                   f"max({element} for {k} in {items})",
                   f"min(({element} + {k} for {k} in {items}))"])


@production("scalar", weight=1)
def display_sum(w, depth):
    items = ", ".join(_sub(w, depth) for _ in range(w.rng.randint(1, 3)))
    return w.pick([f"sum([{items}])", f"sum(({items},))"])


@production("scalar", weight=2, when=lambda w: any(h.returns == 1 for h in w.helpers))
def helper_call(w, depth):
    return call_of(w, w.pick([h for h in w.helpers if h.returns == 1]), depth)


def call_of(w, helper, depth=0):
    args = [_argument(w, depth, kind) for kind in helper.kinds]
    return f"{helper.call}({', '.join(args)})"


def _argument(w, depth, kind):
    if kind == "scalar":
        return _sub(w, depth)
    if kind == "int":
        return w.pick(w.ints() + ["2"])
    known = [xs for xs in w.lists() if w.list_length(xs) > 0]
    items = ", ".join(_sub(w, depth) for _ in range(w.rng.randint(1, 3)))
    return w.pick(known + [f"[{items}]", f"({items},)"])


@production("scalar", weight=0.3)
def stopped(w, depth):
    return f"stop_gradient({_sub(w, depth)})"


@production("scalar", weight=1, leaf=True, when=lambda w: w.has("rng"), draws=True)
def random_draw(w, depth):
    return w.pick(["rng.random()", "rng.gauss(0, 1)", "(0.5 * rng.gauss(0, 1))"])


@production("scalar", weight=1, leaf=True, when=lambda w: w.has("gen"), draws=True)
def generator_draw(w, depth):
    return w.pick(["gen.normal()", "gen.random()", "gen.uniform(-1.0, 1.0)"])


@production("scalar", weight=1, leaf=True, when=lambda w: w.features.module_random, draws=True)
def module_random_draw(w, depth):
    return w.pick(["random.random()", "random.gauss(0, 1)"])


@production("scalar", weight=0.5, when=lambda w: w.features.numpy)
def matrix_display(w, depth):
    """A 2-by-2 matrix written as a nested display of numbers, as a rotation is."""
    a, b = _sub(w, depth, "scalar"), _leaf(w, "scalar")
    return w.pick([f"np.sum(np.array([[{a}, -{b}], [{b}, {a}]]) @ np.array([{b}, 0.5]))",
                   f"np.linalg.det(np.array([[1.0 + {a} * {a}, {b}], [{b}, 2.0]]))"])


@production("scalar", weight=3, when=lambda w: w.features.numpy)
def array_reduction(w, depth):
    a = _sub(w, depth, "array")
    n = w.features.array_length
    b, c = _sub(w, depth, "array"), _atom(_leaf(w, "array"))
    choices = [f"np.sum({a})", f"np.mean({a})", f"{_atom(a)}[{w.rng.randrange(-n, n)}]",
               f"np.dot({a}, {b})", f"({_atom(a)} @ {_atom(b)})",
               f"np.sum({c}[1:] * {c}[:-1])", f"{_atom(a)}.sum()", f"np.max({a})",
               f"np.var({a})", f"np.std({a})", f"np.cumsum({a})[{w.rng.randrange(-n, n)}]",
               f"np.sort({a})[{w.rng.randrange(-n, n)}]", f"np.sum(np.diff({a}) * {c}[1:])",
               f"{_atom(a)}.std()", f"{_atom(a)}.cumsum()[{w.rng.randrange(-n, n)}]",
               f"np.sum(np.column_stack([{a}, {b}])[:, 1] * {c})",
               f"np.sum(np.dstack([{a}, {c}]) ** 2)", f"np.linalg.norm({a}, 1)",
               f"np.linalg.norm({a}, {w.pick(['np.inf', '-np.inf', '2'])})",
               f"np.einsum('i,i', {a}, {b})", f"np.sum(np.einsum('i,j->ij', {a}, {c}) ** 2)",
               f"np.einsum('i,i,i->', {a}, {b}, {c})",
               f"np.einsum('i,i,i,i', {a}, {b}, {c}, {a})",
               f"np.einsum('i,j,i,j,i->', {a}, {b}, {c}, {a}, {b})",
               f"np.einsum('ii', np.outer({a}, {c}))",
               f"np.sum(np.einsum('ii->i', np.outer({a}, {b})) * {c})",
               f"np.linalg.slogdet(np.outer({a}, {c}) + 3.0 * np.eye({n}))[1]",
               f"np.sum({a}, where={c} > 0.0, initial={w.constant()})",
               f"np.max({a}, where={c} < 0.5, initial=-{w.constant()})",
               f"(np.mean({a}, where={c} > -0.5) if np.any({c} > -0.5) else 0.0)",
               f"(1.5 + np.tanh({a})).prod(where={c} > 0.0, dtype=np.float64)",
               f"(np.var({a}, where={c} > -0.5) if np.any({c} > -0.5) else 0.0)",
               f"np.std({a}, ddof=1, where={c} < 0.5) if np.sum({c} < 0.5) > 1 else 0.0"]
    if w.ints():
        choices.append(f"{_atom(a)}[{w.pick(w.ints())} % {n}]")
    return w.pick(choices)


# -- bounded scalars ---------------------------------------------------------------------

@production("bounded", weight=4, leaf=True)
def smooth_call(w, depth):
    function = w.pick(["math.sin", "math.cos", "math.tanh", "math.atan", "math.erf"])
    return f"{function}({_sub(w, depth)})"


@production("bounded", weight=1, leaf=True)
def squashed_ratio(w, depth):
    e = _leaf(w)
    return f"{e} / (1.0 + {e} * {e})"


@production("bounded", weight=1, leaf=True)
def bounded_product(w, depth):
    return f"{w.expression('bounded', depth)} * {w.expression('bounded', depth)}"


@production("bounded", weight=0.5, leaf=True)
def bounded_exponential(w, depth):
    return f"math.exp(math.sin({_sub(w, depth)}))"


# -- arrays of the program's one length ---------------------------------------------------

@production("array", weight=5, leaf=True, when=lambda w: w.arrays())
def array_name(w, depth):
    return w.pick(w.arrays())


@production("array", weight=1.5, leaf=True)
def array_display(w, depth):
    items = ", ".join(_sub(w, depth) for _ in range(w.features.array_length))
    return f"np.array([{items}])"


@production("array", weight=3)
def array_elementwise(w, depth):
    a, b = _sub(w, depth, "array"), _leaf(w, "array")
    return w.pick([f"np.sin({a})", f"np.cos({a})", f"np.tanh({a})", f"np.exp(np.sin({a}))",
                   f"np.arctan({a})", f"np.log1p({b} * {b})", f"{a} / (1.0 + {b} * {b})",
                   f"np.sqrt(1.0 + {b} * {b})", f"np.asarray({a})", f"np.flip({a})",
                   f"np.roll({a}, {w.pick(['1', '-1'])})"])


@production("array", weight=3)
def array_arithmetic(w, depth):
    a = _sub(w, depth, "array")
    other = _sub(w, depth, w.pick(["array", "scalar"]))
    op = w.pick("+-*")
    return w.pick([f"({a} {op} {other})", f"({other} {op} {a})"])


@production("array", weight=0.5)
def array_select(w, depth):
    a, b = _sub(w, depth, "array"), _sub(w, depth, "array")
    return w.pick([f"np.where({a} > 0.0, {a}, {b})", f"np.maximum({a}, {b})",
                   f"np.clip({a}, a_min=-0.8, a_max={b})", f"{_atom(a)}.astype(np.float64)",
                   f"np.full_like({a}, {_sub(w, depth)})"])


# -- conditions -------------------------------------------------------------------------

@production("condition", weight=4, leaf=True)
def comparison(w, depth):
    a = _sub(w, depth)
    other = w.pick([f"{round(w.rng.uniform(-1, 1), 2)}", _sub(w, depth)])
    return f"{a} {w.pick(['>', '<', '>=', '<='])} {other}"


@production("condition", weight=1, leaf=True)
def chained_comparison(w, depth):
    a, b = _sub(w, depth), _sub(w, depth)
    low, high = sorted(round(w.rng.uniform(-1.5, 1.5), 2) for _ in range(2))
    return w.pick([f"{low} < {a} <= {high}", f"{a} < {b} < {high}", f"{low} <= {a} < {b}"])


@production("condition", weight=2, leaf=True, when=lambda w: w.ints())
def integer_test(w, depth):
    i = w.pick(w.ints())
    return w.pick([f"{i} % 2 == 0", f"{i} > 1", f"{i} == 0", f"{i} != 1"])


@production("condition", weight=0.5, leaf=True, when=lambda w: w.lists())
def length_test(w, depth):
    return f"len({w.pick(w.lists())}) > {w.rng.randint(0, 3)}"


@production("condition", weight=1)
def conjunction(w, depth):
    return f"({w.condition(depth)}) {w.pick(['and', 'or'])} ({w.condition(depth)})"


@production("condition", weight=0.5)
def negated_condition(w, depth):
    return f"not ({w.condition(depth)})"
