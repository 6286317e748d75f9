"""What the rewrites share: a block rewrite's state and run, statement places and
counts of the names read and assigned.
"""

import bisect
import collections
import copy

import gast

from ast_ad.ad import effects
from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes

COMPOUND = (gast.If, gast.For, gast.While)


def each_block(function, rewrite):
    """`rewrite` each block until it gives the block back as it was; whether any changed."""
    changed = False
    for node, field, block in nodes.statement_blocks(function):
        new = rewrite(block)
        while new is not block:  # each rewrite sees the tree as the last one left it
            changed = True
            setattr(node, field, new)
            block, new = new, rewrite(new)
        setattr(node, field, new or ([gast.Pass()] if field == "body" else []))
    return changed


def all_statements(function):
    """The statements of `function` in the order gast.walk meets them."""
    return [stmt for _, _, block in nodes.statement_blocks(function) for stmt in block]


class BlockRewrite:
    """A rewrite of one block: the statements it keeps alive, and the block given back
    as it was (the same list) when it changed nothing."""

    def __init__(self, block):
        self.given, self.block = block, list(block)
        self.alive = [True] * len(block)

    def kept(self, changed):
        if not changed:
            return self.given
        return [stmt for stmt, alive in zip(self.block, self.alive) if alive]

    def run(self):
        """`rewrite_at` each statement still alive, in order."""
        changed = False
        for i in range(len(self.block)):
            if self.alive[i]:
                changed |= self.rewrite_at(i)
        return self.kept(changed)


def in_place_of(new, old):
    """`new`, with `old`'s line."""
    return anno.copy_location(new, old)


def name_counts(function):
    """How many name nodes the function has of each name."""
    counts, todo = collections.Counter(), [function]
    while todo:
        node = todo.pop()
        if type(node) in facts.SIMPLE:
            counts.update(facts.of(node).names)
            continue
        if type(node) is gast.Name:
            counts[node.id] += 1
        for field in node._fields:
            value = getattr(node, field, None)
            todo.extend(item for item in (value if type(value) is list else [value])
                        if isinstance(item, gast.AST))
    return dict(counts)


def has_effect(stmt):
    """A method call (a list's pop) or a call with effects (a random draw) must run even if
    its result is not used."""
    value = getattr(stmt, "value", None)
    return nodes.calls_a_method(value) or (value is not None and effects.has_effects(value))


def with_blocks(stmt, **blocks):
    """`stmt` with these blocks: itself if they hold the statements it has, else a copy
    (a loop's fixed point reads the original again)."""
    if all(len(new) == len(getattr(stmt, field)) and
           all(a is b for a, b in zip(new, getattr(stmt, field)))
           for field, new in blocks.items()):
        return stmt
    stmt = copy.copy(stmt)
    for field, new in blocks.items():
        setattr(stmt, field, new)
    return stmt


def call_of(function, *args):
    return gast.Call(func=nodes.load(function), args=list(args), keywords=[])


class Places:
    """For each name, the sorted positions of the statements of one block that have it (that
    read it, or assign it): each question is a bisection, where a scan of the block would
    make a pass over n statements take n^2 steps."""

    def __init__(self):
        self._at = {}

    def add(self, name, position):
        places = self._at.setdefault(name, [])
        if not places or places[-1] < position:  # (as when the index is made)
            places.append(position)
            return
        k = bisect.bisect_left(places, position)
        if k == len(places) or places[k] != position:
            places.insert(k, position)

    def discard(self, name, position):
        places = self._at.get(name, [])
        k = bisect.bisect_left(places, position)
        if k < len(places) and places[k] == position:
            del places[k]

    def between(self, name, low, high):
        """The positions of `name` from `low` to `high`, both included."""
        places = self._at.get(name, [])
        return places[bisect.bisect_left(places, low):bisect.bisect_right(places, high)]

    def any_between(self, name, low, high):
        places = self._at.get(name, [])
        k = bisect.bisect_left(places, low)
        return k < len(places) and places[k] <= high

    def first_after(self, name, position):
        places = self._at.get(name, [])
        k = bisect.bisect_right(places, position)
        return places[k] if k < len(places) else None

    def update(self, position, old, new):
        """The statement at `position` had the names `old` and now has `new`."""
        for name in old - new:
            self.discard(name, position)
        for name in new - old:
            self.add(name, position)


def read_counts(stmt, memo):
    """How often `stmt` reads each name, as `loaded_names` counts them; a compound
    statement's from those of the statements in it, each found once in `memo` (a nest
    of loops or branches is not walked again at each level)."""
    known = memo.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1]
    if not isinstance(stmt, COMPOUND):
        counts = facts.answer(stmt, _counted_reads)  # (shared: nothing changes it)
    else:
        counts = collections.Counter()
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                for inner in value:
                    counts.update(read_counts(inner, memo))
            elif isinstance(value, (gast.AST, list)):
                for part in value if isinstance(value, list) else [value]:
                    counts.update(nodes.read_names(part))
    memo[id(stmt)] = (stmt, counts)
    return counts


def _counted_reads(stmt):
    return collections.Counter(facts.reads(stmt))


def assignments_in(block):
    """The positions of the statements of `block` that assign each name."""
    assigns = Places()
    for position, stmt in enumerate(block):
        name = nodes.assigned_name(stmt)
        if name is not None:
            assigns.add(name, position)
    return assigns


def readings(block, names_of):
    """The names each simple statement of `block` has, by `names_of`, and where each
    name is. A compound statement has none here: what it has inside cannot matter to a
    pass that does nothing across one (and a nest of them walked at each level would
    cost its depth times its size)."""
    names = [frozenset() if isinstance(stmt, COMPOUND) else names_of(stmt) for stmt in block]
    places = Places()
    for position, found in enumerate(names):
        for name in found:
            places.add(name, position)
    return names, places


def is_ours(function):
    module = getattr(anno.get(function, "bind"), "__module__", None)
    return isinstance(module, str) and module.startswith("ast_ad")
