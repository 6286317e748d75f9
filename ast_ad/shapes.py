"""Values an array adjoint reads only for their shape are not computed.

In `np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)` the adjoint of
the sum reads the summand only for its shape and type (`sum_adjoint(out_bar, v10)`),
and so do the adjoints of the additions and squares inside it (`unbroadcast(g, v6)`).
An elementwise operation's result has the shape and type its operands broadcast to, so
such a read can go to the operands instead: `v6 = 100.0 * v5` and `v5 = v4 ** 2` give
`unbroadcast(g, v4)`, and `v10 = v6 + v9` gives `sum_adjoint(out_bar, result_like(v4,
v8))`. The elementwise operations nothing else reads then go from the primal sweep.

Input and output: a reverse-mode FunctionDef on arrays, before its statics are bound.
Only top-level statements that assign a name once are left out, and only when every
name they read keeps its value to the end of the function.
"""

import gast
import numpy as np

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad.common import is_pure
from ast_ad.rules import numpy as numpy_rules

_ELEMENTWISE_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)
# The functions that read an argument only for its shape, and which argument.
_SHAPE_READERS = {numpy_rules.unbroadcast: 1, numpy_rules.sum_adjoint: 1,
                  numpy_rules.broadcast_like: 1, np.shape: 0, np.ndim: 0, np.size: 0}


def leave_out_shape_only_values(function, adjoints):
    """`function` without the elementwise values its adjoint reads only for their shape,
    nor the top-level values nothing reads (the primal output among them); `adjoints`
    maps names to the names of their adjoints."""
    counts = _assignments(function)
    parameters = {a.id for a in function.args.args + function.args.kwonlyargs}
    lasting = {n for n, count in counts.items() if count == 1 and n not in parameters} | \
        {p for p in parameters if p not in counts}
    definitions = {}  # name -> its top-level statement, for those of pure values
    elementwise = {}  # name -> the names it reads, for those of elementwise operations
    for stmt in function.body:
        if _is_pure_definition(stmt) and stmt.targets[0].id in lasting:
            definitions[stmt.targets[0].id] = stmt
            operands = _elementwise_operands(stmt)
            if operands and all(n in lasting for n in operands):
                elementwise[stmt.targets[0].id] = operands
    shape_reads = _shape_reads(function)
    kept = _kept(function, definitions, elementwise, shape_reads)

    def sources(name):
        found = []
        for operand in elementwise[name]:
            inner = operand in elementwise and operand not in kept
            for source in sources(operand) if inner else [operand]:
                if source not in found:
                    found.append(source)
        return found

    stand_ins = {name: sources(name) for name in elementwise if name not in kept}
    _StandIn(stand_ins, shape_reads).visit(function)
    left_out = {id(stmt) for name, stmt in definitions.items() if name not in kept}
    function.body = [stmt for stmt in function.body if id(stmt) not in left_out]
    _seed_full_sums_with_numbers(function, set(stand_ins), adjoints)
    return function


