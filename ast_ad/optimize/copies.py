"""Copy propagation: `a = b` read as `b` where `a` is assigned once and `b` cannot
change, or where every use of `a` in a block comes before `b` changes; and `t = e; x = t`
as `x = e` where `t` is read nowhere else.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes
from ast_ad.optimize.blocks import (COMPOUND, BlockRewrite, all_statements, assignments_in,
                                    in_place_of, name_counts, readings)
from ast_ad.optimize.folding import folded, is_number


def _definitions(node):
    """How many statements assign each name, and which of those lie inside a loop."""
    count, in_loop = {}, set()

    def visit(block, looping):
        for stmt in block:
            targets = [nodes.assigned_name(stmt)]
            if isinstance(stmt, gast.For):
                targets = sorted(nodes.names_in(stmt.target))
            for name in filter(None, targets):
                count[name] = count.get(name, 0) + 1
                if looping:
                    in_loop.add(name)
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(stmt, COMPOUND) and inner:
                    visit(inner, looping or not isinstance(stmt, gast.If))

    for parameter in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        count[parameter.id] = 1  # the argument is its first value
    visit(node.body, False)
    return count, in_loop


def propagate_copies(function, temporaries):
    """Replace `a` by `b` after `a = b`, where `a` is assigned once and `b` cannot change.

    The copies go together, in one substitution, but for those that a later pass of the
    round could take another way (see `_alone_in_taking` and `_joining`): they wait, and
    the first copy in walk order goes whatever it is, so that each round takes one.
    Returns whether any went.
    """
    statements = all_statements(function)
    places = {id(stmt): (block, k) for _, _, block in nodes.statement_blocks(function)
              for k, stmt in enumerate(block)}
    readers = _readers(function)
    counts = name_counts(function)
    assigns = [stmt for stmt in statements if isinstance(stmt, gast.Assign)]
    definitions = _definitions(function)
    held = set()  # ids of copies left for a later round
    while True:
        values, gone = _copies_that_go(assigns, definitions, held)
        if not gone:
            return False
        first = next(iter(gone))
        after = _counts_after(counts, values, gone)
        risky = {key for key, copy in list(gone.items())[1:] if not _alone_in_taking(
            copy, values, places, gone, (counts, after), temporaries)}
        risky |= _joining(gone, values, places, (counts, after)) - {first}
        if not risky:
            break
        held |= risky
    _substitute(function, {name: _resolved(value, values) for name, value in values.items()},
                readers, places, gone)
    _remove(function, gone)
    return True


def _substitute(function, values, readers, places, gone):
    """`nodes.Substitute(values).visit(function)`, visiting only the statements that read
    the names: those `readers` found but the copies that go, and the function's header."""
    substitute = nodes.Substitute(values)
    function.args = substitute.visit(function.args)
    if function.returns is not None:
        function.returns = substitute.visit(function.returns)
    function.decorator_list = [substitute.visit(d) for d in function.decorator_list]
    for key in set().union(*(readers.get(name, ()) for name in values)):
        block, k = places[key]
        stmt = block[k]
        if isinstance(stmt, (gast.If, gast.While)):
            stmt.test = substitute.visit(stmt.test)
        elif isinstance(stmt, gast.For):
            stmt.iter = substitute.visit(stmt.iter)
        elif key not in gone:
            block[k] = folded(facts.substituted(stmt, values))


def _readers(function):
    """For each name, the ids of the statements that read it (the innermost simple
    statement around the read, or the compound statement whose header reads it), and
    under `(name,)` those that assign it."""
    readers = {}
    for _, _, block in nodes.statement_blocks(function):
        for stmt in block:
            header = (stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter) \
                if isinstance(stmt, COMPOUND) else stmt
            for name in facts.reads(header):
                readers.setdefault(name, set()).add(id(stmt))
            assigned = nodes.assigned_name(stmt)
            if assigned is not None:
                readers.setdefault((assigned,), set()).add(id(stmt))
    return readers


def _copies_that_go(assigns, definitions, held):
    """`({name: value}, {id: copy})` for the copies that go, in the order of repeated
    walks of the tree (`assigns`: its assignments in walk order, `definitions`: what
    `_definitions` found): each not `held`, and the first whatever it is."""
    count, in_loop = dict(definitions[0]), set(definitions[1])
    values, gone = {}, {}
    while True:
        before = len(gone)
        for node in assigns:
            if id(node) in gone or \
                    count.get(node.targets[0].id) != 1 or \
                    (gone and id(node) in held):
                continue
            value, name = _resolved(node.value, values), node.targets[0].id
            if not _propagates(value, count, in_loop):
                continue
            values[name] = value
            gone[id(node)] = node
            count[name] = 0
            in_loop.discard(name)
        if len(gone) == before:
            return values, gone


def _resolved(value, values):
    """`value` with the copies that go already in place: `b`'s value for `b`."""
    while isinstance(value, gast.Name) and anno.get(value, "static") is None and \
            value.id in values and values[value.id] is not value:
        value = values[value.id]
    return value


def _propagates(value, count, in_loop):
    """Whether a copy of `value` may stand for its name everywhere: a number, or a name
    assigned at most once, outside loops."""
    if isinstance(value, gast.Name) and anno.get(value, "static") is None:
        return count.get(value.id, 0) <= 1 and value.id not in in_loop
    return is_number(value)


