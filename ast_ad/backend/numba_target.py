"""A generated derivative, rewritten in the subset of Python that Numba compiles.

The Python target writes what Numba's nopython mode refuses: keyword-only seeds,
`reversed` loops, stacks as lists that grow, and adjoints of indexing as whole arrays
added together. This pass rewrites the final derivative, each rewrite on its own:

- the seeds become positional parameters after the function's, with their defaults;
- a stack that a loop of known trip count fills, once per iteration, is one array
  allocated before the loop (`x_stack = empty_stack(x, 100)`), written by index;
- a loop over `reversed(...)` (or a `zip` of them) becomes an index loop counting down;
- a stack whose values the reversed loop reads only for their shape (to sum an adjoint
  back to it) keeps nothing for numbers, whose shape is known when Numba compiles:
  the forward loop that computed them for the stack is then left out by the compiler;
- an array's adjoint made of indexed parts is one array added into in place
  (`x_bar[i] += v_bar`): a loop over `n` entries then costs `n`, not `n ** 2`;
- reductions lose the keywords that only restate NumPy's defaults, which Numba lacks,
  and `np.matmul(a, b)`, which it lacks too, is written `a @ b`;
- a number's adjoint reset to `np.zeros_like(s)` is reset to 0.0, not to a 0-d array,
  and not at all where the next statement that reads it adds to it (`s_bar = 0.0 + g`
  would keep a chain of additions from one iteration to the next);
- an adjoint (`x_bar = ...`) that is a sum of terms with a first factor in common has it
  factored out,
  `x_bar * ((1.0 - x) * 4.0 - 4.0 * x)`: in a loop, the chain of multiplications from
  one iteration's adjoint to the next is then one long, not two (which Numba, exact to
  IEEE arithmetic without `fastmath`, cannot do itself).

The forward target's whole gradient of an array (the branch for a left-out seed) calls
back into Python, which compiled code cannot: there the direction must be given.
"""

import builtins

import gast

from ast_ad.ad import effects
from ast_ad.errors import DifferentiationError
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer, helper_name
from ast_ad.optimize.blocks import call_of
from ast_ad.runtime import arrays, checks, containers

# The helpers that read an argument only for its shape, and which argument.
_SHAPE_READERS = {arrays.unbroadcast: 1, arrays.broadcast_like: 1, arrays.sum_adjoint: 1,
                  arrays.uniform_adjoint: 1, arrays.materialize: 1, arrays.zeros_like: 0}
_PLAIN_KEYWORDS = {"axis": None, "keepdims": False}
_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin"}


def to_numba_subset(function, aux_slot=None):
    """`function`, a derivative's final tree, rewritten in place for Numba; `aux_slot` is
    the name of the object `has_aux` keeps the auxiliary value in, if any. The rewrites
    run in this order: each reads the forms the ones before it leave (the in-place
    adjoints find `np.zeros_like` before it becomes `zeros_like`, the stacks of shapes
    find the stacks made arrays)."""
    names = Namer(nodes.names_in(function) | set(anno.get(function, "bindings")))
    _seeds_positional(function)
    _items_of_arrays(function, names)
    if aux_slot is not None:
        _aux_as_a_name(function, aux_slot, names)
    _without_whole_gradient(function, names)
    _zero_gradients_typed(function, names)
    _stacks_preallocated(function, names)
    _reversed_loops_indexed(function, names)
    _reversed_values(function)
    _adjoints_in_place(function)
    _zeros_of_numbers_unboxed(function, names)
    _zero_starts_dropped(function)
    _stacks_of_shapes(function, names)
    _reductions_plain(function)
    _products_as_operators(function)
    _common_factors_out(function)
    _iterations_in_order(function)
    return function


def _seeds_positional(function):
    """Numba has no keyword-only parameters: they follow the others, with their defaults
    (None for a seed that has none, a list's, which must then be given)."""
    args = function.args
    args.args += args.kwonlyargs
    args.defaults += [nodes.constant(None) if d is None else d for d in args.kw_defaults]
    args.kwonlyargs, args.kw_defaults = [], []