def _seed_full_sums_with_numbers(function, left_out, adjoints):
    """The adjoint of a full sum of a left-out value is a number where it can be.

    Every array the adjoints of the summand and of the values left out with it meet has
    the summand's shape when its operands have one shape: a number then broadcasts where
    the array of it stood, to the same values, and costs nothing to multiply: in
    Rosenbrock's `v6_bar * 100.0` and `v5_bar * 2`, and `v9_bar * 2` in `v9_bar * 2 * v8`.
    `uniform_adjoint` decides when the function runs: the number if `result_like` found
    the operands alike, the filled array otherwise. An operand's adjoint such a number
    reaches first is made an array again (`materialize`), so nothing else sees one.
    """
    seeds = [node for node in gast.walk(function) if isinstance(node, gast.Call)
             and _static(node.func) is numpy_rules.sum_adjoint and _is_full_sum(node)
             and anno.get(node.args[1], "stands_in_for") in left_out]
    if not seeds:
        return
    numbers = {adjoints[name] for name in left_out if name in adjoints}
    existing = _assignments(function).keys() | \
        {a.id for a in function.args.args + function.args.kwonlyargs}
    primal_of = {adjoint: name for name, adjoint in adjoints.items() if name in existing}
    first_contributions = []
    for stmt in gast.walk(function):
        if not isinstance(stmt, gast.stmt) or nodes.is_comment(stmt):
            continue
        header = stmt.iter if isinstance(stmt, gast.For) else getattr(stmt, "test", None) \
            if isinstance(stmt, (gast.If, gast.While)) else stmt
        if isinstance(stmt, gast.FunctionDef) or header is None or \
                not numbers & set(nodes.loaded_names(header)):
            continue
        target = nodes.assigned_name(stmt)
        if isinstance(stmt, gast.AugAssign) or target in numbers or \
                target in nodes.loaded_names(stmt.value):
            continue  # adds into an array, is one of the numbers, or adds to an array
        if not isinstance(stmt, gast.Assign) or target not in primal_of:
            return  # something else reads them: keep the arrays
        first_contributions.append(stmt)
    for call in seeds:
        call.func = nodes.bound("uniform_adjoint", numpy_rules.uniform_adjoint)
        call.args, call.keywords = call.args[:2], []
    for stmt in first_contributions:
        like = nodes.load(primal_of[stmt.targets[0].id])
        stmt.value = gast.Call(func=nodes.bound("materialize", numpy_rules.materialize),
                               args=[stmt.value, like], keywords=[])


def _is_full_sum(call):
    """`sum_adjoint(g, x, None, False)`: the adjoint of `np.sum(x)`."""
    rest = call.args[2:] + [k.value for k in call.keywords]
    return len(call.args) >= 2 and all(isinstance(a, gast.Constant) and a.value in (None, False)
                                       for a in rest)


def _kept(function, definitions, elementwise, shape_reads):
    """The defined names whose values the function needs: those read other than for their
    shape, and those read for their shape that are not elementwise (a slice), directly or
    through the operands of elementwise ones left out."""
    readers = {}  # id of a name node a definition reads -> the name it defines
    for name, stmt in definitions.items():
        for node in gast.walk(stmt.value):
            readers[id(node)] = name
    reads = [node for node in gast.walk(function)
             if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)]
    kept = set()
    while True:
        live = [n for n in reads if id(n) not in readers or readers[id(n)] in kept]
        for_value = {n.id for n in live if id(n) not in shape_reads}
        for_shape = {n.id for n in live if id(n) in shape_reads}
        pending = [n for n in for_shape if n in elementwise and n not in for_value]
        while pending:
            for operand in elementwise[pending.pop()]:
                if operand not in for_shape:
                    for_shape.add(operand)
                    if operand in elementwise and operand not in for_value:
                        pending.append(operand)
        new = {n for n in definitions
               if n in for_value or (n in for_shape and n not in elementwise)}
        if new == kept:
            return kept
        kept = new


def _is_pure_definition(stmt):
    """`name = value`, where computing the value changes nothing else."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
        is_pure(stmt.value)


def _static(function):
    """The object a reference to a function stands for, if known."""
    if anno.get(function, "bind") is not None:
        return anno.get(function, "bind")
    static = anno.get(function, "static")
    return static.value if static is not None else None


def _assignments(function):
    """How many statements assign each name, loop headers included."""
    counts = {}
    for node in gast.walk(function):
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


def _is_elementwise(function):
    """A ufunc of one result that maps elements to elements (not `np.matmul`, whose
    signature says it maps matrices)."""
    return isinstance(function, np.ufunc) and function.nout == 1 and function.signature is None


def _shape_reads(function):
    """The name nodes that are arguments read for their shape only."""
    found = set()
    for node in gast.walk(function):
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
    """Each read for the shape of a left-out value goes to its operands."""

    def __init__(self, stand_ins, shape_reads):
        self.stand_ins = stand_ins
        self.shape_reads = shape_reads

    def visit_Name(self, node):
        if id(node) not in self.shape_reads or node.id not in self.stand_ins:
            return node
        sources = self.stand_ins[node.id]
        if len(sources) == 1:
            stand_in = nodes.load(sources[0])
        else:
            stand_in = gast.Call(func=nodes.bound("result_like", numpy_rules.result_like),
                                 args=[nodes.load(s) for s in sources], keywords=[])
        return anno.set(stand_in, "stands_in_for", node.id)
