"""Comprehensions and generator expressions, written as the loops they run.

`y = math.sin(x) + sum(f(v) for v in xs if v > 0)` becomes

    total = 0
    for v_1 in xs:
        if v_1 > 0:
            total = total + f(v_1)
    y = math.sin(x) + total

so that a sum needs no list; `max(e for ...)` keeps the largest so far, and
`ys = [f(v) for v in xs]` builds `ys` by appending. The
comprehension's own names are renamed, as Python keeps them to the comprehension. The
rest of the pipeline sees loops, lists and sums it already differentiates.

A comprehension Python evaluates only sometimes (in a branch of `a if c else b`, after
`and`/`or`, in a chained comparison, a `while` test or an `assert` message) is refused:
written before its statement it would run always; so is one in a statement that also
assigns (`:=`) or calls a function of the user's or a method, whose order it would change.
"""

import builtins
import types

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp)


def without_comprehensions(tree):
    """`tree`, a FunctionDef, with each comprehension written as a loop, in place."""
    if not any(isinstance(n, _COMPREHENSIONS) for n in nodes.subnodes(tree)):
        return tree
    rewrite = _Rewrite(tree)
    tree.body = rewrite.block(tree.body)
    return tree


class _Rewrite:
    def __init__(self, tree):
        self.namer = Namer(nodes.names_in(tree))
        self.origin, self.scope = anno.get(tree, "origin"), anno.get(tree, "scope")
        self.locals = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)
                       and isinstance(n.ctx, (gast.Store, gast.Param))}

    def block(self, statements):
        result = []
        for stmt in statements:
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                    setattr(stmt, field, self.block(inner))
            if _names_its_list(stmt):  # `ys = [...]`: the loops build `ys` itself
                loops = []
                self.listed(stmt.value, loops, stmt.targets[0].id)
                result += self.block(loops)
                continue
            hoisted = []
            for field in _EXPRESSION_FIELDS.get(type(stmt), ()):
                value = getattr(stmt, field, None)
                if value is not None:
                    setattr(stmt, field, self.expression(value, stmt, field, hoisted))
            if hoisted:
                self.refuse_reordering(stmt)
            result += self.block(hoisted) + [stmt] if hoisted else [stmt]
        return result

    def expression(self, node, stmt, field, hoisted):
        """`node` with each outermost comprehension replaced by the name of its value, the
        loops that make it added to `hoisted`."""
        if isinstance(stmt, gast.While) or (isinstance(stmt, gast.Assert) and field == "msg"):
            self.refuse_any(node, "a `while` test or an `assert` message")
        return self.visit(node, hoisted)

    def visit(self, node, hoisted):
        if isinstance(node, gast.Call) and self.is_builtin(node.func, "sum") and \
                len(node.args) in (1, 2) and isinstance(node.args[0], _COMPREHENSIONS) \
                and not node.keywords:
            start = self.visit(node.args[1], hoisted) if len(node.args) == 2 else \
                nodes.constant(0)
            return self.total(node.args[0], start, hoisted)
        for extreme in ("max", "min"):
            if isinstance(node, gast.Call) and self.is_builtin(node.func, extreme) and \
                    len(node.args) == 1 and isinstance(node.args[0], _COMPREHENSIONS) and \
                    not node.keywords:
                return self.extreme(extreme, node.args[0], hoisted)
        if isinstance(node, _COMPREHENSIONS):
            return self.listed(node, hoisted)
        if isinstance(node, gast.IfExp):
            node.test = self.visit(node.test, hoisted)
            self.refuse_any(node.body, "a branch of `a if c else b`")
            self.refuse_any(node.orelse, "a branch of `a if c else b`")
            return node
        if isinstance(node, gast.BoolOp):
            node.values[0] = self.visit(node.values[0], hoisted)
            for value in node.values[1:]:
                self.refuse_any(value, "an operand after `and`/`or`")
            return node
        if isinstance(node, gast.Compare) and len(node.comparators) > 1:
            node.left = self.visit(node.left, hoisted)
            node.comparators[0] = self.visit(node.comparators[0], hoisted)
            for value in node.comparators[1:]:
                self.refuse_any(value, "a later operand of a chained comparison")
            return node
        for field in nodes.child_fields(type(node)):
            value = getattr(node, field, None)
            if isinstance(value, list):
                setattr(node, field, [self.visit(v, hoisted) if isinstance(v, gast.AST) else v
                                      for v in value])
            elif isinstance(value, gast.AST):
                setattr(node, field, self.visit(value, hoisted))
        return node

    def refuse_reordering(self, stmt):
        """A comprehension written before its statement runs before the rest of it: refused
        where the rest assigns (`:=`) or calls what may change a value (a function of the
        user's, a method), whose order would then change."""
        for field in _EXPRESSION_FIELDS.get(type(stmt), ()):
            for node in nodes.walk(getattr(stmt, field, None) or gast.Constant(value=None,
                                                                             kind=None)):
                if isinstance(node, gast.NamedExpr) or isinstance(node, gast.Call) and \
                        not self.calls_something_pure(node.func):
                    raise self.origin.unsupported(stmt, "a comprehension here would run "
                                                        "before the rest of the statement, "
                                                        "which assigns or calls your code; "
                                                        "make it in a statement of its own "
                                                        "before")

    def calls_something_pure(self, func):
        """A builtin's or a module's function (`sum`, `math.sin`, `np.exp`), or one of the
        loops' own `append`."""
        if isinstance(func, gast.Attribute) and func.attr == "append" and \
                isinstance(func.value, gast.Name) and func.value.id in self.namer.taken and \
                func.value.id not in self.locals:
            return True  # the `items.append(...)` this rewrite wrote
        while isinstance(func, gast.Attribute):
            func = func.value
        if not isinstance(func, gast.Name) or func.id in self.locals:
            return False
        value = self.scope.lookup(func.id)
        module = getattr(value, "__name__", None) if isinstance(value, types.ModuleType) \
            else getattr(value, "__module__", None)
        return getattr(builtins, func.id, None) is value or \
            isinstance(module, str) and module.split(".")[0] in ("math", "cmath", "numpy")

    def refuse_any(self, node, where):
        for inner in nodes.walk(node):
            if isinstance(inner, _COMPREHENSIONS):
                raise self.origin.unsupported(inner, f"a comprehension in {where} runs only "
                                                     "sometimes; make it in a statement of "
                                                     "its own before")

    def is_builtin(self, func, name):
        return isinstance(func, gast.Name) and func.id == name and func.id not in self.locals \
            and self.scope.lookup(name) is getattr(builtins, name)

    def listed(self, comprehension, hoisted, name=None):
        """`items = []`, then the loops, appending each element."""
        name = name or self.namer.claim("items")
        hoisted.append(self.placed(nodes.assign(name, gast.List(elts=[], ctx=gast.Load())),
                                   comprehension))
        element = gast.Expr(value=nodes.method_call(name, "append", comprehension.elt))
        hoisted.append(self.loops(comprehension, [element]))
        return nodes.load(name)

    def total(self, comprehension, start, hoisted):
        """`total = start`, then the loops, adding each element."""
        name = self.namer.claim("total")
        hoisted.append(self.placed(nodes.assign(name, start), comprehension))
        add = nodes.assign(name, gast.BinOp(left=nodes.load(name), op=gast.Add(),
                                            right=comprehension.elt))
        hoisted.append(self.loops(comprehension, [add]))
        return nodes.load(name)

    def extreme(self, which, comprehension, hoisted):
        """`first = True`, then the loops: `best = value` for the first, `best = max(best,
        value)` for the others (the first of equal values wins, as Python's `max` gives
        it), with no list."""
        best, first, value = (self.namer.claim(n) for n in ("best", "first", "value"))
        hoisted.append(self.placed(nodes.assign(first, nodes.constant(True)), comprehension))
        hoisted.append(self.placed(nodes.assign(best, nodes.constant(0.0)), comprehension))
        better = gast.Call(func=nodes.load(which), args=[nodes.load(best), nodes.load(value)],
                           keywords=[])
        choose = gast.If(test=nodes.load(first), body=[
            nodes.assign(best, nodes.load(value)), nodes.assign(first, nodes.constant(False))],
            orelse=[nodes.assign(best, better)])
        hoisted.append(self.loops(comprehension, [nodes.assign(value, comprehension.elt),
                                                  choose]))
        empty = gast.Call(func=nodes.load("ValueError"), args=[
            nodes.constant(f"{which}() arg is an empty sequence")], keywords=[])
        hoisted.append(self.placed(gast.If(test=nodes.load(first), body=[
            gast.Raise(exc=empty, cause=None)], orelse=[]), comprehension))
        return nodes.load(best)

    def loops(self, comprehension, innermost):
        """The loops of `comprehension` around the statements `innermost`, its names
        renamed."""
        renamed = {}
        for generator in comprehension.generators:
            if generator.is_async:
                raise self.origin.unsupported(comprehension, "`async for` is not supported")
            for target in nodes.walk(generator.target):
                if isinstance(target, gast.Name):
                    renamed.setdefault(target.id, self.namer.claim(target.id))
        for stmt in innermost:
            _rename(stmt, renamed)  # the element, in them
        for k, generator in enumerate(comprehension.generators):
            _rename(generator.target, renamed)
            for condition in generator.ifs:
                _rename(condition, renamed)
            if k:  # the first iterable is evaluated outside the comprehension
                _rename(generator.iter, renamed)
        body = innermost
        for generator in reversed(comprehension.generators):
            for condition in reversed(generator.ifs):
                body = [self.placed(gast.If(test=condition, body=body, orelse=[]),
                                    comprehension)]
            body = [self.placed(gast.For(target=generator.target, iter=generator.iter,
                                         body=body, orelse=[], type_comment=None),
                                comprehension)]
        return body[0]

    def placed(self, stmt, where):
        return anno.copy_location(stmt, where)


def _names_its_list(stmt):
    """`ys = [...]`, where the comprehension does not read `ys`: a list a second name
    would alias is the list itself."""
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.ListComp) and \
        stmt.targets[0].id not in nodes.names_in(stmt.value)


def _rename(node, renamed):
    for inner in nodes.walk(node):
        if isinstance(inner, gast.Name) and inner.id in renamed:
            inner.id = renamed[inner.id]


# The fields of a statement that hold expressions it evaluates first.
_EXPRESSION_FIELDS = {
    gast.Assign: ("value",), gast.AugAssign: ("value",), gast.AnnAssign: ("value",),
    gast.Return: ("value",), gast.Expr: ("value",), gast.If: ("test",), gast.For: ("iter",),
    gast.While: ("test",), gast.Assert: ("test", "msg"), gast.Raise: ("exc",),
}
