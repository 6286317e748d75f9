"""Three-address form: the evaluation trace of a function.

Input: a checked FunctionDef. Output: a FunctionDef whose body is the trace, in this
grammar (the contract for every later pass):

    stmt  := NAME = rhs | EXPR(call) | if atom: block else: block
           | for NAME in atom: block | while NAME: block | return out (last, once)
    rhs   := atom | atom BINOP atom | UNARYOP atom | atom CMPOP atom | atom[index]
           | callee(arg, ..., k=arg)
    arg   := atom | [atom, ...] | (atom, ...)      # a display: np.stack([a, b]), (n, 3)
    atom  := NAME | CONSTANT | static

Parameters and user variables keep their names, a reassigned variable gets a fresh
version (`x_1`), unnamed subexpressions become `v1, v2, ...` in Python's evaluation
order, and the returned value is `out`. Outside loops every name is assigned once on
each path: both branches of an `if` assign a variable's merged version. Inside a loop
body the same holds within one iteration, except that each variable carried from one
iteration to the next keeps one name, assigned only by a copy at the end of the body
(annotated `carried`); the loop lists those names in its `carried` annotation. A
`while` loop's test is a name recomputed at the end of its body. Early returns from
branches become assignments to `out`, the code after them moving into the other
branch. `a if c else b`, `and` and `or` become `if` statements. In an adjoint ast_ad
generated, `x_bar[i] += g` becomes the new version `x_bar_1 = add_into(x_bar, i, g)`.

A `static` is a name or attribute chain (`math.pi`) that resolves outside the function;
it is annotated `static`, and a call's resolved function is annotated `callee`. Each
statement keeps the line of the user statement it came from.

>>> import math
>>> from ast_ad.ir.printer import to_source
>>> from ast_ad.frontend.parse import parse_function
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


import dataclasses

import gast

from ast_ad.ir import annotations as anno
from ast_ad.frontend.jumps import (Flags, contains, move_code_after_jumps, replace_jumps,
                          without_early_returns)
from ast_ad.frontend.check import (is_enumerate_or_zip, is_generated, is_truncation,
                                   runs_until_it_returns)
from ast_ad.frontend.local_functions import defined, free_names, own_nodes, taken_out
from ast_ad.frontend.writes import Views, item_written
from ast_ad.runtime.checks import require_not_a_view, require_not_an_array
from ast_ad.runtime.containers import truncate
from ast_ad.frontend.expressions import (Expressions, lowered_call, parameters,
                                         static_reference)
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer


def lower(tree):
    """The evaluation trace of a checked FunctionDef, as a new FunctionDef."""
    tree = taken_out(anno.copy_tree(tree))
    endless = any(runs_until_it_returns(s) for s in nodes.subnodes(tree))
    tree.body = without_early_returns(tree.body, Namer(nodes.names_in(tree)).claim)
    lowerer = _Lowerer(tree)
    tree.body = lowerer.block(tree.body)
    if endless:  # left only by a `return`, which the checks above cannot see
        lowerer.found["declared"].add(lowerer.out)
    tree.body = [anno.set(anno.copy_location(nodes.assign(name, nodes.constant(None)),
                                             tree.body[0]), "declaration", True)
                 for name in sorted(lowerer.found["declared"])] + tree.body
    tree.body.append(anno.copy_location(gast.Return(value=nodes.load(lowerer.out)), tree.body[-1]))
    _test_copies_of_carried(tree, lowerer.namer)
    everything = list(nodes.walk(tree))  # for the checks below, each a loop over it
    _refuse_reading_changed_parameters(everything, lowerer.found["changed_parameters"],
                                       lowerer.origin)
    if not lowerer.found["arrays"] and _indexes_arithmetic(everything):
        lowerer.found["arrays"] = True  # only an array is both: the code is array code
    anno.set(tree, "arrays", lowerer.found["arrays"])
    anno.set(tree, "inlined", lowerer.found["inlined"])
    anno.set(tree, "iterated", lowerer.found["iterated"])
    if lowerer.found["arrays"]:
        for node, message in lowerer.found["views"].problems[:1]:
            if not is_generated(lowerer.origin):  # (whose stacks hold values, not views)
                raise lowerer.origin.unsupported(node, message)
    _rename_shadowed_statics(tree, everything, lowerer.namer)
    return tree


def _test_copies_of_carried(tree, namer):
    """A branch that tests a name a loop carries tests a copy made just before it: the
    loop assigns the name again, and the adjoint sweep must take the branch taken."""
    carried = {s.targets[0].id for s in nodes.subnodes(tree)
               if type(s) is gast.Assign and anno.get(s, "carried")}
    if not carried:
        return
    for _, _, block in list(nodes.statement_blocks(tree)):
        new = []
        for stmt in block:
            if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name) and \
                    stmt.test.id in carried:
                copy = namer.temporary()
                new.append(anno.copy_location(nodes.assign(copy, stmt.test), stmt))
                stmt.test = nodes.load(copy)
            new.append(stmt)
        block[:] = new


def _refuse_reading_changed_parameters(everything, changed, origin):
    """A list argument the function appends to is changed as an effect, never undone; the
    function may not also read its items, whose adjoints would have no place."""
    if not changed:
        return
    for node in everything:
        read = node.value if isinstance(node, gast.Subscript) else \
            node.iter if isinstance(node, gast.For) else \
            node.args[0] if isinstance(node, gast.Call) and node.args and \
            getattr(anno.get(node, "callee"), "__name__", None) == "sum" else None
        if isinstance(read, gast.Name) and read.id in changed:
            raise origin.unsupported(node, f"`{read.id}` is an argument the function appends "
                                           "to, as an effect, and also reads: ast_ad cannot "
                                           "differentiate through it; make a list of its own "
                                           f"(`items = []`) and append to both")


def _indexes_arithmetic(everything):
    """Whether code that never names NumPy indexes a value it computes with arithmetic
    (`z = w * b; z[0]`, `for y in ys * 2.0`) or uses in it: a list does neither, so the
    value is an array, where NumPy is installed."""
    indexed, arithmetic, made, copied = set(), set(), set(), {}
    for node in everything:
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            indexed.add(node.value.id)
        elif isinstance(node, (gast.BinOp, gast.UnaryOp)):
            operands = [node.operand] if isinstance(node, gast.UnaryOp) else [node.left,
                                                                               node.right]
            arithmetic.update(o.id for o in operands if isinstance(o, gast.Name))
        elif isinstance(node, gast.Assign) and isinstance(node.value, (gast.BinOp, gast.UnaryOp)):
            arithmetic.add(node.targets[0].id)
        elif isinstance(node, gast.Assign) and isinstance(node.value, gast.List):
            made.add(node.targets[0].id)
        elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Name):
            copied[node.targets[0].id] = node.value.id  # a loop's copy of its sequence
    for name in list(indexed):
        while name in copied and name not in arithmetic:
            name = copied.pop(name)
            indexed.add(name)
    if not (indexed & arithmetic) - made:
        return False
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def _rename_shadowed_statics(tree, everything, namer):
    """An inlined function's global that a local of the caller shadows gets its own name
    (bound later, by the sweeps), so that no pass confuses the two."""
    assigned = {n.id for n in everything if type(n) is gast.Name
                and isinstance(n.ctx, (gast.Store, gast.Param))} | set(parameters(tree))
    renamed = {}
    for node in everything:
        if isinstance(node, gast.Name) and anno.get(node, "bind") is not None \
                and node.id in assigned:
            key = (node.id, id(anno.get(node, "bind")))
            if key not in renamed:
                renamed[key] = namer.claim(node.id)
            node.id = renamed[key]


def _assigned_names(block):
    """Names assigned in `block`, not counting the targets of its inner loops: those the
    inner loop sets anew and need not be saved."""
    inner_targets = {n.id for stmt in block for node in nodes.walk(stmt)
                     if isinstance(node, gast.For) for n in nodes.walk(node.target)
                     if isinstance(n, gast.Name)}
    assigned = {n.id for stmt in block for node in nodes.walk(stmt)
                if isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign))
                for target in getattr(node, "targets", [getattr(node, "target", None)])
                for n in nodes.walk(target) if isinstance(n, gast.Name)}
    return (_stored_names(block) - inner_targets) | assigned


def _stored_names(block):
    return {n.id for stmt in block for n in nodes.walk(stmt)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


class _Lowerer(Expressions):
    def __init__(self, tree, namer=None, inlining=frozenset(), found=None):
        self.origin = anno.get(tree, "origin")
        self.scope = anno.get(tree, "scope")
        self.inlined = namer is not None  # lowering a callee into its caller's trace
        self.inlining = inlining | {anno.get(tree, "code")}  # the code of each function inlined
        self.namer = namer or Namer(nodes.names_in(tree))
        self.seen = set()  # variables already given their first version
        # Shared with inlined callees: whether the code uses NumPy, the functions inlined
        # (whose source a standalone module's hash covers), the branch merges not
        # yet written (see `version`), and the versions bound on some paths only: those
        # a branch or a loop binds (`maybe_unbound`; `one_branch`: a branch, with the
        # branches it is bound in), and those of them that a merge, a loop or a read must
        # find on every path, so that start as None (`declared`).
        self.found = found or {"arrays": False, "inlined": [], "merges": {},
                               "maybe_unbound": set(), "one_branch": {},
                               "declared": set(), "conditions": [],
                               "parameters": set(parameters(tree)),
                               "changed_parameters": set(), "views": Views(),
                               "iterated": set()}
        self.params = parameters(tree)
        self.locals = set(self.params) | _stored_names(tree.body)
        self.current = {name: name for name in self.params}
        self.trace = []
        self.line_node = tree
        self.out = None if self.inlined else self.namer.claim("out")  # a callee's: inline()
        self.returned = False  # whether the code lowered so far in this block has returned
        self.functions = {}  # name -> the LocalFunction a nested def defines
        self.free = set()  # names read from the function this one is defined in
        self.views = self.found["views"]
        for name in self.params:
            self.views.family[name] = (id(self), name)
        self.views.written.update((id(self), name) for name in item_written(own_nodes(tree)))

    def emit(self, stmt):
        self.trace.append(anno.copy_location(stmt, self.line_node))
        if type(stmt) is gast.Assign and type(stmt.targets[0]) is gast.Name:
            self.views.assigned(stmt.targets[0].id, stmt.value)
        elif type(stmt) is gast.For and type(stmt.target) is gast.Name:
            self.views.looped(stmt.target.id, stmt.iter)
        elif type(stmt) is gast.Expr and nodes.is_method_call(stmt.value) and \
                stmt.value.func.attr == "append" and stmt.value.args:
            self.views.appended(stmt.value.func.value.id, stmt.value.args[0])

    def block(self, statements):
        """Lower `statements` into a new list, leaving `self.trace` as it was."""
        outer, self.trace = self.trace, []
        self.returned = False
        for stmt in statements:
            self.statement(stmt)
        lowered, self.trace = self.trace, outer
        return lowered

    def statement(self, stmt):
        self.line_node = stmt
        if defined(stmt) is not None:
            self.define(defined(stmt), stmt)
        elif isinstance(stmt, gast.Assign) and anno.get(stmt, "results"):  # a helper's pair
            values = [self.atom(v) for v in stmt.value.elts]
            for target, value in zip(stmt.targets[0].elts, values):
                self.emit(nodes.assign(target.id, value))
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            self.item_write(stmt.targets[0], lambda: self.atom(stmt.value), stmt)
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Tuple) and \
                not isinstance(stmt.value, (gast.Tuple, gast.List, gast.Call)):
            self.unpack(stmt.targets[0].elts, self.atom(stmt.value))
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Tuple):
            values = [self.atom(v) for v in stmt.value.elts] if \
                isinstance(stmt.value, (gast.Tuple, gast.List)) else self.call(  # `a, b = f(x)`
                    stmt.value, results=[t.id for t in stmt.targets[0].elts])
            for target, value in zip(stmt.targets[0].elts, values):
                self.bind(target.id, value)
        elif isinstance(stmt, gast.Assign) and len(stmt.targets) > 1:  # `a = b = e`
            first, *others = stmt.targets
            self.bind(first.id, self.rhs(stmt.value))  # e once; then each name, left to right
            for target in others:
                self.bind(target.id, nodes.load(self.version(first.id)))
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                stmt.value.elts:  # `xs = [a, b]`: the list made under its own name
            elements = [self.atom(e) for e in stmt.value.elts]
            self.bind(stmt.targets[0].id, gast.List(elts=[], ctx=gast.Load()))
            for element in elements:
                self.emit(gast.Expr(value=nodes.method_call(
                    self.version(stmt.targets[0].id), "append", element)))
        elif isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
            self.bind(target.id, self.rhs(stmt.value))
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript):
            if is_generated(self.origin):
                self.element_update(stmt)
            else:
                self.item_write(stmt.target, None, stmt)
        elif isinstance(stmt, gast.AugAssign):
            value = gast.BinOp(left=self.atom(stmt.target), op=stmt.op, right=self.atom(stmt.value))
            self.in_place(stmt.target.id)
            self.bind(stmt.target.id, value)
        elif isinstance(stmt, gast.Return):
            self.emit(nodes.assign(self.out, self.rhs(stmt.value)))
            self.returned = True
        elif isinstance(stmt, gast.Assert):
            self.assertion(stmt)
        elif isinstance(stmt, gast.Raise):  # once, in the primal sweep, as an `assert`
            from ast_ad.runtime.checks import raising

            self.emit(gast.Expr(value=self.rhs(lowered_call(raising,
                                                            [self.atom(stmt.exc)]))))
        elif is_truncation(stmt):  # a generated adjoint's `del xs[n:]`
            part = stmt.targets[0]
            self.emit(gast.Expr(value=self.rhs(lowered_call(
                truncate, [self.atom(part.value), self.atom(part.slice.lower)]))))
        elif isinstance(stmt, gast.Expr) and _pops(stmt.value):  # its value, for the reverse
            self.atom(stmt.value)
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            self.emit(gast.Expr(value=self.rhs(stmt.value)))
        elif isinstance(stmt, gast.If):
            self.branch(self.atom(stmt.test), stmt.body, stmt.orelse)
        elif isinstance(stmt, gast.For):
            self.for_loop(stmt)
        elif isinstance(stmt, gast.While):
            self.while_loop(stmt)

    def define(self, tree, stmt):
        """Note the function a nested def defines, with its defaults' values, which Python
        computes where the def runs."""
        if tree.name in self.locals:
            raise self.origin.unsupported(stmt, f"`{tree.name}` names both a function defined "
                                                "here and a variable; give each a name of "
                                                "its own")
        args = tree.args
        positional = args.posonlyargs + args.args
        defaults = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        self.functions[tree.name] = LocalFunction(
            tree, self, {arg.id: self.atom(default) for arg, default in defaults})

    def enclosed_by(self, enclosing, tree, call):
        """Read the names `tree`, a function defined in `enclosing`'s, reads and does not
        bind as `enclosing` holds them now, at the `call`: Python's closures read the
        enclosing variable, not a copy made when the def ran."""
        self.functions = dict(enclosing.functions)
        for name in sorted(free_names(tree) & enclosing.locals):
            if name not in enclosing.current:
                raise self.origin.unsupported(call, f"`{tree.name}` reads `{name}`, which is "
                                                    "not assigned yet where it is called")
            self.locals.add(name)
            self.free.add(name)
            self.current[name] = enclosing.version(name)

    def unpack(self, targets, value):
        """`a, b = pair` as `a = pair[0]; b = pair[1]`, after the check of its length
        Python makes."""
        for target, item in zip(targets, self.items(value, len(targets))):
            self.bind(target.id, item)

    def assertion(self, stmt):
        """`assert test, message` as a call for its effect alone, which runs once, in the
        primal sweep; the message is made only if the test fails, as Python makes it."""
        from ast_ad.runtime.checks import assertion

        def call(*args):
            self.emit(gast.Expr(value=self.rhs(lowered_call(assertion, list(args)))))

        test = self.atom(stmt.test)
        if stmt.msg is None:
            call(test)
            return
        failed = self.temporary(gast.UnaryOp(op=gast.Not(), operand=test))
        outer, self.trace = self.trace, []
        call(nodes.constant(False), self.atom(stmt.msg))
        body, self.trace = self.trace, outer
        self.emit(gast.If(test=failed, body=body, orelse=[]))

    def item_write(self, target, value, stmt):
        """`a[i] = v` (`value` lowers v) or `a[i] op= v` (no `value`): the new version
        `a_1 = with_item(a, i, v)`, in the order Python evaluates them."""
        from ast_ad.runtime.arrays import with_item

        name = target.value.id
        if name not in self.locals:
            raise self.origin.unsupported(stmt, f"`{name}` is not the function's own: "
                                                "writing into it would change it for its "
                                                "other users; write into a copy")
        value = value() if value is not None else None
        version = nodes.load(self.version(name)) if name in self.current else \
            self.reference(target.value)  # (which raises: used before it is assigned)
        reason = self.views.write_target(version.id, name,
                                         version.id == name and name in self.params,
                                         name in self.free)
        if reason is not None:
            raise self.origin.unsupported(stmt, reason)
        index = self.index(target.slice)
        if value is None:  # `a[i] += v`: a[i], then v, then the sum, as Python
            old = self.temporary(gast.Subscript(value=version, slice=index, ctx=gast.Load()))
            right = self.atom(stmt.value)
            value = self.temporary(gast.BinOp(left=old, op=stmt.op, right=right))
        self.found["arrays"] = True
        self.views.wrote(version.id)
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        parts = [self.temporary(nodes.index_value(p)) if isinstance(p, gast.Slice) else p
                 for p in parts]  # `1:` as `slice(1, None, None)`, a value of its own
        index = gast.Tuple(elts=parts, ctx=gast.Load()) if isinstance(index, gast.Tuple) \
            else parts[0]
        call = gast.Call(func=static_reference(with_item), args=[version, index, value],
                         keywords=[])
        self.bind(name, anno.set(call, "callee", with_item))

    def in_place(self, name):
        """`t += v` writes into `t` in place where `t` is an array: the array it may be a
        view of changes too, and so do the views of it. Where the code says either may be,
        the value says so when it runs: a number passes."""
        version = self.current.get(name)
        if version is None:
            return
        if self.views.views.get(version):
            self.check(require_not_a_view, version)
        if self.views.is_viewed(version):
            self.check(require_not_an_array, version)

    def check(self, check, version):
        """`check(version, filename, line)`, a runtime check of the line lowered."""
        self.emit(gast.Expr(value=lowered_call(check, [
            nodes.load(version), nodes.constant(self.origin.filename),
            nodes.constant(getattr(self.line_node, "lineno", 1))])))

    def element_update(self, stmt):
        """`x[i] += g` (generated adjoints only): `x_1 = add_into(x, i, g)`."""
        from ast_ad.runtime.arrays import add_into

        array = stmt.target.value.id
        index = nodes.index_value(stmt.target.slice)
        call = gast.Call(func=static_reference(add_into),
                         args=[stmt.target.value, index, stmt.value], keywords=[])
        self.bind(array, self.rhs(call))

    def branch(self, test, body, orelse):
        """Emit `if test: body else: orelse`, merging the versions each branch assigns."""
        before, seen = dict(self.current), set(self.seen)
        conditions = self.found["conditions"]  # the branches the code lowered is in
        key = test.id if isinstance(test, gast.Name) else None
        conditions.append((key, True))
        then_block = self.block(body)
        then_current, then_returned, then_seen = self.current, self.returned, self.seen
        self.current, self.seen = dict(before), seen  # each branch may take the same names
        conditions[-1] = (key, False)
        else_block = self.block(orelse)
        conditions.pop()
        else_current, else_returned = self.current, self.returned
        self.seen |= then_seen
        self.current, self.returned = dict(before), then_returned and else_returned
        if then_returned or else_returned:  # only the other branch's versions go on
            self.current = else_current if then_returned else then_current
        else:
            for name in sorted(set(then_current) | set(else_current)):
                versions = then_current.get(name), else_current.get(name)
                if versions[0] == versions[1] or None in versions:
                    self.current[name] = versions[0] or versions[1]
                    if None in versions:  # one branch binds it, the other does not
                        self.found["maybe_unbound"].add(self.current[name])
                        self.found["one_branch"].setdefault(self.current[name], set(
                            conditions + [(key, versions[0] is not None)]))
                    continue
                merged = self.new_version(name)
                self.views.merged(merged, versions)
                # Written into the branches only if read later: a version may be unbound
                # on one path (a loop's variable after no iterations) and never needed.
                self.found["merges"][merged] = (then_block, else_block, versions,
                                                self.line_node)
                self.current[name] = merged
        if not then_block:
            then_block.append(gast.Pass())  # the same list: a merge may be written into it
        self.emit(gast.If(test=test, body=then_block, orelse=else_block))

    def for_loop(self, stmt):
        if isinstance(stmt.target, gast.Tuple) and not is_enumerate_or_zip(stmt):
            stmt = self.flat_target(stmt)
            if not is_enumerate_or_zip(stmt):
                stmt = self.unpacked_in_the_body(stmt)
        if contains(stmt.body, (gast.Break,)):
            return self.loop_with_break(stmt)
        stmt.body = self.without_jumps(stmt.body)
        if isinstance(stmt.target, gast.Tuple):
            return self.enumerate_or_zip(stmt)
        # A sequence of the function's own, a name or computed here, may hold differentiated
        # values: loop over its index, so that each item's adjoint has a place (and the
        # loop can run backwards); `reversed(xs)` reads it from its end.
        if self.is_builtin_call(stmt.iter, reversed) and len(stmt.iter.args) == 1 and \
                not self.is_range(stmt.iter.args[0]):
            sequence = self.sequence(stmt.iter.args[0], stmt.body)
            if isinstance(sequence, gast.Name) and anno.get(sequence, "static") is None:
                return self.indexed_loop(stmt, [sequence], [stmt.target.id], backwards=[True])
        iterable = self.sequence(stmt.iter, stmt.body)
        computed = anno.get(iterable, "static") is None and not self.is_range(stmt.iter)
        if computed and (self.calls_builtin(stmt.iter) or nodes.is_method_call(stmt.iter)):
            # An iterator runs once, and a view (`d.items()`) has no positions: keep the items
            iterable = self.atom(lowered_call(list, [iterable]))
        if computed and isinstance(iterable, gast.Name):
            return self.indexed_loop(stmt, [iterable], [stmt.target.id])
        target = self.new_version(stmt.target.id)
        loop = gast.For(target=nodes.store(target), iter=iterable, body=[], orelse=[],
                        type_comment=None)
        self.loop(loop, stmt.body, targets={stmt.target.id: target})

    def flat_target(self, stmt):
        """`for k, (a, b) in pairs:` as `for k, item in pairs: a, b = item`: each tuple
        inside the target a name, unpacked first thing in the body (and so on inside)."""
        elements, unpacks = self.flattened(stmt.target, stmt)
        if not unpacks:
            return stmt
        return anno.copy_location(gast.For(
            target=gast.Tuple(elts=elements, ctx=gast.Store()), iter=stmt.iter,
            body=unpacks + stmt.body, orelse=[], type_comment=None), stmt)

    def flattened(self, target, stmt):
        """The items of the tuple `target`, each tuple among them a new name; and the
        unpackings of those names, deeper ones after."""
        elements, unpacks = [], []
        for element in target.elts:
            if not isinstance(element, gast.Tuple):
                elements.append(element)
                continue
            item = self.fresh_local("item")
            elements.append(nodes.store(item))
            inner, deeper = self.flattened(element, stmt)
            unpacks.append(anno.copy_location(gast.Assign(
                targets=[gast.Tuple(elts=inner, ctx=gast.Store())], value=nodes.load(item),
                type_comment=None), stmt))
            unpacks += deeper
        return elements, unpacks

    def unpacked_in_the_body(self, stmt):
        """`for a, b in DATA:` as `for item in DATA: a = item[0]; b = item[1]`, over a
        sequence the module holds, whose items are constants; over any other sequence, as
        `for item in xs: a, b = item`."""
        named = isinstance(stmt.iter, (gast.Name, gast.Attribute))  # (a call would run twice)
        data = anno.get(self.reference(stmt.iter), "static") if named else None
        if data is None:  # `for w, b in layers:` as `for item in layers: w, b = item`
            item = self.fresh_local("item")
            unpack = gast.Assign(targets=[stmt.target], value=nodes.load(item),
                                 type_comment=None)
            return anno.copy_location(gast.For(
                target=nodes.store(item), iter=stmt.iter,
                body=[anno.copy_location(unpack, stmt)] + stmt.body, orelse=[],
                type_comment=None), stmt)
        count = len(stmt.target.elts)
        if any(not hasattr(item, "__len__") or len(item) != count for item in data.value):
            raise self.origin.error(stmt, f"an item of the data this loop unpacks does not "
                                          f"hold {count} values, as Python would find")
        item = self.fresh_local("item")
        unpack = [anno.copy_location(nodes.assign(target.id, gast.Subscript(
            value=nodes.load(item), slice=nodes.constant(k), ctx=gast.Load())), stmt)
            for k, target in enumerate(stmt.target.elts)]
        return anno.copy_location(gast.For(target=nodes.store(item), iter=stmt.iter,
                                           body=unpack + stmt.body, orelse=[],
                                           type_comment=None), stmt)

    def enumerate_or_zip(self, stmt):
        """`for i, x in enumerate(xs)`, `for a, b in zip(xs, ys)` and, the two together,
        `for i, (a, b) in enumerate(zip(xs, ys))` loop over an index."""
        index, *elements = stmt.target.elts if stmt.iter.func.id == "enumerate" else \
            [None] + stmt.target.elts
        call = stmt.iter
        self.require_builtin(stmt, call)
        start = (call.args[1:] + [k.value for k in call.keywords] + [None])[0] \
            if index is not None else None
        if start is not None:  # `enumerate(xs, start=1)`: the index counts from it
            start, call = self.atom(start), gast.Call(func=call.func, args=call.args[:1],
                                                       keywords=[])
        if isinstance(elements[0], gast.Tuple):  # zip's items, numbered
            elements, call = elements[0].elts, call.args[0]
            self.require_builtin(stmt, call)
        backwards = [self.is_builtin_call(arg, reversed) and len(arg.args) == 1
                     for arg in call.args]
        sequences = [self.sequence(arg.args[0] if back else arg, stmt.body)
                     for arg, back in zip(call.args, backwards)]
        return self.indexed_loop(stmt, sequences, [t.id for t in elements],
                                 index=None if index is None else index.id, backwards=backwards,
                                 start=start)

    def require_builtin(self, stmt, call):
        """Refuse `enumerate` or `zip` that is not the builtin."""
        expected = {"enumerate": enumerate, "zip": zip}[call.func.id]
        if anno.get(self.reference(call.func), "static").value is not expected:
            raise self.origin.unsupported(stmt, f"`{call.func.id}` here is not the "
                                                "builtin; loop over one plain name")

    def sequence(self, expr, body):
        """`expr`, the sequence of a loop with `body`, as an atom. A name the body assigns
        is copied: Python iterates over the value it had when the loop began. One the body
        writes into in place is refused: Python's loop reads the values written."""
        inside = [node for stmt in body for node in own_nodes(stmt)]
        if isinstance(expr, gast.Name) and expr.id in item_written(inside) | {
                n.target.id for n in inside
                if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)}:
            raise self.origin.unsupported(expr, f"this loop goes over `{expr.id}`, which its "
                                                "body writes into: Python reads the values "
                                                "written as it goes, which ast_ad cannot "
                                                "follow; loop over the indexes "
                                                f"(`for i in range(len({expr.id}))`) and "
                                                f"read `{expr.id}[i]`")
        value = self.atom(expr)
        if isinstance(expr, gast.Name) and isinstance(value, gast.Name) and \
                expr.id in _assigned_names(body):
            return self.temporary(value)
        return value

    def calls_builtin(self, node):
        """Whether `node` calls one of Python's builtins (`reversed`, `map`): an iterator."""
        if not isinstance(node, gast.Call) or not self.is_static(node.func):
            return False
        function = anno.get(self.reference(node.func), "static").value
        return getattr(function, "__module__", None) == "builtins"

    def parameters_in(self, sequences):
        """The parameters among `sequences`, which a loop reads by positions (a dict given
        for one would give its keys)."""
        return {s.id for s in sequences
                if isinstance(s, gast.Name) and s.id in self.found["parameters"]}

    def indexed_loop(self, stmt, sequences, elements, index=None, backwards=None, start=None):
        """`for index in range(len(...)):` reading each of `elements` from its sequence,
        from its end for those `backwards` marks (`for x in reversed(xs)`, and `zip`s of
        such): the loop still runs over a range, which the adjoint reverses. An index
        that counts from `start` (an atom) is the range's plus it."""
        counted, index = (index, None) if start is not None else (None, index)
        backwards = backwards or [False] * len(sequences)
        self.found["iterated"].update(self.parameters_in(sequences))
        lengths = [self.atom(lowered_call(len, [s])) for s in sequences]
        count = lengths[0] if len(lengths) == 1 else self.atom(lowered_call(min, lengths))
        lasts = [self.temporary(gast.BinOp(left=length, op=gast.Sub(), right=nodes.constant(1)))
                 if back else None for length, back in zip(lengths, backwards)]
        iterable = self.atom(lowered_call(range, [count]))
        name = self.namer.temporary() if index is None else self.new_version(index)
        loop = gast.For(target=nodes.store(name), iter=iterable, body=[], orelse=[],
                        type_comment=None)

        def read_elements():
            for element, sequence, last in zip(elements, sequences, lasts):
                position = nodes.load(name) if last is None else self.temporary(
                    gast.BinOp(left=last, op=gast.Sub(), right=nodes.load(name)))
                self.bind(element, gast.Subscript(value=anno.copy_tree(sequence),
                                                  slice=position, ctx=gast.Load()))
            if start is not None:
                self.bind(counted, gast.BinOp(left=nodes.load(name), op=gast.Add(),
                                              right=anno.copy_tree(start)))

        self.loop(loop, stmt.body, targets={} if index is None else {index: name},
                  prologue=read_elements, assigned=elements + [counted] * (start is not None))

    def loop_with_break(self, stmt):
        """A loop that may break becomes a `while` loop whose test also reads a flag:
        `broke = False; while not broke and <test>: ...`, each `break` setting `broke`."""
        def user_name(name):
            return gast.Name(id=self.fresh_local(name), ctx=gast.Load(), annotation=None,
                             type_comment=None)

        def assign(target, value):
            store = gast.Name(id=target.id, ctx=gast.Store(), annotation=None, type_comment=None)
            return anno.copy_location(gast.Assign(targets=[store], value=value,
                                                  type_comment=None), stmt)

        flag = user_name("broke")
        self.statement(assign(flag, gast.Constant(value=False, kind=None)))
        not_broke = gast.UnaryOp(op=gast.Not(), operand=flag)
        body = stmt.body
        if isinstance(stmt, gast.While) and isinstance(stmt.test, gast.Constant) and \
                stmt.test.value is True:
            test = not_broke  # `while True:` runs until it breaks
        elif isinstance(stmt, gast.While):
            test = gast.BoolOp(op=gast.And(), values=[not_broke, stmt.test])
        else:
            if not isinstance(stmt.target, gast.Name):
                raise self.origin.unsupported(stmt, "`break` in a loop over `enumerate` or "
                                                    "`zip` is not supported yet; loop over "
                                                    "an index")
            index = user_name("k")
            iterated = stmt.iter
            backwards = self.is_builtin_call(iterated, reversed) and len(iterated.args) == 1
            if backwards:  # `reversed(xs)`: xs from its end
                iterated = iterated.args[0]
            if isinstance(iterated, gast.Name) and iterated.id in self.locals and \
                    iterated.id not in _assigned_names(body):
                items = iterated  # a list of the function's own: no second name for it
            else:
                items = user_name("items")
                if self.calls_builtin(iterated) and not self.is_range(iterated):
                    raise self.origin.unsupported(stmt, "`break` in a loop over an iterator "
                                                        "such as `zip(...)` is not "
                                                        "supported yet; loop over an index")
                self.found["iterated"].update(self.parameters_in([iterated]))
                if nodes.is_method_call(iterated):  # a view (`d.items()`) has no positions
                    iterated = gast.Call(func=nodes.bound("list", list), args=[iterated],
                                         keywords=[])
                self.statement(assign(items, iterated))
            length = gast.Call(func=gast.Name(id="len", ctx=gast.Load(), annotation=None,
                                              type_comment=None), args=[items], keywords=[])
            start = gast.BinOp(left=length, op=gast.Sub(), right=gast.Constant(
                value=1, kind=None)) if backwards else gast.Constant(value=0, kind=None)
            self.statement(assign(index, start))
            more = gast.Compare(left=index, ops=[gast.GtE()],
                                comparators=[gast.Constant(value=0, kind=None)]) if backwards \
                else gast.Compare(left=index, ops=[gast.Lt()], comparators=[length])
            test = gast.BoolOp(op=gast.And(), values=[not_broke, more])
            item = gast.Subscript(value=items, slice=index, ctx=gast.Load())
            step = gast.AugAssign(target=gast.Name(id=index.id, ctx=gast.Store(),
                                                   annotation=None, type_comment=None),
                                  op=gast.Sub() if backwards else gast.Add(),
                                  value=gast.Constant(value=1, kind=None))
            body = [assign(stmt.target, item), anno.copy_location(step, stmt)] + body
        body = self.without_jumps(body, flag.id, lambda: assign(
            flag, gast.Constant(value=True, kind=None)))
        loop = anno.copy_location(gast.While(test=test, body=body, orelse=[]), stmt)
        self.line_node = stmt
        self.while_loop(loop)

    def without_jumps(self, body, broke=None, set_broke=None):
        """A loop's `body` with no `break` (it sets `broke`, by `set_broke`) nor
        `continue`: the code after them moves into branches, or runs under a flag."""
        flags = Flags(self.fresh_local, broke)
        body = replace_jumps(move_code_after_jumps(body, (gast.Break, gast.Continue), flags),
                             set_broke)
        if gast.Continue in flags.claimed:  # each iteration starts with it unset
            skipped = nodes.assign(flags.name(gast.Continue), nodes.constant(False))
            body = [anno.copy_location(skipped, body[0])] + body
        return body

    def fresh_local(self, name):
        """A new variable of the lowering's own (a flag, a counter), clear of the names of
        the function lowered: an inlined function's are not all the namer's."""
        new = self.namer.claim(name)
        while new in self.locals or new in self.current:
            new = self.namer.claim(name)
        self.locals.add(new)
        return new

    def while_loop(self, stmt):
        if contains(stmt.body, (gast.Break,)):
            return self.loop_with_break(stmt)
        stmt.body = self.without_jumps(stmt.body)
        test = self.namer.temporary()
        self.emit(nodes.assign(test, self.rhs(stmt.test)))
        loop = gast.While(test=nodes.load(test), body=[], orelse=[])
        self.loop(loop, stmt.body, test=(test, stmt.test))

    def loop(self, node, body, test=None, prologue=None, targets=None, assigned=()):
        """Lower a loop body; variables assigned in it keep one name across iterations.

        `targets` maps the names the loop header assigns to their version; the names a
        `prologue` binds are `assigned` too. Like any other, such a name defined before the
        loop is carried: a loop that runs no iteration leaves it as it was.
        """
        line = self.line_node
        before = dict(self.current)
        targets = targets or {}
        written = _assigned_names(body) | set(targets) | set(assigned)
        carried = {name: before[name] for name in sorted(written & set(before))}
        for carried_name in carried.values():  # its value is saved each iteration: write it
            self.write_merge(carried_name)
            if carried_name in self.found["maybe_unbound"]:
                self.found["declared"].add(carried_name)
        outer, self.trace = self.trace, []
        self.current.update(targets)
        read_before, self.views.read = self.views.read, set()
        if prologue:
            prologue()
        for stmt in body:
            self.statement(stmt)
        self.line_node = line
        self.views.read_again(set(before.values()), node)
        self.views.read |= read_before
        if test is not None:  # a while loop's test, evaluated again for the next iteration
            self.emit(nodes.assign(test[0], self.rhs(test[1])))
        for name, carried_name in carried.items():
            if self.current[name] != carried_name:
                copy = nodes.assign(carried_name, nodes.load(self.version(name)))
                self.emit(anno.set(copy, "carried", True))
            self.current[name] = carried_name
        node.body, self.trace = self.trace or [gast.Pass()], outer
        anno.set(node, "carries", sorted(carried.values()))
        self.found["maybe_unbound"].update(  # bound only if the loop ran
            version for name, version in self.current.items() if name not in before)
        self.emit(node)

    def version(self, name):
        """The current version of variable `name`, writing its branch merge if pending. One
        that a branch binds and the other not, read outside a branch on the same test, is
        read where another test says it is bound (a flag a `return` set), which the
        trace cannot relate to the first: it is declared, to be bound on every path."""
        version = self.current[name]
        self.views.reading(version, self.line_node, name)
        self.write_merge(version)
        bound_under = self.found["one_branch"].get(version)
        if bound_under is not None and not bound_under <= set(self.found["conditions"]):
            self.found["declared"].add(version)
        return version

    def write_merge(self, merged):
        pending = self.found["merges"].pop(merged, None)
        if pending:
            then_block, else_block, versions, line = pending
            for block, version in zip((then_block, else_block), versions):
                self.write_merge(version)
                if version in self.found["maybe_unbound"]:
                    self.found["declared"].add(version)
                _assign_to(block, version, merged, line)

    def new_version(self, name):
        if name in self.current or name in self.params or name in self.seen:
            version = self.namer.version(name)
        else:
            self.seen.add(name)
            version = self.namer.claim(name) if self.inlined else name
        self.views.family[version] = (id(self), name)
        return version

    def bind(self, name, value):
        new = self.new_version(name)
        self.emit(nodes.assign(new, value))
        self.current[name] = new
        if type(value) is gast.Subscript and type(value.value) is gast.Name and \
                self.views.of(value.value.id) in self.views.written:
            self.require_not_a_view(new)

    def require_not_a_view(self, version):
        """`x = a[i]`, of an array the function writes into: a number, or a copy, until
        the code runs and says it is a view, which a later write would change."""
        self.views.views.pop(version, None)
        self.views.fresh.discard(version)
        self.check(require_not_a_view, version)


@dataclasses.dataclass
class LocalFunction:
    """A function defined inside the one lowered: its def, the lowering of the function
    it is defined in, and the atoms of its defaults."""
    tree: gast.FunctionDef
    lowerer: object
    defaults: dict


def _assign_to(block, version, merged, line):
    """Make `block` end with `merged` holding `version`: rename its definition if it is the
    block's only one and read nowhere after, else append a copy."""
    definitions = sum(isinstance(n, gast.Name) and n.id == version and isinstance(n.ctx, gast.Store)
                      for stmt in block for n in nodes.walk(stmt))
    for i, stmt in enumerate(block):
        if definitions == 1 and isinstance(stmt, gast.Assign) and stmt.targets[0].id == version:
            later = [n for s in block[i + 1:] for n in nodes.read_names(s)]
            if version not in later and not anno.get(stmt, "carried"):
                stmt.targets[0].id = merged
                return
    block.append(anno.copy_location(nodes.assign(merged, nodes.load(version)), line))


def _pops(value):
    """`xs.pop()`, of a list the function holds, its value dropped: a generated adjoint's
    way to give a list back its earlier state."""
    return nodes.is_method_call(value) and value.func.attr == "pop" and not value.args and \
        isinstance(value.func.value, gast.Name)
