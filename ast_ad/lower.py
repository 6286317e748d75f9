"""Three-address form: the evaluation trace of a function.

Input: a checked FunctionDef. Output: a FunctionDef whose body is the trace, in this
grammar (the contract for every later pass):

    stmt := NAME = rhs | EXPR(call) | return NAME
    rhs  := atom | atom BINOP atom | UNARYOP atom | atom CMPOP atom | callee(atom, ..., k=atom)
    atom := NAME | CONSTANT | static

Every name is assigned once: parameters and user variables keep their names, a
reassigned variable gets a fresh version (`x_1`), unnamed subexpressions become
`v1, v2, ...` in Python's evaluation order, and the returned value is `out`. A
`static` is a name or attribute chain (`math.pi`) that resolves outside the function;
it is annotated `static`, and a call's resolved function is annotated `callee`. Each
statement keeps the line of the user statement it came from.

>>> import math
>>> from ast_ad.codegen import to_source
>>> from ast_ad.parse import parse_function
>>> def f(x1, x2):
...     return math.log(x1) + x1 * x2 - math.sin(x2)
>>> print(to_source(lower(parse_function(f))), end="")
def f(x1, x2):
    v1 = math.log(x1)
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = math.sin(x2)
    out = v3 - v4
    return out
"""

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad.naming import Namer
from ast_ad.parse import MISSING


def lower(tree):
    """The evaluation trace of a checked FunctionDef, as a new FunctionDef."""
    tree = anno.copy_tree(tree)
    lowerer = _Lowerer(tree)
    for stmt in tree.body:
        lowerer.statement(stmt)
    tree.body = lowerer.trace
    return tree


def parameters(tree):
    args = tree.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


class _Lowerer:
    def __init__(self, tree):
        self.origin = anno.get(tree, "origin")
        self.scope = anno.get(tree, "scope")
        self.namer = Namer(nodes.all_names(tree))
        self.params = parameters(tree)
        self.locals = set(self.params) | {
            n.id for n in gast.walk(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }
        self.current = {name: name for name in self.params}
        self.trace = []
        self.line_node = tree

    def emit(self, stmt):
        self.trace.append(anno.copy_location(stmt, self.line_node))

    def statement(self, stmt):
        self.line_node = stmt
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
            self.bind(target.id, self.rhs(stmt.value))
        elif isinstance(stmt, gast.AugAssign):
            value = gast.BinOp(left=self.atom(stmt.target), op=stmt.op, right=self.atom(stmt.value))
            self.bind(stmt.target.id, value)
        elif isinstance(stmt, gast.Return):
            out = self.namer.claim("out")
            self.emit(nodes.assign(out, self.rhs(stmt.value)))
            self.emit(gast.Return(value=nodes.load(out)))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            self.emit(gast.Expr(value=self.rhs(stmt.value)))

    def bind(self, name, value):
        if name in self.current or name in self.params:
            new = self.namer.version(name)
        else:
            new = name
        self.emit(nodes.assign(new, value))
        self.current[name] = new

    def atom(self, expr):
        """`expr` as a name or constant, emitting a temporary for anything larger."""
        value = self.rhs(expr)
        if nodes.is_atom(value):
            return value
        name = self.namer.temporary()
        self.emit(nodes.assign(name, value))
        return nodes.load(name)

    def rhs(self, expr):
        """`expr` as one elementary operation on atoms."""
        if isinstance(expr, gast.Constant):
            return nodes.constant(expr.value)
        if isinstance(expr, (gast.Name, gast.Attribute)):
            return self.reference(expr)
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.atom(expr.left), op=expr.op, right=self.atom(expr.right))
        if isinstance(expr, gast.UnaryOp):
            operand = self.atom(expr.operand)
            if isinstance(expr.op, gast.UAdd):
                return operand
            if isinstance(operand, gast.Constant) and isinstance(operand.value, (int, float)):
                return nodes.constant(-operand.value)
            return gast.UnaryOp(op=expr.op, operand=operand)
        if isinstance(expr, gast.Compare):
            left = self.atom(expr.left)
            return gast.Compare(left=left, ops=expr.ops, comparators=[self.atom(expr.comparators[0])])
        if isinstance(expr, gast.Call):
            return self.call(expr)
        raise self.origin.unsupported(expr, f"`{type(expr).__name__}` is not supported")

    def call(self, expr):
        callee = self.reference(expr.func)
        function = anno.get(callee, "static")
        if function is None:
            raise self.origin.unsupported(expr, "calling a local variable is not supported; "
                                                "call a module-level function")
        args = [self.atom(arg) for arg in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value)) for k in expr.keywords]
        call = gast.Call(func=callee, args=args, keywords=keywords)
        return anno.set(call, "callee", function.value)

    def reference(self, expr):
        """A local name at its current version, or a static name or attribute chain."""
        if isinstance(expr, gast.Name):
            if expr.id in self.locals:
                if expr.id not in self.current:
                    raise self.origin.unsupported(expr, f"`{expr.id}` is used before it is "
                                                        "assigned")
                return nodes.load(self.current[expr.id])
            value = self.scope.lookup(expr.id)
            if value is MISSING:
                raise self.origin.error(expr, f"name `{expr.id}` is not defined when "
                                              "differentiate is called; define it first")
            return anno.set(nodes.load(expr.id), "static", Static(value))
        if isinstance(expr, gast.Attribute):
            base = self.reference(expr.value)
            static = anno.get(base, "static")
            if static is None:
                raise self.origin.unsupported(expr, "attributes of local values are not "
                                                    "supported yet")
            value = getattr(static.value, expr.attr, MISSING)
            if value is MISSING:
                raise self.origin.error(expr, f"`{expr.attr}` is not an attribute of "
                                              f"{static.value!r}")
            node = gast.Attribute(value=base, attr=expr.attr, ctx=gast.Load())
            return anno.set(node, "static", Static(value))
        return self.atom(expr)


class Static:
    """The object a static reference resolved to when the function was transformed."""

    def __init__(self, value):
        self.value = value
