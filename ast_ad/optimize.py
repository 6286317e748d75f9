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

A pass never changes a simple statement in place: it puts a new one in its place, so
that what `facts` keeps on each statement (the names it reads, its content) holds, and
the fixed point compares statements that stay by identity.
"""

import bisect
import builtins
import collections
import copy
import heapq
import operator

import gast

from ast_ad import annotations as anno
from ast_ad import effects, facts, ir, naming, nodes
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
    everything = nodes.subnodes(function)
    temporaries = {n for n in {n.id for n in everything if isinstance(n, gast.Name)}
                   if naming.is_temporary(n, user_names)} | \
        {s.targets[0].id for s in everything if isinstance(s, gast.Assign)
         and _is_product_adjoint(s.value) and s.targets[0].id not in user_names}
    inlined = {}  # temporary -> the expression put in its place
    for place, stmt in enumerate(_statements(function)):
        anno.set(stmt, "order", place)
    _clean(function, temporaries, inlined)
    if any(isinstance(s, gast.For) and anno.get(s, "reversal") for s in _statements(function)) \
            and _builtins_reachable(function, ("reversed", "zip")) and \
            _read_stacks_by_iteration(function.body):  # (the first asks least)
        _clean(function, temporaries, inlined)  # a loop's counter, or its range, may go
    if ir.enabled():
        facts.verify(function)
    _requote(function, inlined)
    _each_block(function, _drop_empty_comments)
    return function


def _clean(function, temporaries, inlined):
    """Every pass below, again and again until none changes anything.

    Each round also notes which statements the round before left as they were, for
    `_propagate_copies`.
    """
    previous, before, now, turns, pending = None, {}, {}, _Turns(), False
    current = facts.snapshot(function, now)
    while not facts.same(previous, current) or pending:
        idle = facts.same(previous, current)
        previous, settled = current, _settled(before, now)
        _fold(function.body, settled)
        pending = _propagate_copies(function, temporaries, settled, turns, idle)
        _each_block(function, _fuse_accumulations)
        counts = _name_counts(function)  # each rewrite keeps them true for the next
        _each_block(function, lambda block: _coalesce_copies(block, counts))
        _each_block(function, lambda block: _propagate_local_copy(block, counts))
        pops = {"dead": set(), "live": set()}
        function.body, _ = _live(function.body, set(), pops, {})
        _drop_stacks(function, pops["dead"] - pops["live"])
        local = _defined_before_read(function, temporaries)  # after the dead code is gone
        memo = {}
        _each_block(function, lambda block: _inline_temporary(block, local, inlined, memo))
        before, now = now, {}
        current = facts.snapshot(function, now)


def _settled(before, now):
    """The ids of the statements that were, as they are `now`, in the tree `before`."""
    return {key for key, (stmt, found) in now.items()
            if key in before and before[key][0] is stmt and facts.same(before[key][1], found)}


def _each_block(function, rewrite):
    for node, field, block in nodes.statement_blocks(function):
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


def _fold(block, settled):
    """Fold the statements of `block` and of the blocks in it, but those the last round
    left as they were: folding them again would change nothing."""
    for k, stmt in enumerate(block):
        if not isinstance(stmt, _COMPOUND):
            if id(stmt) not in settled:
                block[k] = _folded(stmt)
            continue
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                _fold(value, settled)
            elif id(stmt) not in settled and isinstance(value, gast.AST):
                setattr(stmt, field, _folded(value))


def _folded(node):
    """`node` with numbers folded and the identities above applied: `node` itself if
    nothing changes, else a new node sharing the parts that do not."""
    return _fold_node(node)[1]


def _fold_node(node):
    """`(node, folded)`: `node` with its parts folded and perhaps its own operator
    changed (what folding it in place would leave), and what it folds to."""
    kind = type(node)
    if kind is gast.Name or kind is gast.Constant:
        return node, node
    new_fields = {}
    for field in nodes.child_fields(kind):
        value = getattr(node, field, None)
        if isinstance(value, list):
            new = [_folded(item) if isinstance(item, gast.AST) else item for item in value]
            if any(a is not b for a, b in zip(new, value)):
                new_fields[field] = new
        elif isinstance(value, gast.AST):
            new = _folded(value)
            if new is not value:
                new_fields[field] = new
    if new_fields:
        node = facts.changed(node, **new_fields)
    if kind is gast.BinOp:
        return _fold_binop(node)
    if kind is gast.UnaryOp:
        operand = node.operand
        if isinstance(node.op, gast.USub):
            if _number(operand):
                return node, anno.copy_location(nodes.constant(-operand.value), node)
            if _is_negation(operand):
                return node, operand.operand
    return node, node


def _fold_binop(node):
    """`_fold_node` of a BinOp whose operands are folded."""
    left, right, op = node.left, node.right, type(node.op)
    if _number(left) and _number(right) and op in _FOLD:
        try:
            return node, anno.copy_location(
                nodes.constant(_FOLD[op](left.value, right.value)), node)
        except (ArithmeticError, ValueError):
            return node, node
    if (op in (gast.Mult, gast.Div, gast.Pow) and _is(right, 1)) or \
            (op in (gast.Add, gast.Sub) and _is(right, 0)):
        return node, left
    if (op is gast.Mult and _is(left, 1)) or (op is gast.Add and _is(left, 0)):
        return node, right
    if op is gast.Mult and (_is(left, -1) or _is(right, -1)):
        return node, _negate(right if _is(left, -1) else left)
    if op in (gast.Add, gast.Sub) and _is_negation(right):
        node = facts.changed(node, op=gast.Sub() if op is gast.Add else gast.Add(),
                             right=right.operand)
    elif op is gast.Add and _is_negation(left):
        return node, gast.BinOp(left=right, op=gast.Sub(), right=left.operand)
    elif op is gast.Sub and _is_negation(left) and _with_negated_number(right):
        return node, gast.BinOp(left=_with_negated_number(right), op=gast.Sub(),
                                right=left.operand)  # `-a - 2 * b` is `-2 * b - a`
    return node, node


# ---------------------------------------------------------------- copy propagation


def _definitions(node):
    """How many statements assign each name, and which of those lie inside a loop."""
    count, in_loop = {}, set()

    def visit(block, looping):
        for stmt in block:
            targets = [nodes.assigned_name(stmt)]
            if isinstance(stmt, gast.For):
                targets = sorted(nodes.names_in(stmt.target))
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


def _propagate_copies(function, temporaries, settled, turns, idle):
    """Replace `a` by `b` after `a = b`, where `a` is assigned once and `b` cannot change.

    Copies went one a round, the first in walk order, and that is how their turns come.
    Others go with the one whose turn it is where the last round left the copy and the
    statements around it, and those that read or assign its names, as they were (the
    other passes are done with them, as they would be when the copy's turn came), unless
    a later pass could still take the copy another way. One substitution serves them
    all, where one a round would make n copies cost n rounds. `turns` holds the places
    of the copies that went ahead of their turn; after an `idle` round (one that changed
    nothing) those before the first copy left are past.

    Returns whether copies that may go are left (the rounds go on for them).
    """
    statements = _statements(function)
    places = {id(stmt): (block, k) for _, _, block in nodes.statement_blocks(function)
              for k, stmt in enumerate(block)}
    readers = _readers(function)
    counts = _name_counts(function)
    order = _order(statements)
    assigns = [stmt for stmt in statements if isinstance(stmt, gast.Assign)]
    definitions = _definitions(function)
    values, gone = _copies_that_go(assigns, definitions, set(), True)
    if not gone:
        return False
    free = turns.due(order[next(iter(gone))], idle)  # whether the first copy's turn is now
    eligible, held = len(gone), set()  # held: ids of copies left for a later round
    while True:
        if held:  # (with none held, `free` changes nothing)
            values, gone = _copies_that_go(assigns, definitions, held, free)
        after = _counts_after(counts, values, gone)
        changing = _changing(values, readers)
        checked = list(gone.items())[1:] if free else list(gone.items())
        risky = {key for key, copy in checked if not (
            _alone_in_taking(copy, values, places, gone, (counts, after), temporaries)
            and _quiet_around(copy, values, places, gone, readers, (settled, changing)))}
        risky |= _joining(gone, values, places, (counts, after)) - \
            ({next(iter(gone), None)} if free else set())
        if not risky:
            break
        held |= risky
    turns.went_ahead(order[key] for key in list(gone)[1 if free else 0:])
    if values:
        _substitute(function, {name: _resolved(value, values) for name, value in values.items()},
                    readers, places, gone)
        _remove(function, gone)
    return len(gone) < eligible


class _Turns:
    """The places in walk order of the copies taken ahead of their turn: in the rounds
    that follow, each in turn takes the round's turn from a copy after it."""

    def __init__(self):
        self.ahead = []

    def due(self, place, idle):
        """Whether the turn is for the copy at `place`: else it goes to the first copy
        that went ahead of it."""
        if idle:
            self.ahead = [p for p in self.ahead if p >= place]
            return True
        if self.ahead and self.ahead[0] < place:
            del self.ahead[0]
            return False
        return True

    def went_ahead(self, places):
        for place in places:
            bisect.insort(self.ahead, place)


def _order(statements):
    """Each statement's place in walk order, by id: its own `order`, which the
    statement that takes its place keeps (set once, as statements only move within their
    block), or that of the statement before it."""
    order, last = {}, -1
    for stmt in statements:
        last = anno.get(stmt, "order", last)
        order[id(stmt)] = last
    return order


def _substitute(function, values, readers, places, gone):
    """`nodes.Substitute(values).visit(function)`, visiting only the statements that read
    the names: those `readers` found but the copies that go, and the function's header."""
    substitute = nodes.Substitute(values)
    function.args = substitute.visit(function.args)
    if function.returns is not None:
        function.returns = substitute.visit(function.returns)
    function.decorator_list = [substitute.visit(d) for d in function.decorator_list]
    for key in set().union(*(readers.get(name, ()) for name in values)):
        block, k = places[key]
        stmt = block[k]
        if isinstance(stmt, (gast.If, gast.While)):
            stmt.test = substitute.visit(stmt.test)
        elif isinstance(stmt, gast.For):
            stmt.iter = substitute.visit(stmt.iter)
        elif key not in gone:
            block[k] = facts.substituted(stmt, values)


def _readers(function):
    """For each name, the ids of the statements that read it (the innermost simple
    statement around the read, or the compound statement whose header reads it), and
    under `(name,)` those that assign it."""
    readers = {}
    for _, _, block in nodes.statement_blocks(function):
        for stmt in block:
            header = (stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter) \
                if isinstance(stmt, _COMPOUND) else stmt
            for name in facts.reads(header):
                readers.setdefault(name, set()).add(id(stmt))
            assigned = nodes.assigned_name(stmt)
            if assigned is not None:
                readers.setdefault((assigned,), set()).add(id(stmt))
    return readers


def _changing(values, readers):
    """For each statement that reads names whose copies go, those names."""
    changing = {}
    for name in values:
        for key in readers.get(name, ()):
            changing.setdefault(key, set()).add(name)
    return changing


def _quiet_around(copy, values, places, gone, readers, changes):
    """Whether the statements around the copy, those next to it and those that read or
    assign either of its names, are as the last round left them, and the other copies
    that go leave them so. `changes`: the ids of the statements the last round left, and what
    `_changing` gives."""
    settled, changing = changes
    name = copy.targets[0].id
    around = [id(copy)] + [id(s) for s in (_neighbour(copy, places, gone, -1),
                                           _neighbour(copy, places, gone, 1)) if s is not None]
    around += [key for source in {name} | _sources(copy, values)
               for key in readers.get(source, set()) | readers.get((source,), set())]
    return all(key in settled and not changing.get(key, set()) - {name} for key in around)


def _copies_that_go(assigns, definitions, held, free):
    """`({name: value}, {id: copy})` for the copies that go, in the order of repeated
    walks of the tree (`assigns`: its assignments in walk order, `definitions`: what
    `_definitions` found): each not `held`, and the first whatever it is if `free`."""
    count, in_loop = dict(definitions[0]), set(definitions[1])
    values, gone = {}, {}
    while True:
        before = len(gone)
        for node in assigns:
            if id(node) in gone or \
                    count.get(node.targets[0].id) != 1 or \
                    ((gone or not free) and id(node) in held):
                continue
            value, name = _resolved(node.value, values), node.targets[0].id
            if not _propagates(value, count, in_loop):
                continue
            values[name] = value
            gone[id(node)] = node
            count[name] = 0
            in_loop.discard(name)
        if len(gone) == before:
            return values, gone


def _statements(function):
    """The statements of `function` in the order gast.walk meets them."""
    return [stmt for _, _, block in nodes.statement_blocks(function) for stmt in block]


def _resolved(value, values):
    """`value` with the copies that go already in place: `b`'s value for `b`."""
    while isinstance(value, gast.Name) and anno.get(value, "static") is None and \
            value.id in values and values[value.id] is not value:
        value = values[value.id]
    return value


def _propagates(value, count, in_loop):
    """Whether a copy of `value` may stand for its name everywhere: a number, or a name
    assigned at most once, outside loops."""
    if isinstance(value, gast.Name) and anno.get(value, "static") is None:
        return count.get(value.id, 0) <= 1 and value.id not in in_loop
    return _number(value)


def _counts_after(counts, values, gone):
    """`_name_counts` of the function once the copies in `gone` have gone."""
    after = dict(counts)
    for copy in gone.values():
        for node in (copy.targets[0], copy.value):
            if isinstance(node, gast.Name):
                after[node.id] -= 1
    for name, value in values.items():
        reads = after.pop(name, 0)
        value = _resolved(value, values)
        if isinstance(value, gast.Name) and value.id != name:
            after[value.id] = after.get(value.id, 0) + reads
    return after


def _few(name, counts, most):
    """Whether `name` occurs at most `most` times, before the copies go or after."""
    return any(found.get(name, 0) <= most for found in counts)


def _sources(copy, values):
    return {v.id for v in (copy.value, _resolved(copy.value, values))
            if isinstance(v, gast.Name)}


def _alone_in_taking(copy, values, places, gone, counts, temporaries):
    """Whether no later pass of the round could take the copy `a = b` another way: `t = e`
    just before `a = t` (once the copies are gone) is coalesced, and a temporary read
    once is inlined. `counts`: the names' counts before and after the copies go."""
    name = copy.targets[0].id
    if name in temporaries and _few(name, counts[:1], 2):
        return False
    sources = _sources(copy, values)
    if any(source in temporaries and _few(source, counts, 2) for source in sources):
        return False
    previous = _neighbour(copy, places, gone, -1)
    return not (isinstance(previous, gast.Assign) and
                getattr(previous.targets[0], "id", None) in sources and
                _few(previous.targets[0].id, counts, 2))


def _joining(gone, values, places, counts):
    """The copies whose going would bring `t = e` and `x = t` together, for
    `_coalesce_copies` to take: they stay, as the statements between them would."""
    joining = set()
    for copy in gone.values():
        previous = _neighbour(copy, places, gone, -1)
        following = _neighbour(copy, places, gone, 1)
        if isinstance(previous, gast.Assign) and isinstance(following, gast.Assign) and \
                isinstance(previous.targets[0], gast.Name) and \
                previous.targets[0].id in _sources(following, values) and \
                _few(previous.targets[0].id, counts, 2):
            joining.add(id(copy))
    return joining


def _neighbour(stmt, places, gone, step):
    """The statement before (`step` -1) or after (1) `stmt` in its block once the copies in
    `gone` have gone, or None."""
    block, k = places[id(stmt)]
    k += step
    while 0 <= k < len(block) and id(block[k]) in gone:
        k += step
    return block[k] if 0 <= k < len(block) else None


def _remove(function, gone):
    """Remove the statements whose ids are in `gone`."""
    for node, field, block in nodes.statement_blocks(function):
        if any(id(s) in gone for s in block):
            setattr(node, field, [s for s in block if id(s) not in gone] or [gast.Pass()])


# ---------------------------------------------------------------- fusion


def _fuse_accumulations(block):
    """`a = c1` ... `a += c2` -> `a = c1 + c2` at the last, where nothing else reads `a`.

    Moving `c1` down is safe when nothing between writes a name it reads: no compound
    statement stands between, and no assignment of a name it reads. Names are tried in
    the order of their first assignment, the first that fuses fuses first; a name that
    cannot is tried again only when the statement that stopped it goes.
    """
    return _Fusion(block).run()


class _BlockRewrite:
    """A rewrite of one block: the statements it keeps alive, and the block given back
    as it was (the same list) when it changed nothing."""

    def __init__(self, block):
        self.given, self.block = block, list(block)
        self.alive = [True] * len(block)

    def kept(self, changed):
        if not changed:
            return self.given
        return [stmt for stmt, alive in zip(self.block, self.alive) if alive]

    def run(self):
        """`rewrite_at` each statement still alive, in order."""
        changed = False
        for i in range(len(self.block)):
            if self.alive[i]:
                changed |= self.rewrite_at(i)
        return self.kept(changed)


class _Fusion(_BlockRewrite):
    """The fusions of one block, on an index of where each name is read and assigned."""

    def __init__(self, block):
        super().__init__(block)
        self.reads, self.readers = _readings(block, facts.read_set)
        self.assigns = _assignments(block)
        self.blocking = [0]  # compound or mutating statements before each position
        for stmt in block:
            self.blocking.append(self.blocking[-1] + _stops_fusion(stmt))
        self.waiting = {}  # position -> names that the statement there stopped

    def run(self):
        queue = []
        for position, stmt in enumerate(self.block):
            name = nodes.assigned_name(stmt)
            if name is not None and self.assigns.first_after(name, -1) == position:
                queue.append((position, name))
        heapq.heapify(queue)
        queued = {name for _, name in queue}
        fused_any = False
        while queue:
            order, name = heapq.heappop(queue)
            queued.discard(name)
            where = self.assigns.between(name, 0, len(self.block))
            fused, stopper = self.fusion(name, where)
            if fused is None:
                if stopper is not None:
                    self.waiting.setdefault(stopper, []).append((order, name))
                continue
            fused_any = True
            for woken in self.fuse(name, where, fused):
                if woken[1] not in queued:
                    queued.add(woken[1])
                    heapq.heappush(queue, woken)
        return self.kept(fused_any)

    def fusion(self, name, where):
        """`(fused statement, None)`, or `(None, the position of a statement that stops it,
        or None if nothing another fusion does can let it fuse)`."""
        statements = [self.block[i] for i in where]
        if not 2 <= len(where) <= _MOST_FUSED or not isinstance(statements[0], gast.Assign):
            return None, None
        if not all(isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add)
                   for s in statements[1:]):
            return None, None
        first, last = where[0], where[-1]
        between = self.blocking[last + 1] - self.blocking[first] - \
            sum(_stops_fusion(s) for s in statements)
        if between or any(facts.of(s).method_in_value for s in statements[:-1]):
            return None, None  # a pop or an element write may not move past another
        readers = self.readers.between(name, first, last)
        if readers:
            outside = [p for p in readers if p not in where]
            return None, (outside[0] if len(outside) == len(readers) else None)
        for p, s in zip(where, statements):
            for read in self.reads[p]:
                writers = self.assigns.between(read, p + 1, last)
                if writers:
                    return None, writers[0]
        folds = [_fold_node(s.value) for s in statements]
        total = folds[0][1]
        for _, value in folds[1:]:
            total = _fold_binop(gast.BinOp(left=total, op=gast.Add(), right=value))[1]
        fused = _in_place_of(nodes.assign(name, total), self.block[last])
        if len(to_source(fused)) > _LONGEST_FUSED:
            for p, s, (value, _) in zip(where, statements, folds):
                if value is not s.value:  # as the sum's folding, once in place, left it
                    self.block[p] = self.given[p] = facts.changed(s, value=value)
            return None, None
        return fused, None

    def fuse(self, name, where, fused):
        """Put `fused` in place; the names the removed statements stopped, to try again."""
        last = where[-1]
        woken = []
        for p in where[:-1]:
            self.alive[p] = False
            self.assigns.discard(name, p)
            self.readers.update(p, self.reads[p], set())
            self.reads[p] = set()
            woken += self.waiting.pop(p, [])
        new_reads = facts.read_set(fused)
        self.readers.update(last, self.reads[last], new_reads)
        self.reads[last] = new_reads
        self.block[last] = fused
        return woken


