"""A temporary read once put back into the statement that reads it, in its block or a
loop's header; and an adjoint taken back through a product, read once by arithmetic.
"""

import collections
import copy

import gast

from ast_ad.ad import effects
from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes
from ast_ad.ir.printer import to_source
from ast_ad.optimize.blocks import (COMPOUND, BlockRewrite, Places, assignments_in, is_ours,
                                    read_counts)
from ast_ad.optimize.folding import folded, is_negation
from ast_ad.optimize.fusion import LONGEST_FUSED
from ast_ad.optimize.signs import absorb_sign

_PRODUCT_ADJOINTS = ("matmul_adjoint_left", "matmul_adjoint_right", "dot_adjoint_left",
                     "dot_adjoint_right")


def inline_temporary(block, temporaries, inlined, memo=None):
    """`t = e` with the temporary `t` read once, by a later statement of this block, before
    anything `e` reads changes: `e` goes where `t` was, as a person writes one expression.

    `temporaries` holds those that every block reading them defines first: the read
    after `t = e` in this block is then the only one this definition reaches.
    """
    return _Inlining(block, temporaries, inlined, {} if memo is None else memo).run()


class _Inlining(BlockRewrite):
    """The inlinings of one block, in order, on an index of where each name is."""

    def __init__(self, block, temporaries, inlined, memo):
        super().__init__(block)
        self.temporaries, self.inlined, self.memo = temporaries, inlined, memo
        self.reads = [read_counts(s, memo) for s in block]
        self.readers = Places()  # of the simple statements: the compound ones are few
        for position, (stmt, found) in enumerate(zip(block, self.reads)):
            if isinstance(stmt, COMPOUND):
                self.readers.add(None, position)
            else:
                for name in found:
                    self.readers.add(name, position)
        self.assigns = assignments_in(block)
        self.stops = Places()  # under None: the compound statements and those that mutate
        for position, stmt in enumerate(block):
            if isinstance(stmt, COMPOUND) or facts.changes_a_value(stmt):
                self.stops.add(None, position)

    def rewrite_at(self, i):
        """Inline the temporary `block[i]` if it may go; whether it went."""
        use = self.single_use(i)
        if use is None:
            return False
        name, value = self.block[i].targets[0].id, self.block[i].value
        if isinstance(self.block[use], gast.For):
            return self.inline_in_header(i, use, name, value)
        host = None
        if is_negation(value):  # `t = -g`: its sign goes to a sum or a number where it can
            host = absorb_sign(anno.copy_tree(self.block[use]), name, value.operand)
        if host is None and (_arithmetic(self.block[i]) or is_product_adjoint(value)):
            host = folded(facts.substituted(self.block[use], {name: value}))
        if host is None:  # `t = -unbroadcast(...)` that nothing above takes the sign of
            return False
        return self.substitute(i, use, name, value, host, shown=host)

    def inline_in_header(self, i, use, name, value):
        """Inline `block[i]` into the header of the loop at `use`, which reads it only
        there. The loop is a copy with the statements it holds, in lists of its own: the
        blocks the walk of this round has are the original's (a copy of the whole loop
        would copy a nest of them once for each loop in it)."""
        if not (_arithmetic(self.block[i]) or is_product_adjoint(value)):
            return False
        loop = self.block[use]
        host = copy.copy(loop)
        host.iter = nodes.Substitute({name: value}).visit(anno.copy_tree(loop.iter))
        host.body, host.orelse = list(loop.body), list(loop.orelse)
        line = gast.For(target=host.target, iter=host.iter, body=[gast.Pass()], orelse=[],
                        type_comment=None)  # `for i in range(n):`
        return self.substitute(i, use, name, value, host, shown=line)

    def substitute(self, i, use, name, value, host, shown):
        """`host`, which reads `value` for the temporary `name` that `block[i]` assigns, in
        place of `block[use]`, unless the first line of `shown` would run too long; whether
        it went."""
        if len(to_source(shown).strip().splitlines()[0]) > LONGEST_FUSED:
            return False
        self.inlined[name] = value
        self.alive[i] = False
        self.put(i, None)
        self.put(use, host)
        return True

    def put(self, position, stmt):
        """`stmt` at `position` (None: nothing), the index kept true."""
        old = self.block[position]
        new = collections.Counter() if stmt is None else read_counts(stmt, self.memo)
        self.readers.update(position, self.names_indexed(old, self.reads[position]),
                            self.names_indexed(stmt, new))
        self.reads[position] = new
        for assigned in {nodes.assigned_name(old)} - {None}:
            self.assigns.discard(assigned, position)
        self.stops.discard(None, position)
        if stmt is not None:
            self.block[position] = stmt
            if nodes.assigned_name(stmt) is not None:
                self.assigns.add(nodes.assigned_name(stmt), position)
            if isinstance(stmt, COMPOUND) or facts.changes_a_value(stmt):
                self.stops.add(None, position)

    @staticmethod
    def names_indexed(stmt, reads):
        """What `readers` holds for a statement: its names, or None for a compound one."""
        if stmt is None:
            return set()
        return {None} if isinstance(stmt, COMPOUND) else set(reads)

    def single_use(self, i):
        """Where the temporary `block[i]` assigns is read, if once and safely inlined there."""
        stmt = self.block[i]
        if not (isinstance(stmt, gast.Assign) and stmt.targets[0].id in self.temporaries
                and (_arithmetic(stmt) or is_negation(stmt.value)
                     or is_product_adjoint(stmt.value))):
            return None
        name, needs = stmt.targets[0].id, set(self.reads[i])
        reassigned = self.assigns.first_after(name, i)
        last = len(self.block) if reassigned is None else reassigned
        uses = sorted(self.readers.between(name, i + 1, last) + [
            k for k in self.readers.between(None, i + 1, last) if name in self.reads[k]])
        if len(uses) != 1 or self.reads[uses[0]][name] != 1:
            return None
        use = uses[0]
        host = self.block[use]
        if is_product_adjoint(stmt.value) and not (
                isinstance(host, gast.Assign) and _arithmetic(host)):
            return None  # a layer's adjoint goes into the activation's (`g * (1 - h * h)`)
        in_header = isinstance(host, gast.For) and name in nodes.read_names(host.iter)
        if (isinstance(host, COMPOUND) and not in_header) or \
                _shape_argument(host.iter if in_header else host, name) or \
                (isinstance(host, gast.AugAssign) and nodes.assigned_name(host) in needs):
            return None  # (a compound host first: the others would walk all it holds)
        if self.stops.any_between(None, i + 1, use - 1) or any(
                self.assigns.any_between(read, i + 1, use - 1) for read in needs):
            return None
        return use


