"""Constant folding, with the identities that give the same bits (`1 * x`, `x + 0`,
`-(-x)`, `a + -b`); `0 * x` is kept, as x may be inf or nan.
"""

import operator

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes
from ast_ad.optimize.blocks import COMPOUND

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def is_number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def nonzero_number(node):
    """A number whose negation is another number: `-0` is `0`, and would lose a sign."""
    return is_number(node) and node.value != 0


def _is(node, value):
    return is_number(node) and node.value == value


def is_negation(node):
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _negate(node):
    return gast.UnaryOp(op=gast.USub(), operand=node)


def _with_negated_number(node):
    """A product or quotient with a number in it, that number negated: minus its value,
    exactly; else None."""
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div))):
        return None
    if nonzero_number(node.right) or nonzero_number(node.left):
        side = "right" if nonzero_number(node.right) else "left"
        new = gast.BinOp(left=node.left, op=node.op, right=node.right)
        setattr(new, side, nodes.constant(-getattr(node, side).value))
        return new
    inner = _with_negated_number(node.left)
    return inner and gast.BinOp(left=inner, op=node.op, right=node.right)


def fold(block):
    """Fold the statements of `block` and of the blocks in it; whether any changed. A
    simple statement is folded once: what it folds to is kept with its facts."""
    changed = False
    for k, stmt in enumerate(block):
        if not isinstance(stmt, COMPOUND):
            new = facts.answer(stmt, folded)
            if new is not stmt:
                block[k], changed = new, True
            continue
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                changed |= fold(value)
            elif isinstance(value, gast.AST):
                new = folded(value)
                if new is not value:
                    setattr(stmt, field, new)
                    changed = True
    return changed


def folded(node):
    """`node` with numbers folded and the identities above applied: `node` itself if
    nothing changes, else a new node sharing the parts that do not."""
    return fold_node(node)[1]


def fold_node(node):
    """`(node, folded)`: `node` with its parts folded and perhaps its own operator
    changed (what folding it in place would leave), and what it folds to."""
    kind = type(node)
    if kind is gast.Name or kind is gast.Constant:
        return node, node
    new_fields = {}
    for field in nodes.child_fields(kind):
        value = getattr(node, field, None)
        if isinstance(value, list):
            new = [folded(item) if isinstance(item, gast.AST) else item for item in value]
            if any(a is not b for a, b in zip(new, value)):
                new_fields[field] = new
        elif isinstance(value, gast.AST):
            new = folded(value)
            if new is not value:
                new_fields[field] = new
    if new_fields:
        node = facts.changed(node, **new_fields)
    if kind is gast.BinOp:
        return fold_binop(node)
    if kind is gast.UnaryOp:
        operand = node.operand
        if isinstance(node.op, gast.USub):
            if is_number(operand):
                return node, anno.copy_location(nodes.constant(-operand.value), node)
            if is_negation(operand):
                return node, operand.operand
    return node, node


def fold_binop(node):
    """`fold_node` of a BinOp whose operands are folded."""
    left, right, op = node.left, node.right, type(node.op)
    if is_number(left) and is_number(right) and op in _FOLD:
        try:
            return node, anno.copy_location(
                nodes.constant(_FOLD[op](left.value, right.value)), node)
        except (ArithmeticError, ValueError):
            return node, node
    if (op in (gast.Mult, gast.Div, gast.Pow) and _is(right, 1)) or \
            (op in (gast.Add, gast.Sub) and _is(right, 0)):
        return node, left
    if (op is gast.Mult and _is(left, 1)) or (op is gast.Add and _is(left, 0)):
        return node, right
    if op is gast.Mult and (_is(left, -1) or _is(right, -1)):
        return node, _negate(right if _is(left, -1) else left)
    if op in (gast.Add, gast.Sub) and is_negation(right):
        node = facts.changed(node, op=gast.Sub() if op is gast.Add else gast.Add(),
                             right=right.operand)
    elif op is gast.Add and is_negation(left):
        return node, gast.BinOp(left=right, op=gast.Sub(), right=left.operand)
    elif op is gast.Sub and is_negation(left) and _with_negated_number(right):
        return node, gast.BinOp(left=_with_negated_number(right), op=gast.Sub(),
                                right=left.operand)  # `-a - 2 * b` is `-2 * b - a`
    return node, node