def _in_place_of(new, old, place=None):
    """`new`, with `old`'s line, standing where `place` (or `old`) stood in walk order."""
    place = place or old
    if anno.get(place, "order") is not None:
        anno.set(new, "order", anno.get(place, "order"))
    return anno.copy_location(new, old)


def _stops_fusion(stmt):
    return isinstance(stmt, _COMPOUND) or facts.changes_a_value(stmt)


def _name_counts(function):
    """How many name nodes the function has of each name."""
    counts, todo = collections.Counter(), [function]
    while todo:
        node = todo.pop()
        if type(node) in facts.SIMPLE:
            counts.update(facts.of(node).names)
            continue
        if type(node) is gast.Name:
            counts[node.id] += 1
        for field in node._fields:
            value = getattr(node, field, None)
            todo.extend(item for item in (value if type(value) is list else [value])
                        if isinstance(item, gast.AST))
    return dict(counts)


def _propagate_local_copy(block, counts):
    """`a = b` whose every use follows in this block, before `b` changes: use `b` there.

    A copy back, `b = a`, does not change `b`'s value: it goes.
    """
    return _LocalCopies(block, counts).run()


class _LocalCopies(_BlockRewrite):
    """The local copies of one block, in order, on an index of where each name is."""

    def __init__(self, block, counts):
        super().__init__(block)
        self.counts = counts
        self.names, self.places = _readings(block, facts.names)
        self.assigns = _assignments(block)
        self.compounds = [0]  # compound statements before each position
        for stmt in block:
            self.compounds.append(self.compounds[-1] + isinstance(stmt, _COMPOUND))

    def copy_back(self, k, name, source):
        other = self.block[k]
        return isinstance(other, gast.Assign) and other.targets[0].id == source \
            and isinstance(other.value, gast.Name) and other.value.id == name

    def rewrite_at(self, i):
        """Propagate the copy at `i` if it is one that may go; whether it went."""
        stmt = self.block[i]
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and anno.get(stmt.value, "static") is None):
            return False
        name, source = stmt.targets[0].id, stmt.value.id
        uses = self.places.between(name, i + 1, len(self.block))
        if not uses or self.counts.get(name) != len(uses) + 1:
            return False
        last = uses[-1]
        if self.compounds[last + 1] - self.compounds[i + 1] or any(
                not self.copy_back(k, name, source)
                for changed in (name, source) for k in self.assigns.between(changed, i + 1, last - 1)
        ) or nodes.assigned_name(self.block[last]) == name:
            return False
        backs = [k for k in uses if self.copy_back(k, name, source)]
        self.counts[source] += len(uses) - 2 * len(backs) - 1  # `name`'s reads, less the copy's
        self.counts[name] = 0
        for k in [i] + backs:
            self.remove(k)
        for k in uses:
            if self.alive[k]:
                self.block[k] = facts.substituted(self.block[k], {name: stmt.value})
                found = facts.names(self.block[k])
                self.places.update(k, self.names[k], found)
                self.names[k] = found
        return True

    def remove(self, k):
        self.alive[k] = False
        self.places.update(k, self.names[k], set())
        self.names[k] = set()
        assigned = nodes.assigned_name(self.block[k])
        if assigned is not None:
            self.assigns.discard(assigned, k)



