"""gast -> source text: how the IR, and the code generated from it, prints.

`to_source` is the only place that prints code: astor where it imports and can print
the tree, `ast.unparse` otherwise, both giving the same text; for the trees the passes
make, a quick printer of our own writes what astor writes (checked against astor under
AST_AD_VERIFY), at a tenth of the cost.
"""

import ast
import contextlib
import math
import re
import warnings

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import grammar, nodes

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import astor
except ImportError:  # pragma: no cover - astor is a dependency, this is the safety net
    astor = None

_MARKER = "__ast_ad_comment_{}__"
_MARKER_LINE = re.compile(r"^( *)__ast_ad_comment_(\d+)__$", re.MULTILINE)


def to_source(node, printer=None):
    """Source text of a gast statement or FunctionDef; comment markers become comments."""
    printer = printer or ("astor" if astor is not None else "ast")
    if type(node) in nodes.SIMPLE_STATEMENTS or isinstance(node, gast.expr):
        return _source(node, printer)  # no block, and so no comment to mark
    texts = []
    with _comments_as_markers(node, texts):
        text = _source(node, printer)

    def comment(match):
        indent, index = match.group(1), int(match.group(2))
        return f"{indent}# {texts[index]}" if texts[index] else ""

    return _MARKER_LINE.sub(comment, text)


def quote(stmt):
    """A comment quoting trace statement `stmt`, which it remembers as `quotes`: the
    statement itself, which nothing changes once the sweeps have read it."""
    return anno.set(nodes.comment(Quote(stmt)), "quotes", stmt)


class Quote:
    """The text of a comment that quotes a statement, printed when first asked: the
    optimizer drops most such comments, or changes what they quote."""

    __slots__ = ("stmt", "text")

    def __init__(self, stmt):
        self.stmt, self.text = stmt, None

    def __str__(self):
        if self.text is None:
            self.text = to_source(self.stmt).strip()
        return self.text


def comment_text(stmt):
    """The text of the comment `stmt` (see `nodes.comment`)."""
    return str(anno.get(stmt, "comment"))


def _source(node, printer):
    text = _quick_source(node) if printer == "astor" else None
    if text is None or grammar.enabled():
        text = _checked(text, _printed(_to_ast(node), printer))
    return text


def _printed(tree, printer):
    """The text of an `ast` tree, by astor or by `ast.unparse`."""
    text = None
    if printer == "astor":
        try:
            text = astor.to_source(tree, pretty_source="".join)  # no line wrapping
        except Exception:  # noqa: BLE001 - astor fails on some newer nodes: fall back
            text = None
    if text is None:  # (`ast.unparse` reads line numbers, astor does not)
        text = _Unparser().visit(ast.fix_missing_locations(tree))
    return text.strip("\n") + "\n"


def _checked(quick, text):
    """`text`, having checked that `_quick_source` (if it printed) gave the same."""
    assert quick is None or quick == text, f"the quick printer wrote {quick!r} for {text!r}"
    return text


