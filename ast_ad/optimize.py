"""Clean-up of generated code, run to a fixed point.

Input and output: a FunctionDef in the form the sweeps write: assignments, `+=`,
comments, `if`, `for` and `while` blocks, and a final return. Passes:

- constant folding with the identities `1 * x`, `-1 * x`, `x / 1`, `x + 0`, `x - 0`,
  `x ** 1`, `-(-x)`, `a + -b`;
- copy propagation of `a = b` where `a` is assigned once and `b` cannot change, and
  within one block where every use of `a` follows before `b` changes; `t = e` then
  `x = t` becomes `x = e` when `t` is used nowhere else;
- fusion of an adjoint's few contributions into one sum (`x_bar = a` ... `x_bar += b`
  becomes `x_bar = a + b` where the second stood);
- dead-code elimination, by liveness through branches and loops (a stack's `pop` and
  any call made as a statement are kept for their effect);
- inlining of a temporary (`v3`, `v3_bar`) read once, by a later statement of its
  block or a loop's header, back into it, unless it is one of our helpers' shape
  arguments; and of an adjoint taken back through a product, read once by a later
  line of arithmetic (`matmul_adjoint_left(g, H, W2) * (1.0 - H * H)`);
- a reversed loop that runs once per call reads its stacks by iteration,
  `for x in reversed(x_stack):`, rather than popping them, and the passes run again;
- signs moved where IEEE arithmetic gives the same bits: a negated temporary read once
  gives its sign to the sum, negation or number factor above it (`a + f(-e)` is
  `a - f(e)` through products, quotients and `unbroadcast`), and `-a - 2 * b` is
  `-2 * b - a`;
- removal of comments left quoting nothing; comments quoting a statement that reads
  an inlined temporary write it out.

Values are unchanged: nothing is folded that could differ in the last bit, and
`0 * x` is kept (x may be inf or nan).
"""

import builtins
import copy
import operator

import gast

from ast_ad import annotations as anno
from ast_ad import effects, naming, nodes
from ast_ad.codegen import to_source

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}
_COMPOUND = (gast.If, gast.For, gast.While)
_MOST_FUSED = 4  # contributions; a longer sum reads better as `+=` lines
_PRODUCT_ADJOINTS = ("matmul_adjoint_left", "matmul_adjoint_right", "dot_adjoint_left",
                     "dot_adjoint_right")
_LONGEST_FUSED = 90  # characters of a fused statement, to keep lines under 100


def optimize(function):
    """A cleaned copy of `function`."""
    function = anno.copy_tree(function)
    user_names = anno.get(function, "user_names") or set()
    temporaries = {n for n in nodes.all_names(function) if naming.is_temporary(n, user_names)} | \
        {s.targets[0].id for s in gast.walk(function) if isinstance(s, gast.Assign)
         and _is_product_adjoint(s.value) and s.targets[0].id not in user_names}
    inlined = {}  # temporary -> the expression put in its place
    _clean(function, temporaries, inlined)
    if _builtins_reachable(function, ("reversed", "zip")) and \
            _read_stacks_by_iteration(function.body):
        _clean(function, temporaries, inlined)  # a loop's counter, or its range, may go
    _requote(function, inlined)
    _each_block(function, _drop_empty_comments)
    return function


def _clean(function, temporaries, inlined):
    """Every pass below, again and again until none changes anything."""
    previous = None
    while previous != gast.dump(function):
        previous = gast.dump(function)
        function.body = [_Fold().visit(stmt) for stmt in function.body]
        _propagate_copies(function)
        _each_block(function, _fuse_accumulations)
        counts = _name_counts(function)  # each rewrite keeps them true for the next
        _each_block(function, lambda block: _coalesce_copies(block, counts))
        _each_block(function, lambda block: _propagate_local_copy(block, counts))
        pops = {"dead": set(), "live": set()}
        function.body, _ = _live(function.body, set(), pops)
        _drop_stacks(function, pops["dead"] - pops["live"])
        local = _defined_before_read(function, temporaries)  # after the dead code is gone
        _each_block(function, lambda block: _inline_temporary(block, local, inlined))


