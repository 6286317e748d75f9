"""Facts the passes attach to nodes, and the copying that keeps them.

Passes talk through the tree; what the tree cannot say (the object a call resolves to,
the scope a function's names live in, a comment to print) travels as an annotation.
"""

import gast

_KEY = "_ast_ad"


def get(node, key, default=None):
    return getattr(node, _KEY, {}).get(key, default)


def set(node, key, value):  # noqa: A001 - mirrors get()
    if not hasattr(node, _KEY):
        setattr(node, _KEY, {})
    getattr(node, _KEY)[key] = value
    return node


def copy_tree(node):
    """A deep copy of the nodes that shares annotation values (modules cannot be copied).

    Each node is made empty and given its fields (None for a missing one), its position
    and a copy of its annotations, as its class's constructor would: the passes copy
    whole loop nests, and the constructor's keywords cost more than the copy itself.
    """
    if isinstance(node, list):
        return [copy_tree(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = type(node)
    new = kind.__new__(kind)
    state = new.__dict__
    for field in kind._fields:
        value = getattr(node, field, None)
        state[field] = copy_tree(value) if isinstance(value, (list, gast.AST)) else value
    for attribute in kind._attributes:
        if hasattr(node, attribute):
            state[attribute] = getattr(node, attribute)
    if hasattr(node, _KEY):
        state[_KEY] = dict(getattr(node, _KEY))
    return new


def copy_location(new, old):
    """Line and column of `old` on `new` and every node under it that lacks them."""
    for child in gast.walk(new):
        for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if getattr(child, attribute, None) is None and hasattr(old, attribute):
                setattr(child, attribute, getattr(old, attribute))
    return new
