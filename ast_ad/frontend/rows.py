"""A nested list display given to `np.array`, as rows made by `np.array`.

    R = np.array([[c, -s], [s, c]])   ->   R = np.array([np.array([c, -s]), np.array([s, c])])

The same array, of the same type: NumPy stacks rows of one length as it reads a nested
list. A display of pieces is what the sweeps take apart (`packs`), one level at a time; a
display of constants only is left as it is, a table.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.scope import MISSING

_DISPLAYS = (gast.List, gast.Tuple)


def rows_as_arrays(tree):
    """`tree`, a FunctionDef, with the rows of each nested display given to `np.array`
    made by `np.array` themselves, in place."""
    scope = anno.get(tree, "scope")
    for node in nodes.subnodes(tree):
        if isinstance(node, gast.Call) and node.args and \
                isinstance(node.args[0], _DISPLAYS) and _is_numpy_array(node.func, scope):
            node.args[0] = _rows(node.args[0], node.func)
    return tree


def _rows(display, array):
    """`display` with each item that is a display itself, not of constants alone, an
    `np.array` of its own rows in turn."""
    items = []
    for item in display.elts:
        if isinstance(item, _DISPLAYS) and not nodes.is_constant(item):
            item = anno.copy_location(gast.Call(func=anno.copy_tree(array),
                                                args=[_rows(item, array)], keywords=[]), item)
        items.append(item)
    display.elts = items
    return display


def _is_numpy_array(func, scope):
    """Whether `func`, as written, is NumPy's `array` (`np.array`), the module's name not
    being a variable of the function's own."""
    if not (isinstance(func, gast.Attribute) and func.attr == "array" and
            isinstance(func.value, gast.Name)):
        return False
    module = scope.lookup(func.value.id)
    return module is not MISSING and getattr(module, "__name__", None) == "numpy"
