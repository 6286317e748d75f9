"""Values an array adjoint reads only for their shape are not computed.

In `np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)` the adjoint of
the sum reads the summand only for its shape and type (`sum_adjoint(out_bar, v10)`),
and so do the adjoints of the additions and squares inside it (`unbroadcast(g, v6)`).
An elementwise operation's result has the shape and type its operands broadcast to, so
such a read can go to the operands instead: `v6 = 100.0 * v5` and `v5 = v4 ** 2` give
`unbroadcast(g, v4)`, and `v10 = v6 + v9` gives `sum_adjoint(out_bar, result_like(v4,
v8))`. The elementwise operations nothing else reads then go from the primal sweep.

A product `x @ y` has the shape `matmul_like(x, y)` gives: read only for its shape it is
left out too, and a temporary product read once for its value gets the stand-in as well,
so that the optimizer can write it into the line that reads it (`np.tanh(X @ W + b)`)
and no name holds it to the end.

Input and output: a reverse-mode FunctionDef on arrays, before its statics are bound.
Only top-level statements that assign a name once are left out, and only when every
name they read keeps its value to the end of the function.
"""

import collections

import gast
import numpy as np

from ast_ad.ad import effects
from ast_ad.ir import annotations as anno
from ast_ad.ir import naming, nodes
from ast_ad.runtime import arrays, linalg

_ELEMENTWISE_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)
# The functions that read an argument only for its shape, and which argument.
_SHAPE_READERS = {arrays.unbroadcast: 1, arrays.sum_adjoint: 1,
                  arrays.mean_adjoint: 1, arrays.broadcast_like: 1, np.shape: 0,
                  np.ndim: 0, np.size: 0}


def leave_out_shape_only_values(function, adjoints, classes):
    """`function` without the elementwise values its adjoint reads only for their shape,
    nor the top-level values nothing reads (the primal output among them); `adjoints`
    maps names to the names of their adjoints, `classes` names of one shape for certain
    to their class (see `sweeps.shape_classes`)."""
    counts = _assignments(function)
    parameters = {a.id for a in function.args.args + function.args.kwonlyargs}
    lasting = {n for n, count in counts.items() if count == 1 and n not in parameters} | \
        {p for p in parameters if p not in counts}
    definitions = {}  # name -> its top-level statement, for those of pure values
    elementwise = {}  # name -> the names it reads, for those of elementwise operations
    products = {}  # name -> its operands' names, for those of `x @ y`
    for stmt in function.body:
        if _is_pure_definition(stmt) and stmt.targets[0].id in lasting:
            name = stmt.targets[0].id
            definitions[name] = stmt
            for kind, operands in ((elementwise, _elementwise_operands(stmt)),
                                   (products, _product_operands(stmt))):
                if operands and all(n in lasting for n in operands):
                    kind[name] = operands
    shape_reads = _shape_reads(function)
    kept, value_reads = _kept(function, definitions, {**elementwise, **products}, shape_reads)
    left_out = {n for n in elementwise if n not in kept}
    # A product read once for its value is best not named: it may be a layer's worth of
    # memory, held until the function returns.
    user_names = anno.get(function, "user_names") or set()
    stand_ins = left_out | {n for n in products if n not in kept or (
        value_reads.get(n) == 1 and naming.is_temporary(n, user_names))}

    def sources(name):
        found = []
        for operand in elementwise[name]:
            inner = operand in elementwise and operand in stand_ins
            for source in sources(operand) if inner else [operand]:
                if source not in found:
                    found.append(source)
        return found

    def stand_in(name):
        if name not in stand_ins:
            return nodes.load(name)
        if name in products:
            node = _call("matmul_like", linalg.matmul_like, map(stand_in, products[name]))
        else:
            found, kinds = [], set()
            for source in sources(name):  # of names of one shape, one stands in for all
                if classes.get(source) is None or classes[source] not in kinds:
                    found.append(source)
                    kinds.add(classes.get(source))
            node = stand_in(found[0]) if len(found) == 1 else \
                _call("result_like", arrays.result_like, map(stand_in, found))
        return anno.set(node, "stands_in_for", name)

    _StandIn(stand_in, stand_ins, shape_reads).visit(function)
    dropped = {id(stmt) for name, stmt in definitions.items() if name not in kept}
    function.body = [stmt for stmt in function.body if id(stmt) not in dropped]
    _seed_full_sums_with_numbers(function, left_out, adjoints, classes)
    return function


def _call(name, value, args):
    return gast.Call(func=nodes.bound(name, value), args=list(args), keywords=[])


