"""A negated temporary's sign given to the sum, negation or number above it, where IEEE
arithmetic gives the same bits: `a + f(-e)` is `a - f(e)` through products, quotients
and `unbroadcast`.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.optimize.blocks import is_ours
from ast_ad.optimize.folding import nonzero_number


def absorb_sign(stmt, name, positive):
    """`stmt` with its one read of `name`, which holds `-positive`, reading `positive`, the
    sign going to the nearest sum, difference, negation or constant factor above it through
    products, quotients and sign-keeping helpers: `a + unbroadcast(t * v, v)` becomes
    `a - unbroadcast(positive * v, v)`, and `t * 2` becomes `positive * -2`, the same to
    the last bit (IEEE arithmetic rounds `-x` as it rounds `x`). None if nothing above it
    takes the sign."""

    def reads(node):
        return name in nodes.read_names(node)

    def unsigned(node):  # `node` with `positive` for `-positive`: minus node's value
        if isinstance(node, gast.Name):
            return anno.copy_tree(positive) if node.id == name else None
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
            if reads(node.left):
                left = unsigned(node.left)
                return left and gast.BinOp(left=left, op=node.op, right=node.right)
            right = unsigned(node.right) if isinstance(node.op, gast.Mult) else None
            return right and gast.BinOp(left=node.left, op=node.op, right=right)
        if isinstance(node, gast.Call) and _keeps_sign(node.func) and reads(node.args[0]):
            first = unsigned(node.args[0])
            return first and gast.Call(func=node.func, args=[first] + node.args[1:],
                                       keywords=node.keywords)
        return None

    def signed(node):  # `node` with the sign taken by a sum above the read, or None
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            if unsigned(node.operand) is not None:
                return unsigned(node.operand)
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub)):
            if reads(node.right) and unsigned(node.right) is not None:
                flipped = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
                return gast.BinOp(left=node.left, op=flipped, right=unsigned(node.right))
            if reads(node.left) and isinstance(node.op, gast.Add) and \
                    unsigned(node.left) is not None:
                return gast.BinOp(left=node.right, op=gast.Sub(), right=unsigned(node.left))
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            for side, other in (("left", "right"), ("right", "left")):
                number = getattr(node, other)
                if nonzero_number(number) and unsigned(getattr(node, side)) is not None:
                    new = gast.BinOp(left=node.left, op=node.op, right=node.right)
                    setattr(new, side, unsigned(getattr(node, side)))
                    setattr(new, other, nodes.constant(-number.value))
                    return new
        for field, child in gast.iter_fields(node):
            if isinstance(child, gast.expr) and reads(child):
                new = signed(child)
                if new is not None:
                    setattr(node, field, new)
                    return node
            if isinstance(child, list):
                for k, item in enumerate(child):
                    if isinstance(item, gast.expr) and reads(item):
                        new = signed(item)
                        if new is not None:
                            child[k] = new
                            return node
        return None

    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub)) and \
            isinstance(stmt.target, gast.Name) and unsigned(stmt.value) is not None:
        stmt.op = gast.Sub() if isinstance(stmt.op, gast.Add) else gast.Add()
        stmt.value = unsigned(stmt.value)
        return stmt
    if not isinstance(stmt, gast.Assign):
        return None
    value = signed(stmt.value)
    if value is None:
        return None
    stmt.value = value
    return stmt


def _keeps_sign(function):
    """`unbroadcast` and `materialize`: the helpers `f` with `f(-g, x) == -f(g, x)`."""
    return is_ours(function) and \
        getattr(anno.get(function, "bind"), "__name__", None) in ("unbroadcast", "materialize")
