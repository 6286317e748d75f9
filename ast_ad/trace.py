"""Evaluation-trace tables: the survey's primal, tangent and adjoint tables, computed.

`trace(f, 2.0, 5.0, wrt=(0, 1))` lists each statement of the *unoptimized* derivative
(the lowered trace, then the sweep the passes write from it, as printed by
`source(differentiate(f, ..., optimized=False))`) beside the value it takes at that
point. The statements come from the passes `differentiate` uses; the values come from
running the generated code itself, compiled with one extra call after each assignment
that records the value assigned. Nothing here evaluates an expression on its own. Rows
follow the order the code ran, so a statement in a loop shows once per iteration.

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
from collections.abc import Callable

import gast

from ast_ad import display
from ast_ad.ad.forward import forward
from ast_ad.ad.reverse import reverse
from ast_ad.api import differentiate
from ast_ad.backend.codegen import compile_function
from ast_ad.errors import DifferentiationError
from ast_ad.frontend.check import check
from ast_ad.frontend.lower import lower, parameters
from ast_ad.frontend.parse import name_of, parse_function
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer
from ast_ad.ir.printer import comment_text, to_source

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

    def _repr_html_(self):
        sections = {}
        for row in self.rows:
            sections.setdefault(_heading(row.section), []).append(
                (f"{row.name} = {row.expression}", _shown(row.value), row.note))
        return display.tables_html(self.title, sections.items())


def trace(function: Callable, *args, wrt=0, mode: str = "reverse") -> Trace:
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
        raise DifferentiationError(f"trace: {name_of(function)} cannot take the arguments "
                                   f"{args!r}: {error}") from None
    lowered = lower(check(parse_function(function)))
    names = _wrt_names(lowered, wrt)
    if mode == "reverse":  # a name for a single parameter, as differentiate passes it
        adjoint = reverse(lowered, names if isinstance(wrt, tuple) else names[0])
        sweeps = [_Sweep(lowered, adjoint, names, "adjoint")]
    else:  # one sweep per parameter: the survey's table is one column of the Jacobian
        sweeps = [_Sweep(lowered, forward(lowered, p), [p], f"tangent along {p}")
                  for p in names]
    # The tangent function computes every primal value; an adjoint only those it needs.
    primal = sweeps[0] if mode == "forward" else \
        _Sweep(lowered, forward(lowered, names[0]), names[:1], "tangent")
    rows = [row for row in primal.rows(name_of(function), args) if row.section == "primal"]
    for sweep in sweeps:
        rows += [row for row in sweep.rows(name_of(function), args) if row.section != "primal"]
    shown = ", ".join(f"{p}={v!r}" for p, v in zip(parameters(lowered), args))
    return Trace(f"trace of {name_of(function)} at {shown}, {mode} mode", rows)


def _wrt_names(tree, wrt):
    """The parameter names `wrt` designates (`differentiate` has checked it)."""
    positional = [a.id for a in tree.args.posonlyargs + tree.args.args]
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return [positional[item] if isinstance(item, int) else item for item in items]


@dataclasses.dataclass
class _Entry:
    """What a recorded value will be shown as: a row without its value."""

    section: str
    name: str
    expression: str
    note: str = ""
    follows: object = None  # forward mode: the primal entry a tangent statement follows
    is_statement: bool = True

    def row(self, value):
        return Row(self.name, self.expression or repr(value), value, self.section, self.note)


class _Sweep:
    """One generated sweep, compiled with a `record(entry, value)` call after each assignment.

    Its rows are the recorded values in the order the code ran, primal rows first.
    """

    def __init__(self, lowered, derivative, wrt, section):
        self.lowered, self.derivative, self.wrt, self.section = lowered, derivative, wrt, section
        self.primal = {n.id for n in nodes.walk(lowered)
                       if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        namer = Namer(nodes.names_in(derivative))
        self.record = namer.claim("record")
        self.name = namer.claim(f"traced_{derivative.name}")
        self.entries = []
        self.last_primal = None

    def rows(self, name, args):
        events = []
        function = self.compile(lambda index, value: events.append((self.entries[index], value)))
        result = function(*args)
        primal = [e.row(value) for e, value in events if e.section == "primal"]
        derived = self.seed_rows(events) + self.derived_rows(events) + self.result_rows(name,
                                                                                     result)
        return primal + derived

    def compile(self, record):
        tree = anno.copy_tree(self.derivative)
        tree.name = self.name
        user = parameters(self.lowered)
        seeds = [a.id for a in tree.args.kwonlyargs[len(self.lowered.args.kwonlyargs):]]
        labels = [f"v{i - len(user) + 1}" for i in range(len(user))]  # v-1, v0 for two
        starts = [self.recording(_Entry("primal", label, p, is_statement=False), p)
                  for label, p in zip(labels, user)]
        starts += [self.recording(_Entry(self.section, s, "", "seed", is_statement=False), s)
                   for s in seeds]
        tree.body = tree.body[:1] + starts + self.block(tree.body[1:], top=True)
        bindings = {**anno.get(self.derivative, "bindings"), self.record: record}
        return compile_function(to_source(tree), tree.name, anno.get(self.lowered, "scope"),
                                bindings, dict.fromkeys(seeds, 1.0))

    def block(self, statements, top=False, note="", in_sweep=False):
        """`statements` with a recording after each assignment, nested blocks included."""
        result = []
        for stmt in statements:
            result.append(stmt)
            if nodes.is_comment(stmt):
                text = comment_text(stmt)
                in_sweep = in_sweep or (top and text == "")  # reverse mode: the blank line
                note = text or note
            elif nodes.assigned_name(stmt) is not None:
                result.append(self.recording(self.entry(stmt, note, in_sweep),
                                             nodes.assigned_name(stmt)))
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field), False, "", in_sweep))
        return result

    def entry(self, stmt, note, in_sweep):
        name = nodes.assigned_name(stmt)
        value = stmt.value
        if isinstance(stmt, gast.AugAssign):  # `x_bar += e` reads as `x_bar = x_bar + e`
            value = gast.BinOp(left=nodes.load(name), op=stmt.op, right=stmt.value)
        if in_sweep:
            return _Entry(self.section, name, _text(value), note)
        if self.section != "adjoint" and name not in self.primal:
            primal = self.last_primal
            note = f"{primal.name} = {primal.expression}" if primal else ""
            return _Entry(self.section, name, _text(value), note, follows=primal)
        entry = _Entry("primal", name, _text(value))
        self.last_primal = entry
        return entry

    def recording(self, entry, name):
        self.entries.append(entry)
        call = gast.Call(func=nodes.load(self.record), keywords=[],
                         args=[nodes.constant(len(self.entries) - 1), nodes.load(name)])
        return gast.Expr(value=call)

    def seed_rows(self, events):
        seeds = [(e, value) for e, value in events if e.section != "primal" and not e.is_statement]
        if self.section == "adjoint":
            return [e.row(value) for e, value in seeds]
        seed_of = dict(zip(self.wrt, seeds))
        return [seed_of[p][0].row(seed_of[p][1]) if p in seed_of else
                Row(f"{p}_dot", "0.0", 0.0, self.section, f"seed: {p} is held fixed")
                for p in parameters(self.lowered)]

    def derived_rows(self, events):
        """The sweep's rows; in forward mode, a zero row where a value gets no tangent."""
        rows = []
        for k, (entry, value) in enumerate(events):
            if entry.section != "primal" and entry.is_statement:
                rows.append(entry.row(value))
            elif self.section != "adjoint" and entry.is_statement:
                following = events[k + 1][0] if k + 1 < len(events) else None
                if following is None or following.follows is not entry:
                    text = f"{entry.name} = {entry.expression}"
                    rows.append(Row(f"{entry.name}_dot", "0.0", 0.0, self.section,
                                    f"{text}, not computed: zero along {self.wrt[0]}"))
        return rows

    def result_rows(self, name, result):
        returned = self.derivative.body[-1].value
        elements = returned.elts if isinstance(returned, gast.Tuple) else [returned]
        values = result if isinstance(result, tuple) else (result,)
        return [Row(f"d{name}/d{p}", _text(e), value, self.section, "returned")
                for p, e, value in zip(self.wrt, elements, values)]


def _text(node):
    if not isinstance(node, gast.stmt):
        node = gast.Expr(value=node)
    return to_source(node).strip()


def _shown(value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        text = f"{value:.3f}"
        return "0.000" if text == "-0.000" else text
    return repr(value)


def _heading(section):
    return _TITLES.get(section, section.replace("tangent", "tangent trace"))


def _format(title, rows):
    statements = [f"{r.name} = {r.expression}" for r in rows]
    values = [_shown(r.value) for r in rows]
    width = max(map(len, statements), default=0)
    value_width = max(map(len, values), default=0)
    lines, section = [title], None
    for row, statement, value in zip(rows, statements, values):
        if row.section != section:
            section = row.section
            lines += ["", f"{_heading(section)}:"]
        note = f"  # {row.note}" if row.note else ""
        lines.append(f"  {statement:<{width}}  {value:>{value_width}}{note}")
    return "\n".join(lines)
