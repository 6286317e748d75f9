"""A reversed loop that runs once per call reads its stacks by iteration
(`for x in reversed(x_stack):`), as a person writes it, rather than popping them.
"""

import builtins

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.optimize.blocks import call_of


def read_stacks_by_iteration(block):
    """A reversed loop that runs once per call pops each of its stacks once per iteration,
    to the bottom: it may as well iterate over them from the top. `for x in
    reversed(x_stack):` reads as a person writes it, runs faster than a `pop` call, and
    is code ast_ad can differentiate again. A loop inside another runs once for each of
    the outer's iterations, on a part of its stacks: it keeps its pops.

    Returns whether a loop changed (a `while` loop's trip counter may then be dead).
    """
    changed = False
    for stmt in block:
        if isinstance(stmt, gast.If):
            changed |= read_stacks_by_iteration(stmt.body)
            changed |= read_stacks_by_iteration(stmt.orelse)
        elif isinstance(stmt, gast.For) and anno.get(stmt, "reversal"):
            pops = []
            while len(pops) < len(stmt.body) and _is_pop(stmt.body[len(pops)]):
                pops.append(stmt.body[len(pops)])
            if not pops:
                continue
            rest = stmt.body[len(pops):]
            targets = [pop.targets[0] for pop in pops]
            items = [call_of("reversed", pop.value.func.value) for pop in pops]
            if set(nodes.names_in(stmt.target)) & {n for s in rest for n in nodes.read_names(s)}:
                targets.insert(0, stmt.target)
                items.insert(0, stmt.iter)
            if len(items) == 1:
                stmt.target, stmt.iter = targets[0], items[0]
            else:
                stmt.target = gast.Tuple(elts=targets, ctx=gast.Store())
                stmt.iter = call_of("zip", *items)
            stmt.body = rest or [gast.Pass()]
            changed = True
    return changed


def builtins_reachable(function, names):
    """Whether the generated code reaches these builtins by their own names: the user's
    module might define a `zip` of its own."""
    scope, bindings = anno.get(function, "scope"), anno.get(function, "bindings") or {}
    taken = {n.id for n in nodes.subnodes(function)
             if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}
    return scope is not None and all(
        name not in taken and name not in bindings
        and scope.lookup(name) is getattr(builtins, name) for name in names)


def _is_pop(stmt):
    return isinstance(stmt, gast.Assign) and anno.get(stmt, "stack") and \
        isinstance(stmt.targets[0], gast.Name) and nodes.is_method_call(stmt.value) and \
        stmt.value.func.attr == "pop"


def does_something(block):
    return any(not nodes.is_comment(s) and not isinstance(s, gast.Pass) for s in block)
