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
from ast_ad import nodes

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
        tree = gast.gast_to_ast(node)
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
    return _longest(node) <= limit


_OPERATOR_ROOM = 4  # ` ** `, ` // `, ` << `: the widest operator with its spaces
_COMPARISON_ROOM = 8  # ` not in `, ` is not `


def _longest(node):
    """An upper bound of the length of the first line printed for `node`; inf where no
    bound is known (strings, lambdas, comprehensions...). Every expression may be put in
    parentheses (2 more)."""
    if node is None:
        return 0
    kind = type(node)
    if kind is gast.Name:
        return len(node.id)
    if kind in _LONGEST_OF:
        return _LONGEST_OF[kind](node) + 2
    if kind is gast.Assign:
        return sum(_longest(t) + 3 for t in node.targets) + _longest(node.value)
    if kind is gast.AugAssign:
        return _longest(node.target) + _OPERATOR_ROOM + 1 + _longest(node.value)
    if kind is gast.Return:
        return len("return ") + _longest(node.value)
    if kind is gast.For:
        return len("for  in :") + _longest(node.target) + _longest(node.iter)
    return math.inf


def _longest_constant(node):
    value = node.value
    if value is None or type(value) in (bool, int) or \
            (type(value) is float and math.isfinite(value)):
        return len(repr(value))
    return math.inf


def _longest_call(node):
    arguments = [_longest(a) for a in node.args] + [
        (len(k.arg) + 1 if k.arg else 2) + _longest(k.value) for k in node.keywords]
    return _longest(node.func) + 2 + sum(arguments) + 2 * max(len(arguments) - 1, 0)


def _longest_sequence(node):
    return sum(_longest(e) for e in node.elts) + 2 * len(node.elts) + 1


_LONGEST_OF = {
    gast.Constant: _longest_constant,
    gast.BinOp: lambda n: _longest(n.left) + _OPERATOR_ROOM + _longest(n.right),
    gast.UnaryOp: lambda n: len("not ") + _longest(n.operand),
    gast.BoolOp: lambda n: sum(_longest(v) + len(" and ") for v in n.values),
    gast.Compare: lambda n: _longest(n.left) + sum(_COMPARISON_ROOM + _longest(c)
                                                    for c in n.comparators),
    gast.Call: _longest_call,
    gast.Attribute: lambda n: _longest(n.value) + 1 + len(n.attr),
    gast.Subscript: lambda n: _longest(n.value) + 2 + _longest(n.slice),
    gast.Slice: lambda n: _longest(n.lower) + _longest(n.upper) + _longest(n.step) + 2,
    gast.Tuple: _longest_sequence,
    gast.List: _longest_sequence,
    gast.Starred: lambda n: 1 + _longest(n.value),
    gast.IfExp: lambda n: _longest(n.body) + _longest(n.test) + _longest(n.orelse) + 10,
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