def _items_of_arrays(function, names):
    """Compiled code takes arrays, not lists of them: the helpers for a parameter read item
    by item, which may be either, become those for arrays (`zeros_like_tree(x)` is
    `np.zeros_like(x)`, `add_trees(a, b)` is `a + b`, `add_to_item(x_bar, i, v)` is
    `x_bar + getitem_adjoint(v, x_bar, i)`), which the rewrites below know."""
    import numpy

    bindings = anno.get(function, "bindings")

    class Arrays(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            called = _called(node, bindings)
            if called is checks.require_arrays:
                node.func = _bound(function, names, checks.require_array)
            elif called is containers.zeros_like_tree:
                node.func = gast.Attribute(value=_bound(function, names, numpy),
                                           attr="zeros_like", ctx=gast.Load())
            elif called is containers.add_trees:
                return gast.BinOp(left=node.args[0], op=gast.Add(), right=node.args[1])
            elif called is containers.add_to_item:
                total, index, value, *like = node.args  # (shaped as the result)
                part = gast.Call(func=_bound(function, names, arrays.getitem_adjoint),
                                 args=[value, anno.copy_tree((like or [total])[0]), index],
                                 keywords=[])
                return gast.BinOp(left=total, op=gast.Add(), right=part)
            return node

    Arrays().visit(function)


def _aux_as_a_name(function, slot, names):
    """`slot.keep(a)` and `slot.take()`, where `has_aux` keeps the auxiliary value in an
    object, become `aux = a` and `aux`."""
    aux = names.claim("aux")

    class Kept(gast.NodeTransformer):
        def visit_Expr(self, node):
            call = node.value
            if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
                    isinstance(call.func.value, gast.Name) and call.func.value.id == slot:
                if call.func.attr == "keep_dict":
                    raise _refusal(function, "an auxiliary value that is a dict")
                value = call.args[0] if call.func.attr == "keep" else \
                    nodes.tuple_of(call.args)
                return anno.copy_location(nodes.assign(aux, value), node)
            return self.generic_visit(node)

        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, gast.Attribute) and node.func.attr == "take" and \
                    isinstance(node.func.value, gast.Name) and node.func.value.id == slot:
                return nodes.load(aux)
            return node

    Kept().visit(function)


def _without_whole_gradient(function, names):
    """The branch of a left-out seed, which calls back into Python for a whole gradient,
    goes; each seed it stood for is then broadcast to its parameter, which for an array
    refuses a left-out seed when Numba compiles (and gives a number's its 1.0)."""
    bindings = anno.get(function, "bindings")
    for position, stmt in enumerate(function.body):
        if _returns_whole_gradient(stmt, bindings):
            done = {nodes.assigned_name(s) for s in function.body if isinstance(s, gast.Assign) and
                    isinstance(s.value, gast.Call) and _called(s.value, bindings) is
                    arrays.broadcast_like}
            seeds = [(k.arg, k.value.elts[0]) for k in stmt.body[0].value.keywords
                     if isinstance(k.value, gast.Tuple) and k.arg not in done]
            function.body[position:position + 1] = [
                nodes.assign(seed, gast.Call(
                    func=_bound(function, names, arrays.broadcast_like),
                    args=[nodes.load(seed), anno.copy_tree(parameter)], keywords=[]))
                for seed, parameter in seeds]
            return


def _returns_whole_gradient(stmt, bindings):
    if not isinstance(stmt, gast.If) or len(stmt.body) != 1:
        return False
    returned = stmt.body[0]
    return isinstance(returned, gast.Return) and isinstance(returned.value, gast.Call) and \
        _called(returned.value, bindings) is arrays.whole_gradient


def _zero_gradients_typed(function, names):
    """`zero_gradient(w, ...) if w_dot is None else t`, the tangent of a parameter the
    output does not depend on, is a number or an array as the seed is None or not: Numba
    types one expression one way, so a helper chooses when it compiles."""
    bindings = anno.get(function, "bindings")

    class Chosen(gast.NodeTransformer):
        def visit_IfExp(self, node):
            self.generic_visit(node)
            test, zeros = node.test, node.body
            if isinstance(test, gast.Compare) and isinstance(test.ops[0], gast.Is) and \
                    isinstance(test.left, gast.Name) and isinstance(zeros, gast.Call) and \
                    _called(zeros, bindings) is checks.zero_gradient:
                return gast.Call(
                    func=_bound(function, names, checks.zero_gradient_unless_seeded),
                    args=[*zeros.args[:3], test.left, node.orelse], keywords=[])
            return node

    Chosen().visit(function)


def _stacks_preallocated(function, names):
    """A stack filled once per iteration by a top-level loop over a `range`, of a value
    defined before the loop and read back only by a reversed loop, becomes one array."""
    ranges = {}
    defined = {a.id for a in function.args.args}
    for stmt in list(function.body):
        if isinstance(stmt, gast.Assign) and _is_call_of(stmt.value, "range"):
            ranges[stmt.targets[0].id] = stmt.value
        count = _trip_count(stmt.iter, ranges) if isinstance(stmt, gast.For) else None
        if count is not None:
            _preallocate_in(function, stmt, count, defined, names)
        defined |= set(nodes.names_in(stmt))


