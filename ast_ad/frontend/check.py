"""Rejects the first construct outside the supported subset, before any work is done.

Input: a parsed FunctionDef. Output: the same tree, unchanged. Guarantee: what passes
this check, `lower` can turn into three-address form; anything else raises
`UnsupportedSyntaxError` at the user's line, saying what to write instead.
"""

import gast

from ast_ad.frontend.jumps import contains
from ast_ad.frontend.local_functions import is_local_def
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

_STATEMENTS = (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr, gast.Pass,
               gast.If, gast.For, gast.While, gast.Break, gast.Continue, gast.Assert,
               gast.Raise)
_EXPRESSIONS = (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Call, gast.Name, gast.Constant,
                gast.Attribute, gast.keyword, gast.IfExp, gast.BoolOp, gast.Tuple, gast.List,
                gast.Subscript, gast.Slice, gast.NamedExpr, gast.JoinedStr,
                gast.FormattedValue)
_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.Mod, gast.FloorDiv,
              gast.MatMult, gast.BitAnd, gast.BitOr)
_UNARY = (gast.USub, gast.UAdd, gast.Not)

_HINTS = {
    gast.Dict: "a dict display is supported when it is named and read by constant keys "
               "(`d[\"w\"]`, `d.get(\"w\")`), `.values()`, `.items()`, `.keys()`, `len` or "
               "`in`; read it so, or pass the values as arguments of their own",
    gast.Set: "a set display is not supported; use a tuple or a list",
    gast.Starred: "`*` unpacking is not supported; name the items",
    gast.Delete: "`del` is not supported; simply stop using the name",
    gast.Try: "`try`/`except` is not supported; move the guarded code into a helper that "
              "is not differentiated, or check the input before calling",
    gast.With: "`with` is not supported; enter the context outside the differentiated "
               "function",
    gast.FunctionDef: "a nested `def` is supported at the top of the function's body, "
                      "undecorated; move it there, or define the helper at module level",
    gast.Lambda: "a `lambda` is supported when it is named and called (`g = lambda t: "
                 "t * w`, then `g(x)`); name it so, or write a `def`",
    gast.Global: "`global` is not supported: a differentiated function may not write "
                 "module state; return the value instead",
    gast.Nonlocal: "`nonlocal` is not supported: a differentiated function may not write "
                   "enclosing variables; return the value instead",
    gast.Yield: "generators cannot be differentiated; return a value instead",
    gast.YieldFrom: "generators cannot be differentiated; return a value instead",
    gast.Await: "`await` cannot be differentiated; call the function outside async code",
    gast.SetComp: "set comprehensions are not supported; use a list comprehension",
    gast.DictComp: "dict comprehensions are not supported; use a list comprehension",
    gast.Match: "`match` is not supported; use arithmetic on the cases instead",
    gast.ClassDef: "a class defined inside a differentiated function is not supported; "
                   "define it at module level",
    gast.AsyncFunctionDef: "nested `async def` is not supported; define the helper at "
                           "module level",
    gast.AsyncFor: "`async for` cannot be differentiated; loop outside async code",
    gast.AsyncWith: "`async with` cannot be differentiated; enter it outside async code",
    gast.Import: "`import` inside a differentiated function is not supported; import at "
                 "module level",
    gast.ImportFrom: "`import` inside a differentiated function is not supported; import "
                     "at module level",
}
if hasattr(gast, "TryStar"):
    _HINTS[gast.TryStar] = _HINTS[gast.Try]
_UNKNOWN = "this construct is not supported; docs/supported.md lists the subset"


def check(tree):
    """Raise `UnsupportedSyntaxError` at the first unsupported construct of `tree`."""
    origin = anno.get(tree, "origin")
    _check_signature(tree, origin)
    body = [stmt for stmt in tree.body if not _is_docstring(stmt)]
    for stmt in body:
        if not is_local_def(stmt):  # checked where it is called
            _check_node(stmt, origin)
    _check_returns(body, origin)
    if not returns_on_every_path(body):
        raise origin.error(tree, f"{tree.name} can end without a `return`; differentiate "
                                 "needs a function that returns a scalar on every path")
    return tree


