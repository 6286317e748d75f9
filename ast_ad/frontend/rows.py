"""A nested list display given to `np.array`, as rows made by `np.array`.

    R = np.array([[c, -s], [s, c]])   ->   R = np.array([np.array([c, -s]), np.array([s, c])])

The same array, of the same type: NumPy stacks rows of one length as it reads a nested
list. A display of pieces is what the sweeps take apart (`packs`), one level at a time; a
tuple of constants is left as it is, a constant.
"""

import sys

import gast

from ast_ad.frontend.local_functions import static_value
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

_DISPLAYS = (gast.List, gast.Tuple)


def rows_as_arrays(tree):
    """`tree`, a FunctionDef, with the rows of each nested display given to `np.array`
    made by `np.array` themselves, in place."""
    numpy = sys.modules.get("numpy")  # (imported already, if the code names it)
    everything = nodes.subnodes(tree)
    calls = [n for n in everything if isinstance(n, gast.Call) and n.args and
             isinstance(n.args[0], _DISPLAYS) and
             any(isinstance(item, _DISPLAYS) for item in n.args[0].elts)]
    if numpy is None or not calls:
        return tree  # (most functions)
    scope = anno.get(tree, "scope")
    assigned = {n.id for n in everything if isinstance(n, gast.Name)
                and not isinstance(n.ctx, gast.Load)}
    for call in calls:
        if static_value(call.func, scope, assigned) is numpy.array:
            call.args[0] = _rows(call.args[0], call.func)
    return tree


def _rows(display, array):
    """`display` with each item that is a display itself, but a tuple of constants, an
    `np.array` of its own rows in turn."""
    items = []
    for item in display.elts:
        if isinstance(item, _DISPLAYS) and not nodes.is_constant(item):
            item = anno.copy_location(gast.Call(func=anno.copy_tree(array),
                                                args=[_rows(item, array)], keywords=[]), item)
        items.append(item)
    display.elts = items
    return display
