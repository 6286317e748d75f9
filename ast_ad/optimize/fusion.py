"""An adjoint's few contributions fused into one sum: `x_bar = a` ... `x_bar += b`
becomes `x_bar = a + b` where the second stood, when nothing between reads them.
"""

import heapq

import gast

from ast_ad.ir import facts, nodes
from ast_ad.ir.printer import to_source
from ast_ad.optimize.blocks import COMPOUND, BlockRewrite, assignments_in, in_place_of, readings
from ast_ad.optimize.folding import fold_binop, fold_node

_MOST_FUSED = 4  # contributions; a longer sum reads better as `+=` lines


LONGEST_FUSED = 90  # characters of a fused statement, to keep lines under 100


def fuse_accumulations(block):
    """`a = c1` ... `a += c2` -> `a = c1 + c2` at the last, where nothing else reads `a`.

    Moving `c1` down is safe when nothing between writes a name it reads: no compound
    statement stands between, and no assignment of a name it reads. Names are tried in
    the order of their first assignment, the first that fuses fuses first; a name that
    cannot is tried again only when the statement that stopped it goes.
    """
    return _Fusion(block).run()


class _Fusion(BlockRewrite):
    """The fusions of one block, on an index of where each name is read and assigned."""

    def __init__(self, block):
        super().__init__(block)
        self.reads, self.readers = readings(block, facts.read_set)
        self.assigns = assignments_in(block)
        self.blocking = [0]  # compound or mutating statements before each position
        for stmt in block:
            self.blocking.append(self.blocking[-1] + _stops_fusion(stmt))
        self.waiting = {}  # position -> names that the statement there stopped

    def run(self):
        queue = []
        for position, stmt in enumerate(self.block):
            name = nodes.assigned_name(stmt)
            if name is not None and self.assigns.first_after(name, -1) == position:
                queue.append((position, name))
        heapq.heapify(queue)
        queued = {name for _, name in queue}
        fused_any = False
        while queue:
            order, name = heapq.heappop(queue)
            queued.discard(name)
            where = self.assigns.between(name, 0, len(self.block))
            fused, stopper = self.fusion(name, where)
            if fused is None:
                if stopper is not None:
                    self.waiting.setdefault(stopper, []).append((order, name))
                continue
            fused_any = True
            for woken in self.fuse(name, where, fused):
                if woken[1] not in queued:
                    queued.add(woken[1])
                    heapq.heappush(queue, woken)
        return self.kept(fused_any)

    def fusion(self, name, where):
        """`(fused statement, None)`, or `(None, the position of a statement that stops it,
        or None if nothing another fusion does can let it fuse)`."""
        statements = [self.block[i] for i in where]
        if not 2 <= len(where) <= _MOST_FUSED or not isinstance(statements[0], gast.Assign):
            return None, None
        if not all(isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add)
                   for s in statements[1:]):
            return None, None
        first, last = where[0], where[-1]
        between = self.blocking[last + 1] - self.blocking[first] - \
            sum(_stops_fusion(s) for s in statements)
        if between or any(facts.of(s).method_in_value for s in statements[:-1]):
            return None, None  # a pop or an element write may not move past another
        readers = self.readers.between(name, first, last)
        if readers:
            outside = [p for p in readers if p not in where]
            return None, (outside[0] if len(outside) == len(readers) else None)
        for p, s in zip(where, statements):
            for read in self.reads[p]:
                writers = self.assigns.between(read, p + 1, last)
                if writers:
                    return None, writers[0]
        folds = [fold_node(s.value) for s in statements]
        total = folds[0][1]
        for _, value in folds[1:]:
            total = fold_binop(gast.BinOp(left=total, op=gast.Add(), right=value))[1]
        fused = in_place_of(nodes.assign(name, total), self.block[last])
        if len(to_source(fused)) > LONGEST_FUSED:
            for p, s, (value, _) in zip(where, statements, folds):
                if value is not s.value:  # as the sum's folding, once in place, left it
                    self.block[p] = self.given[p] = facts.changed(s, value=value)
            return None, None
        return fused, None

    def fuse(self, name, where, fused):
        """Put `fused` in place; the names the removed statements stopped, to try again."""
        last = where[-1]
        woken = []
        for p in where[:-1]:
            self.alive[p] = False
            self.assigns.discard(name, p)
            self.readers.update(p, self.reads[p], set())
            self.reads[p] = set()
            woken += self.waiting.pop(p, [])
        new_reads = facts.read_set(fused)
        self.readers.update(last, self.reads[last], new_reads)
        self.reads[last] = new_reads
        self.block[last] = fused
        return woken


def _stops_fusion(stmt):
    return isinstance(stmt, COMPOUND) or facts.changes_a_value(stmt)
