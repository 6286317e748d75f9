"""A dict the function makes by a display and reads by constant keys, as one name a key.

    d = {"a": x * y, "b": x + y}          d_a = x * y
    d["b"] = d["b"] * 2.0          ->     d_b = x + y
    s = sum(v * x for v in d.values())    d_b = d_b * 2.0
                                          ... for v in [d_a, d_b]: ...

A key's value is then a name like any other, which the rest of the pipeline
differentiates: `d[k]` reads `d_k`, `d[k] = v` and `d[k] += v` assign it, `d.get(k)`
reads it, `d.values()` is the list of the names in the display's order, `d.keys()` and
iterating `d` the list of the keys, `d.items()` the two zipped, `len(d)` and `k in d`
constants. A dict read otherwise (whole, by a key that is not a constant or not in
the display) is left as it is, for the check to refuse with what to write instead;
but a dict of constants only read is a constant, a table like one the module holds.

A list display written into by constant indices (`xs = [a, b]`, then `xs[0] = v`),
which the trace's lists do not take, is taken apart so too, where it is read only by
constant indices and whole (`sum(xs)`, `for v in xs`, `np.array(xs)`): there it is the
list of its names then.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer

_KEYS = (str, int)


def dicts_as_names(tree):
    """`tree`, a FunctionDef, with each dict it may take apart so, in place; a dict of
    dicts is taken apart at each depth; and each list display written into by constant
    indices (`xs[0] = v`), likewise."""
    if not any(type(n) in (gast.Dict, gast.List) for n in nodes.subnodes(tree)):
        return tree  # (most functions)
    _lists_as_names(tree)
    _tables_as_constants(tree)
    while True:
        made = _displays(tree)
        if not made:
            return tree
        parents = nodes.parents(tree)
        namer = None
        for name, (display, keys) in made.items():
            if not _read_by_keys_only(tree, name, display, keys, parents):
                continue
            namer = namer or Namer(nodes.names_in(tree))
            names = {key: namer.claim(_name_of(name, key)) for key in keys}
            _take_apart(tree, name, display, names, parents)
            break  # the tree changed: find what is left again
        else:
            return tree


def _tables_as_constants(tree):
    """Each name assigned only the one dict display of constants, and only read: a table
    of constants, as the module's would be (a derivative assigns it again where it runs
    an iteration again)."""
    assignments, stored = {}, {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            stored[node.id] = stored.get(node.id, 0) + 1
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and isinstance(node.value, gast.Dict):
            assignments.setdefault(node.targets[0].id, []).append(node)
    parents = None
    parameters = {a.id for a in _parameters(tree)}
    for name, displays in assignments.items():
        if not all(_constant(d.value) for d in displays):
            continue
        if len(displays) != stored[name] or name in parameters:
            # Another value at times (`if opts is None: opts = {}`): each display made a
            # constant, read as the dict it is (a new one a call, as Python makes it).
            parents = parents or nodes.parents(tree)
            if _only_read(tree, name, displays, parents):
                for display in displays:
                    display.value = anno.copy_location(
                        nodes.constant(nodes.constant_value(display.value)), display.value)
            continue
        table = nodes.constant_value(displays[0].value)
        if any(nodes.constant_value(d.value) != table for d in displays) or \
                not all(type(key) in _KEYS for key in table):
            continue
        parents = parents or nodes.parents(tree)
        if not _only_read(tree, name, displays, parents):
            continue
        for display in displays:
            display.value = anno.copy_location(nodes.constant(table), display.value)
        _substitute(tree, _replacements(tree, name, parents, list(table),
                                        lambda key, ctx: nodes.constant(table[key])))


def _displays(tree):
    """name -> (its statement, its keys in order) for each name assigned once, by a dict
    display of distinct constant keys."""
    assigned, made = {}, {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            assigned[node.id] = assigned.get(node.id, 0) + 1
        if isinstance(node, (gast.Assign, gast.AnnAssign)) and isinstance(node.value, gast.Dict):
            target = node.targets[0] if isinstance(node, gast.Assign) else node.target
            if isinstance(node, gast.Assign) and len(node.targets) != 1 or \
                    not isinstance(target, gast.Name):
                continue
            keys = [k.value if isinstance(k, gast.Constant) else None for k in node.value.keys]
            if all(type(k) in _KEYS for k in keys) and len(set(keys)) == len(keys):
                made[target.id] = (node, keys)
    return {name: found for name, found in made.items() if assigned[name] == 1 and
            name not in {a.id for a in _parameters(tree)}}


def _parameters(tree):
    arguments = tree.args
    return arguments.posonlyargs + arguments.args + arguments.kwonlyargs


def _read_by_keys_only(tree, name, display, keys, parents):
    """Whether every use of `name` but its display is one `_replacement` rewrites."""
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and node.id == name and node is not \
                (display.targets[0] if isinstance(display, gast.Assign) else display.target):
            if _replacement(node, parents, keys) is None:
                return False
    return True


def _constant(node):
    """A constant, a tuple of them or a dict display of them, nested or not."""
    if isinstance(node, gast.Tuple):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, gast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and \
            all(_constant(v) for v in node.values)
    return nodes.is_constant(node)


def _only_read(tree, name, displays, parents):
    """Whether `name` is only read: by any key, `.get`, `.values()`, `.items()`, `.keys()`,
    iterated, measured, asked `in` or whether it is None; never written into, nor given to
    a function."""
    targets = [display.targets[0] for display in displays]
    for node in nodes.walk(tree):
        if not (isinstance(node, gast.Name) and node.id == name) or \
                any(node is target for target in targets) or \
                isinstance(node.ctx, (gast.Param, gast.Store)):  # (bound to another value)
            continue
        parent = parents.get(id(node))
        grand = parents.get(id(parent))
        if isinstance(parent, gast.Subscript) and parent.value is node and \
                isinstance(parent.ctx, gast.Load):
            continue
        if isinstance(parent, gast.Attribute) and parent.value is node and \
                parent.attr in ("get", "keys", "values", "items") and \
                isinstance(grand, gast.Call) and grand.func is parent:
            continue
        if _replacement(node, parents, []) is None and not (
                isinstance(parent, gast.Compare) and (node in parent.comparators or
                                                      _tested_for_none(parent))):
            return False
    return True


def _tested_for_none(compare):
    """`d is None`, `d is not None`."""
    return len(compare.ops) == 1 and isinstance(compare.ops[0], (gast.Is, gast.IsNot)) and \
        isinstance(compare.comparators[0], gast.Constant) and compare.comparators[0].value is None


def _replacement(node, parents, keys, value_of=None):
    """(the node a use of the dict stands in, what takes its place), or None if the use
    is not one of those this module rewrites; `value_of(key, ctx)` is the node for a
    key's value (a name; a constant, for a table); left out when only asking."""
    parent = parents.get(id(node))
    grand = parents.get(id(parent))
    name_of = value_of or (lambda key, ctx: nodes.constant(None))

    if isinstance(parent, gast.Subscript) and parent.value is node:
        key = parent.slice.value if isinstance(parent.slice, gast.Constant) else None
        if type(key) in _KEYS and key in keys:
            return parent, name_of(key, parent.ctx)
        return None
    if isinstance(parent, gast.Attribute) and parent.value is node and \
            isinstance(grand, gast.Call) and grand.func is parent and not grand.keywords:
        method, args = parent.attr, grand.args
        if method == "get" and 1 <= len(args) <= 2 and isinstance(args[0], gast.Constant) \
                and type(args[0].value) in _KEYS and args[0].value in keys:
            return grand, name_of(args[0].value, gast.Load())
        if args:
            return None
        if method == "values":
            return grand, _list([name_of(key, gast.Load()) for key in keys])
        if method == "keys":
            return grand, _list([nodes.constant(key) for key in keys])
        if method == "items":
            return grand, gast.Call(func=nodes.bound("zip", zip), args=[
                _list([nodes.constant(key) for key in keys]),
                _list([name_of(key, gast.Load()) for key in keys])], keywords=[])
        return None
    if isinstance(parent, gast.For) and parent.iter is node:
        return node, _list([nodes.constant(key) for key in keys])
    if isinstance(parent, gast.Call) and parent.args == [node] and not parent.keywords and \
            isinstance(parent.func, gast.Name) and parent.func.id == "len":
        return parent, nodes.constant(len(keys))
    if isinstance(parent, gast.Compare) and parent.comparators == [node] and \
            isinstance(parent.ops[0], (gast.In, gast.NotIn)) and \
            isinstance(parent.left, gast.Constant):
        found = parent.left.value in keys
        return parent, nodes.constant(found if isinstance(parent.ops[0], gast.In) else not found)
    return None


