"""gast -> source text -> a compiled Python function.

`to_source` is the only place that prints code: astor where it imports and can print
the tree, `ast.unparse` otherwise, both giving the same text. `compile_function` turns
generated source into a real function whose globals are the user's module (so globals
stay live), whose free variables are the user's own closure cells plus the objects the
rules bound, and whose source is registered in `linecache` for tracebacks and
`inspect.getsource`.
"""

import ast
import contextlib
import linecache
import math
import re
import types
import warnings

import gast

from ast_ad import annotations as anno
from ast_ad import ir, nodes

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
    texts = []
    with _comments_as_markers(node, texts):
        tree = _to_ast(node)
    printer = printer or ("astor" if astor is not None else "ast")
    text = None
    if printer == "astor":
        try:
            text = astor.to_source(tree, pretty_source="".join)  # no line wrapping
        except Exception:  # noqa: BLE001 - astor fails on some newer nodes: fall back
            text = None
    if text is None:  # (`ast.unparse` reads line numbers, astor does not)
        text = _Unparser().visit(ast.fix_missing_locations(tree))
    text = text.strip("\n") + "\n"

    def comment(match):
        indent, index = match.group(1), int(match.group(2))
        return f"{indent}# {texts[index]}" if texts[index] else ""

    return _MARKER_LINE.sub(comment, text)


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


def statements_source(statements):
    """`[to_source(s).strip() for s in statements]` for simple statements, printed together
    (each print has a cost of its own, as large as a short statement's)."""
    if len(statements) < 2:
        return [to_source(s).strip() for s in statements]
    lines = to_source(gast.Module(body=list(statements), type_ignores=[])).splitlines()
    if len(lines) != len(statements):  # one printed on lines of its own
        return [to_source(s).strip() for s in statements]
    return [line.strip() for line in lines]