def _inline_temporary(block, temporaries, inlined, memo=None):
    """`t = e` with the temporary `t` read once, by a later statement of this block, before
    anything `e` reads changes: `e` goes where `t` was, as a person writes one expression.

    `temporaries` holds those that every block reading them defines first: the read
    after `t = e` in this block is then the only one this definition reaches.
    """
    return _Inlining(block, temporaries, inlined, {} if memo is None else memo).run()


class _Inlining(_BlockRewrite):
    """The inlinings of one block, in order, on an index of where each name is."""

    def __init__(self, block, temporaries, inlined, memo):
        super().__init__(block)
        self.temporaries, self.inlined, self.memo = temporaries, inlined, memo
        self.reads = [_read_counts(s, memo) for s in block]
        self.readers = _Places()  # of the simple statements: the compound ones are few
        for position, (stmt, found) in enumerate(zip(block, self.reads)):
            if isinstance(stmt, _COMPOUND):
                self.readers.add(None, position)
            else:
                for name in found:
                    self.readers.add(name, position)
        self.assigns = _assignments(block)
        self.stops = _Places()  # under None: the compound statements and those that mutate
        for position, stmt in enumerate(block):
            if isinstance(stmt, _COMPOUND) or facts.changes_a_value(stmt):
                self.stops.add(None, position)

    def rewrite_at(self, i):
        """Inline the temporary `block[i]` if it may go; whether it went."""
        use = self.single_use(i)
        if use is None:
            return False
        name, value = self.block[i].targets[0].id, self.block[i].value
        if isinstance(self.block[use], gast.For):
            return self.inline_in_header(i, use, name, value)
        host = None
        if _is_negation(value):  # `t = -g`: its sign goes to a sum or a number where it can
            host = _absorb_sign(anno.copy_tree(self.block[use]), name, value.operand)
        if host is None and (_arithmetic(self.block[i]) or _is_product_adjoint(value)):
            host = facts.substituted(self.block[use], {name: value})
        if host is None:  # `t = -unbroadcast(...)` that nothing above takes the sign of
            return False
        if len(to_source(host).strip().splitlines()[0]) > _LONGEST_FUSED:
            return False
        self.inlined[name] = value
        self.alive[i] = False
        self.put(i, None)
        self.put(use, host)
        return True

    def inline_in_header(self, i, use, name, value):
        """Inline `block[i]` into the header of the loop at `use`, which reads it only
        there. The loop is a copy: the blocks in it are the next round's to visit (the
        walk of this one has the original's)."""
        if not (_arithmetic(self.block[i]) or _is_product_adjoint(value)):
            return False
        host = nodes.Substitute({name: value}).visit(anno.copy_tree(self.block[use]))
        line = gast.For(target=host.target, iter=host.iter, body=[gast.Pass()], orelse=[],
                        type_comment=None)  # `for i in range(n):`
        if len(to_source(line).strip().splitlines()[0]) > _LONGEST_FUSED:
            return False
        self.inlined[name] = value
        self.alive[i] = False
        self.put(i, None)
        self.put(use, host)
        return True

    def put(self, position, stmt):
        """`stmt` at `position` (None: nothing), the index kept true."""
        old = self.block[position]
        new = collections.Counter() if stmt is None else _read_counts(stmt, self.memo)
        self.readers.update(position, self.names_indexed(old, self.reads[position]),
                            self.names_indexed(stmt, new))
        self.reads[position] = new
        for assigned in {nodes.assigned_name(old)} - {None}:
            self.assigns.discard(assigned, position)
        self.stops.discard(None, position)
        if stmt is not None:
            self.block[position] = stmt
            if nodes.assigned_name(stmt) is not None:
                self.assigns.add(nodes.assigned_name(stmt), position)
            if isinstance(stmt, _COMPOUND) or facts.changes_a_value(stmt):
                self.stops.add(None, position)

    @staticmethod
    def names_indexed(stmt, reads):
        """What `readers` holds for a statement: its names, or None for a compound one."""
        if stmt is None:
            return set()
        return {None} if isinstance(stmt, _COMPOUND) else set(reads)

    def single_use(self, i):
        """Where the temporary `block[i]` assigns is read, if once and safely inlined there."""
        stmt = self.block[i]
        if not (isinstance(stmt, gast.Assign) and stmt.targets[0].id in self.temporaries
                and (_arithmetic(stmt) or _is_negation(stmt.value)
                     or _is_product_adjoint(stmt.value))):
            return None
        name, needs = stmt.targets[0].id, set(self.reads[i])
        reassigned = self.assigns.first_after(name, i)
        last = len(self.block) if reassigned is None else reassigned
        uses = sorted(self.readers.between(name, i + 1, last) + [
            k for k in self.readers.between(None, i + 1, last) if name in self.reads[k]])
        if len(uses) != 1 or self.reads[uses[0]][name] != 1:
            return None
        use = uses[0]
        host = self.block[use]
        if _is_product_adjoint(stmt.value) and not (
                isinstance(host, gast.Assign) and _arithmetic(host)):
            return None  # a layer's adjoint goes into the activation's (`g * (1 - h * h)`)
        in_header = isinstance(host, gast.For) and name in nodes.read_names(host.iter)
        if (isinstance(host, _COMPOUND) and not in_header) or \
                _shape_argument(host.iter if in_header else host, name) or \
                (isinstance(host, gast.AugAssign) and nodes.assigned_name(host) in needs):
            return None  # (a compound host first: the others would walk all it holds)
        if self.stops.any_between(None, i + 1, use - 1) or any(
                self.assigns.any_between(read, i + 1, use - 1) for read in needs):
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
        return name in nodes.read_names(node)

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
    for part in nodes.subnodes(node):
        if isinstance(part, (gast.List, gast.Subscript)):
            return False
        if isinstance(part, gast.Call) and (nodes.is_method_call(part) or _is_ours(part.func)
                                            or effects.has_effects(part)):
            return False
    return True


