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


def copy_tree(node, without=(), replace=None):
    """A deep copy of the nodes that shares annotation values (modules cannot be copied);
    the fields named in `without` are left empty (a loop's body its copy replaces), and a
    node for which `replace` gives a node is that node instead (a template's names).

    Each node is made empty and given its fields (None for a missing one), its position
    and a copy of its annotations, as its class's constructor would: the passes copy
    whole loop nests, and the constructor's keywords cost more than the copy itself.
    """
    if isinstance(node, list):
        return [copy_tree(item, (), replace) for item in node]
    if not isinstance(node, gast.AST):
        return node
    if replace is not None:
        new = replace(node)
        if new is not None:
            return new
    kind = type(node)
    fields, defaults = _SHAPES.get(kind) or _shape(kind)
    new = kind.__new__(kind)
    old, state = node.__dict__, new.__dict__
    for field in fields:
        value = old[field] if field in old else getattr(node, field, None)
        if field in without:
            state[field] = None
        elif isinstance(value, list):
            state[field] = [copy_tree(item, (), replace) for item in value]
        elif isinstance(value, gast.AST):
            state[field] = copy_tree(value, (), replace)
        else:
            state[field] = value
    for attribute, default in defaults:
        if attribute in old:
            state[attribute] = old[attribute]
        elif default is not _MISSING:
            state[attribute] = default
    if _KEY in old:
        state[_KEY] = dict(old[_KEY])
    return new


_SHAPES = {}  # node class -> what `_shape` gives
_MISSING = object()


def _shape(kind):
    """The fields of nodes of class `kind`, and its position attributes with the value
    the class gives one a node lacks (`end_lineno` is None), if any."""
    _SHAPES[kind] = (kind._fields, tuple((a, getattr(kind, a, _MISSING))
                                         for a in kind._attributes))
    return _SHAPES[kind]


_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def copy_location(new, old):
    """Line and column of `old` on `new` and every node under it that lacks them.

    A node under `new` that has a line has them under it too (it was parsed, or given
    them by this): a loop made around a nest of loops is not walked again to its depth.
    """
    position = [(a, getattr(old, a)) for a in _POSITION if getattr(old, a, None) is not None]
    if not position:
        return new
    todo = [new]
    while todo:  # every node gast.walk meets, in another order
        node = todo.pop()
        state = node.__dict__
        if node is not new and state.get("lineno") is not None:
            continue
        for attribute, value in position:
            if state.get(attribute) is None:
                state[attribute] = value
        for value in state.values():
            if type(value) is list:
                todo.extend(item for item in value if isinstance(item, gast.AST))
            elif isinstance(value, gast.AST):
                todo.append(value)
    return new