def _each_block(function, rewrite):
    for node, field, block in nodes.blocks(function):
        new = rewrite(block)
        while new is not block:  # each rewrite sees the tree as the last one left it
            setattr(node, field, new)
            block, new = new, rewrite(new)
        setattr(node, field, new or ([gast.Pass()] if field == "body" else []))


# ---------------------------------------------------------------- folding


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _nonzero_number(node):
    """A number whose negation is another number: `-0` is `0`, and would lose a sign."""
    return _number(node) and node.value != 0


def _is(node, value):
    return _number(node) and node.value == value


def _is_negation(node):
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _negate(node):
    return gast.UnaryOp(op=gast.USub(), operand=node)


def _with_negated_number(node):
    """A product or quotient with a number in it, that number negated: minus its value,
    exactly; else None."""
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div))):
        return None
    if _nonzero_number(node.right) or _nonzero_number(node.left):
        side = "right" if _nonzero_number(node.right) else "left"
        new = gast.BinOp(left=node.left, op=node.op, right=node.right)
        setattr(new, side, nodes.constant(-getattr(node, side).value))
        return new
    inner = _with_negated_number(node.left)
    return inner and gast.BinOp(left=inner, op=node.op, right=node.right)


class _Fold(gast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, type(node.op)
        if _number(left) and _number(right) and op in _FOLD:
            try:
                return anno.copy_location(nodes.constant(_FOLD[op](left.value, right.value)), node)
            except (ArithmeticError, ValueError):
                return node
        if (op in (gast.Mult, gast.Div, gast.Pow) and _is(right, 1)) or \
                (op in (gast.Add, gast.Sub) and _is(right, 0)):
            return left
        if (op is gast.Mult and _is(left, 1)) or (op is gast.Add and _is(left, 0)):
            return right
        if op is gast.Mult and (_is(left, -1) or _is(right, -1)):
            return _negate(right if _is(left, -1) else left)
        if op in (gast.Add, gast.Sub) and _is_negation(right):
            node.op = gast.Sub() if op is gast.Add else gast.Add()
            node.right = right.operand
        elif op is gast.Add and _is_negation(left):
            return gast.BinOp(left=right, op=gast.Sub(), right=left.operand)
        elif op is gast.Sub and _is_negation(left) and _with_negated_number(right):
            return gast.BinOp(left=_with_negated_number(right), op=gast.Sub(),
                              right=left.operand)  # `-a - 2 * b` is `-2 * b - a`
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        operand = node.operand
        if isinstance(node.op, gast.USub):
            if _number(operand):
                return anno.copy_location(nodes.constant(-operand.value), node)
            if _is_negation(operand):
                return operand.operand
        return node


# ---------------------------------------------------------------- copy propagation


def _definitions(node):
    """How many statements assign each name, and which of those lie inside a loop."""
    count, in_loop = {}, set()

    def visit(block, looping):
        for stmt in block:
            targets = [nodes.assigned_name(stmt)]
            if isinstance(stmt, gast.For):
                targets = sorted(nodes.all_names(stmt.target))
            for name in filter(None, targets):
                count[name] = count.get(name, 0) + 1
                if looping:
                    in_loop.add(name)
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(stmt, _COMPOUND) and inner:
                    visit(inner, looping or not isinstance(stmt, gast.If))

    for parameter in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        count[parameter.id] = 1  # the argument is its first value
    visit(node.body, False)
    return count, in_loop


def _propagate_copies(function):
    """Replace `a` by `b` after `a = b`, where `a` is assigned once and `b` cannot change."""
    count, in_loop = _definitions(function)
    for node in gast.walk(function):
        if not isinstance(node, gast.Assign) or count.get(node.targets[0].id) != 1:
            continue
        value, name = node.value, node.targets[0].id
        if isinstance(value, gast.Name) and anno.get(value, "static") is None:
            if count.get(value.id, 0) > 1 or value.id in in_loop:
                continue
        elif not _number(value):
            continue
        nodes.Substitute({name: value}).visit(function)
        _remove(function, node)
        return


def _remove(function, target):
    for node, field, block in nodes.blocks(function):
        if any(s is target for s in block):
            setattr(node, field, [s for s in block if s is not target] or [gast.Pass()])


# ---------------------------------------------------------------- fusion


def _fuse_accumulations(block):
    """`a = c1` ... `a += c2` -> `a = c1 + c2` at the last, where nothing else reads `a`.

    Moving `c1` down is safe when nothing between writes a name it reads: no compound
    statement stands between, and no assignment of a name it reads.
    """
    positions = {}
    for i, stmt in enumerate(block):
        name = nodes.assigned_name(stmt)
        if name:
            positions.setdefault(name, []).append(i)
    for name, where in positions.items():
        statements = [block[i] for i in where]
        if not 2 <= len(where) <= _MOST_FUSED or not isinstance(statements[0], gast.Assign):
            continue
        if not all(isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add)
                   for s in statements[1:]):
            continue
        first, last = where[0], where[-1]
        between = [block[k] for k in range(first, last + 1) if k not in where]
        if any(isinstance(s, _COMPOUND) or nodes.mutates(s) for s in between) or \
                any(nodes.calls_method(s.value) for s in statements[:-1]):
            continue  # a pop or an element write may not move past another
        if any(name in nodes.loaded_names(s) for s in between + [s.value for s in statements]):
            continue
        if any(nodes.assigned_name(block[k]) in nodes.loaded_names(s.value)
               for p, s in zip(where, statements) for k in range(p + 1, last + 1)):
            continue
        total = statements[0].value
        for stmt in statements[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=stmt.value)
        fused = anno.copy_location(nodes.assign(name, _Fold().visit(total)), block[last])
        if len(to_source(fused)) > _LONGEST_FUSED:
            continue
        return [fused if k == last else stmt for k, stmt in enumerate(block)
                if k not in where[:-1]]
    return block