@contextlib.contextmanager
def _comments_as_markers(node, texts):
    """While the tree is converted, each comment stands in its block as a marker name, the
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
                    texts.append(anno.get(stmt, "comment"))
                    marked[i] = gast.Expr(value=nodes.load(_MARKER.format(len(texts) - 1)))
            setattr(owner, field, marked)
            swapped.append((owner, field, block))
        yield
    finally:
        for owner, field, block in reversed(swapped):
            setattr(owner, field, block)


def surely_at_most(node, limit):
    """Whether the first line `to_source` prints of `node` (a simple statement, a loop or an
    expression) surely has at most `limit` characters, by a bound on what the printer
    writes, without printing: False when the bound says nothing."""
    surely = _longest(node) <= limit
    if surely and ir.enabled():
        line = to_source(node).strip().splitlines()[0]
        assert len(line) <= limit, f"the bound {_longest(node)} is below {len(line)}: {line}"
    return surely


def _longest(node):
    """An upper bound of the length of the first line printed for `node`; inf where no
    bound is known (strings, lambdas, comprehensions...). An operator, a comparison, a
    conditional expression, a number or a sequence may be put in parentheses (2 more);
    a name, a call, an attribute or an index never is."""
    if node is None:
        return 0
    kind = type(node)
    if kind is gast.Name:
        return len(node.id)
    if kind in _DELIMITED:
        return _DELIMITED[kind](node) + 2
    if kind in _UNDELIMITED:
        return _UNDELIMITED[kind](node)
    return math.inf


def _longest_constant(node):
    value = node.value
    if value is None:
        return len("None")
    if type(value) in (bool, int) or (type(value) is float and math.isfinite(value)):
        return len(repr(value)) + 2
    return math.inf


def _longest_call(node):
    arguments = [_longest(a) for a in node.args] + [
        (len(k.arg) + 1 if k.arg else 2) + _longest(k.value) for k in node.keywords]
    return _longest(node.func) + 2 + sum(arguments) + 2 * max(len(arguments) - 1, 0)


def _longest_sequence(node):
    return sum(_longest(e) for e in node.elts) + 2 * len(node.elts) + 1


def _symbol(op, symbols):
    """The width of operator `op`, with the spaces around it; inf for one not known."""
    return len(symbols.get(type(op).__name__, "")) or math.inf


_BINARY = {"Add": " + ", "Sub": " - ", "Mult": " * ", "MatMult": " @ ", "Div": " / ",
           "Mod": " % ", "Pow": " ** ", "LShift": " << ", "RShift": " >> ", "BitOr": " | ",
           "BitXor": " ^ ", "BitAnd": " & ", "FloorDiv": " // "}
_UNARY = {"Invert": "~", "Not": "not ", "UAdd": "+", "USub": "-"}
_COMPARISON = {"Eq": " == ", "NotEq": " != ", "Lt": " < ", "LtE": " <= ", "Gt": " > ",
               "GtE": " >= ", "Is": " is ", "IsNot": " is not ", "In": " in ",
               "NotIn": " not in "}
_BOOLEAN = {"And": " and ", "Or": " or "}
_DELIMITED = {  # kind -> its bound without the parentheses
    gast.Constant: lambda n: _longest_constant(n) - 2,
    gast.BinOp: lambda n: _longest(n.left) + _symbol(n.op, _BINARY) + _longest(n.right),
    gast.UnaryOp: lambda n: _symbol(n.op, _UNARY) + _longest(n.operand),
    gast.BoolOp: lambda n: sum(_longest(v) + _symbol(n.op, _BOOLEAN) for v in n.values),
    gast.Compare: lambda n: _longest(n.left) + sum(
        _symbol(op, _COMPARISON) + _longest(c) for op, c in zip(n.ops, n.comparators)),
    gast.Tuple: _longest_sequence,
    gast.List: _longest_sequence,
    gast.IfExp: lambda n: _longest(n.body) + _longest(n.test) + _longest(n.orelse) + 10,
}
_UNDELIMITED = {
    gast.Call: _longest_call,
    gast.Attribute: lambda n: _longest(n.value) + 1 + len(n.attr),
    gast.Subscript: lambda n: _longest(n.value) + 2 + _longest(n.slice),
    gast.Slice: lambda n: _longest(n.lower) + _longest(n.upper) + _longest(n.step) + 2,
    gast.Starred: lambda n: 1 + _longest(n.value),
    gast.Assign: lambda n: sum(_longest(t) + 3 for t in n.targets) + _longest(n.value),
    gast.AugAssign: lambda n: _longest(n.target) + _symbol(n.op, _BINARY) + 1 +
    _longest(n.value),
    gast.Return: lambda n: len("return ") + _longest(n.value),
    gast.For: lambda n: len("for  in :") + _longest(n.target) + _longest(n.iter),
}


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


def compile_function(source, name, scope, bindings, kwdefaults):
    """A function from generated `source` defining `name`.

    Args:
        source: the text of one `def name(...)`.
        scope: the user's `Scope`; its globals become the function's globals and its
            closure cells are shared, so both stay live.
        bindings: names the generated code needs that the user's scope lacks.
        kwdefaults: keyword-only defaults (the seeds) added to the user's.
    """
    filename = _register(source, name)
    module = ast.parse(source, filename)
    factory = ast.FunctionDef(
        name="factory", args=_no_arguments(), decorator_list=[], returns=None, type_comment=None,
        body=[ast.Assign(targets=[ast.Name(id=n, ctx=ast.Store())], value=ast.Constant(None))
              for n in sorted(set(bindings) | set(scope.cells))] + module.body, type_params=[])
    wrapper = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(wrapper)
    factory_code = next(c for c in compile(wrapper, filename, "exec").co_consts
                        if isinstance(c, types.CodeType))
    code = next(c for c in factory_code.co_consts
                if isinstance(c, types.CodeType) and c.co_name == name)
    cells = tuple(scope.cells[v] if v in scope.cells else types.CellType(bindings[v])
                  for v in code.co_freevars)
    function = types.FunctionType(code, scope.globals, name, scope.defaults, cells)
    function.__kwdefaults__ = {**(scope.kwdefaults or {}), **kwdefaults}
    function.__module__ = scope.module
    return function


def _no_arguments():
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                         kwarg=None, defaults=[])


def _register(source, name):
    """A `<ast_ad NAME>` filename for `source` in linecache; reused when the text is equal."""
    lines = source.splitlines(keepends=True)
    k = 1
    while True:
        filename = f"<ast_ad {name}>" if k == 1 else f"<ast_ad {name} #{k}>"
        entry = linecache.cache.get(filename)
        if entry is None or entry[2] == lines:
            linecache.cache[filename] = (len(source), None, lines, filename)
            return filename
        k += 1
