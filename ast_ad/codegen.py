"""gast -> source text -> a compiled Python function.

`to_source` is the only place that prints code: astor where it imports and can print
the tree, `ast.unparse` otherwise, both giving the same text. `compile_function` turns
generated source into a real function whose globals are the user's module (so globals
stay live), whose free variables are the user's own closure cells plus the objects the
rules bound, and whose source is registered in `linecache` for tracebacks and
`inspect.getsource`.
"""

import ast
import linecache
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
    tree = _with_markers(anno.copy_tree(node), texts) if _has_comments(node) else node
    tree = gast.gast_to_ast(tree)
    ast.fix_missing_locations(tree)
    printer = printer or ("astor" if astor is not None else "ast")
    text = None
    if printer == "astor":
        try:
            text = astor.to_source(tree, pretty_source="".join)  # no line wrapping
        except Exception:  # noqa: BLE001 - astor fails on some newer nodes: fall back
            text = None
    if text is None:
        text = _Unparser().visit(tree)
    text = text.strip("\n") + "\n"

    def comment(match):
        indent, index = match.group(1), int(match.group(2))
        return f"{indent}# {texts[index]}" if texts[index] else ""

    return _MARKER_LINE.sub(comment, text)


def _has_comments(node):
    """Whether a block under `node` holds a comment, which needs a marker: without one
    the tree prints as it is, and need not be copied first."""
    return any(nodes.is_comment(stmt) for _, _, block in nodes.statement_blocks(node)
               for stmt in block)


def _with_markers(node, texts):
    for child in gast.walk(node):
        for field in ("body", "orelse"):
            block = getattr(child, field, None)
            if isinstance(block, list) and block and all(map(nodes.is_comment, block)):
                block.append(gast.Pass())
            for i, stmt in enumerate(block or []):
                if nodes.is_comment(stmt):
                    texts.append(anno.get(stmt, "comment"))
                    marker = nodes.load(_MARKER.format(len(texts) - 1))
                    getattr(child, field)[i] = gast.Expr(value=marker)
    return node


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