def _name_counts(function):
    counts = {}
    for node in gast.walk(function):
        if isinstance(node, gast.Name):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _propagate_local_copy(block, counts):
    """`a = b` whose every use follows in this block, before `b` changes: use `b` there.

    A copy back, `b = a`, does not change `b`'s value: it goes.
    """
    return _rewrite_at_each(block, [nodes.all_names(s) for s in block],
                            lambda block, names, i: _propagate_copy_at(block, names, i, counts))


def _rewrite_at_each(block, names, rewrite_at):
    """`block` after `rewrite_at(block, names, i)` at each position in turn: it gives the
    new block and `names` (one entry a statement, kept in step), or None to move on."""
    i = 0
    while i < len(block):
        rewritten = rewrite_at(block, names, i)
        if rewritten is None:
            i += 1
        else:
            block, names = rewritten
    return block


def _propagate_copy_at(block, names, i, counts):
    """The block and its names with the copy `block[i]` propagated, or None."""
    stmt = block[i]
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
            and anno.get(stmt.value, "static") is None):
        return None
    name, source = stmt.targets[0].id, stmt.value.id
    uses = [k for k in range(i + 1, len(block)) if name in names[k]]
    if not uses or counts.get(name) != len(uses) + 1:
        return None
    last = uses[-1]

    def copy_back(k):
        other = block[k]
        return isinstance(other, gast.Assign) and other.targets[0].id == source \
            and isinstance(other.value, gast.Name) and other.value.id == name

    if any(isinstance(block[k], _COMPOUND) for k in range(i + 1, last + 1)) or any(
            nodes.assigned_name(block[k]) in (name, source) and not copy_back(k)
            for k in range(i + 1, last)) or nodes.assigned_name(block[last]) == name:
        return None
    replace = nodes.Substitute({name: stmt.value})
    kept = [k for k in range(i + 1, last + 1) if not copy_back(k)]
    backs = len(uses) - sum(1 for k in kept if k in uses)  # gone, with the `source` each set
    counts[source] += len(uses) - 2 * backs - 1  # `name`'s reads, less the copy's own
    counts[name] = 0
    rest = [replace.visit(block[k]) for k in kept]
    return (block[:i] + rest + block[last + 1:],
            names[:i] + [nodes.all_names(s) for s in rest] + names[last + 1:])