def returns_on_every_path(block):
    """Whether every path through `block` ends in a `return`: a `while True:` loop with no
    `break` of its own is left only by one."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, gast.If):
        return returns_on_every_path(last.body) and returns_on_every_path(last.orelse)
    if runs_until_it_returns(last):
        return True
    return isinstance(last, (gast.Return, gast.Raise))


def runs_until_it_returns(stmt):
    if not (isinstance(stmt, gast.While) and isinstance(stmt.test, gast.Constant)
            and stmt.test.value is True):
        return False
    return not contains(stmt.body, (gast.Break,))


def _check_returns(block, origin):
    for i, stmt in enumerate(block):
        if isinstance(stmt, gast.Return):
            if stmt.value is None or (isinstance(stmt.value, gast.Constant)
                                      and stmt.value.value is None):
                raise origin.unsupported(stmt, "this `return` returns None; return the "
                                               "scalar to differentiate")
            if isinstance(stmt.value, gast.Tuple):
                raise origin.unsupported(stmt, "differentiate needs a scalar output, and this "
                                               "returns a tuple; differentiate each output on "
                                               "its own (vjp and jacobian take several)")
        if isinstance(stmt, (gast.Return, gast.Raise)) and i != len(block) - 1:
            raise origin.unsupported(block[i + 1], f"this code follows a "
                                                   f"`{type(stmt).__name__.lower()}` and never "
                                                   "runs; remove it")
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                _check_returns(inner, origin)


def _check_signature(tree, origin):
    args = tree.args
    if args.vararg or args.kwarg:
        raise origin.unsupported(tree, "`*args`/`**kwargs` are not supported; name each "
                                       "parameter so `wrt` can refer to it")


def _check_node(node, origin):
    allowed_tuples = set()
    for child in nodes.walk(node):
        if isinstance(child, gast.Assign) and _is_unpacking(child):
            allowed_tuples.update({id(child.targets[0]), id(child.value)})
        if isinstance(child, gast.For) and isinstance(child.target, gast.Tuple):
            allowed_tuples.update(id(t) for t in nodes.walk(child.target)
                                  if isinstance(t, gast.Tuple))  # for i, (a, b) in ...
        if isinstance(child, gast.Return) and isinstance(child.value, gast.Tuple):
            allowed_tuples.add(id(child.value))
        if isinstance(child, gast.Tuple) and all(nodes.is_constant(e) for e in child.elts) \
                and not isinstance(child.ctx, gast.Store):
            allowed_tuples.add(id(child))  # a shape or axes
        if isinstance(child, gast.Subscript) and isinstance(child.slice, gast.Tuple):
            allowed_tuples.add(id(child.slice))  # x[i, 1:]
        if isinstance(child, gast.For) and isinstance(child.iter, (gast.List, gast.Tuple)):
            allowed_tuples.add(id(child.iter))  # for v in [a, b], for v in (a, b)
        if isinstance(child, gast.Assign) and isinstance(child.value, gast.List):
            allowed_tuples.add(id(child.value))  # xs = [a, b]
        if isinstance(child, gast.BinOp) and isinstance(child.op, gast.Mult):
            allowed_tuples.update(id(side) for side in (child.left, child.right)
                                  if isinstance(side, gast.List)  # [0.0] * n
                                  and all(nodes.is_constant(e) for e in side.elts))
        if isinstance(child, gast.Call):  # np.stack([a, b]), np.zeros((n, 3))
            allowed_tuples.update(id(a) for a in child.args + [k.value for k in child.keywords]
                                  if isinstance(a, (gast.List, gast.Tuple)))
    for child in nodes.walk(node):
        if isinstance(child, gast.List) and child.elts and id(child) not in allowed_tuples:
            raise origin.unsupported(child, "a list display is supported as the argument of "
                                            "a call, as in `sum([a, b])`, the value of an "
                                            "assignment, the sequence of a `for` loop and, "
                                            "of numbers, repeated (`[0.0] * n`); elsewhere, "
                                            "name it first: `xs = [a, b]`")
        if isinstance(child, gast.Tuple) and id(child) not in allowed_tuples:
            raise origin.unsupported(child, "a tuple display is supported in unpacking "
                                            "assignments such as `a, b = b, a + b`, as the "
                                            "argument of a call and as the sequence of a "
                                            "`for` loop")
        if isinstance(child, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop,
                              gast.boolop)):
            _check_operator(child, node, origin)
            continue
        if isinstance(child, _STATEMENTS) or is_truncation(child) and is_generated(origin):
            _check_statement(child, origin)
        elif not isinstance(child, _EXPRESSIONS):
            hint = _HINTS.get(type(child), _UNKNOWN)
            raise origin.unsupported(child, f"ast_ad cannot differentiate this: {hint}.")
        elif isinstance(child, (gast.IfExp, gast.BoolOp, gast.Compare)):
            _refuse_assigning_sometimes(child, _evaluated_sometimes(child), origin)
        elif isinstance(child, gast.Constant) and isinstance(child.value, complex):
            raise origin.unsupported(child, "complex numbers are not supported: ast_ad "
                                            "differentiates real-valued code")
        elif isinstance(child, gast.Call) and any(isinstance(a, gast.Starred) for a in child.args):
            raise origin.unsupported(child, "`*args` in a call is not supported; pass each "
                                            "argument by position")


def _refuse_assigning_sometimes(node, parts, origin):
    """`:=` in `parts` of `node`, which Python may evaluate once, never or many times: the
    lowering would bind its name on one path, as if on all."""
    if any(isinstance(n, gast.NamedExpr) for part in parts for n in nodes.walk(part)):
        raise origin.unsupported(node, "`:=` here assigns only on some evaluations (a "
                                       "branch of `if`/`else`, `and`/`or`, a chained "
                                       "comparison, a `while` test); assign with a "
                                       "statement of its own")


def _evaluated_sometimes(node):
    """The parts of `node`, a conditional expression, a boolean operation or a comparison,
    that Python may or may not evaluate."""
    if isinstance(node, gast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, gast.BoolOp):
        return node.values[1:]
    return node.comparators[1:]


def _check_statement(stmt, origin):
    if isinstance(stmt, gast.Raise) and (stmt.exc is None or stmt.cause is not None):
        raise origin.unsupported(stmt, "`raise` is supported with an exception and no "
                                       "`from`: `raise ValueError(\"...\")`")
    if isinstance(stmt, gast.While):
        _refuse_assigning_sometimes(stmt, [stmt.test], origin)
    if isinstance(stmt, (gast.For, gast.While)) and stmt.orelse:
        raise origin.unsupported(stmt, "a loop's `else` clause is not supported; test after "
                                       "the loop instead")
    if isinstance(stmt, gast.For) and not _names_unpacked(stmt.target):
        raise origin.unsupported(stmt, "loop over one plain name (`for x in xs`), or unpack "
                                       "into plain names (`for i, (a, b) in "
                                       "enumerate(zip(xs, ys))`); other loop targets (an "
                                       "item, an attribute, `*rest`) are not supported yet")
    if isinstance(stmt, gast.Assign) and len(stmt.targets) > 1 and \
            not all(isinstance(t, gast.Name) for t in stmt.targets):
        raise origin.unsupported(stmt, "a chained assignment is supported to plain names "
                                       "(`a = b = e`); unpack in a statement of its own")
    if isinstance(stmt, gast.Assign) and _is_unpacking(stmt):
        return
    targets = {gast.Assign: lambda s: s.targets, gast.AugAssign: lambda s: [s.target],
               gast.AnnAssign: lambda s: [s.target]}
    for target in targets.get(type(stmt), lambda s: [])(stmt):
        if isinstance(target, gast.Subscript) and not isinstance(stmt, gast.AnnAssign) and \
                len(getattr(stmt, "targets", [target])) == 1:
            if not isinstance(target.value, gast.Name):
                raise origin.unsupported(stmt, "a write is supported into an array named "
                                               "plainly: `a[i, j] = v`, not `a[i][j] = v` "
                                               "nor into an attribute")
            continue
        if not isinstance(target, gast.Name):
            raise origin.unsupported(stmt, "assign to one plain name at a time "
                                           "(`y = ...`); unpacking takes a value, or a tuple "
                                           "of the same length, on the right "
                                           "(`a, b = b, a + b`); attribute assignment is not "
                                           "supported yet")
    if isinstance(stmt, gast.AnnAssign) and stmt.value is None:
        raise origin.unsupported(stmt, "a bare annotation assigns nothing; give it a value")
    if isinstance(stmt, gast.Expr) and not isinstance(stmt.value, (gast.Call, gast.Constant)):
        raise origin.unsupported(stmt, "an expression whose value is thrown away does "
                                       "nothing; assign it or remove it")


def is_truncation(stmt):
    """`del xs[n:]`, by which a generated adjoint cuts a list back before a loop's
    iteration runs again."""
    return isinstance(stmt, gast.Delete) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Subscript) and \
        isinstance(stmt.targets[0].value, gast.Name) and \
        isinstance(stmt.targets[0].slice, gast.Slice) and \
        stmt.targets[0].slice.upper is None and stmt.targets[0].slice.step is None


def is_generated(origin):
    """Whether the code is an adjoint ast_ad generated, whose `x_bar[i] += g` adds into
    an array of its own, which no rule reads the value of."""
    return origin is not None and origin.filename.startswith("<ast_ad ")


def _names_unpacked(target):
    """A name, or a tuple of such targets (`i, (a, b)`)."""
    return isinstance(target, gast.Name) or isinstance(target, gast.Tuple) and \
        all(_names_unpacked(t) for t in target.elts)


def is_enumerate_or_zip(stmt):
    """`for i, x in enumerate(xs)`, `for a, b in zip(xs, ys)`, and the two together,
    `for i, (a, b) in enumerate(zip(xs, ys))`: loops over an index."""
    target, iterable = stmt.target, stmt.iter
    if not (isinstance(target, gast.Tuple) and _is_call_of(iterable, ("enumerate", "zip"))
            or _is_call_of(iterable, ("enumerate",), ("start",))):
        return False
    if iterable.func.id == "zip":
        return all(isinstance(t, gast.Name) for t in target.elts) and \
            len(iterable.args) == len(target.elts) >= 2
    if len(iterable.args) + len(iterable.keywords) not in (1, 2) or len(target.elts) != 2 \
            or not isinstance(target.elts[0], gast.Name):
        return False
    item, inner = target.elts[1], iterable.args[0]
    return isinstance(item, gast.Name) or isinstance(item, gast.Tuple) and \
        _is_call_of(inner, ("zip",)) and all(isinstance(t, gast.Name) for t in item.elts) \
        and len(inner.args) == len(item.elts) >= 2


def _is_call_of(node, names, keywords=()):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        node.func.id in names and all(k.arg in keywords for k in node.keywords)


def _is_unpacking(stmt):
    """`a, b = b, a`, `a, b = pair`, `a, b = pairs[-1]` or `a, b = helper(x)` (lowering
    checks that the helper returns two)."""
    target, value = stmt.targets[0], stmt.value
    return (len(stmt.targets) == 1 and isinstance(target, gast.Tuple)
            and (len(target.elts) == len(value.elts)
                 if isinstance(value, (gast.Tuple, gast.List))
                 else not isinstance(value, gast.Starred))
            and all(isinstance(t, gast.Name) for t in target.elts))


_SYMBOLS = {gast.LShift: "<<", gast.RShift: ">>", gast.BitXor: "^", gast.Invert: "~"}


def _check_operator(op, stmt, origin):
    symbol = _SYMBOLS.get(type(op), "this operator")
    if isinstance(op, gast.operator) and not isinstance(op, _OPERATORS):
        raise origin.unsupported(stmt, f"the operator `{symbol}` is not supported; use "
                                       "+ - * / ** % // @ (and & | on booleans)")
    if isinstance(op, gast.unaryop) and not isinstance(op, _UNARY):
        raise origin.unsupported(stmt, f"the unary operator `{symbol}` is not supported; "
                                       "use - + not")


def _is_docstring(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
