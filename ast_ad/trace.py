"""Evaluation-trace tables: the survey's primal, tangent and adjoint tables, computed.

`trace(f, 2.0, 5.0, wrt=(0, 1))` lists each statement of the *unoptimized* derivative
(the lowered trace, then the sweep the passes write from it, as printed by
`source(differentiate(f, ..., optimized=False))`) beside the value it takes at that
point. The statements come from the passes `differentiate` uses; the values come from
running the generated code itself, compiled with one extra call after each assignment
that records the value assigned. Nothing here evaluates an expression on its own.

>>> import math
>>> def f(x1, x2):
...     return math.log(x1) + x1 * x2 - math.sin(x2)
>>> print(trace(f, 2.0, 5.0, mode="forward"))
trace of f at x1=2.0, x2=5.0, forward mode
<BLANKLINE>
primal trace:
  v-1 = x1                   2.000
  v0 = x2                    5.000
  v1 = math.log(x1)          0.693
  v2 = x1 * x2              10.000
  v3 = v1 + v2              10.693
  v4 = math.sin(x2)         -0.959
  out = v3 - v4             11.652
<BLANKLINE>
tangent trace along x1:
  x1_dot = 1.0               1.000  # seed
  x2_dot = 0.0               0.000  # seed: x2 is held fixed
  v1_dot = x1_dot / x1       0.500  # v1 = math.log(x1)
  v2_dot = x1_dot * x2       5.000  # v2 = x1 * x2
  v3_dot = v1_dot + v2_dot   5.500  # v3 = v1 + v2
  v4_dot = 0.0               0.000  # v4 = math.sin(x2), not computed: zero along x1
  out_dot = v3_dot           5.500  # out = v3 - v4
  df/dx1 = out_dot           5.500  # returned
"""

import dataclasses
import inspect
import numbers

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad.api import differentiate
from ast_ad.check import check
from ast_ad.codegen import compile_function, to_source
from ast_ad.errors import DifferentiationError
from ast_ad.forward import forward
from ast_ad.lower import lower, parameters
from ast_ad.naming import Namer
from ast_ad.parse import parse_function
from ast_ad.reverse import reverse

_TITLES = {"primal": "primal trace", "adjoint": "adjoint trace, in reverse order"}


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of a trace table: `name = expression`, and the value it took.

    `section` is "primal", "adjoint", or "tangent along x" (one per forward sweep);
    `note` says where the row comes from, and is printed as a comment.
    """

    name: str
    expression: str
    value: object
    section: str
    note: str = ""


class Trace:
    """The evaluation-trace tables of one function at one point; `str()` prints them."""

    def __init__(self, title, rows):
        self.title = title
        self.rows = rows

    def __str__(self):
        return _format(self.title, self.rows)

    __repr__ = __str__  # so that the table shows at the prompt


def trace(function, *args, wrt=0, mode="reverse") -> Trace:
    """The evaluation trace of `function` at `args`, with its tangents or adjoints.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        *args: the point, as positional arguments of `function`.
        wrt: the parameter to differentiate with respect to: an index, a name, or a
            tuple of them.
        mode: "reverse" (the primal trace, then one adjoint trace in reverse order) or
            "forward" (the primal trace, then one tangent trace per `wrt` parameter).

    Returns:
        A `Trace`: `str()` gives the tables, values printed with 3 decimals, and
        `.rows` the `Row`s, in the tables' order.

    Raises:
        DifferentiationError: `function` cannot be differentiated as asked (the errors
            of `differentiate`), or does not take `args`.
    """
    wrt = tuple(wrt) if isinstance(wrt, list) else wrt
    differentiate(function, wrt=wrt, mode=mode, optimized=False)  # its checks and errors
    try:
        inspect.signature(function).bind(*args)
    except TypeError as error:
        raise DifferentiationError(f"trace: {function.__name__} cannot take the arguments "
                                   f"{args!r}: {error}") from None
    lowered = lower(check(parse_function(function)))
    names = _wrt_names(lowered, wrt)
    if mode == "reverse":
        sweeps = [("adjoint", names, reverse(lowered, names))]
    else:  # one sweep per parameter, as the survey's table is one column of the Jacobian
        sweeps = [(f"tangent along {p}", [p], forward(lowered, [p])) for p in names]
    seeds = len(lowered.args.kwonlyargs)
    rows = []
    for k, (section, sweep_wrt, derivative) in enumerate(sweeps):
        entries = _entries(derivative, lowered, sweep_wrt, section)
        values, result = _run(derivative, entries, anno.get(lowered, "scope"), args,
                              [a.id for a in derivative.args.kwonlyargs[seeds:]])
        results = _result_entries(derivative, function.__name__, sweep_wrt, section)
        values += result if isinstance(result, tuple) else (result,)
        rows += [Row(e.name, e.expression or repr(value), value, e.section, e.note)
                 for e, value in zip(entries + results, values)
                 if k == 0 or e.section != "primal"]
    shown = ", ".join(f"{p}={v!r}" for p, v in zip(parameters(lowered), args))
    return Trace(f"trace of {function.__name__} at {shown}, {mode} mode", rows)


def _wrt_names(tree, wrt):
    """The parameter names `wrt` designates (`differentiate` has checked it)."""
    positional = [a.id for a in tree.args.posonlyargs + tree.args.args]
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return [positional[item] if isinstance(item, int) else item for item in items]


def _primal_names(lowered):
    return {nodes.assigned_name(s) for s in lowered.body} - {None}


@dataclasses.dataclass(eq=False)
class _Entry:
    """A row to be: its text now, its value once the generated code has run."""

    section: str
    name: str
    expression: str = ""
    node: object = None  # the statement or parameter whose value is recorded
    value: object = None  # a fixed value, for rows the generated code does not compute
    note: str = ""


def _entries(derivative, lowered, wrt, section):
    """The rows of one generated sweep, in the tables' order, before any value is known."""
    primal = _primal_names(lowered)
    statements = [s for s in derivative.body if nodes.assigned_name(s) or nodes.is_comment(s)]
    return (_inputs(lowered)
            + [_statement_entry("primal", s) for s in statements
               if nodes.assigned_name(s) in primal]
            + _seeds(derivative, lowered, wrt, section)
            + _derived(statements, primal, wrt, section))


