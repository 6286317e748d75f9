"""Dead-code removal by liveness, through branches and loops to a fixed point per loop;
a stack's `pop` and any call made as a statement are kept for their effect.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes
from ast_ad.optimize.blocks import COMPOUND, each_block, has_effect, with_blocks
from ast_ad.optimize.stacks import does_something


def without_dead_code(block, live_after, pops, entries):
    """`block` without dead statements, and the names live at its start.

    Records in `pops` the stacks popped into a dead name and those popped into a live one,
    and in `entries` the names live at each loop's entry, from which the loop's fixed
    point starts again when more is live after it, and each block's result: what the
    block keeps depends only on which of the names it assigns are live after it (the
    others pass through), so a loop nest's inner blocks are not walked again each time
    something else becomes live around them.
    """
    assigned = _assigned_within(block, entries)
    relevant = frozenset(live_after & assigned)
    known = entries.get(("block", id(block), relevant))
    if known is None or known[0] is not block:
        known = (block,) + _live_given(block, relevant, pops, entries)
        entries["block", id(block), relevant] = known
    return known[1], known[2] | (live_after - assigned)


def _assigned_within(block, entries):
    """The names the statements of `block`, and of the blocks in them, assign."""
    known = entries.get(("assigned", id(block)))
    if known is not None and known[0] is block:
        return known[1]
    found = set()
    for stmt in block:
        found.add(nodes.assigned_name(stmt))
        if isinstance(stmt, gast.For):
            found |= nodes.names_in(stmt.target)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, COMPOUND) and inner:
                found |= _assigned_within(inner, entries)
    found = frozenset(found - {None})
    entries["assigned", id(block)] = (block, found)
    return found


def _live_given(block, live_after, pops, entries):
    """`without_dead_code` itself."""
    live = set(live_after)
    kept = []
    for stmt in reversed(block):
        name = nodes.assigned_name(stmt)
        if isinstance(stmt, gast.If):
            body, live_body = without_dead_code(stmt.body, live, pops, entries)
            orelse, live_else = without_dead_code(stmt.orelse, live, pops, entries)
            if not does_something(body) and not does_something(orelse):
                continue
            stmt = with_blocks(stmt, body=body or [gast.Pass()], orelse=orelse)
            live = live_body | live_else | set(nodes.read_names(stmt.test))
        elif isinstance(stmt, (gast.For, gast.While)):
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            entry = _warm_start(entries, stmt, live)
            while True:
                live_in_body = live | entry | set(nodes.read_names(header))
                body, new_entry = without_dead_code(stmt.body, live_in_body, pops, entries)
                if new_entry <= entry:
                    break
                entry |= new_entry
            entries[id(stmt)] = (frozenset(live), set(entry))
            targets = set(nodes.names_in(stmt.target)) if isinstance(stmt, gast.For) else ()
            if isinstance(stmt, gast.For) and not does_something(body) and \
                    not targets & live:
                continue
            stmt = with_blocks(stmt, body=body or [gast.Pass()])
            entry -= set(targets)
            live = live | entry | set(nodes.read_names(header))
        elif name is not None:
            if anno.get(stmt, "stack") and facts.answer(stmt, has_effect):  # a stack's pop
                pops["live" if name in live else "dead"].add(stmt.value.func.value.id)
            if name not in live and not facts.answer(stmt, has_effect):
                continue
            if isinstance(stmt, gast.Assign):
                live.discard(name)
            live.update(facts.reads(stmt))
            if isinstance(stmt, gast.AugAssign):
                live.add(name)
        else:
            live.update(facts.reads(stmt))
        kept.append(stmt)
    return kept[::-1], live


def _warm_start(entries, loop, live):
    """Where the fixed point of `loop`'s entry may start: what was live at its entry when
    less was live after it (liveness only grows with what is live after), or nothing."""
    known = entries.get(id(loop))
    if known is not None and known[0] <= live:
        return set(known[1])
    return set()


def drop_stacks(function, stacks):
    """Remove every push, pop and creation of `stacks`; whether any went."""

    def uses_stack(stmt):
        value = getattr(stmt, "value", None)
        if not anno.get(stmt, "stack"):
            return False
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
            return getattr(value.func.value, "id", None) in stacks
        return nodes.assigned_name(stmt) in stacks

    return bool(stacks) and each_block(
        function, lambda block: [s for s in block if not uses_stack(s)]
        if any(map(uses_stack, block)) else block)
