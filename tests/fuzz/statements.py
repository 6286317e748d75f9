"""Statement productions: assignments, branches, every loop form, jumps, lists, arrays and
calls with effects.

A loop never appends to a list it iterates (Python would not stop), a `while` counts its
trips first thing in its body (so `continue` cannot skip the count), and a value a loop
carries is updated only with bounded terms.
"""

from tests.fuzz import expressions
from tests.fuzz.grammar import GRAMMAR
from tests.fuzz.writer import MAX_EXPRESSION_DEPTH, Features, Helper, Writer

production = GRAMMAR.production


def _nests(w):
    return w.can_nest()


def _returns_weight(w):
    """Returns inside loops are what helpers are for; elsewhere they are rarer. Leaving a
    loop over enumerate or zip early is outside the subset (limits.md): rare."""
    if w.returns > 1:
        return 0.05  # a helper unpacked where it is called returns once, at its end: rare
    if any(kind in ("enumerate", "zip") for kind in w.loops):
        return 0.1
    if w.in_helper and w.in_loop():
        return 3.0
    return 1.0 if w.in_loop() else 0.6


# -- assignments ------------------------------------------------------------------------

@production("statement", weight=4)
def new_scalar(w):
    target = w.fresh("t")
    value = w.expression("bounded" if w.in_loop() else "scalar")
    w.line(f"{target} = {value}")
    w.define(target, "scalar")


@production("statement", weight=6)
def update(w):
    target = w.pick(w.scalars())
    bounded = w.expression("bounded")
    if w.in_loop():
        forms = [f"{target} = {bounded}", f"{target} += 0.5 * {bounded}",
                 f"{target} -= {bounded}", f"{target} *= {bounded}",
                 f"{target} = 0.5 * {target} + {bounded}"]
    else:
        value, leaf = w.expression("scalar"), w.expression("scalar", MAX_EXPRESSION_DEPTH)
        forms = [f"{target} = {value}", f"{target} += {value}", f"{target} -= {value}",
                 f"{target} *= {bounded}", f"{target} /= (1.0 + {leaf} * {leaf})"]
    if w.features.numpy and w.chance(0.6):
        # Where NumPy is named, ast_ad refuses `+=` on a name that may be an array.
        forms = forms[:1] + [f"{target} = {target} + {bounded}"]
    w.line(w.pick(forms))


@production("statement", weight=0.4, when=lambda w: w.scalars())
def guard(w):
    value = w.pick(w.scalars())
    form = w.pick(["assert message", "assert", "raise"])
    if form == "raise":
        w.line(f"if not {value} < 1e9:")
        w.line(f"    raise ValueError(f\"{value} = {{{value}:.3g}} is too large\")")
        return
    w.line(f"assert {value} < 1e9, f\"{value} = {{{value}:.3g}} is too large\"" if
           form == "assert message" else f"assert abs({value}) >= 0.0")


@production("statement", weight=0.7, when=lambda w: w.scalars())
def chained_assignment(w):
    target, new = w.pick(w.scalars()), w.fresh("t")
    w.line(f"{target} = {new} = {w.expression('bounded')}")
    w.define(new, "scalar")


@production("statement", weight=1.5, when=lambda w: any(h.returns == 2 for h in w.helpers))
def unpacked_call(w):
    helper = w.pick([h for h in w.helpers if h.returns == 2])
    a, b = w.fresh("a"), w.fresh("b")
    w.line(f"{a}, {b} = {expressions.call_of(w, helper)}")
    w.define(a, "scalar")
    w.define(b, "scalar")


@production("statement", weight=1, when=lambda w: len(w.scalars()) >= 2)
def swap(w):
    a, b = w.rng.sample(w.scalars(), 2)
    w.line(f"{a}, {b} = {b}, {w.expression('bounded')}")


# -- branches ---------------------------------------------------------------------------

@production("statement", weight=3, when=_nests)
def if_statement(w):
    w.line(f"if {w.condition()}:")
    w.body()
    shape = w.pick(["if", "else", "else", "elif"])
    if shape == "elif":
        w.line(f"elif {w.condition()}:")
        w.body(2)
    if shape in ("else", "elif"):
        w.line("else:")
        w.body(2)