def _inline_temporary(block, temporaries, inlined):
    """`t = e` with the temporary `t` read once, by a later statement of this block, before
    anything `e` reads changes: `e` goes where `t` was, as a person writes one expression.

    `temporaries` holds those that every block reading them defines first: the read
    after `t = e` in this block is then the only one this definition reaches.
    """
    return _rewrite_at_each(block, [nodes.loaded_names(s) for s in block],
                            lambda block, reads, i: _inline_at(block, reads, i, temporaries,
                                                               inlined))


def _inline_at(block, reads, i, temporaries, inlined):
    """The block and its reads with the temporary `block[i]` inlined, or None."""
    use = _single_use(block, reads, i, temporaries)
    if use is None:
        return None
    name, value = block[i].targets[0].id, block[i].value
    host = None
    if _is_negation(value):  # `t = -g`: its sign goes to a sum or a number where it can
        host = _absorb_sign(anno.copy_tree(block[use]), name, value.operand)
    if host is None and (_is_arithmetic(value) or _is_product_adjoint(value)):
        host = nodes.Substitute({name: value}).visit(anno.copy_tree(block[use]))
    if host is None:  # `t = -unbroadcast(...)` that nothing above takes the sign of
        return None
    line = host if not isinstance(host, gast.For) else \
        gast.For(target=host.target, iter=host.iter, body=[gast.Pass()], orelse=[],
                 type_comment=None)  # its header: `for i in range(n):`
    if len(to_source(line).strip().splitlines()[0]) > _LONGEST_FUSED:
        return None
    inlined[name] = value
    return (block[:i] + block[i + 1:use] + [host] + block[use + 1:],
            reads[:i] + reads[i + 1:use] + [nodes.loaded_names(host)] + reads[use + 1:])


def _single_use(block, reads, i, temporaries):
    """Where the temporary `block[i]` assigns is read, if once and safely inlined there."""
    stmt = block[i]
    if not (isinstance(stmt, gast.Assign) and stmt.targets[0].id in temporaries
            and (_is_arithmetic(stmt.value) or _is_negation(stmt.value)
                 or _is_product_adjoint(stmt.value))):
        return None
    name, needs = stmt.targets[0].id, set(reads[i])
    uses = []
    for k in range(i + 1, len(block)):
        if name in reads[k]:
            uses.append(k)
        if nodes.assigned_name(block[k]) == name:
            break
    if len(uses) != 1 or reads[uses[0]].count(name) != 1:
        return None
    use = uses[0]
    host = block[use]
    if _is_product_adjoint(stmt.value) and not (
            isinstance(host, gast.Assign) and _is_arithmetic(host.value)):
        return None  # a layer's adjoint goes into the activation's (`g * (1 - h * h)`) only
    in_header = isinstance(host, gast.For) and name in nodes.loaded_names(host.iter)
    if _shape_argument(host, name) or (isinstance(host, _COMPOUND) and not in_header) or \
            (isinstance(host, gast.AugAssign) and nodes.assigned_name(host) in needs):
        return None
    if any(isinstance(s, _COMPOUND) or nodes.mutates(s) or nodes.assigned_name(s) in needs
           for s in block[i + 1:use]):
        return None
    return use