def _arithmetic(stmt):
    """Whether the value of the assignment `stmt` is arithmetic, asked once."""
    return facts.answer(stmt, _value_is_arithmetic)


def _value_is_arithmetic(stmt):
    return _is_arithmetic(stmt.value)


def _shape_argument(stmt, name):
    """Whether `name` is an argument that one of our helpers reads for its shape only, as
    `x` in `unbroadcast(g, x)`: it reads better as a name there."""
    return any(isinstance(node, gast.Call) and _is_ours(node.func) and any(
        isinstance(arg, gast.Name) and arg.id == name for arg in node.args[1:])
        for node in nodes.subnodes(stmt))


def _is_ours(function):
    module = getattr(anno.get(function, "bind"), "__module__", None)
    return isinstance(module, str) and module.startswith("ast_ad")


def _defined_before_read(function, names):
    """Those of `names` that every block reading them has defined first, itself."""
    local = set(names)
    for _, _, block in nodes.statement_blocks(function):
        defined = set()
        for stmt in block:
            header = (stmt.test if isinstance(stmt, (gast.If, gast.While)) else stmt.iter) \
                if isinstance(stmt, _COMPOUND) else stmt
            reads = set(facts.read_set(header))
            if isinstance(stmt, gast.AugAssign):
                reads.add(nodes.assigned_name(stmt))
            local -= reads - defined
            defined.add(nodes.assigned_name(stmt))
    return local


