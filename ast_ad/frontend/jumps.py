"""Restructuring of `return`, `break` and `continue`, before lowering.

A `return` inside a loop first becomes `result = value; returned = True; break`, with
`if returned: break` after each inner loop and `if returned: return result` after the
outermost.

Input: a block of the user's statements. Output: the same code without jumps out of the
middle of a block: the code after an `if` that may jump moves into the branch that does
not, or, where both branches jump on some paths only, runs under the flag those jumps
set; so every block runs from its first statement to its last, and no code is copied
into two branches. `lower` then turns
what remains (`continue` gone, `break` a flag, `return` an assignment to `out`) into the
trace.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes


def without_early_returns(block, claim):
    """`block`, a function's body, with each path ending in its one `return`: returns in
    loops leave them by a flag (`claim` gives its name and the result's), and the code
    after a branch that returns runs in the other branch, or under the flag (see
    `move_code_after_jumps`). The one normalisation of returns, for the differentiated
    function and for each helper inlined into it."""
    flags = Flags(claim)
    if any(isinstance(s, (gast.For, gast.While)) and has_return(s.body)
           for stmt in block for s in nodes.walk(stmt)):
        block = returns_out_of_loops(block, flags.name(gast.Return), flags.result)
    block = move_code_after_jumps(block, (gast.Return,), flags)
    if gast.Return not in flags.claimed:
        return block
    return [_assign(flags.name(gast.Return), _constant(False), block[0]),
            _assign(flags.result, _constant(None), block[0])] + block  # bound on every path


class Flags:
    """The flags that say a jump was taken, each claimed when first needed: `returned`
    (with `result`), `broke` (a loop's own, if it has one) and `skipped`."""

    _NAMES = {gast.Return: "returned", gast.Break: "broke", gast.Continue: "skipped"}

    def __init__(self, claim, broke=None):
        self.claim, self.claimed = claim, {}
        if broke is not None:
            self.claimed[gast.Break] = broke

    def name(self, kind):
        if kind not in self.claimed:
            self.claimed[kind] = self.claim(self._NAMES[kind])
            if kind is gast.Return:
                self.result = self.claim("result")
        return self.claimed[kind]

    def taken(self, jump):
        """The statements that take the place of `jump`: they set its flag."""
        flag = _assign(self.name(type(jump)), _constant(True), jump)
        if isinstance(jump, gast.Return):
            return [_assign(self.result, jump.value, jump), flag]
        return [flag]

    def guard(self, kind, where):
        """`if returned: return result` (`if broke: break`, `if skipped: continue`)."""
        jump = gast.Return(value=_load(self.result)) if kind is gast.Return else kind()
        test = _load(self.name(kind))
        return anno.copy_location(gast.If(test=test, body=[jump], orelse=[]), where)


def move_code_after_jumps(block, jumps, flags):
    """`if c: return a` then `rest` becomes `if c: return a else: rest` (likewise for
    `break` and `continue` in a loop body); code after a jump, never run, goes. An `if`
    that jumps on some paths of each branch would need `rest` in both: there its jumps
    set their `flags`, and `rest` runs under them, so that no code is copied."""
    result = []
    for i, stmt in enumerate(block):
        result.append(stmt)
        if isinstance(stmt, jumps):
            return result
        if not isinstance(stmt, gast.If) or not contains([stmt], jumps):
            continue
        stmt.body = move_code_after_jumps(stmt.body, jumps, flags)
        stmt.orelse = move_code_after_jumps(stmt.orelse, jumps, flags)
        rest = block[i + 1:]
        ends = _ends_with(stmt.body, jumps), _ends_with(stmt.orelse, jumps)
        if not rest or all(ends):
            return result  # the code after it, if any, never runs
        if any(ends):
            field = "orelse" if ends[0] else "body"
            setattr(stmt, field, move_code_after_jumps(getattr(stmt, field) + rest, jumps,
                                                       flags))
            return result
        kinds = [kind for kind in jumps if contains([stmt], (kind,))]
        _jumps_set_flags(stmt, jumps, flags)
        guards = [flags.guard(kind, stmt) for kind in kinds]
        return result + move_code_after_jumps(guards + rest, jumps, flags)
    return result


def _jumps_set_flags(stmt, jumps, flags):
    """Each of `jumps` in the branches of `stmt`, not those of its loops, sets its flag."""
    for field in ("body", "orelse"):
        rewritten = []
        for inner in getattr(stmt, field):
            if isinstance(inner, jumps):
                rewritten += flags.taken(inner)
                continue
            if isinstance(inner, gast.If):
                _jumps_set_flags(inner, jumps, flags)
            rewritten.append(inner)
        setattr(stmt, field, rewritten)


def _ends_with(block, jumps):
    """Whether every path through `block` ends in one of `jumps`."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, gast.If):
        return _ends_with(last.body, jumps) and _ends_with(last.orelse, jumps)
    return isinstance(last, jumps)


def contains(block, jumps):
    """Whether `block` holds one of `jumps`, not counting those of nested loops."""
    return any(isinstance(stmt, jumps) or (isinstance(stmt, gast.If) and (
        contains(stmt.body, jumps) or contains(stmt.orelse, jumps))) for stmt in block)


def replace_jumps(block, replacement):
    """`continue` goes (the code after it has moved) and `break` becomes `replacement`
    (setting a flag)."""
    result = []
    for stmt in block:
        if isinstance(stmt, gast.Continue):
            continue
        if isinstance(stmt, gast.Break):
            stmt = anno.copy_location(replacement(), stmt)
        elif isinstance(stmt, gast.If):
            stmt.body = replace_jumps(stmt.body, replacement) or [gast.Pass()]
            stmt.orelse = replace_jumps(stmt.orelse, replacement)
        result.append(stmt)
    return result


def returns_out_of_loops(block, flag, result, in_loop=False):
    """Each `return` inside a loop as `result = ...; flag = True; break` (see above)."""
    rewritten = []
    for stmt in block:
        if isinstance(stmt, gast.Return) and in_loop:
            rewritten += [_assign(result, stmt.value, stmt), _assign(flag, _constant(True), stmt),
                          anno.copy_location(gast.Break(), stmt)]
        elif isinstance(stmt, gast.If):
            stmt.body = returns_out_of_loops(stmt.body, flag, result, in_loop)
            stmt.orelse = returns_out_of_loops(stmt.orelse, flag, result, in_loop)
            rewritten.append(stmt)
        elif isinstance(stmt, (gast.For, gast.While)) and has_return(stmt.body):
            stmt.body = returns_out_of_loops(stmt.body, flag, result, True)
            leave = gast.Break() if in_loop else gast.Return(value=_load(result))
            test = anno.copy_location(gast.If(test=_load(flag), body=[leave], orelse=[]), stmt)
            rewritten += [stmt, anno.copy_location(test, stmt)]
        else:
            rewritten.append(stmt)
    return rewritten


def has_return(block):
    return any(isinstance(node, gast.Return) for stmt in block for node in nodes.walk(stmt))


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _constant(value):
    return gast.Constant(value=value, kind=None)


def _assign(name, value, where):
    target = gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)
    return anno.copy_location(gast.Assign(targets=[target], value=value, type_comment=None),
                              where)


def returns_assigning(tree, names, origin, call):
    """`tree`, a helper unpacked where it is called (`a, b = helper(x)`), with its one
    `return p, q`, at its end, written `names = p, q` then `return 0.0`: its values in
    `names`, which the caller reads, and a number the normalisation of returns takes as
    any other. Lowering assigns `names` once, as a result, with no versions."""
    returns = [s for s in nodes.walk(tree) if isinstance(s, gast.Return)]
    if returns != tree.body[-1:]:
        raise origin.unsupported(call, f"this call is unpacked, and `{tree.name}` returns "
                                       "other than once, at its end, which ast_ad takes for "
                                       "one value only yet; give it one `return` at its end")
    returned = tree.body[-1]
    if not (isinstance(returned.value, gast.Tuple) and len(returned.value.elts) == len(names)):
        raise origin.unsupported(call, f"this call is unpacked into {len(names)} names, and "
                                       f"`{tree.name}` returns something else than "
                                       f"{len(names)} values at line {returned.lineno}")
    target = gast.Tuple(elts=[nodes.store(n) for n in names], ctx=gast.Store())
    assign = gast.Assign(targets=[target], value=returned.value, type_comment=None)
    tree.body[-1:] = [anno.set(anno.copy_location(assign, returned), "results", True),
                      anno.copy_location(gast.Return(value=_constant(0.0)), returned)]
    return tree
