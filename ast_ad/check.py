"""Rejects the first construct outside the supported subset, before any work is done.

Input: a parsed FunctionDef. Output: the same tree, unchanged. Guarantee: what passes
this check, `lower` can turn into three-address form; anything else raises
`UnsupportedSyntaxError` at the user's line, saying what to write instead.
"""

import gast

from ast_ad import annotations as anno

_STATEMENTS = (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr, gast.Pass)
_EXPRESSIONS = (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Call, gast.Name, gast.Constant,
                gast.Attribute, gast.keyword)
_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.Mod, gast.FloorDiv)
_UNARY = (gast.USub, gast.UAdd)

_HINTS = {
    gast.If: "`if` statements are not supported yet; write the branch as a separate function",
    gast.For: "`for` loops are not supported yet; unroll the loop or differentiate its body",
    gast.While: "`while` loops are not supported yet; unroll the loop or differentiate its body",
    gast.Try: "`try`/`except` is not supported; move the guarded code into a helper that "
              "is not differentiated, or check the input before calling",
    gast.With: "`with` is not supported; enter the context outside the differentiated "
               "function",
    gast.FunctionDef: "nested `def` is not supported; define the helper at module level",
    gast.Lambda: "`lambda` is not supported inside a differentiated function; use a "
                 "module-level `def`",
    gast.Global: "`global` is not supported: a differentiated function may not write "
                 "module state; return the value instead",
    gast.Nonlocal: "`nonlocal` is not supported: a differentiated function may not write "
                   "enclosing variables; return the value instead",
    gast.Delete: "`del` is not supported; simply stop using the name",
    gast.Yield: "generators cannot be differentiated; return a value instead",
    gast.YieldFrom: "generators cannot be differentiated; return a value instead",
    gast.Await: "`await` cannot be differentiated; call the function outside async code",
    gast.IfExp: "conditional expressions `a if c else b` are not supported yet",
    gast.BoolOp: "`and`/`or` are not supported yet",
    gast.Subscript: "indexing is not supported yet; pass the elements as separate arguments",
    gast.Tuple: "tuples are not supported here; differentiate needs a scalar output "
                "(use separate functions, or a later vjp/jacobian)",
    gast.List: "lists are not supported yet; pass the elements as separate arguments",
    gast.ListComp: "comprehensions are not supported yet; write the sum out",
    gast.GeneratorExp: "generator expressions are not supported yet; write the sum out",
    gast.Match: "`match` is not supported; use arithmetic on the cases instead",
}


def check(tree):
    """Raise `UnsupportedSyntaxError` at the first unsupported construct of `tree`."""
    origin = anno.get(tree, "origin")
    _check_signature(tree, origin)
    body = [stmt for stmt in tree.body if not _is_docstring(stmt)]
    returns = [stmt for stmt in body if isinstance(stmt, gast.Return)]
    for stmt in body:
        _check_node(stmt, origin)
        if isinstance(stmt, gast.Return) and stmt is not body[-1]:
            raise origin.unsupported(stmt, "a `return` before the end of the function is not "
                                           "supported yet; move it to the last line")
    if not returns:
        raise origin.error(tree, f"{tree.name} has no `return`; differentiate needs a "
                                 "function that returns a scalar")
    if returns[-1].value is None:
        raise origin.error(returns[-1], "a bare `return` returns None; return the scalar "
                                        "to differentiate")
    return tree


def _check_signature(tree, origin):
    args = tree.args
    if args.vararg or args.kwarg:
        raise origin.unsupported(tree, "`*args`/`**kwargs` are not supported; name each "
                                       "parameter so `wrt` can refer to it")


def _check_node(node, origin):
    for child in gast.walk(node):
        if isinstance(child, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop)):
            _check_operator(child, node, origin)
            continue
        if isinstance(child, _STATEMENTS):
            _check_statement(child, origin)
        elif not isinstance(child, _EXPRESSIONS):
            hint = _HINTS.get(type(child), f"`{type(child).__name__}` is not supported")
            raise origin.unsupported(child, f"ast_ad cannot differentiate this: {hint}.")
        elif isinstance(child, gast.Compare) and len(child.ops) > 1:
            raise origin.unsupported(child, "chained comparisons are not supported; "
                                            "compare two values at a time")
        elif isinstance(child, gast.Call) and any(isinstance(a, gast.Starred) for a in child.args):
            raise origin.unsupported(child, "`*args` in a call is not supported; pass each "
                                            "argument by position")


def _check_statement(stmt, origin):
    targets = {gast.Assign: lambda s: s.targets, gast.AugAssign: lambda s: [s.target],
               gast.AnnAssign: lambda s: [s.target]}
    for target in targets.get(type(stmt), lambda s: [])(stmt):
        if not isinstance(target, gast.Name) or len(getattr(stmt, "targets", [0])) > 1:
            raise origin.unsupported(stmt, "assign to one plain name at a time "
                                           "(`y = ...`); unpacking and attribute or item "
                                           "assignment are not supported yet")
    if isinstance(stmt, gast.AnnAssign) and stmt.value is None:
        raise origin.unsupported(stmt, "a bare annotation assigns nothing; give it a value")
    if isinstance(stmt, gast.Expr) and not isinstance(stmt.value, (gast.Call, gast.Constant)):
        raise origin.unsupported(stmt, "an expression whose value is thrown away does "
                                       "nothing; assign it or remove it")


def _check_operator(op, stmt, origin):
    if isinstance(op, gast.operator) and not isinstance(op, _OPERATORS):
        raise origin.unsupported(stmt, f"the operator `{type(op).__name__}` is not supported;"
                                       " use + - * / ** % //")
    if isinstance(op, gast.unaryop) and not isinstance(op, _UNARY):
        raise origin.unsupported(stmt, f"the unary operator `{type(op).__name__}` is not "
                                       "supported yet")


def _is_docstring(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