def _coalesce_copies(block, counts):
    """`t = e` then `x = t`, with `t` used nowhere else, becomes `x = e`."""
    kept = []
    for stmt in block:
        first = kept[-1] if kept else None
        if isinstance(first, gast.Assign) and isinstance(stmt, gast.Assign) and \
                isinstance(stmt.value, gast.Name) and stmt.value.id == first.targets[0].id \
                and counts.get(first.targets[0].id) == 2:
            kept[-1] = _in_place_of(nodes.assign(stmt.targets[0].id, first.value), stmt, first)
            counts[first.targets[0].id] = 0
        else:
            kept.append(stmt)
    return kept if len(kept) < len(block) else block


# ---------------------------------------------------------------- dead code


def _has_effect(stmt):
    """A method call (a list's pop) or a call with effects (a random draw) must run even if
    its result is not used."""
    value = getattr(stmt, "value", None)
    return nodes.calls_a_method(value) or (value is not None and effects.has_effects(value))




def _live(block, live_after, pops, entries):
    """`block` without dead statements, and the names live at its start.

    Records in `pops` the stacks popped into a dead name and those popped into a live one,
    and in `entries` the names live at each loop's entry, from which the loop's fixed
    point starts again when more is live after it, and each block's result: what the
    block keeps depends only on which of the names it assigns are live after it (the
    others pass through), so a loop nest's inner blocks are not walked again each time
    something else becomes live around them.
    """
    assigned = _assigned_within(block, entries)
    relevant = frozenset(live_after & assigned)
    known = entries.get(("block", id(block), relevant))
    if known is None or known[0] is not block:
        known = (block,) + _live_given(block, relevant, pops, entries)
        entries["block", id(block), relevant] = known
    return known[1], known[2] | (live_after - assigned)