@production("statement", weight=_returns_weight)
def early_return(w):
    w.line(f"if {w.condition()}:")
    with w.block():
        if w.chance(0.3):
            w.statement()
        w.line(f"return {w.returned()}")


# -- loops ------------------------------------------------------------------------------

@production("statement", weight=3, when=_nests)
def for_range(w):
    i = w.fresh("i")
    bound = w.pick([str(w.rng.randint(0, 4))] + (["n"] if "n" in w.ints() else [])
                   + [f"len({xs})" for xs in w.lists()])
    header = w.pick([f"range({bound})", f"range({bound})", f"range(1, {bound})",
                     f"range({bound}, 0, -1)", f"range(0, {bound}, 2)"])
    w.line(f"for {i} in {header}:")
    with w.loop("for"):
        w.body(define=[(i, "int")])


@production("statement", weight=2, when=lambda w: _nests(w) and w.lists())
def for_list(w):
    xs, v = w.pick(w.lists()), w.fresh("v")
    w.line(f"for {v} in {w.pick([xs, f'reversed({xs})'])}:")
    with w.loop("for", iterating=[xs]):
        w.body(define=[(v, "scalar")])


@production("statement", weight=1.5, when=lambda w: _nests(w) and w.lists())
def for_enumerate(w):
    xs, i, v = w.pick(w.lists()), w.fresh("i"), w.fresh("v")
    start = w.pick(["", "", "", ", 1", ", start=2"])
    w.line(f"for {i}, {v} in enumerate({xs}{start}):")
    with w.loop("enumerate", iterating=[xs]):
        w.body(define=[(i, "int"), (v, "scalar")])


@production("statement", weight=1.5, when=lambda w: _nests(w) and w.lists())
def for_zip(w):
    first = w.pick(w.lists())
    second = w.pick(w.lists() + [f"reversed({first})"])
    u, v = w.fresh("u"), w.fresh("v")
    numbered = []
    if w.chance(0.3):  # `for i, (u, v) in enumerate(zip(xs, ys)):`
        numbered = [(w.fresh("i"), "int")]
        w.line(f"for {numbered[0][0]}, ({u}, {v}) in enumerate(zip({first}, {second})):")
    else:
        w.line(f"for {u}, {v} in zip({first}, {second}):")
    with w.loop("zip", iterating=[first, second.removeprefix("reversed(").rstrip(")")]):
        w.body(define=numbered + [(u, "scalar"), (v, "scalar")])


def _display(w):
    items = [w.expression("scalar", 1) for _ in range(w.rng.randint(1, 3))]
    return w.pick([f"[{', '.join(items)}]", f"({', '.join(items)},)"])


@production("statement", weight=2, when=_nests)
def for_display(w):
    display, v = _display(w), w.fresh("v")
    form = w.pick(["for", "for", "enumerate", "reversed", "zip"])
    if form == "enumerate":
        i = w.fresh("i")
        w.line(f"for {i}, {v} in enumerate({display}):")
        with w.loop("enumerate"):
            w.body(define=[(i, "int"), (v, "scalar")])
    elif form == "zip":
        u = w.fresh("u")
        other = w.pick(w.lists() + [_display(w), f"reversed({display})"])
        w.line(f"for {u}, {v} in zip({display}, {other}):")
        with w.loop("zip", iterating=[other]):
            w.body(define=[(u, "scalar"), (v, "scalar")])
    else:
        sequence = f"reversed({display})" if form == "reversed" else display
        w.line(f"for {v} in {sequence}:")
        with w.loop("for"):
            w.body(define=[(v, "scalar")])


@production("statement", weight=0.7, when=_nests)
def for_constants(w):
    v = w.fresh("c")
    constants = ", ".join(w.constant(-1.0, 1.5) for _ in range(w.rng.randint(1, 3)))
    w.line(f"for {v} in ({constants},):")
    with w.loop("for"):
        w.body(define=[(v, "scalar")])


@production("statement", weight=1.5, when=lambda w: _nests(w) and w.features.numpy)
def for_array(w):
    a, v = w.expression("array", 2), w.fresh("v")
    if w.chance(0.5):
        i = w.fresh("i")
        w.line(f"for {i}, {v} in enumerate({a}):")
        with w.loop("enumerate"):
            w.body(define=[(i, "int"), (v, "scalar")])
    else:
        w.line(f"for {v} in {a}:")
        with w.loop("for"):
            w.body(define=[(v, "scalar")])