def _list(items):
    return gast.List(elts=items, ctx=gast.Load())


def _take_apart(tree, name, display, names, parents):
    """The display becomes one assignment a key; each use, its replacement."""
    _substitute(tree, _replacements(
        tree, name, parents, list(names),
        lambda key, ctx: gast.Name(id=names[key], ctx=ctx, annotation=None, type_comment=None)))
    _replace_statement(tree, display, [
        anno.copy_location(nodes.assign(names[key], value), display)
        for key, value in zip(names, display.value.values)])


def _replacements(tree, name, parents, keys, value_of):
    """id of each node a use of the dict `name` stands in -> what takes its place."""
    replaced = {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and node.id == name and isinstance(node.ctx, gast.Load):
            found = _replacement(node, parents, keys, value_of)
            if found is not None:
                replaced[id(found[0])] = anno.copy_location(found[1], found[0])
    return replaced


def _substitute(tree, replaced):
    for node in nodes.walk(tree):
        for field in nodes.child_fields(type(node)):
            value = getattr(node, field, None)
            if isinstance(value, list):
                value[:] = [replaced.get(id(item), item) for item in value]
            elif id(value) in replaced:
                setattr(node, field, replaced[id(value)])


def _name_of(name, key):
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in str(key))
    return f"{name}_{text}"


