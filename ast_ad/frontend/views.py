"""A loop over a view of a dict, written as a loop over its keys.

    for name, w in params.items():        for name in keys_of(params):
        total = total + np.sum(w * w)  ->      w = params[name]
                                               total = total + np.sum(w * w)

`params.values()` and `params.keys()` likewise, in comprehensions too (they are loops by
now). A view has no positions, and a dict of parameters no derivative rule for its
methods; `params[name]`, a read by a key held in a variable, is what the sweeps take
apart item by item, and `keys_of` reads none of the dict's values. A loop over a view of
a dict the function makes by a display is left to `dicts`, which knows its keys.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer
from ast_ad.runtime.containers import keys_of

_VIEWS = ("items", "values", "keys")


def views_as_keys(tree):
    """`tree`, a FunctionDef, with each loop over a view of a dict it does not make by a
    display written as a loop over its keys, in place."""
    loops = [n for n in nodes.subnodes(tree) if isinstance(n, gast.For) and _view(n.iter)]
    if not loops:
        return tree  # (most functions)
    displayed = {n.targets[0].id for n in nodes.walk(tree) if isinstance(n, gast.Assign)
                 and isinstance(n.value, gast.Dict) and isinstance(n.targets[0], gast.Name)}
    namer = Namer(nodes.names_in(tree))
    for loop in loops:
        dict_name, view = loop.iter.func.value.id, loop.iter.func.attr
        if dict_name in displayed or view == "items" and not _unpacks_a_pair(loop.target):
            continue  # (a pair held whole is refused by the sweeps where it matters)
        _as_loop_over_keys(loop, dict_name, view, namer)
    return tree


def _view(node):
    """Whether `node` is `d.items()`, `d.values()` or `d.keys()` of a name `d`."""
    return isinstance(node, gast.Call) and not node.args and not node.keywords and \
        isinstance(node.func, gast.Attribute) and node.func.attr in _VIEWS and \
        isinstance(node.func.value, gast.Name)


def _unpacks_a_pair(target):
    return isinstance(target, gast.Tuple) and len(target.elts) == 2 and \
        isinstance(target.elts[0], gast.Name)


def _as_loop_over_keys(loop, dict_name, view, namer):
    target = loop.target
    if view == "keys":
        key = target
    elif view == "items":
        key, target = target.elts
    else:
        key = nodes.store(namer.claim("key"))
    read = gast.Subscript(value=nodes.load(dict_name), slice=nodes.load(key.id),
                          ctx=gast.Load())
    loop.iter = anno.copy_location(
        gast.Call(func=nodes.bound("keys_of", keys_of), args=[nodes.load(dict_name)],
                  keywords=[]), loop.iter)
    if view != "keys":
        bind = gast.Assign(targets=[target], value=read, type_comment=None)
        loop.body.insert(0, anno.copy_location(bind, loop))
    loop.target = key