@production("statement", weight=0.8, when=lambda w: _nests(w) and w.has("cfg"))
def for_config(w):
    """A loop over the items or the values of `cfg`, a dict that is not differentiated,
    perhaps testing a key by a string's method, or a value looked up by `get`."""
    v = w.fresh("c")
    key = None
    if w.chance(0.5):
        key = w.fresh("key")
        w.line(f"for {key}, {v} in cfg.items():")
    else:
        w.line(f"for {v} in cfg.values():")
    with w.loop("for"):
        if key is not None and w.chance(0.4):
            with w.block():
                w.line(f"if {key}.startswith(\"{w.pick('abc')}\") or "
                       "cfg.get(\"d\", 1.0) < 0.0:")
                w.body(define=[(v, "scalar")])
        else:
            w.body(define=[(v, "scalar")])


@production("statement", weight=1.5, when=lambda w: w.has("cfg") and not w.loops)
def config_default(w):
    """`if cfg is None: cfg = {...}`, a dict of constants for an argument left out, then a
    value looked up in it."""
    w.line("if cfg is None:")
    with w.block():
        w.line('cfg = {"a": 0.5, "d": 1.0}')
    scale = w.fresh("scale")
    w.line(f'{scale} = cfg.get("{w.pick("abd")}", {w.constant()})')
    w.define(scale, "scalar")


@production("statement", weight=2, when=_nests)
def while_loop(w):
    k = w.fresh("k")
    w.line(f"{k} = 0")
    bound = w.pick([str(w.rng.randint(1, 4))] + (["n"] if "n" in w.ints() else []))
    test = f"{k} < {bound}"
    if w.chance(0.5):
        test += f" and ({w.condition(1)})"
    w.line(f"while {test}:")
    with w.loop("while"):
        with w.block():
            w.line(f"{k} += 1")
            w.define(k, "int")
            for _ in range(w.rng.randint(1, 3)):
                if w.budget <= 0:
                    break
                w.statement()


@production("statement", weight=0.8, when=_nests)
def for_pairs(w):
    """A loop that unpacks the pairs of numbers the module holds."""
    a, b = w.fresh("p"), w.fresh("q")
    numbered = []
    if w.chance(0.3):  # `for k, (p, q) in enumerate(PAIRS):`
        numbered = [(w.fresh("i"), "int")]
        w.line(f"for {numbered[0][0]}, ({a}, {b}) in enumerate(PAIRS):")
    else:
        w.line(f"for {a}, {b} in PAIRS:")
    with w.loop("for"):
        w.body(define=numbered + [(a, "scalar"), (b, "scalar")])


@production("statement", weight=0.6)
def unpacked_value(w):
    """`a, b = PAIRS[k]`, an item unpacked, `a, b = [e1, e2]`, a list display, or, in code
    that uses NumPy, `a, b = np.sin(np.array([e1, e2]))`, an array a call returns."""
    a, b = w.fresh("a"), w.fresh("b")
    if w.rng.random() < 0.5:
        w.line(f"{a}, {b} = PAIRS[{w.rng.randrange(-3, 3)}]")
    elif w.features.numpy and w.chance(0.4):
        w.line(f"{a}, {b} = np.{w.pick(['sin', 'tanh', 'exp'])}(np.array("
               f"[{w.expression('bounded')}, {w.expression('bounded')}]))")
    else:
        w.line(f"{a}, {b} = [{w.expression('bounded')}, {w.expression('bounded')}]")
    w.define(a, "scalar")
    w.define(b, "scalar")


@production("statement", weight=0.4)
def function_alias(w):
    """A local bound to a function of `math`, or to one of two by a test, then called."""
    alias, target = w.fresh("fn"), w.fresh("t")
    first, second = w.pick(["math.sin", "math.tanh", "math.atan"]), w.pick(["math.cos", "abs"])
    if w.chance(0.5):
        w.line(f"{alias} = {first} if {w.condition(1)} else {second}")
    else:
        w.line(f"{alias} = {first}")
    w.line(f"{target} = {alias}({w.expression('bounded')}) * {w.expression('scalar', 1)}")
    w.define(target, "scalar")


