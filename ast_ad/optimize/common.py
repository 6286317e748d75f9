"""Common subexpressions: a trace statement that computes again what an earlier one of
its block computed takes that statement's name instead, so that the value, and its
adjoint, exist once (`x[:-1]` written twice in `rosenbrock` is sliced once).

Input and output: a lowered FunctionDef, changed in place. Only names assigned once are
shared, and only values of pure operations: operators, indexing, and calls of functions
with rules.
"""

import gast

from ast_ad.ad import effects
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

_COMPOUND = (gast.If, gast.For, gast.While)


def share_common_values(tree):
    once = nodes.assigned_once(tree)
    renames = {}  # a name that goes -> the earlier name holding its value
    for node, field, block in nodes.statement_blocks(tree):
        setattr(node, field, _share(block, once, renames))
    _rename(tree, {old: nodes.load(new) for old, new in renames.items()})
    return tree


def _share(block, once, renames):
    """`block` without the statements that repeat an earlier value; `renames` learns their
    names."""
    seen = {}  # the key of a value -> the name that holds it
    kept = []
    for stmt in block:
        name = nodes.assigned_name(stmt)
        if isinstance(stmt, _COMPOUND) or nodes.changes_a_value(stmt):
            seen.clear()  # what it changes could be read by a value seen before
        elif isinstance(stmt, gast.Assign) and name in once and effects.is_pure_value(stmt.value):
            key = _key(stmt.value, renames)
            if key in seen:
                renames[name] = seen[key]
                continue
            seen[key] = name
        kept.append(stmt)
    return kept


def _key(node, renames):
    """`node`, its reads of the names in `renames` renamed, as nested tuples: equal exactly
    when `gast.dump` is, and so when the values print the same (their operands are names
    and constants), without printing them."""
    if isinstance(node, list):
        return tuple(_key(item, renames) for item in node)
    if not isinstance(node, gast.AST):
        return repr(node)
    if type(node) is gast.Name and type(node.ctx) is gast.Load:
        return gast.Name, renames.get(node.id, node.id)
    return (type(node),) + tuple(_key(getattr(node, f, None), renames) for f in node._fields)


def _rename(tree, values):
    """`nodes.Substitute(values).visit(tree)`, in place, quicker: each read of a name in
    `values` becomes a copy of the node it maps to."""
    todo = [tree] if values else []
    while todo:
        node = todo.pop()
        for field in nodes.child_fields(type(node)):
            value = getattr(node, field, None)
            for k, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
                if type(item) is gast.Name and isinstance(item.ctx, gast.Load) and \
                        item.id in values:
                    new = anno.copy_location(anno.copy_tree(values[item.id]), item)
                    if k is None:
                        setattr(node, field, new)
                    else:
                        value[k] = new
                elif isinstance(item, gast.AST) and type(item) is not gast.Name:
                    todo.append(item)  # (nor does Substitute look into a name)
