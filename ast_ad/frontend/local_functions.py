"""Functions defined inside a differentiated function: a nested `def` and a named
`lambda`, inlined where they are called, as the user's module-level helpers are.

When a function is parsed, each named lambda (`g = lambda t: t * w`) becomes the `def` it
stands for. The passes before the lowering read only a function's own code
(`own_nodes`), except the leaves of containers, which a nested function may read too.
The lowering then takes each `def` at the top of a body out of it: a `pass` annotated
with the def stands in its place, so that the jumps never take the nested function's
statements for the body's own. It defines the function where the `pass` stands and
inlines each call of it (`lower._Lowerer.define`); a name it reads and does not bind is
the enclosing function's variable as it is when the call runs, as Python's closures
read it.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.scope import MISSING


def lambdas_as_defs(tree):
    """`tree` with each `name = lambda ...: e` written as `def name(...): return e`."""
    for node in gast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                block[:] = [_as_def(stmt) for stmt in block]
    return tree


def _as_def(stmt):
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Lambda)
            and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
        return stmt
    value = stmt.value
    body = anno.copy_location(gast.Return(value=value.body), value.body)
    return anno.copy_location(gast.FunctionDef(
        name=stmt.targets[0].id, args=value.args, body=[body], decorator_list=[],
        returns=None, type_comment=None, type_params=[]), stmt)


def aliases_called(tree):
    """`tree` with each local bound once to a function the module reaches (`act =
    np.tanh`), or to one of two by a test (`act = np.tanh if c else np.sin`), and only
    called, calling the function itself: `act(z)` is `np.tanh(z)`, or `np.tanh(z) if act
    else np.sin(z)` with `act = c` the test, taken where Python took it."""
    everything = list(nodes.walk(tree))  # (the functions defined in it too: they may
    stores, loads, calls = {}, {}, {}     # read the name, or bind one of their own)
    for node in everything:
        if isinstance(node, gast.Name):
            counts = loads if isinstance(node.ctx, gast.Load) else stores
            counts[node.id] = counts.get(node.id, 0) + 1
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
            calls[node.func.id] = calls.get(node.func.id, 0) + 1
    scope, aliases, dropped = anno.get(tree, "scope"), {}, set()
    for stmt in everything:
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name)):
            continue
        name, value = stmt.targets[0].id, stmt.value
        choices = [value.body, value.orelse] if isinstance(value, gast.IfExp) else [value]
        if stores.get(name) == 1 and loads.get(name, 0) == calls.get(name, 0) > 0 and \
                all(_is_function(static_value(c, scope, stores)) for c in choices):
            aliases[name] = choices
            if len(choices) > 1:
                stmt.value = value.test
            else:
                dropped.add(id(stmt))
    if not aliases:
        return tree  # (most functions)
    _CallsOfAliases(aliases).visit(tree)
    for _, _, block in list(nodes.blocks(tree)):
        block[:] = [s for s in block if id(s) not in dropped] or [gast.Pass()]
    return tree


class _CallsOfAliases(gast.NodeTransformer):
    def __init__(self, aliases):
        self.aliases = aliases

    def visit_Call(self, node):
        self.generic_visit(node)
        choices = self.aliases.get(getattr(node.func, "id", None))
        if choices is None:
            return node
        made = [anno.copy_location(gast.Call(func=anno.copy_tree(c), args=anno.copy_tree(
            node.args), keywords=anno.copy_tree(node.keywords)), node) for c in choices]
        if len(made) == 1:
            return made[0]
        return anno.copy_location(gast.IfExp(test=nodes.load(node.func.id), body=made[0],
                                             orelse=made[1]), node)


def static_value(node, scope, stores):
    """The object a name (not a variable of the function's own) or an attribute of one
    refers to, or MISSING."""
    if isinstance(node, gast.Attribute):
        owner = static_value(node.value, scope, stores)
        return MISSING if owner is MISSING else getattr(owner, node.attr, MISSING)
    if isinstance(node, gast.Name) and node.id not in stores:
        return scope.lookup(node.id)
    return MISSING


def _is_function(value):
    return value is not MISSING and callable(value) and not isinstance(value, type)


def is_local_def(stmt):
    """Whether `stmt`, at the top of a function's body, defines a function it may call."""
    return isinstance(stmt, gast.FunctionDef) and not stmt.decorator_list


def taken_out(tree):
    """`tree` with each def at the top of its body replaced by a `pass` that holds it (see
    `defined`); the defs share `tree`'s origin and scope."""
    body = []
    for stmt in tree.body:
        if is_local_def(stmt):
            for key in ("origin", "scope"):
                anno.set(stmt, key, anno.get(tree, key))
            anno.set(stmt, "code", anno.get(stmt, "code") or stmt)  # tells a recursive call
            stmt = anno.set(anno.copy_location(gast.Pass(), stmt), "defines", stmt)
        body.append(stmt)
    tree.body = body
    return tree


def defined(stmt):
    """The function the statement `stmt` defines, if it is a def's `pass`, else None."""
    return anno.get(stmt, "defines") if type(stmt) is gast.Pass else None


def own_nodes(tree):
    """The nodes of a function's own code: not those of the functions defined in it (a
    def or a `pass` that holds one stands for its name alone)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if node is tree or not isinstance(node, gast.FunctionDef):
            todo.extend(gast.iter_child_nodes(node))


def free_names(tree):
    """The names a function reads and does not bind, and those of the functions defined in
    it, which read theirs through it."""
    read, bound = set(), set()
    for node in own_nodes(tree):
        inner = defined(node) or (node if isinstance(node, gast.FunctionDef) else None)
        if inner is not None and inner is not tree:
            bound.add(inner.name)
            read |= free_names(inner)
        elif isinstance(node, gast.Name):
            (read if isinstance(node.ctx, gast.Load) else bound).add(node.id)
    return read - bound