def _counts_after(counts, values, gone):
    """`name_counts` of the function once the copies in `gone` have gone."""
    after = dict(counts)
    for copy in gone.values():
        for node in (copy.targets[0], copy.value):
            if isinstance(node, gast.Name):
                after[node.id] -= 1
    for name, value in values.items():
        reads = after.pop(name, 0)
        value = _resolved(value, values)
        if isinstance(value, gast.Name) and value.id != name:
            after[value.id] = after.get(value.id, 0) + reads
    return after


def _few(name, counts, most):
    """Whether `name` occurs at most `most` times, before the copies go or after."""
    return any(found.get(name, 0) <= most for found in counts)


def _sources(copy, values):
    return {v.id for v in (copy.value, _resolved(copy.value, values))
            if isinstance(v, gast.Name)}


def _alone_in_taking(copy, values, places, gone, counts, temporaries):
    """Whether no later pass of the round could take the copy `a = b` another way: `t = e`
    just before `a = t` (once the copies are gone) is coalesced, and a temporary read
    once is inlined. `counts`: the names' counts before and after the copies go."""
    name = copy.targets[0].id
    if name in temporaries and _few(name, counts[:1], 2):
        return False
    sources = _sources(copy, values)
    if any(source in temporaries and _few(source, counts, 2) for source in sources):
        return False
    previous = _neighbour(copy, places, gone, -1)
    return not (isinstance(previous, gast.Assign) and
                getattr(previous.targets[0], "id", None) in sources and
                _few(previous.targets[0].id, counts, 2))


def _joining(gone, values, places, counts):
    """The copies whose going would bring `t = e` and `x = t` together, for
    `coalesce_copies` to take: they stay, as the statements between them would."""
    joining = set()
    for copy in gone.values():
        previous = _neighbour(copy, places, gone, -1)
        following = _neighbour(copy, places, gone, 1)
        if isinstance(previous, gast.Assign) and isinstance(following, gast.Assign) and \
                isinstance(previous.targets[0], gast.Name) and \
                previous.targets[0].id in _sources(following, values) and \
                _few(previous.targets[0].id, counts, 2):
            joining.add(id(copy))
    return joining


def _neighbour(stmt, places, gone, step):
    """The statement before (`step` -1) or after (1) `stmt` in its block once the copies in
    `gone` have gone, or None."""
    block, k = places[id(stmt)]
    k += step
    while 0 <= k < len(block) and id(block[k]) in gone:
        k += step
    return block[k] if 0 <= k < len(block) else None


def _remove(function, gone):
    """Remove the statements whose ids are in `gone`."""
    for node, field, block in nodes.statement_blocks(function):
        if any(id(s) in gone for s in block):
            setattr(node, field, [s for s in block if id(s) not in gone] or [gast.Pass()])


def propagate_local_copy(block, counts):
    """`a = b` whose every use follows in this block, before `b` changes: use `b` there.

    A copy back, `b = a`, does not change `b`'s value: it goes.
    """
    return _LocalCopies(block, counts).run()


class _LocalCopies(BlockRewrite):
    """The local copies of one block, in order, on an index of where each name is."""

    def __init__(self, block, counts):
        super().__init__(block)
        self.counts = counts
        self.names, self.places = readings(block, facts.names)
        self.assigns = assignments_in(block)
        self.compounds = [0]  # compound statements before each position
        for stmt in block:
            self.compounds.append(self.compounds[-1] + isinstance(stmt, COMPOUND))

    def copy_back(self, k, name, source):
        other = self.block[k]
        return isinstance(other, gast.Assign) and other.targets[0].id == source \
            and isinstance(other.value, gast.Name) and other.value.id == name

    def rewrite_at(self, i):
        """Propagate the copy at `i` if it is one that may go; whether it went."""
        stmt = self.block[i]
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and anno.get(stmt.value, "static") is None):
            return False
        name, source = stmt.targets[0].id, stmt.value.id
        uses = self.places.between(name, i + 1, len(self.block))
        if not uses or self.counts.get(name) != len(uses) + 1:
            return False
        last = uses[-1]
        between = [k for changed in (name, source)
                   for k in self.assigns.between(changed, i + 1, last - 1)]
        if self.compounds[last + 1] - self.compounds[i + 1] or any(
                not self.copy_back(k, name, source) for k in between
        ) or nodes.assigned_name(self.block[last]) == name:
            return False
        backs = [k for k in uses if self.copy_back(k, name, source)]
        self.counts[source] += len(uses) - 2 * len(backs) - 1  # `name`'s reads, less the copy's
        self.counts[name] = 0
        for k in [i] + backs:
            self.remove(k)
        for k in uses:
            if self.alive[k]:
                self.block[k] = facts.substituted(self.block[k], {name: stmt.value})
                found = facts.names(self.block[k])
                self.places.update(k, self.names[k], found)
                self.names[k] = found
        return True

    def remove(self, k):
        self.alive[k] = False
        self.places.update(k, self.names[k], set())
        self.names[k] = set()
        assigned = nodes.assigned_name(self.block[k])
        if assigned is not None:
            self.assigns.discard(assigned, k)


def coalesce_copies(block, counts):
    """`t = e` then `x = t`, with `t` used nowhere else, becomes `x = e`."""
    kept = []
    for stmt in block:
        first = kept[-1] if kept else None
        if isinstance(first, gast.Assign) and isinstance(stmt, gast.Assign) and \
                isinstance(stmt.value, gast.Name) and stmt.value.id == first.targets[0].id \
                and counts.get(first.targets[0].id) == 2:
            kept[-1] = in_place_of(nodes.assign(stmt.targets[0].id, first.value), stmt)
            counts[first.targets[0].id] = 0
        else:
            kept.append(stmt)
    return kept if len(kept) < len(block) else block