def _absorb_sign(stmt, name, positive):
    """`stmt` with its one read of `name`, which holds `-positive`, reading `positive`, the
    sign going to the nearest sum, difference, negation or constant factor above it through
    products, quotients and sign-keeping helpers: `a + unbroadcast(t * v, v)` becomes
    `a - unbroadcast(positive * v, v)`, and `t * 2` becomes `positive * -2`, the same to
    the last bit (IEEE arithmetic rounds `-x` as it rounds `x`). None if nothing above it
    takes the sign."""

    def reads(node):
        return name in nodes.loaded_names(node)

    def unsigned(node):  # `node` with `positive` for `-positive`: minus node's value
        if isinstance(node, gast.Name):
            return anno.copy_tree(positive) if node.id == name else None
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
            if reads(node.left):
                left = unsigned(node.left)
                return left and gast.BinOp(left=left, op=node.op, right=node.right)
            right = unsigned(node.right) if isinstance(node.op, gast.Mult) else None
            return right and gast.BinOp(left=node.left, op=node.op, right=right)
        if isinstance(node, gast.Call) and _keeps_sign(node.func) and reads(node.args[0]):
            first = unsigned(node.args[0])
            return first and gast.Call(func=node.func, args=[first] + node.args[1:],
                                       keywords=node.keywords)
        return None

    def signed(node):  # `node` with the sign taken by a sum above the read, or None
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            if unsigned(node.operand) is not None:
                return unsigned(node.operand)
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub)):
            if reads(node.right) and unsigned(node.right) is not None:
                flipped = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
                return gast.BinOp(left=node.left, op=flipped, right=unsigned(node.right))
            if reads(node.left) and isinstance(node.op, gast.Add) and \
                    unsigned(node.left) is not None:
                return gast.BinOp(left=node.right, op=gast.Sub(), right=unsigned(node.left))
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            for side, other in (("left", "right"), ("right", "left")):
                number = getattr(node, other)
                if _nonzero_number(number) and unsigned(getattr(node, side)) is not None:
                    new = gast.BinOp(left=node.left, op=node.op, right=node.right)
                    setattr(new, side, unsigned(getattr(node, side)))
                    setattr(new, other, nodes.constant(-number.value))
                    return new
        for field, child in gast.iter_fields(node):
            if isinstance(child, gast.expr) and reads(child):
                new = signed(child)
                if new is not None:
                    setattr(node, field, new)
                    return node
            if isinstance(child, list):
                for k, item in enumerate(child):
                    if isinstance(item, gast.expr) and reads(item):
                        new = signed(item)
                        if new is not None:
                            child[k] = new
                            return node
        return None

    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub)) and \
            isinstance(stmt.target, gast.Name) and unsigned(stmt.value) is not None:
        stmt.op = gast.Sub() if isinstance(stmt.op, gast.Add) else gast.Add()
        stmt.value = unsigned(stmt.value)
        return stmt
    if not isinstance(stmt, gast.Assign):
        return None
    value = signed(stmt.value)
    if value is None:
        return None
    stmt.value = value
    return stmt


def _keeps_sign(function):
    """`unbroadcast` and `materialize`: the helpers `f` with `f(-g, x) == -f(g, x)`."""
    return _is_ours(function) and \
        getattr(anno.get(function, "bind"), "__name__", None) in ("unbroadcast", "materialize")


def _is_product_adjoint(node):
    """A call of the helpers that take an adjoint back through `x @ y` or `np.dot`: its
    result is as large as an operand, perhaps a layer's weights, and a name would hold it
    until the function returns."""
    return isinstance(node, gast.Call) and _is_ours(node.func) and \
        getattr(anno.get(node.func, "bind"), "__name__", None) in _PRODUCT_ADJOINTS


def _is_arithmetic(node):
    """Operators, numbers, names and pure calls of the user's functions: nothing of ours,
    and nothing with effects, which may not move."""
    for part in gast.walk(node):
        if isinstance(part, (gast.List, gast.Subscript)):
            return False
        if isinstance(part, gast.Call) and (nodes.is_method_call(part) or _is_ours(part.func)
                                            or effects.has_effects(part)):
            return False
    return True


def _shape_argument(stmt, name):
    """Whether `name` is an argument that one of our helpers reads for its shape only, as
    `x` in `unbroadcast(g, x)`: it reads better as a name there."""
    return any(isinstance(node, gast.Call) and _is_ours(node.func) and any(
        isinstance(arg, gast.Name) and arg.id == name for arg in node.args[1:])
        for node in gast.walk(stmt))


def _is_ours(function):
    module = getattr(anno.get(function, "bind"), "__module__", None)
    return isinstance(module, str) and module.startswith("ast_ad")