def _inputs(lowered):
    """The parameters, labelled as the survey's inputs: v-1, v0 for two."""
    names = parameters(lowered)
    return [_Entry("primal", f"v{i - len(names) + 1}", name, node=name)
            for i, name in enumerate(names)]


def _seeds(derivative, lowered, wrt, section):
    seeds = [a.id for a in derivative.args.kwonlyargs[len(lowered.args.kwonlyargs):]]
    if section == "adjoint":
        return [_Entry(section, seeds[0], node=seeds[0], note="seed")]
    seed_of = dict(zip(wrt, seeds))
    return [_Entry(section, seed_of[p], node=seed_of[p], note="seed") if p in seed_of else
            _Entry(section, f"{p}_dot", "0.0", value=0.0, note=f"seed: {p} is held fixed")
            for p in parameters(lowered)]


def _derived(statements, primal, wrt, section):
    """The tangent or adjoint rows, each noting the trace statement it differentiates."""
    entries, note = [], ""
    for i, stmt in enumerate(statements):
        name = nodes.assigned_name(stmt)
        if nodes.is_comment(stmt):  # reverse mode: each block is headed `# v2 = x1 * x2`
            note = anno.get(stmt, "comment") or note
        elif name not in primal:
            entries.append(_statement_entry(section, stmt, note))
        elif section != "adjoint":  # forward mode: each statement is followed by its tangent
            note = _text(stmt)
            following = statements[i + 1] if i + 1 < len(statements) else None
            if following is None or nodes.assigned_name(following) in primal:
                entries.append(_Entry(section, f"{name}_dot", "0.0", value=0.0,
                                      note=f"{note}, not computed: zero along {wrt[0]}"))
    return entries


def _statement_entry(section, stmt, note=""):
    name = nodes.assigned_name(stmt)
    value = stmt.value
    if isinstance(stmt, gast.AugAssign):  # `x_bar += e` reads as `x_bar = x_bar + e`
        value = gast.BinOp(left=nodes.load(name), op=stmt.op, right=stmt.value)
    return _Entry(section, name, _text(value), node=stmt, note=note)


def _result_entries(derivative, name, wrt, section):
    returned = derivative.body[-1].value
    elements = returned.elts if isinstance(returned, gast.Tuple) else [returned]
    return [_Entry(section, f"d{name}/d{p}", _text(e), note="returned")
            for p, e in zip(wrt, elements)]


def _run(derivative, entries, scope, args, seeds):
    """Run `derivative` on `args`, recording the value of each entry: `(values, result)`."""
    tree = anno.copy_tree(derivative)
    namer = Namer(nodes.all_names(tree))
    record = namer.claim("record")
    tree.name = namer.claim(f"traced_{derivative.name}")

    def recording(index, name):
        call = gast.Call(func=nodes.load(record),
                         args=[nodes.constant(index), nodes.load(name)], keywords=[])
        return gast.Expr(value=call)

    of_statement = {id(e.node): i for i, e in enumerate(entries) if isinstance(e.node, gast.stmt)}
    body = [tree.body[0]]  # the docstring, then the parameters' values
    body += [recording(i, e.node) for i, e in enumerate(entries) if isinstance(e.node, str)]
    for original, stmt in zip(derivative.body[1:], tree.body[1:]):
        body.append(stmt)
        if id(original) in of_statement:
            body.append(recording(of_statement[id(original)], nodes.assigned_name(stmt)))
    tree.body = body
    values = [e.value for e in entries]

    def store(index, value):
        values[index] = value

    bindings = {**anno.get(derivative, "bindings"), record: store}
    function = compile_function(to_source(tree), tree.name, scope, bindings,
                                dict.fromkeys(seeds, 1.0))
    return values, function(*args)


def _text(node):
    if not isinstance(node, gast.stmt):
        node = gast.Expr(value=node)
    return to_source(node).strip()


def _shown(value):
    if isinstance(value, numbers.Real):
        text = f"{value:.3f}"
        return "0.000" if text == "-0.000" else text
    return repr(value)


def _format(title, rows):
    statements = [f"{r.name} = {r.expression}" for r in rows]
    numbers_ = [_shown(r.value) for r in rows]
    width = max(map(len, statements), default=0)
    value_width = max(map(len, numbers_), default=0)
    lines, section = [title], None
    for row, statement, number in zip(rows, statements, numbers_):
        if row.section != section:
            section = row.section
            lines += ["", f"{_TITLES.get(section, section.replace('tangent', 'tangent trace'))}:"]
        note = f"  # {row.note}" if row.note else ""
        lines.append(f"  {statement:<{width}}  {number:>{value_width}}{note}")
    return "\n".join(lines)
