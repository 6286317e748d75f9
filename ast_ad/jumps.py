"""Restructuring of `return`, `break` and `continue`, before lowering.

A `return` inside a loop first becomes `result = value; returned = True; break`, with
`if returned: break` after each inner loop and `if returned: return result` after the
outermost.

Input: a block of the user's statements. Output: the same code without jumps out of the
middle of a block: the code after an `if` that may jump moves into the branch that does
not, so that every block runs from its first statement to its last. `lower` then turns
what remains (`continue` gone, `break` a flag, `return` an assignment to `out`) into the
trace.
"""

import gast

from ast_ad import annotations as anno
from ast_ad import nodes


def without_early_returns(block, claim):
    """`block`, a function's body, with each path ending in its one `return`: returns in
    loops leave them by a flag (`claim` gives its name and the result's), and the code
    after a branch that returns moves into the other branch. The one normalisation of
    returns, for the differentiated function and for each helper inlined into it."""
    if any(isinstance(s, (gast.For, gast.While)) and has_return(s.body)
           for stmt in block for s in nodes.walk(stmt)):
        flag, result = claim("returned"), claim("result")
        start = [_assign(flag, _constant(False), block[0]),
                 _assign(result, _constant(None), block[0])]  # bound on every path
        block = start + returns_out_of_loops(block, flag, result)
    return move_code_after_jumps(block)


def move_code_after_jumps(block, jumps=(gast.Return,)):
    """`if c: return a` then `rest` becomes `if c: return a else: rest` (likewise for
    `break` and `continue` in a loop body); code after a jump, never run, goes."""
    result = []
    for i, stmt in enumerate(block):
        if isinstance(stmt, gast.If):
            rest = block[i + 1:]
            if rest and (contains(stmt.body, jumps) or contains(stmt.orelse, jumps)):
                if not _ends_with(stmt.body, jumps):
                    stmt.body = stmt.body + rest
                if not _ends_with(stmt.orelse, jumps):
                    stmt.orelse = stmt.orelse + rest
                rest = []
            stmt.body = move_code_after_jumps(stmt.body, jumps)
            stmt.orelse = move_code_after_jumps(stmt.orelse, jumps)
            result.append(stmt)
            if not rest:
                return result
        else:
            result.append(stmt)
            if isinstance(stmt, jumps):
                return result
    return result


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
    """`continue` becomes `pass` and `break` becomes `replacement` (setting a flag)."""
    result = []
    for stmt in block:
        if isinstance(stmt, gast.Continue):
            stmt = gast.Pass()
        elif isinstance(stmt, gast.Break):
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