def _assigned_within(block, entries):
    """The names the statements of `block`, and of the blocks in them, assign."""
    known = entries.get(("assigned", id(block)))
    if known is not None and known[0] is block:
        return known[1]
    found = set()
    for stmt in block:
        found.add(nodes.assigned_name(stmt))
        if isinstance(stmt, gast.For):
            found |= nodes.names_in(stmt.target)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(stmt, _COMPOUND) and inner:
                found |= _assigned_within(inner, entries)
    found = frozenset(found - {None})
    entries["assigned", id(block)] = (block, found)
    return found


def _live_given(block, live_after, pops, entries):
    """`_live` itself."""
    live = set(live_after)
    kept = []
    for stmt in reversed(block):
        name = nodes.assigned_name(stmt)
        if isinstance(stmt, gast.If):
            body, live_body = _live(stmt.body, live, pops, entries)
            orelse, live_else = _live(stmt.orelse, live, pops, entries)
            if not _does_something(body) and not _does_something(orelse):
                continue
            stmt = _with_blocks(stmt, body=body or [gast.Pass()], orelse=orelse)
            live = live_body | live_else | set(nodes.read_names(stmt.test))
        elif isinstance(stmt, (gast.For, gast.While)):
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            entry = _warm_start(entries, stmt, live)
            while True:
                body, new_entry = _live(stmt.body, live | entry | set(nodes.read_names(header)),
                                       pops, entries)
                if new_entry <= entry:
                    break
                entry |= new_entry
            entries[id(stmt)] = (frozenset(live), set(entry))
            targets = set(nodes.names_in(stmt.target)) if isinstance(stmt, gast.For) else ()
            if isinstance(stmt, gast.For) and not _does_something(body) and \
                    not targets & live:
                continue
            stmt = _with_blocks(stmt, body=body or [gast.Pass()])
            entry -= set(targets)
            live = live | entry | set(nodes.read_names(header))
        elif name is not None:
            if anno.get(stmt, "stack") and facts.answer(stmt, _has_effect):  # a stack's pop
                pops["live" if name in live else "dead"].add(stmt.value.func.value.id)
            if name not in live and not facts.answer(stmt, _has_effect):
                continue
            if isinstance(stmt, gast.Assign):
                live.discard(name)
            live.update(facts.reads(stmt))
            if isinstance(stmt, gast.AugAssign):
                live.add(name)
        else:
            live.update(facts.reads(stmt))
        kept.append(stmt)
    return kept[::-1], live