_READ_WHOLE_BY = ("sum", "len", "max", "min", "enumerate", "reversed", "zip", "list", "tuple")
_NUMPY_MAKERS = ("array", "asarray", "stack", "hstack", "vstack", "concatenate")


def _lists_as_names(tree):
    parents = None
    for name, (display, length) in _lists(tree).items():
        parents = parents or nodes.parents(tree)
        uses = _list_uses(tree, name, display, length, parents)
        if uses is None or not any(kind == "write" for kind, _, _ in uses):
            continue
        names = [Namer(nodes.names_in(tree)).claim(f"{name}_{k}") for k in range(length)]
        replaced = {}
        for kind, node, k in uses:
            if kind == "whole":
                new = _list([nodes.load(n) for n in names])
            else:
                new = gast.Name(id=names[k], ctx=node.ctx, annotation=None, type_comment=None)
            replaced[id(node)] = anno.copy_location(new, node)
        _substitute(tree, replaced)
        _replace_statement(tree, display, [
            anno.copy_location(nodes.assign(n, value), display)
            for n, value in zip(names, display.value.elts)])
        parents = None  # the tree changed


def _lists(tree):
    """name -> (its statement, its length) for each name assigned once, by a list display
    of values (not starred)."""
    assigned, made = {}, {}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            assigned[node.id] = assigned.get(node.id, 0) + 1
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and isinstance(node.value, gast.List) \
                and node.value.elts and \
                not any(isinstance(e, gast.Starred) for e in node.value.elts):
            made[node.targets[0].id] = (node, len(node.value.elts))
    parameters = {a.id for a in _parameters(tree)}
    return {name: found for name, found in made.items()
            if assigned[name] == 1 and name not in parameters}


def _list_uses(tree, name, display, length, parents):
    """(kind, the node that stands for the use, the index) for each use of the list
    `name`: `read` and `write` by a constant index, `whole` where a builtin or NumPy
    reads it whole; None if any use is another."""
    uses = []
    for node in nodes.walk(tree):
        if not (isinstance(node, gast.Name) and node.id == name) or node is display.targets[0]:
            continue
        parent = parents.get(id(node))
        if isinstance(parent, gast.Subscript) and parent.value is node:
            index = nodes.constant_value(parent.slice) if _constant(parent.slice) else None
            if type(index) is not int or not -length <= index < length:
                return None
            kind = "read" if isinstance(parent.ctx, gast.Load) else "write"
            uses.append((kind, parent, index % length))
        elif isinstance(parent, gast.For) and parent.iter is node or \
                isinstance(parent, gast.Call) and node in parent.args and _reads_whole(parent):
            uses.append(("whole", node, None))
        else:
            return None
    return uses


def _reads_whole(call):
    """Whether `call` reads a list it is given without changing or keeping it."""
    func = call.func
    if isinstance(func, gast.Name):
        return func.id in _READ_WHOLE_BY
    return isinstance(func, gast.Attribute) and func.attr in _NUMPY_MAKERS and \
        isinstance(func.value, gast.Name) and func.value.id in ("np", "numpy")


def _replace_statement(tree, old, statements):
    for node in nodes.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(stmt is old for stmt in block):
                k = next(k for k, stmt in enumerate(block) if stmt is old)
                block[k:k + 1] = statements
                return