def _defined_before_read(function, names):
    """Those of `names` that every block reading them has defined first, itself."""
    local = set(names)
    for _, _, block in nodes.blocks(function):
        defined = set()
        for stmt in block:
            header = (stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter) \
                if isinstance(stmt, _COMPOUND) else stmt
            reads = set(nodes.loaded_names(header))
            if isinstance(stmt, gast.AugAssign):
                reads.add(nodes.assigned_name(stmt))
            local -= reads - defined
            defined.add(nodes.assigned_name(stmt))
    return local


def _coalesce_copies(block, counts):
    """`t = e` then `x = t`, with `t` used nowhere else, becomes `x = e`."""
    for i in range(1, len(block)):
        first, copy = block[i - 1], block[i]
        if not (isinstance(first, gast.Assign) and isinstance(copy, gast.Assign)
                and isinstance(copy.value, gast.Name) and copy.value.id == first.targets[0].id):
            continue
        if counts.get(first.targets[0].id) != 2:
            continue
        merged = anno.copy_location(nodes.assign(copy.targets[0].id, first.value), copy)
        counts[first.targets[0].id] = 0
        return block[:i - 1] + [merged] + block[i + 1:]
    return block


# ---------------------------------------------------------------- dead code


def _has_effect(stmt):
    """A method call (a list's pop) or a call with effects (a random draw) must run even if
    its result is not used."""
    value = getattr(stmt, "value", None)
    return nodes.calls_method(value) or (value is not None and effects.has_effects(value))




def _live(block, live_after, pops):
    """`block` without dead statements, and the names live at its start.

    Records in `pops` the stacks popped into a dead name and those popped into a live one.
    """
    live = set(live_after)
    kept = []
    for stmt in reversed(block):
        name = nodes.assigned_name(stmt)
        if isinstance(stmt, gast.If):
            body, live_body = _live(stmt.body, live, pops)
            orelse, live_else = _live(stmt.orelse, live, pops)
            if not _does_something(body) and not _does_something(orelse):
                continue
            stmt = copy.copy(stmt)  # the loop's fixed point below reads the original again
            stmt.body, stmt.orelse = body or [gast.Pass()], orelse
            live = live_body | live_else | set(nodes.loaded_names(stmt.test))
        elif isinstance(stmt, (gast.For, gast.While)):
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            entry = set()
            while True:
                body, new_entry = _live(stmt.body, live | entry | set(nodes.loaded_names(header)),
                                       pops)
                if new_entry <= entry:
                    break
                entry |= new_entry
            targets = set(nodes.all_names(stmt.target)) if isinstance(stmt, gast.For) else ()
            if isinstance(stmt, gast.For) and not _does_something(body) and \
                    not targets & live:
                continue
            stmt = copy.copy(stmt)
            stmt.body = body or [gast.Pass()]
            entry -= set(targets)
            live = live | entry | set(nodes.loaded_names(header))
        elif name is not None:
            if anno.get(stmt, "stack") and _has_effect(stmt):  # a pop of the sweep's stacks
                pops["live" if name in live else "dead"].add(stmt.value.func.value.id)
            if name not in live and not _has_effect(stmt):
                continue
            if isinstance(stmt, gast.Assign):
                live.discard(name)
            live.update(nodes.loaded_names(stmt))
            if isinstance(stmt, gast.AugAssign):
                live.add(name)
        else:
            live.update(nodes.loaded_names(stmt))
        kept.append(stmt)
    return kept[::-1], live


def _drop_stacks(function, stacks):
    """Remove every push, pop and creation of `stacks`."""

    def uses_stack(stmt):
        value = getattr(stmt, "value", None)
        if not anno.get(stmt, "stack"):
            return False
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
            return getattr(value.func.value, "id", None) in stacks
        return nodes.assigned_name(stmt) in stacks

    if stacks:
        _each_block(function, lambda block: [s for s in block if not uses_stack(s)]
                    if any(map(uses_stack, block)) else block)


