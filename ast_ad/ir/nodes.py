"""Small constructors for the gast nodes the passes build, and tests on them."""

import collections

import gast

from ast_ad.ir import annotations as anno


def load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def store(name):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def constant(value):
    return gast.Constant(value=value, kind=None)


def is_constant(node):
    """A constant as the source writes one: a number, signed or not (`-1.0`), a string, or
    a tuple of constants, nested or not (`((1.0, 2.0), (3.0, 4.0))`)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return isinstance(node.operand, gast.Constant) and \
            type(node.operand.value) in (int, float)
    if isinstance(node, gast.Tuple):
        return not isinstance(node.ctx, gast.Store) and all(map(is_constant, node.elts))
    return isinstance(node, gast.Constant) and not isinstance(node.value, (list, dict))


def constant_value(node):
    """The value of a constant `is_constant` finds, or of a dict display of them."""
    if isinstance(node, gast.UnaryOp):
        value = constant_value(node.operand)
        return -value if isinstance(node.op, gast.USub) else value
    if isinstance(node, gast.Tuple):
        return tuple(constant_value(e) for e in node.elts)
    if isinstance(node, gast.Dict):
        return {constant_value(k): constant_value(v) for k, v in zip(node.keys, node.values)}
    return node.value


def assign(target, value):
    return gast.Assign(targets=[store(target)], value=value, type_comment=None)


def add_assign(target, value):
    return gast.AugAssign(target=store(target), op=gast.Add(), value=value)


def tuple_of(elements):
    return gast.Tuple(elts=elements, ctx=gast.Load())


def bound(name, value):
    """`name`, standing for `value`: bound where the generated code cannot reach it."""
    return anno.set(load(name), "bind", value)


def method_call(name, method, *args):
    """`name.method(args)`, as a stack's `append` and `pop`."""
    function = gast.Attribute(value=load(name), attr=method, ctx=gast.Load())
    return gast.Call(func=function, args=list(args), keywords=[])


def is_static(node):
    """Whether `node` names something outside the function (`math.cos`, `np.linalg.norm`)."""
    if anno.get(node, "static") is not None or anno.get(node, "bind") is not None:
        return True
    return isinstance(node, gast.Attribute) and is_static(node.value)


def is_method_call(node):
    """Whether `node` is a call of a method of a local value (a list's `pop`)."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        not is_static(node.func)


def comment(text):
    """A statement that prints as `# text` (a blank line for ""; `text` may be an object
    whose `str` is the text), and compiles to nothing."""
    marker = gast.Expr(value=constant(None))
    return anno.set(marker, "comment", text)


def is_comment(stmt):
    return anno.get(stmt, "comment") is not None


def index_value(index):
    """An index as a value: `1:` becomes `slice(1, None, None)`."""
    import builtins

    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_value(e) for e in index.elts], ctx=gast.Load())
    if not isinstance(index, gast.Slice):
        return anno.copy_tree(index)
    parts = [constant(None) if p is None else anno.copy_tree(p)
             for p in (index.lower, index.upper, index.step)]
    return gast.Call(func=bound("slice", builtins.slice), args=parts, keywords=[])


def is_atom(node):
    """Names and constants: the operands of a three-address statement."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    return anno.get(node, "static") is not None


class Substitute(gast.NodeTransformer):
    """Each read of a name in `values` becomes a copy of the node it maps to."""

    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.values:
            return anno.copy_location(anno.copy_tree(self.values[node.id]), node)
        return node


def blocks(tree):
    """`(node, field, statements)` for each block of `tree`: a body, or an `else`."""
    for node in walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                yield node, field, block


def assigned_once(tree):
    """The names exactly one statement of `tree` assigns."""
    counts = collections.Counter(assigned_name(s) for s in walk(tree)
                                 if isinstance(s, gast.stmt))
    return {name for name, count in counts.items() if name and count == 1}