def _with_blocks(stmt, **blocks):
    """`stmt` with these blocks: itself if they hold the statements it has, else a copy
    (a loop's fixed point reads the original again)."""
    if all(len(new) == len(getattr(stmt, field)) and
           all(a is b for a, b in zip(new, getattr(stmt, field)))
           for field, new in blocks.items()):
        return stmt
    stmt = copy.copy(stmt)
    for field, new in blocks.items():
        setattr(stmt, field, new)
    return stmt


def _warm_start(entries, loop, live):
    """Where the fixed point of `loop`'s entry may start: what was live at its entry when
    less was live after it (liveness only grows with what is live after), or nothing."""
    known = entries.get(id(loop))
    if known is not None and known[0] <= live:
        return set(known[1])
    return set()


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
            if set(nodes.names_in(stmt.target)) & {n for s in rest for n in nodes.read_names(s)}:
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
    taken = {n.id for n in nodes.subnodes(function)
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
    present = nodes.names_in(function)
    gone = {name: value for name, value in inlined.items() if name not in present}

    def obsolete(stmt):
        return nodes.assigned_name(anno.get(stmt, "quotes")) in gone

    _each_block(function, lambda block: [s for s in block if not obsolete(s)]
                if any(map(obsolete, block)) else block)
    for node in _statements(function):  # in the order of gast.walk: quotes may be shared
        quoted = anno.get(node, "quotes")
        if quoted is None or not gone.keys() & set(nodes.read_names(quoted)):
            continue
        while gone.keys() & set(nodes.read_names(quoted)):  # an inlined value may read one
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


# ---------------------------------------------------------------- indexes


class _Places:
    """For each name, the sorted positions of the statements of one block that have it (that
    read it, or assign it): each question is a bisection, where a scan of the block would
    make a pass over n statements take n^2 steps."""

    def __init__(self):
        self._at = {}

    def add(self, name, position):
        places = self._at.setdefault(name, [])
        if not places or places[-1] < position:  # (as when the index is made)
            places.append(position)
            return
        k = bisect.bisect_left(places, position)
        if k == len(places) or places[k] != position:
            places.insert(k, position)

    def discard(self, name, position):
        places = self._at.get(name, [])
        k = bisect.bisect_left(places, position)
        if k < len(places) and places[k] == position:
            del places[k]

    def between(self, name, low, high):
        """The positions of `name` from `low` to `high`, both included."""
        places = self._at.get(name, [])
        return places[bisect.bisect_left(places, low):bisect.bisect_right(places, high)]

    def any_between(self, name, low, high):
        places = self._at.get(name, [])
        k = bisect.bisect_left(places, low)
        return k < len(places) and places[k] <= high

    def first_after(self, name, position):
        places = self._at.get(name, [])
        k = bisect.bisect_right(places, position)
        return places[k] if k < len(places) else None

    def update(self, position, old, new):
        """The statement at `position` had the names `old` and now has `new`."""
        for name in old - new:
            self.discard(name, position)
        for name in new - old:
            self.add(name, position)


def _read_counts(stmt, memo):
    """How often `stmt` reads each name, as `loaded_names` counts them; a compound
    statement's from those of the statements in it, each found once in `memo` (a nest
    of loops or branches is not walked again at each level)."""
    known = memo.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1]
    if not isinstance(stmt, _COMPOUND):
        counts = facts.answer(stmt, _counted_reads)  # (shared: nothing changes it)
    else:
        counts = collections.Counter()
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                for inner in value:
                    counts.update(_read_counts(inner, memo))
            elif isinstance(value, (gast.AST, list)):
                for part in value if isinstance(value, list) else [value]:
                    counts.update(nodes.read_names(part))
    memo[id(stmt)] = (stmt, counts)
    return counts


def _counted_reads(stmt):
    return collections.Counter(facts.reads(stmt))


def _assignments(block):
    """The positions of the statements of `block` that assign each name."""
    assigns = _Places()
    for position, stmt in enumerate(block):
        name = nodes.assigned_name(stmt)
        if name is not None:
            assigns.add(name, position)
    return assigns


def _readings(block, names_of):
    """The names each simple statement of `block` has, by `names_of`, and where each
    name is. A compound statement has none here: what it has inside cannot matter to a
    pass that does nothing across one (and a nest of them walked at each level would
    cost its depth times its size)."""
    names = [frozenset() if isinstance(stmt, _COMPOUND) else names_of(stmt) for stmt in block]
    places = _Places()
    for position, found in enumerate(names):
        for name in found:
            places.add(name, position)
    return names, places