def _seed_full_sums_with_numbers(function, left_out, adjoints, classes):
    """The adjoint of a full sum of a left-out value is a number where it can be.

    Every array the adjoints of the summand and of the values left out with it meet has
    the summand's shape when its operands have one shape: a number then broadcasts where
    the array of it stood, to the same values, and costs nothing to multiply: in
    Rosenbrock's `v6_bar * 100.0` and `v5_bar * 2`, and `v9_bar * 2` in `v9_bar * 2 * v8`.
    `uniform_adjoint` decides when the function runs: the number if `result_like` found
    the operands alike, the filled array otherwise. An operand's adjoint such a number
    reaches first is made an array again (`materialize`), so nothing else sees one, unless
    it is one already: computed with the operand or a name of its shape, there or in a
    contribution added to it next (`z_bar = z_bar + v1_bar * v1`, with `v1 = np.exp(z)`).
    """
    seeds = [node for node in nodes.walk(function) if isinstance(node, gast.Call)
             and _static(node.func) is arrays.sum_adjoint and _is_full_sum(node)
             and anno.get(node.args[1], "stands_in_for") in left_out]
    if not seeds:
        return
    numbers = {adjoints[name] for name in left_out if name in adjoints}
    existing = _assignments(function).keys() | \
        {a.id for a in function.args.args + function.args.kwonlyargs}
    primal_of = {adjoint: name for name, adjoint in adjoints.items() if name in existing}
    first_contributions = []
    for stmt in nodes.walk(function):
        if not isinstance(stmt, gast.stmt) or nodes.is_comment(stmt):
            continue
        header = stmt.iter if isinstance(stmt, gast.For) else getattr(stmt, "test", None) \
            if isinstance(stmt, (gast.If, gast.While)) else stmt
        if isinstance(stmt, gast.FunctionDef) or header is None or \
                not numbers & set(nodes.read_names(header)):
            continue
        target = nodes.assigned_name(stmt)
        if isinstance(stmt, gast.AugAssign) or target in numbers or \
                target in nodes.read_names(stmt.value):
            continue  # adds into an array, is one of the numbers, or adds to an array
        if not isinstance(stmt, gast.Assign) or target not in primal_of:
            return  # something else reads them: keep the arrays
        first_contributions.append(stmt)
    for call in seeds:
        call.func = nodes.bound("uniform_adjoint", arrays.uniform_adjoint)
        call.args, call.keywords = call.args[:2], []
    for stmt in first_contributions:
        operand = primal_of[stmt.targets[0].id]
        shaped = {operand} | {n for n, kind in classes.items() if kind == classes.get(operand)}
        if not (_computes_with(stmt.value, shaped) or
                _next_contribution_computes_with(function.body, stmt, shaped)):
            stmt.value = _call("materialize", arrays.materialize,
                               [stmt.value, nodes.load(operand)])


def _computes_with(expression, names):
    """Whether the arithmetic of `expression` takes one of `names` as an operand (`g / (1.0
    + v1)` or `g * np.cos(v1)` for `v1`): its result then is an array with that name's
    shape or more, or a number as the name is, and `materialize(expression, name)` would
    give it back unchanged."""
    if isinstance(expression, gast.Name):
        return expression.id in names
    if isinstance(expression, gast.BinOp) and isinstance(expression.op, _ELEMENTWISE_OPERATORS):
        return _computes_with(expression.left, names) or _computes_with(expression.right, names)
    if isinstance(expression, gast.UnaryOp) and isinstance(expression.op, gast.USub):
        return _computes_with(expression.operand, names)
    if isinstance(expression, gast.Call) and _is_elementwise(_static(expression.func)):
        return any(_computes_with(arg, names) for arg in expression.args)
    return False


def _next_contribution_computes_with(body, first, names):
    """Whether the top-level statement `first`, `x_bar = ...`, is followed, before anything
    else reads `x_bar`, by `x_bar = x_bar + e` where `e` computes with one of `names`."""
    position = next((i for i, stmt in enumerate(body) if stmt is first), None)
    if position is None:
        return False
    target = first.targets[0].id
    for stmt in body[position + 1:]:
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and nodes.assigned_name(stmt) == target and \
                isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
                isinstance(value.left, gast.Name) and value.left.id == target:
            return _computes_with(value.right, names)
        if target in nodes.read_names(stmt) or nodes.assigned_name(stmt) == target:
            return False
    return False