def assigned_name(stmt):
    """The name a statement assigns, or None (an element assignment changes a list)."""
    if isinstance(stmt, gast.Assign):
        return getattr(stmt.targets[0], "id", None)
    if isinstance(stmt, gast.AugAssign):
        return getattr(stmt.target, "id", None)
    return None


def loaded_names(node):
    return [n.id for n in walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]


# Quicker forms of the walks above, for the passes that ask them of every statement on
# every round: gast.walk visits in breadth-first order through `iter_fields`, which these
# need not, and a field that never holds a node (a name's `id`) is not looked at.

_NEVER_NODES = {"id", "attr", "kind", "type_comment", "is_async", "level", "module",
                "conversion"}
_FIELDS = {}


def _fields(kind):
    """The fields of nodes of class `kind` that may hold nodes."""
    try:
        return _FIELDS[kind]
    except KeyError:
        fields = tuple(f for f in kind._fields if f not in _NEVER_NODES and
                       not (kind is gast.Constant and f == "value"))
        _FIELDS[kind] = fields
        return fields


def child_fields(kind):
    """The fields of nodes of class `kind` that may hold nodes."""
    fields = _FIELDS.get(kind)
    return _fields(kind) if fields is None else fields


def parents(tree):
    """The id of each node under `tree` -> the node that holds it."""
    found = {}
    for parent in walk(tree):
        for field in child_fields(type(parent)):
            value = getattr(parent, field, None)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, gast.AST):
                    found[id(child)] = parent
    return found


def subnodes(node):
    """`node` and every node under it, in no particular order."""
    found, stack = [], [node]
    push, pop, AST = stack.append, stack.pop, gast.AST
    while stack:
        node = pop()
        found.append(node)
        kind = type(node)
        fields = _FIELDS.get(kind)
        for field in _fields(kind) if fields is None else fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return found


def walk(node):
    """`gast.walk`, quicker: every node under `node`, breadth first, in the same order."""
    queue = collections.deque([node])
    popleft, append, AST = queue.popleft, queue.append, gast.AST
    while queue:
        node = popleft()
        kind = type(node)
        fields = _FIELDS.get(kind)
        for field in _fields(kind) if fields is None else fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        append(item)
            elif isinstance(value, AST):
                append(value)
        yield node


def read_names(node):
    """The names `node` reads, one entry a read, as `loaded_names` but in no order."""
    return [n.id for n in subnodes(node)
            if type(n) is gast.Name and type(n.ctx) is gast.Load]


def names_in(node):
    """The set of names in `node`."""
    return {n.id for n in subnodes(node) if type(n) is gast.Name}


def calls_a_method(node):
    """Whether `node` calls a method of a local value anywhere (a list's `pop`)."""
    return node is not None and any(type(n) is gast.Call and is_method_call(n)
                                    for n in subnodes(node))


def changes_a_value(stmt):
    """Statements that change a list or an array: a method call, an element write, a `del`."""
    if is_comment(stmt):
        return False
    return isinstance(stmt, (gast.Expr, gast.Delete)) or \
        calls_a_method(getattr(stmt, "value", None)) or \
        (isinstance(stmt, gast.AugAssign) and not isinstance(stmt.target, gast.Name))


# Statements that hold no block, and so no other statement.
SIMPLE_STATEMENTS = frozenset(kind for kind in vars(gast).values() if isinstance(kind, type)
                              and issubclass(kind, gast.stmt) and "body" not in kind._fields
                              and "cases" not in kind._fields)


def statement_blocks(tree):
    """`blocks`, quicker: the same blocks in the same order, looking at statements only
    (a block lies only under a statement, or under an `except` clause)."""
    todo = collections.deque([tree])
    while todo:
        node = todo.popleft()
        for field in _fields(type(node)):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and \
                    isinstance(value[0], (gast.stmt, gast.excepthandler)):
                todo.extend(s for s in value if type(s) not in SIMPLE_STATEMENTS)
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                yield node, field, block