def _preallocate_in(function, loop, count, defined, names):
    pushes = [s for s in loop.body if _pushed(s) is not None]
    stacks = {}
    for push in pushes:
        stack, value = _pushed(push)
        if isinstance(value, gast.Name) and value.id in defined and stack not in stacks and \
                _only_pushed_here_and_reversed(function, stack, push):
            stacks[stack] = (push, value.id)
    if not stacks:
        return
    index = _loop_index(loop, names)
    for stack, (push, value) in stacks.items():
        _remove_start(function, stack)
        allocation = nodes.assign(stack, gast.Call(
            func=_bound(function, names, arrays.empty_stack),
            args=[nodes.load(value), anno.copy_tree(count)], keywords=[]))
        function.body.insert(function.body.index(loop), allocation)
        loop.body[loop.body.index(push)] = gast.Assign(
            targets=[gast.Subscript(value=nodes.load(stack), slice=nodes.load(index),
                                    ctx=gast.Store())],
            value=nodes.load(value), type_comment=None)


def _trip_count(iterated, ranges):
    """How many times a loop over `iterated` runs, as an expression, where it is known
    when the loop starts: for `range(100)`, `100`; for `range(n)`, `max(n, 0)`; for
    another range, its `len`."""
    if isinstance(iterated, gast.Name) and iterated.id in ranges:
        return call_of("len", anno.copy_tree(iterated))
    if not _is_call_of(iterated, "range") or iterated.keywords:
        return None
    if len(iterated.args) != 1:
        return call_of("len", anno.copy_tree(iterated))
    count = iterated.args[0]
    if isinstance(count, gast.Constant) and type(count.value) is int:
        return nodes.constant(max(count.value, 0))
    return call_of("max", anno.copy_tree(count), nodes.constant(0))


def _loop_index(loop, names):
    """A name that counts the iterations of `loop`: its own target in `for i in range(n)`,
    else a counter from `enumerate`."""
    single = _is_call_of(loop.iter, "range") and len(loop.iter.args) == 1
    if single and isinstance(loop.target, gast.Name) and \
            loop.target.id not in _assigned_in(loop.body):
        if loop.target.id != "_":
            return loop.target.id
        loop.target = nodes.store(names.claim("k"))  # `_` reads as a value left unused
        return loop.target.id
    index = names.claim("k")
    loop.target = gast.Tuple(elts=[nodes.store(index), loop.target], ctx=gast.Store())
    loop.iter = call_of("enumerate", loop.iter)
    return index


def _pushed(stmt):
    """`(stack, value)` of `stack.append(value)`."""
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        call = stmt.value
        if isinstance(call.func, gast.Attribute) and call.func.attr == "append" and \
                isinstance(call.func.value, gast.Name) and len(call.args) == 1:
            return call.func.value.id, call.args[0]
    return None


def _only_pushed_here_and_reversed(function, stack, push):
    """Whether `stack` is started empty, pushed only by `push`, and read only by reversed
    loops: what an array of the trip count's length can stand for."""
    starts = reads = 0
    for node in nodes.walk(function):
        if isinstance(node, gast.Assign) and nodes.assigned_name(node) == stack:
            starts += isinstance(node.value, gast.List) and not node.value.elts
            reads -= 1  # its target is no read
        elif isinstance(node, gast.Name) and node.id == stack:
            reads += 1
    reversals = [node for node in nodes.walk(function) if isinstance(node, gast.For)
                 for item in _reversed_items(node.iter) or ()
                 if isinstance(item, gast.Name) and item.id == stack]
    return starts == 1 and reads == 1 + len(reversals)  # the push, and each reversed loop


def _remove_start(function, stack):
    function.body = [s for s in function.body if nodes.assigned_name(s) != stack]


def _reversed_loops_indexed(function, names):
    """`for x in reversed(s):` becomes `for k in range(len(s) - 1, -1, -1): x = s[k]`;
    over a zip of reversed sequences, one index reads each; over `reversed(range(n))`,
    the range counts down itself."""
    ranges = _ranges(function)
    for node in list(nodes.walk(function)):
        if not isinstance(node, gast.For):
            continue
        items = _reversed_items(node.iter)
        if items is None:
            continue
        if len(items) == 1 and _is_call_of(items[0], "range") and len(items[0].args) <= 2:
            anno.set(node, "in_order", items[0])
            node.iter = _counting_down(items[0])
            continue
        index = names.claim("k")
        targets = node.target.elts if len(items) > 1 else [node.target]
        node.body[:0] = [gast.Assign(targets=[target], value=_item(item, index, ranges),
                                     type_comment=None)
                         for target, item in zip(targets, items)]
        count = call_of("len", anno.copy_tree(_first_named(items)))
        anno.set(node, "in_order", call_of("range", count))
        node.target = nodes.store(index)
        node.iter = call_of("range", _minus(count, 1), nodes.constant(-1), nodes.constant(-1))