@production("statement", weight=0.6, when=_nests)
def while_true(w):
    """`while True:` left by `break` or `return` once a counter runs out, or earlier."""
    k = w.fresh("k")
    w.line(f"{k} = 0")
    w.line("while True:")
    with w.loop("while"):
        with w.block():
            w.line(f"{k} += 1")
            w.define(k, "int")
            w.line(f"if {k} > {w.rng.randint(0, 3)} or ({w.condition(1)}):")  # (first: no
            with w.block():  # `continue` may skip it)
                w.line(w.pick(["break", f"return {w.returned()}"] if w.returns == 1 else
                              ["break"]))
            for _ in range(w.rng.randint(1, 2)):
                if w.budget <= 0:
                    break
                w.statement()


@production("statement", weight=2.5, when=lambda w: w.in_loop())
def jump(w):
    # `break` out of a loop over enumerate or zip is outside the subset (limits.md): rare.
    breaks = 0.1 if w.loops[-1] in ("enumerate", "zip") else 0.5
    w.line(f"if {w.condition()}:")
    with w.block():
        if w.chance(0.25):
            w.statement()
        w.line("break" if w.chance(breaks) else "continue")


# -- lists ------------------------------------------------------------------------------

def _new_list_weight(w):
    """A list of differentiated values made in a loop or a branch is outside reverse
    mode's subset (limits.md): rare there."""
    return 0.2 if w.depth > 0 else 1.5


@production("statement", weight=_new_list_weight, when=lambda w: len(w.lists()) < 3)
def new_list(w):
    xs = w.fresh("xs")
    if w.chance(0.4):
        items = [w.expression() for _ in range(w.rng.randint(1, 3))]
        w.line(f"{xs} = [{', '.join(items)}]")
        w.define(xs, "list", len(items))
        return
    w.line(f"{xs} = []")
    w.define(xs, "list")
    for _ in range(w.rng.randint(0, 2)):
        w.line(f"{xs}.append({w.expression()})")
        w.appended(xs)


@production("statement", weight=0.5, when=lambda w: w.scalars())
def list_on_every_path(w):
    """A list each branch of an `if` makes, of one length: it exists after the `if`."""
    xs, length = w.fresh("xs"), w.rng.randint(1, 3)
    w.line(f"if {w.condition()}:")
    w.line(f"    {xs} = [{', '.join(w.expression() for _ in range(length))}]")
    w.line("else:")
    w.line(f"    {xs} = [{', '.join(w.expression() for _ in range(length))}]")
    w.define(xs, "list", length)


@production("statement", weight=2, when=lambda w: w.appendable_lists())
def append(w):
    xs = w.pick(w.appendable_lists())
    w.line(f"{xs}.append({w.expression('bounded' if w.in_loop() else 'scalar')})")
    w.appended(xs)


# -- functions defined inside ----------------------------------------------------------

def _defines_functions(w):
    """A nested def or a named lambda stands at the top of a function's body (limits.md),
    two at most."""
    return w.depth == 0 and _free_scalars(w) and w.budget > 2 and \
        sum(h.call.startswith("g") for h in w.helpers) < 2


def _free_scalars(w):
    """The scalars a nested def may read: not the parameters and the local of an
    enclosing one, which its own would hide (Python would take `pc` for its own)."""
    return [s for s in w.scalars() if s not in ("pa", "pb", "pc")]


@production("statement", weight=0.8, when=_defines_functions)
def local_function(w):
    """A nested def or a named lambda that reads one of the function's scalars, as it is
    when called. A def's body may loop and return early."""
    name, free = w.fresh("g"), w.pick(_free_scalars(w))
    callable_here = [h for h in w.helpers if h.returns == 1]
    if w.chance(0.4):
        with w.block():
            w.define("pa", "scalar")
            value = w.expression("bounded")
        w.line(f"{name} = lambda pa: {value} * {free}")
        _called(w, Helper(name, ("scalar",)))
        return
    inner = Writer(w.rng, Features(printing=w.features.printing), budget=w.rng.randint(1, 4),
                   in_helper=True, helpers=callable_here)
    inner.indent, inner.counter = w.indent + 1, w.counter
    for parameter in ("pa", "pb", "pc"):
        inner.define(parameter, "scalar")
    inner.line(f"pc = pa * {free} + pb")
    while inner.budget > 0:
        inner.statement()
    inner.line(f"return {inner.expression()} + pc")
    w.counter = inner.counter
    w.line(f"def {name}(pa, pb={w.constant()}):")
    w.lines += inner.lines
    w.budget -= len(inner.lines)
    _called(w, Helper(name, ("scalar", "scalar")))