def _is_full_sum(call):
    """`sum_adjoint(g, x, None, False)`: the adjoint of `np.sum(x)`."""
    rest = call.args[2:] + [k.value for k in call.keywords]
    return len(call.args) >= 2 and all(isinstance(a, gast.Constant) and a.value in (None, False)
                                       for a in rest)


def _kept(function, definitions, derived, shape_reads):
    """The defined names whose values the function needs, and how often it reads each for
    its value. Needed are those read other than for their shape, and those read for their
    shape that are not `derived` from operands by an elementwise operation or a product
    (a slice), directly or through the operands of derived ones left out."""
    readers = {}  # id of a name node a definition reads -> the name it defines
    for name, stmt in definitions.items():
        for node in nodes.walk(stmt.value):
            readers[id(node)] = name
    reads = [node for node in nodes.walk(function)
             if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)]
    kept = set()
    while True:
        live = [n for n in reads if id(n) not in readers or readers[id(n)] in kept]
        value_reads = collections.Counter(n.id for n in live if id(n) not in shape_reads)
        for_shape = {n.id for n in live if id(n) in shape_reads}
        pending = [n for n in for_shape if n in derived and n not in value_reads]
        while pending:
            for operand in derived[pending.pop()]:
                if operand not in for_shape:
                    for_shape.add(operand)
                    if operand in derived and operand not in value_reads:
                        pending.append(operand)
        new = {n for n in definitions
               if n in value_reads or (n in for_shape and n not in derived)}
        if new == kept:
            return kept, value_reads
        kept = new


def _is_pure_definition(stmt):
    """`name = value`, where computing the value changes nothing else."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
        effects.is_pure_value(stmt.value)


def _static(function):
    """The object a reference to a function stands for, if known."""
    if anno.get(function, "bind") is not None:
        return anno.get(function, "bind")
    static = anno.get(function, "static")
    if static is not None:
        return static.value
    if isinstance(function, gast.Attribute):  # `np.cos` in a rule's template: `np` is bound
        owner = _static(function.value)
        return getattr(owner, function.attr, None) if owner is not None else None
    return None


def _assignments(function):
    """How many statements assign each name, loop headers included."""
    counts = {}
    for node in nodes.walk(function):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            counts[node.target.id] = counts.get(node.target.id, 0) + 1
    return counts


def _elementwise_operands(stmt):
    """The names `name = <elementwise operation on names and plain numbers>` reads."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
        return None
    value = stmt.value
    if isinstance(value, gast.BinOp) and isinstance(value.op, _ELEMENTWISE_OPERATORS):
        operands = [value.left, value.right]
    elif isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
        operands = [value.operand]
    elif isinstance(value, gast.Call) and _is_elementwise(_static(value.func)) \
            and not value.keywords:
        operands = value.args
    else:
        return None
    names = [o.id for o in operands if isinstance(o, gast.Name)]
    numbers = [o for o in operands if isinstance(o, gast.Constant)
               and type(o.value) in (int, float)]
    return names if names and len(names) + len(numbers) == len(operands) else None


def _product_operands(stmt):
    """The names `name = x @ y` (or `np.matmul(x, y)`) reads."""
    value = stmt.value
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.MatMult):
        operands = [value.left, value.right]
    elif isinstance(value, gast.Call) and _static(value.func) is np.matmul and \
            len(value.args) == 2 and not value.keywords:
        operands = value.args
    else:
        return None
    names = [o.id for o in operands if isinstance(o, gast.Name)]
    return names if len(names) == 2 else None


def _is_elementwise(function):
    """A ufunc of one result that maps elements to elements (not `np.matmul`, whose
    signature says it maps matrices)."""
    return isinstance(function, np.ufunc) and function.nout == 1 and function.signature is None


def _shape_reads(function):
    """The name nodes that are arguments read for their shape only."""
    found = set()
    for node in nodes.walk(function):
        if isinstance(node, gast.Call):
            position = _SHAPE_READERS.get(_bound(node.func))
            if position is not None and len(node.args) > position and \
                    isinstance(node.args[position], gast.Name):
                found.add(id(node.args[position]))
    return found


def _bound(function):
    value = _static(function)
    try:
        return value if value in _SHAPE_READERS else None
    except TypeError:  # unhashable
        return None


class _StandIn(gast.NodeTransformer):
    """Each read for the shape of a value with a stand-in goes to the stand-in."""

    def __init__(self, stand_in, names, shape_reads):
        self.stand_in, self.names, self.shape_reads = stand_in, names, shape_reads

    def visit_Name(self, node):
        if id(node) in self.shape_reads and node.id in self.names:
            return self.stand_in(node.id)
        return node
