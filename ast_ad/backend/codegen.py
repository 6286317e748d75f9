"""Generated source -> a compiled Python function.

`compile_function` turns generated source into a real function whose globals are the
user's module (so globals stay live), whose free variables are the user's own closure
cells plus the objects the rules bound, and whose source is registered in `linecache`
for tracebacks and `inspect.getsource`.
"""

import ast
import linecache
import types

from ast_ad.ir.scope import ITSELF


def compile_function(source, name, scope, bindings, kwdefaults, defaults=None):
    """A function from generated `source` defining `name`.

    Args:
        source: the text of one `def name(...)`.
        scope: the user's `Scope`; its globals become the function's globals and its
            closure cells are shared, so both stay live.
        bindings: names the generated code needs that the user's scope lacks.
        kwdefaults: keyword-only defaults (the seeds) added to the user's.
        defaults: the positional defaults, where they are not the user's.
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
    function = types.FunctionType(code, scope.globals, name,
                                  scope.defaults if defaults is None else defaults, cells)
    for variable, cell in zip(code.co_freevars, cells):
        if bindings.get(variable) is ITSELF:
            cell.cell_contents = function
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