def _called(w, helper):
    """The function `helper` defines, called once where it is defined, then wherever
    `helper_call` calls it."""
    target = w.fresh("t")
    w.line(f"{target} = {expressions.call_of(w, helper)}")
    w.define(target, "scalar")
    w.helpers.append(helper)


# -- arrays -----------------------------------------------------------------------------

@production("statement", weight=2, when=lambda w: w.features.numpy and len(w.arrays()) < 3)
def new_array(w):
    a = w.fresh("a")
    w.line(f"{a} = {w.expression('array')}")
    w.define(a, "array")


@production("statement", weight=1.5, when=lambda w: w.features.numpy and w.arrays())
def update_array(w):
    a = w.pick(w.arrays())
    value = w.expression("array")
    w.line(w.pick([f"{a} = np.tanh({value})", f"{a} = 0.5 * {a} + np.sin({value})",
                   f"{a} = {a} * np.cos({value})"]))


def _owned(w):
    """Arrays of the function's own (named `o...`), which `write_item` writes into."""
    return [a for a in w.arrays() if a.startswith("o")]


@production("statement", weight=2.5, when=lambda w: w.features.numpy and len(w.arrays()) < 3)
def new_owned_array(w):
    length = w.features.array_length
    sources = [f"np.zeros({length})", f"np.ones({length}) * {w.expression('bounded')}",
               f"np.full({length}, {w.expression('bounded')})"]
    if "w" in w.arrays():
        sources += ["w.copy()", "np.zeros_like(w)", "w * 0.5"]
    target = w.fresh("o")
    w.line(f"{target} = {w.pick(sources)}")
    w.define(target, "array")


@production("statement", weight=4, when=lambda w: w.features.numpy and _owned(w))
def write_item(w):
    """`o[i] = v`, `o[i] += v`, a slice or a mask: in loops, at the loop's index; and
    often a scalar that reads the array after the write."""
    array, length = w.pick(_owned(w)), w.features.array_length
    index = w.pick([str(w.rng.randrange(length)), str(-1 - w.rng.randrange(length))] +
                   [f"{i} % {length}" for i in w.ints() if i != "n"] + [f"{array} > 0.0"])
    value = w.expression("bounded" if w.in_loop() else "scalar")
    w.line(w.pick([f"{array}[{index}] = {value}", f"{array}[{index}] += {value}",
                   f"{array}[{index}] *= {w.expression('bounded')}",
                   f"{array}[1:] = {array}[:-1] * {value}"]))
    if w.chance(0.5):
        target = w.pick(w.scalars())
        w.line(f"{target} = {target} + 0.5 * np.sum(np.tanh({array}))")


@production("statement", weight=1, when=lambda w: w.scalars())
def list_of_numbers(w):
    """`ys = [0.0] * n`, written into item by item (in a loop, or not), then read."""
    ys, length = w.fresh("ys"), w.rng.randint(2, 4)
    w.line(f"{ys} = [{w.pick(['0.0', '1.0', '-0.5'])}] * {length}")
    if w.chance(0.5):
        k = w.fresh("k")
        w.line(f"for {k} in range({length}):")
        w.line(f"    {ys}[{k}] {w.pick(['=', '+='])} {w.expression('bounded')} * {k}")
    else:
        w.line(f"{ys}[{w.rng.randrange(-length, length)}] = {w.expression('bounded')}")
    w.line(f"{ys}[{w.rng.randrange(-length, length)}] *= {w.expression('bounded')}")
    target = w.pick(w.scalars())
    w.line(w.pick([f"{target} = {target} + 0.5 * sum({ys})",
                   f"{target} = {target} + {ys}[0] * {ys}[-1]"]))