def _to_ast(node):
    """`gast.gast_to_ast(node)`, quicker, but without line numbers (no printer reads them):
    a node becomes the `ast` node of its class's name with the fields that class has.
    The few classes gast converts otherwise (`arguments`, whose parameters are names in
    gast) it converts itself."""
    if isinstance(node, list):
        return [_to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = type(node)
    make = _TO_AST.get(kind)
    if make is None:
        make = _TO_AST[kind] = _maker(kind)
    return make(node)


_TO_AST = {}  # gast class -> the function that converts its nodes
_GAST_CONVERTS = {"arguments", "ExceptHandler", "TypeVar", "ParamSpec", "TypeVarTuple"}
_ABSENT = object()


def _maker(kind):
    target = getattr(ast, kind.__name__, None)
    if target is None or kind.__name__ in _GAST_CONVERTS:
        return gast.gast_to_ast
    if not target._fields:  # an operator or a context: one serves all
        shared = target()
        return lambda node: shared
    fields = target._fields

    def make(node):
        new = target.__new__(target)
        state = new.__dict__
        for field in fields:
            value = getattr(node, field, _ABSENT)
            if value is not _ABSENT:
                state[field] = _to_ast(value) if isinstance(value, (list, gast.AST)) else value
        return new

    return make


@contextlib.contextmanager
def _comments_as_markers(node, texts):
    """While the tree is printed, each comment stands in its block as a marker name, the
    `texts` index of its text (a block of comments only gets a `pass` too); the blocks
    are put back after. Swapping the blocks costs less than copying the tree."""
    swapped = []
    try:
        for owner, field, block in list(nodes.statement_blocks(node)):
            if not any(map(nodes.is_comment, block)):
                continue
            marked = block + [gast.Pass()] if all(map(nodes.is_comment, block)) else list(block)
            for i, stmt in enumerate(marked):
                if nodes.is_comment(stmt):
                    texts.append(comment_text(stmt))
                    marked[i] = gast.Expr(value=nodes.load(_MARKER.format(len(texts) - 1)))
            setattr(owner, field, marked)
            swapped.append((owner, field, block))
        yield
    finally:
        for owner, field, block in reversed(swapped):
            setattr(owner, field, block)


# ---------------------------------------------------------------- the quick printer


def _quick_source(node):
    """What astor prints for `node`, without astor: for the statements and expressions
    the passes write, astor's precedence rules written out, ten times quicker than its
    visitor, which makes a parenthesis context and a closure per node. None for a tree
    holding anything else (a string inside an expression, a comprehension, a lambda...),
    which astor prints."""
    lines = []
    try:
        if isinstance(node, gast.Module):
            for stmt in node.body:
                _statement(stmt, 0, lines)
        elif isinstance(node, gast.stmt):
            _statement(node, 0, lines, root=True)
        else:
            lines.append(_expression(node, _P.highest))
    except _Unprintable:
        return None
    return "\n".join(lines) + "\n"


class _Unprintable(Exception):
    """A node the quick printer leaves to astor."""


def _statement(node, depth, lines, root=False):
    indent, kind = "    " * depth, type(node)
    if kind is gast.Assign:
        text = "".join(_expression(t, _P.Assign) + " = " for t in node.targets) + \
            _expression(node.value, _P.Assign)
    elif kind is gast.AugAssign:
        text = _expression(node.target, _P.AugAssign) + f" {_symbol_of(node.op)}= " + \
            _expression(node.value, _P.AugAssign)
    elif kind is gast.Expr:
        value = node.value
        if type(value) is gast.Constant and isinstance(value.value, str):  # a docstring
            embedded = (_P.Expr > _P.Expr) + (_P.Expr >= _P.Assign)  # as astor has it
            text = (value.kind or "") + astor.string_repr.pretty_string(
                value.value, embedded, indent)  # (the line so far: the indentation)
        else:
            text = _expression(value, _P.Expr)
    elif kind is gast.Return:
        text = "return" if node.value is None else \
            "return " + _expression(node.value, _P.Return)
    elif kind in _KEYWORDS:
        text = _KEYWORDS[kind]
    elif kind is gast.If:
        lines.append(f"{indent}if {_expression(node.test, _P.If)}:")
        _block(node.body, depth + 1, lines)
        while len(node.orelse) == 1 and type(node.orelse[0]) is gast.If:
            node = node.orelse[0]
            lines.append(f"{indent}elif {_expression(node.test, _P.If)}:")
            _block(node.body, depth + 1, lines)
        _else(node.orelse, depth, lines)
        return
    elif kind is gast.For:
        lines.append(f"{indent}for {_expression(node.target, _P.For)} in "
                     f"{_expression(node.iter, _P.highest)}:")
        _block(node.body, depth + 1, lines)
        _else(node.orelse, depth, lines)
        return
    elif kind is gast.While:
        lines.append(f"{indent}while {_expression(node.test, _P.While)}:")
        _block(node.body, depth + 1, lines)
        _else(node.orelse, depth, lines)
        return
    elif kind is gast.FunctionDef and root and not node.decorator_list and \
            node.returns is None and not getattr(node, "type_params", None):
        lines.append(f"def {node.name}({_arguments(node.args)}):")
        _block(node.body, depth + 1, lines)
        return
    else:
        raise _Unprintable
    lines.append(indent + text)


_KEYWORDS = {gast.Pass: "pass", gast.Break: "break", gast.Continue: "continue"}


def _block(statements, depth, lines):
    for stmt in statements:
        _statement(stmt, depth, lines)


def _else(statements, depth, lines):
    if statements:
        lines.append("    " * depth + "else:")
        _block(statements, depth + 1, lines)


def _arguments(node):
    """astor's `visit_arguments`."""
    items = []

    def parameters(names, defaults):
        padding = [None] * (len(names) - len(defaults))
        for name, default in zip(names, padding + defaults):
            items.append(_parameter(name) if default is None else
                         f"{_parameter(name)}={_expression(default, _P.Comma)}")

    offset = 0
    if node.posonlyargs:
        offset += len(node.defaults) - len(node.args)
        parameters(node.posonlyargs, node.defaults[:offset])
        items.append("/")
    parameters(node.args, node.defaults[offset:])
    if node.vararg is not None:
        items.append("*" + _parameter(node.vararg))
    if node.kwonlyargs:
        if node.vararg is None:
            items.append("*")
        parameters(node.kwonlyargs, node.kw_defaults)
    if node.kwarg is not None:
        items.append("**" + _parameter(node.kwarg))
    return ", ".join(items)


def _parameter(name):
    if type(name) is not gast.Name or name.annotation is not None:
        raise _Unprintable
    return name.id


def _expression(node, outer):
    """The text of expression `node` where its parent's precedence is `outer`, in
    parentheses where astor puts them: when its own precedence is lower."""
    kind = type(node)
    if kind is gast.Name:
        return node.id
    if kind is gast.Constant:
        value = node.value
        if isinstance(value, (int, float, complex)):
            text, own = _number(value), _P.Constant
        elif value is Ellipsis:
            return "..."
        elif value is None or isinstance(value, bytes):
            return repr(value)
        else:
            raise _Unprintable  # a string: astor's layout depends on the line around it
    elif kind is gast.BinOp:
        own = _PRECEDENCE[type(node.op)]
        outer_left, outer_right = (_P.Pow + 1, _P.PowRHS) if type(node.op) is gast.Pow \
            else (own, own + 1)
        text = f"{_expression(node.left, outer_left)} {_symbol_of(node.op)} " \
            f"{_expression(node.right, outer_right)}"
    elif kind is gast.UnaryOp:
        own, symbol = _PRECEDENCE[type(node.op)], _symbol_of(node.op)
        text = symbol + (" " if symbol.isalpha() else "") + _expression(node.operand, own)
    elif kind is gast.BoolOp:
        own = _PRECEDENCE[type(node.op)]
        text = f" {_symbol_of(node.op)} ".join(_expression(v, own + 1) for v in node.values)
    elif kind is gast.Compare:
        own = _PRECEDENCE[type(node.ops[0])]
        text = _expression(node.left, own + 1) + "".join(
            f" {_symbol_of(op)} {_expression(c, own + 1)}"
            for op, c in zip(node.ops, node.comparators))
    elif kind is gast.IfExp:
        own = _P.IfExp
        text = f"{_expression(node.body, own + 1)} if {_expression(node.test, own + 1)} " \
            f"else {_expression(node.orelse, own)}"
    elif kind is gast.Call:
        each = _P.Comma if len(node.args) + len(node.keywords) > 1 else _P.call_one_arg
        items = [_expression(a, each) for a in node.args] + [
            (f"{k.arg}=" if k.arg else "**") + _expression(k.value, _P.Comma)
            for k in node.keywords]
        return f"{_expression(node.func, _P.highest)}({', '.join(items)})"
    elif kind is gast.Attribute:
        return f"{_expression(node.value, _P.highest)}.{node.attr}"
    elif kind is gast.Subscript:
        return f"{_expression(node.value, _P.highest)}[" \
            f"{_expression(node.slice, _P.Subscript)}]"
    elif kind is gast.Slice:
        text = ("" if node.lower is None else _expression(node.lower, _P.Slice)) + ":" + \
            ("" if node.upper is None else _expression(node.upper, _P.Slice))
        if node.step is not None:
            step = node.step
            text += ":" + ("" if type(step) is gast.Name and step.id == "None" else
                           _expression(step, _P.Slice))
        return text
    elif kind is gast.Tuple:
        own = _P.Tuple
        text = ", ".join(_expression(e, _P.Comma) for e in node.elts) + \
            ("," if len(node.elts) == 1 else "")
        if not node.elts:
            return f"({text})"
    elif kind is gast.List:
        return "[" + ", ".join(_expression(e, _P.Comma) for e in node.elts) + "]"
    elif kind is gast.Starred:
        return "*" + _expression(node.value, _P.highest)
    else:
        raise _Unprintable
    return text if own >= outer else f"({text})"


def _number(value):
    """astor's `_handle_numeric_constant`."""

    def part(number, imaginary):
        suffix = "j" if imaginary else ""
        try:
            if math.isinf(number):
                return ("-1e1000" if number < 0 else "1e1000") + suffix
            if math.isnan(number):
                return f"(1e1000{suffix}-1e1000{suffix})"
        except OverflowError:  # an int too large for a float
            pass
        return repr(number) + suffix

    if not isinstance(value, complex):
        return part(value, False)
    real, imaginary = part(value.real, False), part(value.imag, True)
    if value.real == 0:
        return imaginary
    if value.imag == 0:
        return f"({real}+0j)"
    return f"({real}{'' if imaginary.startswith('-') else '+'}{imaginary})"


def _symbol_of(op):
    return _SYMBOLS[type(op)]


if astor is not None:  # the precedences and symbols of astor's tables, by class name
    _P = astor.op_util.Precedence
    _PRECEDENCE = {kind: astor.op_util.precedence_data[getattr(ast, kind.__name__)]
                   for kind in vars(gast).values() if isinstance(kind, type)
                   and getattr(ast, kind.__name__, None) is not None
                   and getattr(ast, kind.__name__) in astor.op_util.precedence_data}
    _SYMBOLS = {kind: astor.op_util.symbol_data[getattr(ast, kind.__name__)]
                for kind in _PRECEDENCE}


class _Unparser(ast._Unparser):
    """`ast.unparse`, printing `return a, b` without parentheses as astor does."""

    def visit_Return(self, node):
        if isinstance(node.value, ast.Tuple) and node.value.elts:
            self.fill("return ")
            self.interleave(lambda: self.write(", "), self.traverse, node.value.elts)
            if len(node.value.elts) == 1:
                self.write(",")
        else:
            super().visit_Return(node)
