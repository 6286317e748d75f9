"""Clean-up of generated straight-line code, run to a fixed point.

Input and output: a FunctionDef whose body is straight-line assignments (and `+=`),
comments, and a final return. Passes: constant folding with the identities `x * 1`,
`x * -1`, `x / 1`, `x + 0`, `x - 0`, `x ** 1`, `-(-x)`, `a + -b`; copy propagation;
fusion of an adjoint's few contributions into one sum (`x_bar = a` ... `x_bar += b`
becomes `x_bar = a + b` where the second stood); dead-code elimination; and removal
of comments left quoting nothing. Values are unchanged: nothing is folded that could
differ in the last bit, and `0 * x` is kept (x may be inf or nan).
"""

import operator

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad.codegen import to_source

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def optimize(function):
    """A cleaned copy of `function`."""
    function = anno.copy_tree(function)
    previous = None
    while previous != gast.dump(function):
        previous = gast.dump(function)
        function.body = [_Fold().visit(stmt) for stmt in function.body]
        function.body = _propagate_copies(function.body)
        function.body = _fuse_accumulations(function.body)
        function.body = _eliminate_dead_code(function.body)
    while True:
        body = _drop_empty_comments(function.body)
        if len(body) == len(function.body):
            return function
        function.body = body


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _is(node, value):
    return _number(node) and node.value == value


class _Fold(gast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, type(node.op)
        if _number(left) and _number(right) and op in _FOLD:
            try:
                return anno.copy_location(nodes.constant(_FOLD[op](left.value, right.value)), node)
            except (ArithmeticError, ValueError):
                return node
        if (op in (gast.Mult, gast.Div, gast.Pow) and _is(right, 1)) or \
                (op in (gast.Add, gast.Sub) and _is(right, 0)):
            return left
        if (op is gast.Mult and _is(left, 1)) or (op is gast.Add and _is(left, 0)):
            return right
        if op is gast.Mult and (_is(left, -1) or _is(right, -1)):
            return _negate(right if _is(left, -1) else left)
        if op in (gast.Add, gast.Sub) and _is_negation(right):
            node.op = gast.Sub() if op is gast.Add else gast.Add()
            node.right = right.operand
        elif op is gast.Add and _is_negation(left):
            return gast.BinOp(left=right, op=gast.Sub(), right=left.operand)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        operand = node.operand
        if isinstance(node.op, gast.USub):
            if _number(operand):
                return anno.copy_location(nodes.constant(-operand.value), node)
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub):
                return operand.operand
        return node


def _is_negation(node):
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _negate(node):
    return gast.UnaryOp(op=gast.USub(), operand=node)


def _definitions(body):
    where = {}
    for i, stmt in enumerate(body):
        name = nodes.assigned_name(stmt)
        if name:
            where.setdefault(name, []).append(i)
    return where


def _propagate_copies(body):
    """Replace `a` by `b` after `a = b`, where neither is assigned again."""
    definitions = _definitions(body)
    for i, stmt in enumerate(body):
        if not isinstance(stmt, gast.Assign) or len(definitions[stmt.targets[0].id]) != 1:
            continue
        value = stmt.value
        if isinstance(value, gast.Name) and anno.get(value, "static") is None:
            if any(j > i for j in definitions.get(value.id, [])):
                continue
        elif not _number(value):
            continue
        name = stmt.targets[0].id
        _Replace(name, value).visit_all(body[i + 1:])
        return body[:i] + body[i + 1:]
    return body


_MOST_FUSED = 4  # contributions; a longer sum reads better as `+=` lines
_LONGEST_FUSED = 90  # characters of a fused statement, to keep lines under 100


def _fuse_accumulations(body):
    """`a = c1` ... `a += c2` -> `a = c1 + c2` at the last, where nothing else reads `a`.

    Moving `c1` down is safe when no name it reads is assigned in between; in a
    reverse sweep of straight-line code the adjoints it reads are already final.
    """
    definitions = _definitions(body)
    for name, positions in definitions.items():
        statements = [body[i] for i in positions]
        if not 2 <= len(positions) <= _MOST_FUSED or not isinstance(statements[0], gast.Assign):
            continue
        if not all(isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add)
                   for s in statements[1:]):
            continue
        last = positions[-1]
        between = [body[k] for k in range(positions[0], last + 1) if k not in positions]
        if any(name in nodes.loaded_names(s) for s in between + [s.value for s in statements]):
            continue
        if any(positions[0] < j <= last for p, s in zip(positions, statements)
               for read in nodes.loaded_names(s.value) for j in definitions.get(read, [])
               if j > p):
            continue
        total = statements[0].value
        for stmt in statements[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=stmt.value)
        fused = anno.copy_location(nodes.assign(name, _Fold().visit(total)), body[last])
        if len(to_source(fused)) > _LONGEST_FUSED:
            continue
        return [fused if k == last else stmt for k, stmt in enumerate(body)
                if k not in positions[:-1]]
    return body


class _Replace(gast.NodeTransformer):
    def __init__(self, name, value):
        self.name, self.value = name, value

    def visit_all(self, statements):
        for stmt in statements:
            self.visit(stmt)

    def visit_Name(self, node):
        if node.id == self.name and isinstance(node.ctx, gast.Load):
            return anno.copy_tree(self.value)
        return node


def _eliminate_dead_code(body):
    live = set()
    kept = []
    for stmt in reversed(body):
        name = nodes.assigned_name(stmt)
        if name is not None and name not in live:
            continue
        if isinstance(stmt, gast.Assign):
            live.discard(name)
        live.update(nodes.loaded_names(stmt))
        if isinstance(stmt, gast.AugAssign):
            live.add(name)
        kept.append(stmt)
    return kept[::-1]


def _drop_empty_comments(body):
    """Comments quoting a block that no longer has statements, and stray blank lines."""
    kept = []
    for i, stmt in enumerate(body):
        following = body[i + 1] if i + 1 < len(body) else None
        if nodes.is_comment(stmt):
            if following is None or isinstance(following, gast.Return):
                continue
            if anno.get(stmt, "comment") and nodes.is_comment(following):
                continue
            if not anno.get(stmt, "comment") and not _is_code(kept[-1] if kept else None):
                continue
        kept.append(stmt)
    return kept


def _is_code(stmt):
    docstring = isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
    return stmt is not None and not docstring