@production("statement", weight=1, when=lambda w: w.scalars())
def dict_display(w):
    """`d = {"a": e1, 0: e2}`, written into by key, read by keys, `.get`, `.values()`,
    `.items()`, `.keys()`, `len` and `in`."""
    d, keys = w.fresh("d"), w.rng.sample(['"a"', '"b"', "0", '"w b"'], w.rng.randint(1, 3))
    w.line(f"{d} = {{" + ", ".join(f"{k}: {w.expression('bounded')}" for k in keys) + "}")
    if w.chance(0.5):
        w.line(f"{d}[{w.pick(keys)}] {w.pick(['=', '+=', '*='])} {w.expression('bounded')}")
    target = w.pick(w.scalars())
    key, v = w.pick(keys), w.fresh("v")
    read = w.pick([f"{d}[{key}] * {d}[{w.pick(keys)}]", f"{d}.get({key})",
                   f"sum({d}.values())", f"len({d}) * {d}[{key}]",
                   f"({key} in {d}) * {d}[{key}]"])
    w.line(f"{target} = {target} + 0.5 * {read}")
    if w.chance(0.3):
        k = w.fresh("k")
        w.line(f"for {k}, {v} in {d}.items():")
        w.line(f"    {target} = {target} + 0.25 * {v} * len({k} if isinstance({k}, str) "
               f"else 'k')")


@production("statement", weight=0.6, when=lambda w: w.scalars())
def constant_table(w):
    """A table of constants made in the function: a dict read by a key held in a loop's
    variable, or nested tuples unpacked by a loop."""
    target, k = w.pick(w.scalars()), w.fresh("k")
    if w.chance(0.5):
        table = w.fresh("weights")
        w.line(f"{table} = {{'a': {w.constant()}, 'b': {w.constant()}, 'c': (1.0, -0.5)}}")
        w.line(f"for {k} in ('a', 'b'):")
        w.line(f"    {target} = {target} + {table}[{k}] * {w.expression('bounded')} "
               f"* {table}['c'][1]")
    else:
        table, a, b = w.fresh("table"), w.fresh("a"), w.fresh("b")
        w.line(f"{table} = (({w.constant()}, 0.5), (-1.0, {w.constant()}))")
        w.line(f"for {a}, {b} in {table}:")
        w.line(f"    {target} = {target} + {a} * {w.expression('bounded')} + {b} * 0.25")


@production("statement", weight=0.6, when=lambda w: w.scalars())
def list_written_by_constant_indices(w):
    """`zs = [a, b]`, written by constant indices, read by them and whole."""
    zs, length = w.fresh("zs"), w.rng.randint(2, 3)
    w.line(f"{zs} = [{', '.join(w.expression('bounded') for _ in range(length))}]")
    for _ in range(w.rng.randint(1, 2)):
        index = w.rng.randrange(-length, length)
        w.line(f"{zs}[{index}] {w.pick(['=', '+=', '*='])} {w.expression('bounded')}")
    target = w.pick(w.scalars())
    w.line(w.pick([f"{target} = {target} + 0.5 * sum({zs})",
                   f"{target} = {target} + {zs}[0] * {zs}[-1] * len({zs})"]))


# -- calls with effects -----------------------------------------------------------------

@production("statement", weight=0.8, when=lambda w: w.features.printing)
def print_value(w):
    value = w.expression()
    w.line(w.pick([f"print({value})", f"print('value', {value})",
                   f'print(f"value {{{value}:.4f}}")']))


@production("statement", weight=0.8, when=lambda w: w.has("log"))
def log_value(w):
    kind = "bounded" if w.in_loop() else "scalar"
    value = w.expression(kind)
    w.line(w.pick([f"log.append({value})", f"log.append(({value}, {w.expression(kind)}))",
                   f"log.append([{value}, 2.0])"]))


@production("statement", weight=0.8, when=lambda w: w.has("logger"))
def logger_value(w):
    level = w.pick(["info", "warning"])
    w.line(f"logger.{level}('value %s', {w.expression()})")


DRAWS = {"rng": ["rng.gauss(0, 1)", "rng.random()", "rng.uniform(-1, 1)"],
         "gen": ["gen.normal()", "gen.random()", "gen.uniform(-1.0, 1.0)"],
         "random": ["random.gauss(0, 1)", "random.random()"]}


def _sources_of_draws(w):
    return [s for s in ("rng", "gen") if w.has(s)] + (["random"] if w.features.module_random
                                                       else [])


@production("statement", weight=0.8, when=_sources_of_draws)
def random_value(w):
    target = w.fresh("z")
    w.line(f"{target} = {w.pick(DRAWS[w.pick(_sources_of_draws(w))])}")
    w.define(target, "scalar")