def _ranges(function):
    """The names that hold a range wherever they are assigned."""
    values = {}
    for node in nodes.walk(function):
        if isinstance(node, (gast.Assign, gast.AugAssign, gast.For)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            for target in targets:
                for name in nodes.names_in(target):
                    values.setdefault(name, []).append(
                        _is_call_of(node.value, "range") and isinstance(target, gast.Name)
                        if isinstance(node, gast.Assign) else False)
    return {name for name, ranged in values.items() if all(ranged)}


def _item(sequence, index, ranges):
    """`sequence[index]`, for an index in range; a range's written as arithmetic, which
    Numba's `r[k]` checks at each step of a loop."""
    if isinstance(sequence, gast.Name) and sequence.id in ranges:
        step = gast.BinOp(left=nodes.load(index), op=gast.Mult(),
                          right=gast.Attribute(value=nodes.load(sequence.id), attr="step",
                                               ctx=gast.Load()))
        return gast.BinOp(left=gast.Attribute(value=nodes.load(sequence.id), attr="start",
                                              ctx=gast.Load()), op=gast.Add(), right=step)
    return gast.Subscript(value=sequence, slice=nodes.load(index), ctx=gast.Load())


def _iterations_in_order(function):
    """A reversed loop of the function's body whose iterations read nothing an earlier one
    wrote, but for the entries they add into, runs in the primal's order, and its
    additions too: the entry one iteration adds into is then the one the next reads
    first, which the compiler keeps in a register (Rosenbrock's gradient, 1.7x quicker).

    An adjoint carried from one iteration to the next counts as unchanged when the body
    gives it back through copies and `unbroadcast`s of itself: in compiled code these
    give their argument unless its type changes, and Numba compiles no name whose type
    changes from one iteration to the next. The sums into an entry then add in another
    order, which can change their last bit."""
    bindings = anno.get(function, "bindings")
    for position, loop in enumerate(function.body):
        in_order = anno.get(loop, "in_order") if isinstance(loop, gast.For) else None
        if in_order is None:
            continue
        later = {n for stmt in function.body[position + 1:] for n in nodes.read_names(stmt)}
        changed = _changed_by_iterations(loop, bindings)
        if changed is None or changed & later:
            continue
        loop.iter = in_order
        additions = []  # the last statements, each an addition after its comments
        while loop.body and isinstance(loop.body[-1], gast.AugAssign):
            start = len(loop.body) - 1
            while start and nodes.is_comment(loop.body[start - 1]):
                start -= 1
            additions.append(loop.body[start:])
            del loop.body[start:]
        loop.body += [stmt for addition in additions for stmt in addition]


def _changed_by_iterations(loop, bindings):
    """The names `loop`'s body leaves changed, or None if an iteration reads what an
    earlier one wrote: a name it assigns, read before it does (but a stack's entry, or an
    adjoint given back unchanged), or an array it adds into, read otherwise."""
    assigned = _assigned_in(loop.body) | {loop.target.id}
    added_into = {s.target.value.id for s in loop.body if isinstance(s, gast.AugAssign) and
                  isinstance(s.target, gast.Subscript) and isinstance(s.target.value, gast.Name)}
    defined, carried_in = {loop.target.id}, set()
    holds = {}  # a name -> the carried name whose value from the iteration before it holds
    for stmt in loop.body:
        if nodes.is_comment(stmt):
            continue
        if isinstance(stmt, gast.AugAssign):
            if not (isinstance(stmt.op, gast.Add) and isinstance(stmt.target, gast.Subscript)
                    and isinstance(stmt.target.value, gast.Name)) or \
                    added_into & set(nodes.read_names(stmt.target.slice)):
                return None
        elif not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
            return None
        value = stmt.value
        if effects.has_effects(value) or nodes.calls_a_method(value):
            return None
        reads = set(nodes.read_names(value))
        if isinstance(stmt, gast.Assign):
            name = stmt.targets[0].id
            copied = _copied(value, name, bindings)
            holds.pop(name, None)
            if copied == name:  # a stack's entry, its value from before read for its shape
                reads.discard(name)
            elif copied in holds:
                holds[name] = holds[copied]
            elif copied in assigned and copied not in defined:
                reads.discard(copied)
                carried_in.add(copied)
                holds[name] = copied
            defined.add(name)
        if reads & (assigned - defined) or reads & added_into:
            return None
    unchanged = {name for name in carried_in if holds.get(name) == name}
    return None if carried_in - unchanged else assigned - unchanged


def _copied(value, name, bindings):
    """The name `value` copies (`n`, or `unbroadcast(n, like)`), or `name` itself where
    `name = kept_shape(stack, k, name)` reads a stack's entry; None otherwise."""
    if isinstance(value, gast.Name):
        return value.id
    called = _called(value, bindings) if isinstance(value, gast.Call) else None
    if called is arrays.unbroadcast and isinstance(value.args[0], gast.Name):
        return value.args[0].id
    if called is arrays.kept_shape and isinstance(value.args[2], gast.Name) and \
            value.args[2].id == name:
        return name
    return None


def _reversed_values(function):
    """`reversed(range(n))` elsewhere than a loop's head counts down itself, and another
    `reversed(s)` is `s[::-1]`."""
    class Reversed(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if not (_is_call_of(node, "reversed") and len(node.args) == 1):
                return node
            sequence = node.args[0]
            if _is_call_of(sequence, "range") and len(sequence.args) <= 2:
                return _counting_down(sequence)
            backwards = gast.Slice(lower=None, upper=None, step=nodes.constant(-1))
            return gast.Subscript(value=sequence, slice=backwards, ctx=gast.Load())

    Reversed().visit(function)


def _stacks_of_shapes(function, names):
    """Stacks whose every read is only for the value's shape hold values only when they
    are arrays."""
    bindings = anno.get(function, "bindings")
    stacks = {nodes.assigned_name(s) for s in function.body if isinstance(s, gast.Assign) and
              isinstance(s.value, gast.Call) and _called(s.value, bindings) is arrays.empty_stack}
    reads = {}  # stack -> [(the statement reading it, whether only for its shape)]
    for position, loop in enumerate(function.body):
        if not isinstance(loop, gast.For):
            continue
        later = {n for stmt in function.body[position + 1:] for n in nodes.read_names(stmt)}
        shape_only = _read_for_shape_only(loop.body, bindings)
        for read in loop.body:
            stack = _stack_read(read, stacks)
            if stack is not None:
                value = read.targets[0].id
                reads.setdefault(stack, []).append(
                    (read, value in shape_only and value not in later))
    for stack, found in reads.items():
        if all(only_shape for _, only_shape in found) and \
                len(found) == nodes.loaded_names(function).count(stack) - 1:  # and the push
            _keep_shapes_only(function, stack, names)
            for read, _ in found:
                index = read.value.slice
                read.value = gast.Call(
                    func=_bound(function, names, arrays.kept_shape),
                    args=[nodes.load(stack), index, nodes.load(read.targets[0].id)],
                    keywords=[])


def _stack_read(stmt, stacks):
    """The stack of `stacks` that `stmt`, `value = stack[k]`, reads, if it is one."""
    if isinstance(stmt, gast.Assign) and nodes.assigned_name(stmt) is not None and \
            isinstance(stmt.value, gast.Subscript) and \
            isinstance(stmt.value.value, gast.Name) and stmt.value.value.id in stacks:
        return stmt.value.value.id
    return None


def _read_for_shape_only(block, bindings):
    """The names `block` reads only for their shapes: as what an adjoint is summed back
    to, or in elementwise values themselves read only so."""
    readers, shape_reads = {}, {}
    for stmt in block:
        for node in nodes.walk(stmt):
            position = _SHAPE_READERS.get(_called(node, bindings)) \
                if isinstance(node, gast.Call) else None
            if position is not None and isinstance(node.args[position], gast.Name):
                shape_reads[id(node.args[position])] = True
    for stmt in block:
        elementwise = isinstance(stmt, gast.Assign) and \
            isinstance(stmt.targets[0], gast.Name) and _is_elementwise(stmt.value)
        for node in nodes.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                reader = stmt.targets[0].id if elementwise else \
                    (None if id(node) in shape_reads else False)
                readers.setdefault(node.id, set()).add(reader)
    shape_only = set()
    changed = True
    while changed:  # a fixed point over the few names of one loop body
        changed = False
        for name, by in readers.items():
            if name not in shape_only and False not in by and \
                    all(r is None or r in shape_only for r in by):
                shape_only.add(name)
                changed = True
    return shape_only


def _is_elementwise(expression):
    if isinstance(expression, gast.BinOp):
        return _is_elementwise(expression.left) and _is_elementwise(expression.right)
    if isinstance(expression, gast.UnaryOp):
        return _is_elementwise(expression.operand)
    return isinstance(expression, (gast.Name, gast.Constant))


def _keep_shapes_only(function, stack, names):
    """`stack`'s allocation and push become those of a stack of shapes."""
    bindings = anno.get(function, "bindings")
    for _, _, block in list(nodes.blocks(function)):
        for position, stmt in enumerate(block):
            if nodes.assigned_name(stmt) == stack and isinstance(stmt.value, gast.Call) and \
                    _called(stmt.value, bindings) is arrays.empty_stack:
                stmt.value.func = _bound(function, names, arrays.shape_stack)
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) \
                    and isinstance(stmt.targets[0].value, gast.Name) and \
                    stmt.targets[0].value.id == stack:
                block[position] = gast.Expr(value=gast.Call(
                    func=_bound(function, names, arrays.keep_shape),
                    args=[nodes.load(stack), stmt.targets[0].slice, stmt.value],
                    keywords=[]))


def _reversed_items(iterated):
    """`[s]` for `reversed(s)`, `[s, t]` for `zip(reversed(s), reversed(t))`, else None."""
    if _is_call_of(iterated, "reversed") and len(iterated.args) == 1:
        return list(iterated.args)
    if _is_call_of(iterated, "zip") and iterated.args and \
            all(_is_call_of(a, "reversed") and len(a.args) == 1 for a in iterated.args):
        return [a.args[0] for a in iterated.args]
    return None


def _first_named(items):
    """The sequence a reversed loop counts by: a named one, a stack before a range."""
    named = [item for item in items if isinstance(item, gast.Name)]
    return next(iter(named), items[0])


def _counting_down(counting_up):
    """`range(n - 1, -1, -1)` for `range(n)`; `range(b - 1, a - 1, -1)` for `range(a, b)`."""
    start, stop = ([nodes.constant(0)] + counting_up.args)[-2:]
    return call_of("range", _minus(stop, 1), _minus(start, 1), nodes.constant(-1))


def _adjoints_in_place(function):
    """An adjoint that starts as zeros and is only added into by parts
    (`x_bar = x_bar + getitem_adjoint(v_bar, x, i)`) is added into in place,
    `x_bar[i] += v_bar`, when nothing else reads it before it is returned."""
    bindings = anno.get(function, "bindings")
    for name in _adjoints_by_parts(function, bindings):
        for _, _, block in list(nodes.blocks(function)):
            block[:] = [_in_place(stmt, name, bindings) for stmt in block]


def _adjoints_by_parts(function, bindings):
    """The adjoints started by `np.zeros_like` and then only added into by parts, and read
    by nothing else than those additions and a `return`."""
    starts, parts, other, reads = {}, {}, set(), {}
    integers = _integer_names(function)
    for node in nodes.walk(function):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            reads[node.id] = reads.get(node.id, 0) + 1
        name = nodes.assigned_name(node)
        if name is None:
            continue
        part = _part_added(node, name, bindings)
        if isinstance(node, gast.Assign) and _is_call_of(node.value, "zeros_like", module=True):
            starts[name] = starts.get(name, 0) + 1
        elif part is not None and _selects_each_once(part.args[2], integers):
            parts[name] = parts.get(name, 0) + isinstance(node, gast.Assign)
        else:
            other.add(name)
    returned = _read_at_return(function, bindings)
    return [name for name, count in starts.items()
            if count == 1 and name in parts and name not in other and
            reads.get(name, 0) == returned.count(name) + parts[name]]


def _selects_each_once(index, integers):
    """Whether `index` is made of integers and slices, which select each element once:
    an index array may select one twice, which `+=` would add once."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    return all(_is_integer(p, integers) or _is_call_of(p, "slice") and
               all(_is_integer(a, integers) or isinstance(a, gast.Constant) and a.value is None
                   for a in p.args) for p in parts)


def _integer_names(function):
    """The names that hold an integer wherever they are assigned: loop counters over
    ranges, items of ranges, and integer arithmetic of those."""
    ranges = {nodes.assigned_name(s) for s in nodes.walk(function)
              if isinstance(s, gast.Assign) and _is_call_of(s.value, "range")}
    assignments = {}
    for node in nodes.walk(function):
        if isinstance(node, gast.For) and _ranges_over(node.iter, ranges):
            targets = node.target.elts if isinstance(node.target, gast.Tuple) else [node.target]
            for target in targets:  # `k, i in enumerate(range(...))`: both
                assignments.setdefault(target.id, []).append(None)
        elif isinstance(node, gast.For):
            for target in nodes.names_in(node.target):
                assignments.setdefault(target, []).append(False)
        elif isinstance(node, (gast.Assign, gast.AugAssign)) and nodes.assigned_name(node):
            value = node.value if isinstance(node, gast.Assign) else \
                gast.BinOp(left=node.target, op=node.op, right=node.value)
            assignments.setdefault(nodes.assigned_name(node), []).append(value)
        elif isinstance(node, gast.Assign):
            for target in nodes.names_in(node.targets[0]):
                assignments.setdefault(target, []).append(False)
    integers = set()
    changed = True
    while changed:  # a fixed point over the assignments of a few names
        changed = False
        for name, values in assignments.items():
            if name not in integers and all(
                    v is None or v is not False and _is_integer(v, integers, ranges)
                    for v in values):
                integers.add(name)
                changed = True
    return integers


def _ranges_over(iterated, ranges):
    if _is_call_of(iterated, "enumerate"):
        iterated = iterated.args[0]
    return _is_call_of(iterated, "range") or \
        isinstance(iterated, gast.Name) and iterated.id in ranges


def _is_integer(expression, integers, ranges=()):
    if isinstance(expression, gast.Constant):
        return type(expression.value) is int
    if isinstance(expression, gast.Name):
        return expression.id in integers
    if isinstance(expression, gast.BinOp) and isinstance(
            expression.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)):
        return _is_integer(expression.left, integers, ranges) and \
            _is_integer(expression.right, integers, ranges)
    if isinstance(expression, gast.UnaryOp) and isinstance(expression.op, gast.USub):
        return _is_integer(expression.operand, integers, ranges)
    if isinstance(expression, (gast.Subscript, gast.Attribute)):  # a range's item, start, step
        return isinstance(expression.value, gast.Name) and expression.value.id in ranges
    return _is_call_of(expression, "len")


def _read_at_return(function, bindings):
    """The names a `return` reads, directly or through `cast_like(name, x)`."""
    found = []
    for node in nodes.walk(function):
        if isinstance(node, gast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, gast.Tuple) else [node.value]
            for value in values:
                if isinstance(value, gast.Call) and value.args and \
                        _called(value, bindings) is arrays.cast_like:
                    value = value.args[0]
                if isinstance(value, gast.Name):
                    found.append(value.id)
    return found


def _part_added(stmt, name, bindings):
    """The call `getitem_adjoint(g, x, index)` that `stmt` adds into `name`, if it does."""
    if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add):
        added = stmt.value
    elif isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.BinOp) and \
            isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.left, gast.Name) and \
            stmt.value.left.id == name:
        added = stmt.value.right
    else:
        return None
    if isinstance(added, gast.Call) and len(added.args) == 3 and \
            _called(added, bindings) is arrays.getitem_adjoint:
        return added
    return None


def _in_place(stmt, name, bindings):
    """`stmt`, its start or an addition of a part of `name`, written in place."""
    if nodes.assigned_name(stmt) != name:
        return stmt
    if isinstance(stmt, gast.Assign) and _is_call_of(stmt.value, "zeros_like", module=True):
        stmt.value.func.attr = "zeros"  # float zeros: an integer array's gradient is not
        stmt.value.args[0] = gast.Attribute(value=stmt.value.args[0], attr="shape",
                                            ctx=gast.Load())
        return stmt
    part = _part_added(stmt, name, bindings)
    if part is None:
        return stmt
    adjoint, _, index = part.args
    added = gast.AugAssign(target=gast.Subscript(value=nodes.load(name), slice=index,
                                                 ctx=gast.Store()),
                           op=gast.Add(), value=adjoint)
    return anno.copy_location(added, stmt)


def _zeros_of_numbers_unboxed(function, names):
    """`np.zeros_like(s)` becomes `zeros_like(s)`, 0.0 for a number `s`, where NumPy's
    would allocate an array at each reset of an adjoint in a loop."""
    for node in nodes.walk(function):
        if isinstance(node, gast.Call) and _is_call_of(node, "zeros_like", module=True) and \
                nodes.is_static(node.func):
            node.func = _bound(function, names, arrays.zeros_like)


def _products_as_operators(function):
    """Numba has no `np.matmul`, and has `@`."""
    class Products(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if _is_call_of(node, "matmul", module=True) and nodes.is_static(node.func) and \
                    len(node.args) == 2 and not node.keywords:
                return gast.BinOp(left=node.args[0], op=gast.MatMult(), right=node.args[1])
            return node

    Products().visit(function)


def _common_factors_out(function):
    """Only adjoints: the primal values stay as the function computes them."""
    for node in nodes.walk(function):
        if isinstance(node, (gast.Assign, gast.AugAssign)) and \
                (nodes.assigned_name(node) or "").endswith("_bar"):
            node.value = _factored(node.value)


def _factored(expression):
    """`a * b - a * c` as `a * (b - c)`, for a name `a` first in every term."""
    terms = _terms(expression)
    firsts = {_first_factor(term) for term in terms}
    if len(terms) < 2 or len(firsts) != 1 or None in firsts:
        return expression
    factor = firsts.pop()
    return gast.BinOp(left=nodes.load(factor), op=gast.Mult(),
                      right=_without_first_factor(expression))


def _terms(expression):
    if isinstance(expression, gast.BinOp) and isinstance(expression.op, (gast.Add, gast.Sub)):
        return _terms(expression.left) + _terms(expression.right)
    return [expression]


def _first_factor(term):
    """The name that a product `a * b * c` starts with; None for anything else."""
    if not (isinstance(term, gast.BinOp) and isinstance(term.op, gast.Mult)):
        return None
    while isinstance(term, gast.BinOp) and isinstance(term.op, gast.Mult):
        term = term.left
    return term.id if isinstance(term, gast.Name) else None


def _without_first_factor(expression):
    if isinstance(expression, gast.BinOp) and isinstance(expression.op, (gast.Add, gast.Sub)):
        return gast.BinOp(left=_without_first_factor(expression.left), op=expression.op,
                          right=_without_first_factor(expression.right))
    if isinstance(expression.left, gast.Name):
        return expression.right  # `a * b` -> `b`
    return gast.BinOp(left=_without_first_factor(expression.left), op=gast.Mult(),
                      right=expression.right)


def _zero_starts_dropped(function):
    """`t = zeros_like(s)`, then `t = t + unbroadcast(g, s)` with no read of `t` between:
    `t = unbroadcast(g, s)`, which has `s`'s shape already."""
    bindings = anno.get(function, "bindings")
    for _, _, block in list(nodes.blocks(function)):
        for position in range(len(block) - 1, -1, -1):
            start = block[position]
            if not (isinstance(start, gast.Assign) and isinstance(start.value, gast.Call) and
                    _called(start.value, bindings) is arrays.zeros_like and
                    isinstance(start.targets[0], gast.Name)):
                continue
            name, like = start.targets[0].id, start.value.args[0]
            for later in block[position + 1:]:
                added = _unbroadcast_added(later, name, like, bindings)
                if added is not None:
                    later.value = added
                    del block[position]
                    break
                if name in nodes.read_names(later) or name in nodes.names_in(later):
                    break


def _unbroadcast_added(stmt, name, like, bindings):
    """`unbroadcast(g, like)` where `stmt` is `name = name + unbroadcast(g, like)`."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and
            stmt.targets[0].id == name and isinstance(stmt.value, gast.BinOp) and
            isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.left, gast.Name) and
            stmt.value.left.id == name):
        return None
    added = stmt.value.right
    if isinstance(added, gast.Call) and _called(added, bindings) is arrays.unbroadcast and \
            len(added.args) == 2 and isinstance(added.args[1], gast.Name) and \
            isinstance(like, gast.Name) and added.args[1].id == like.id:
        return added
    return None


def _reductions_plain(function):
    """Numba's reductions take no `axis=None` nor `keepdims=False`: NumPy's defaults."""
    for node in nodes.walk(function):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                node.func.attr in _REDUCTIONS and nodes.is_static(node.func):
            node.keywords = [k for k in node.keywords
                             if not (k.arg in _PLAIN_KEYWORDS and
                                     isinstance(k.value, gast.Constant) and
                                     k.value.value is _PLAIN_KEYWORDS[k.arg])]


def _called(call, bindings):
    """The object a call's function is, where the transform bound its name."""
    return bindings.get(call.func.id) if isinstance(call.func, gast.Name) else None


def _is_call_of(node, name, module=False):
    if not isinstance(node, gast.Call):
        return False
    if module:
        return isinstance(node.func, gast.Attribute) and node.func.attr == name
    return isinstance(node.func, gast.Name) and node.func.id == name and \
        anno.get(node.func, "bind", getattr(builtins, name, None)) is getattr(builtins, name)


def _assigned_in(block):
    return {n.id for stmt in block for n in nodes.walk(stmt)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _bound(function, names, helper):
    return nodes.load(helper_name(anno.get(function, "bindings"), names, helper))


def _minus(value, amount):
    if isinstance(value, gast.Constant) and isinstance(value.value, int):
        return nodes.constant(value.value - amount)
    return gast.BinOp(left=anno.copy_tree(value), op=gast.Sub(), right=nodes.constant(amount))


def _refusal(function, reason):
    return DifferentiationError(f"{function.name} cannot be compiled by Numba: it has {reason}")