def is_product_adjoint(node):
    """A call of the helpers that take an adjoint back through `x @ y` or `np.dot`: its
    result is as large as an operand, perhaps a layer's weights, and a name would hold it
    until the function returns."""
    return isinstance(node, gast.Call) and is_ours(node.func) and \
        getattr(anno.get(node.func, "bind"), "__name__", None) in _PRODUCT_ADJOINTS


def _is_arithmetic(node):
    """Operators, numbers, names and pure calls of the user's functions: nothing of ours,
    and nothing with effects, which may not move."""
    for part in nodes.subnodes(node):
        if isinstance(part, (gast.List, gast.Subscript)):
            return False
        if isinstance(part, gast.Call) and (nodes.is_method_call(part) or is_ours(part.func)
                                            or effects.has_effects(part)):
            return False
    return True


def _arithmetic(stmt):
    """Whether the value of the assignment `stmt` is arithmetic, asked once."""
    return facts.answer(stmt, _value_is_arithmetic)


def _value_is_arithmetic(stmt):
    return _is_arithmetic(stmt.value)


def _shape_argument(stmt, name):
    """Whether `name` is an argument that one of our helpers reads for its shape only, as
    `x` in `unbroadcast(g, x)`: it reads better as a name there."""
    return any(isinstance(node, gast.Call) and is_ours(node.func) and any(
        isinstance(arg, gast.Name) and arg.id == name for arg in node.args[1:])
        for node in nodes.subnodes(stmt))



def defined_before_read(function, names):
    """Those of `names` that every block reading them has defined first, itself."""
    local = set(names)
    for _, _, block in nodes.statement_blocks(function):
        defined = set()
        for stmt in block:
            header = (stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter) \
                if isinstance(stmt, COMPOUND) else stmt
            reads = set(facts.read_set(header))
            if isinstance(stmt, gast.AugAssign):
                reads.add(nodes.assigned_name(stmt))
            local -= reads - defined
            defined.add(nodes.assigned_name(stmt))
    return local
