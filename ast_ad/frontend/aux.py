"""`has_aux=True`: the function returns `value, aux`, as with `jax.grad`. Each such
`return` becomes `slot.keep(aux)`, a call with effects that runs once in the primal
sweep, then `return value`; the derivative returns `slot.take()` beside its result.

A tuple or a dict display of aux values (with constant keys) is kept as the tuple or
dict Python makes; any other expression as its value.
"""

import types

import gast

from ast_ad.frontend.local_functions import own_nodes
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer
from ast_ad.runtime.aux import AuxSlot


def with_aux(tree):
    """`tree` with each `return value, aux` split, and the name of the slot it keeps aux in
    (a free name of the function, held by its scope)."""
    origin, scope = anno.get(tree, "origin"), anno.get(tree, "scope")
    slot = Namer(nodes.names_in(tree) | set(scope.cells) | set(scope.globals)).claim("aux")
    scope.cells[slot] = types.CellType(AuxSlot())
    found = []
    for node in own_nodes(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(isinstance(s, gast.Return) for s in block):
                setattr(node, field, [part for stmt in block
                                      for part in _split(stmt, slot, origin, found)])
    if not found:
        raise origin.unsupported(tree, "with has_aux=True the function returns `value, aux`; "
                                       "this one has no `return`")
    return tree, slot


def _split(stmt, slot, origin, found):
    if not isinstance(stmt, gast.Return):
        return [stmt]
    pair = stmt.value
    if not (isinstance(pair, gast.Tuple) and len(pair.elts) == 2):
        raise origin.unsupported(stmt, "with has_aux=True each `return` gives `value, aux`, "
                                       "written as a pair (`return loss, {\"acc\": acc}`)")
    found.append(stmt)
    value, aux = pair.elts
    if isinstance(aux, gast.Tuple):
        method, args = "keep_tuple", aux.elts
    elif isinstance(aux, gast.Dict) and all(isinstance(k, gast.Constant) for k in aux.keys):
        keys = gast.Tuple(elts=aux.keys, ctx=gast.Load())
        method, args = "keep_dict", [keys] + aux.values
    else:
        method, args = "keep", [aux]
    keep = gast.Expr(value=nodes.method_call(slot, method, *args))
    return [anno.copy_location(keep, stmt),
            anno.copy_location(gast.Return(value=value), stmt)]


def returning_aux(function, slot):
    """`function`, a derivative, returning `(its result, slot.take())`."""
    returned = function.body[-1]
    returned.value = nodes.tuple_of([returned.value, nodes.method_call(slot, "take")])
    return function