def _read_stacks_by_iteration(block):
    """A reversed loop that runs once per call pops each of its stacks once per iteration,
    to the bottom: it may as well iterate over them from the top. `for x in
    reversed(x_stack):` reads as a person writes it, runs faster than a `pop` call, and
    is code ast_ad can differentiate again. A loop inside another runs once for each of
    the outer's iterations, on a part of its stacks: it keeps its pops.

    Returns whether a loop changed (a `while` loop's trip counter may then be dead).
    """
    changed = False
    for stmt in block:
        if isinstance(stmt, gast.If):
            changed |= _read_stacks_by_iteration(stmt.body)
            changed |= _read_stacks_by_iteration(stmt.orelse)
        elif isinstance(stmt, gast.For) and anno.get(stmt, "reversal"):
            pops = []
            while len(pops) < len(stmt.body) and _is_pop(stmt.body[len(pops)]):
                pops.append(stmt.body[len(pops)])
            if not pops:
                continue
            rest = stmt.body[len(pops):]
            targets = [pop.targets[0] for pop in pops]
            items = [_call("reversed", pop.value.func.value) for pop in pops]
            if set(nodes.all_names(stmt.target)) & {n for s in rest for n in nodes.loaded_names(s)}:
                targets.insert(0, stmt.target)
                items.insert(0, stmt.iter)
            if len(items) == 1:
                stmt.target, stmt.iter = targets[0], items[0]
            else:
                stmt.target = gast.Tuple(elts=targets, ctx=gast.Store())
                stmt.iter = _call("zip", *items)
            stmt.body = rest or [gast.Pass()]
            changed = True
    return changed


def _builtins_reachable(function, names):
    """Whether the generated code reaches these builtins by their own names: the user's
    module might define a `zip` of its own."""
    scope, bindings = anno.get(function, "scope"), anno.get(function, "bindings") or {}
    taken = {n.id for n in gast.walk(function)
             if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}
    return scope is not None and all(
        name not in taken and name not in bindings
        and scope.lookup(name) is getattr(builtins, name) for name in names)


def _is_pop(stmt):
    return isinstance(stmt, gast.Assign) and anno.get(stmt, "stack") and \
        isinstance(stmt.targets[0], gast.Name) and nodes.is_method_call(stmt.value) and \
        stmt.value.func.attr == "pop"


def _call(function, *args):
    return gast.Call(func=nodes.load(function), args=list(args), keywords=[])


def _does_something(block):
    return any(not nodes.is_comment(s) and not isinstance(s, gast.Pass) for s in block)


# ---------------------------------------------------------------- comments


def _requote(function, inlined):
    """Comments quote trace statements: one defining a temporary that was inlined everywhere
    goes, and the temporaries such a statement reads are written out in the others."""
    present = nodes.all_names(function)
    gone = {name: value for name, value in inlined.items() if name not in present}

    def obsolete(stmt):
        return nodes.assigned_name(anno.get(stmt, "quotes")) in gone

    _each_block(function, lambda block: [s for s in block if not obsolete(s)]
                if any(map(obsolete, block)) else block)
    for node in gast.walk(function):
        quoted = anno.get(node, "quotes")
        if quoted is None or not gone.keys() & set(nodes.loaded_names(quoted)):
            continue
        while gone.keys() & set(nodes.loaded_names(quoted)):  # an inlined value may read one
            quoted = nodes.Substitute(gone).visit(quoted)
        anno.set(node, "comment", to_source(quoted).strip())


def _drop_empty_comments(block):
    """Comments quoting a block that no longer has statements, and stray blank lines."""
    kept = []
    for i, stmt in enumerate(block):
        following = block[i + 1] if i + 1 < len(block) else None
        if nodes.is_comment(stmt):
            if following is None or isinstance(following, (gast.Return, gast.Pass)):
                continue
            if anno.get(stmt, "comment") and (nodes.is_comment(following)
                                              or isinstance(following, _COMPOUND)):
                continue
            if not anno.get(stmt, "comment") and not _is_code(kept[-1] if kept else None):
                continue
        kept.append(stmt)
    return kept if len(kept) < len(block) else block


def _is_code(stmt):
    docstring = isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
    return stmt is not None and not docstring
