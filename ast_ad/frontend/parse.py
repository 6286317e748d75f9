"""Function -> gast FunctionDef, with the user's real file and line numbers.

Input: a Python function. Output: its `def` as a gast tree, decorators removed, every
node's `lineno` absolute in the user's file. The FunctionDef carries two annotations:
`origin` (file, indentation, for messages) and `scope` (where its free names resolve).
"""

import functools
import inspect
import textwrap
import types

import gast

from ast_ad.errors import DifferentiationError, Origin
from ast_ad.frontend.comprehensions import without_comprehensions
from ast_ad.frontend.dicts import dicts_as_names
from ast_ad.frontend.local_functions import aliases_called, lambdas_as_defs
from ast_ad.frontend.rows import rows_as_arrays
from ast_ad.frontend.views import views_as_keys
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer
from ast_ad.ir.scope import Scope


def seen_through(function):
    """The Python function behind the decorators ast_ad knows: `staticmethod`,
    `classmethod`, `functools.lru_cache` and `functools.cache`, which change no value, and
    Numba's `jit`, whose Python function is read (for a derivative ast_ad compiled, the
    Python derivative beside it)."""
    if is_dispatcher(function):
        return seen_through(getattr(function, "python_derivative", function.py_func))
    if isinstance(function, (staticmethod, classmethod)):
        return seen_through(function.__func__)
    if is_cached(function):
        return seen_through(function.__wrapped__)
    return function


def is_cached(function):
    """A function of `functools.cache` or `functools.lru_cache`."""
    return hasattr(function, "cache_info") and hasattr(function, "__wrapped__")


def is_dispatcher(function):
    """Whether `function` is a Numba dispatcher (of `numba.njit` or `numba.jit`), told
    without importing Numba."""
    module = getattr(type(function), "__module__", None)  # (a descriptor, at times)
    return isinstance(module, str) and module.startswith("numba.") and \
        hasattr(function, "py_func") and hasattr(function, "targetoptions")


def underlying(function):
    """The Python function whose source ast_ad reads for `function`: through bound
    methods, `functools.partial` and the decorators it sees through."""
    while isinstance(function, (functools.partial, types.MethodType)):
        function = function.func if isinstance(function, functools.partial) else \
            function.__func__
    return seen_through(function)


def name_of(function):
    """`function`'s name, a `functools.partial`'s that of the function it calls."""
    return getattr(function, "__name__", None) or underlying(function).__name__


def is_bound_method(function):
    """A method bound to an instance (`model.loss`); a classmethod's is bound to a class."""
    return isinstance(function, types.MethodType) and not isinstance(function.__self__, type)


def parse_function(function):
    """The gast FunctionDef of `function`, annotated with its origin and scope. A bound
    method's takes the parameters after `self`, and `self` is the instance, read as the
    function's other free names are; so does a `functools.partial` for the arguments it
    holds."""
    if isinstance(function, functools.partial):
        return _parse_partial(function)
    if is_bound_method(function) and isinstance(function.__func__, types.FunctionType):
        tree = parse_function(function.__func__)
        positional = tree.args.posonlyargs or tree.args.args
        if not positional:
            raise DifferentiationError(f"{function.__qualname__} is bound to an instance but "
                                       "takes no parameter for it")
        instance = positional.pop(0).id
        anno.get(tree, "scope").cells[instance] = types.CellType(function.__self__)
        return tree
    function = seen_through(function)
    if not isinstance(function, types.FunctionType):
        raise DifferentiationError(
            f"ast_ad differentiates Python functions defined with `def`; got {function!r}.\n"
            "Builtins, C functions and callable objects have no Python source to transform: "
            "wrap the call in a `def` and register a rule for it with ast_ad.extend.adjoint."
        )
    if function.__name__ == "<lambda>":
        raise DifferentiationError(
            f"ast_ad cannot differentiate the lambda at "
            f"{function.__code__.co_filename}:{function.__code__.co_firstlineno}.\n"
            "Its source is one expression inside a line of other code; write it as a `def`."
        )
    try:  # the function's own code: not the function a `functools.wraps` wrapper calls
        if function.__code__.co_filename == "<string>":
            # exec's: whatever text linecache holds under that name belongs to another
            raise OSError("could not get source code")
        lines, first_line = inspect.getsourcelines(function.__code__)
    except (OSError, TypeError) as error:
        raise DifferentiationError(
            f"ast_ad cannot find the source of {function.__qualname__} "
            f"({function.__code__.co_filename}): {error}.\n"
            "Functions typed at the interactive prompt or built with exec() have no source "
            "file; put the function in a .py file and import it."
        ) from None
    text = "".join(lines)
    indent = len(text) - len(text.lstrip(" \t"))
    module = gast.parse(textwrap.dedent(text))
    tree = module.body[0]
    if not isinstance(tree, gast.FunctionDef):
        raise DifferentiationError(f"ast_ad cannot differentiate {function.__qualname__}: "
                                   "only plain `def` functions are supported (not async).")
    tree.decorator_list = []
    gast.increment_lineno(tree, first_line - 1)
    origin = Origin(function.__code__.co_filename, function.__name__, indent)
    anno.set(tree, "parameters_of", function)
    anno.set(tree, "code", function.__code__)
    if tree.args.vararg or tree.args.kwarg:
        _forward_wrapped_parameters(tree, function, origin)
        tree.name = function.__name__  # the name functools.wraps gave it
        anno.set(tree, "parameters_of", function.__wrapped__)
    anno.set(tree, "origin", origin)
    scope = Scope(function)
    signature = anno.get(tree, "parameters_of")  # a wrapper's are the wrapped function's
    scope.defaults, scope.kwdefaults = signature.__defaults__, signature.__kwdefaults__
    anno.set(tree, "scope", scope)
    tree = aliases_called(lambdas_as_defs(tree))
    dicts_as_names(views_as_keys(without_comprehensions(rows_as_arrays(tree))))
    anno.set(tree, "user_names", nodes.names_in(tree))
    return tree


def _parse_partial(function):
    """The tree of the function a `functools.partial` calls, without the parameters whose
    arguments it holds: those are free names, read as constants, as `self` is."""
    tree = parse_function(function.func)
    arguments, scope = tree.args, anno.get(tree, "scope")
    positional = arguments.posonlyargs + arguments.args
    if len(function.args) > len(positional):
        raise DifferentiationError(f"{function!r} holds {len(function.args)} positional "
                                   f"arguments for a function of {len(positional)}")
    names = [a.id for a in positional]
    held = dict(zip(names, function.args))
    for name, value in function.keywords.items():
        if name in held or name not in parameters(tree):
            raise DifferentiationError(f"{function!r} holds an argument for `{name}`, which "
                                       f"{tree.name} has no free parameter for")
        held[name] = value
    defaults = dict(zip(names[len(names) - len(arguments.defaults):],
                        zip(arguments.defaults, scope.defaults or ())))
    _keyword_only_after_held(arguments, scope, function.keywords, defaults)
    for field in ("posonlyargs", "args", "kwonlyargs"):
        kept = [a for a in getattr(arguments, field) if a.id not in held]
        if field == "kwonlyargs":
            arguments.kw_defaults = [d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)
                                     if a.id not in held]
        setattr(arguments, field, kept)
    remaining = [defaults[a.id] for a in arguments.posonlyargs + arguments.args if a.id in defaults]
    arguments.defaults = [node for node, _ in remaining]
    scope.defaults = tuple(value for _, value in remaining) or None
    scope.kwdefaults = {k: v for k, v in (scope.kwdefaults or {}).items() if k not in held} or None
    assigned = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    namer = Namer(nodes.names_in(tree))
    for name, value in held.items():
        if name not in assigned:
            scope.cells[name] = types.CellType(value)
            continue
        # A held argument the function assigns again: a local, given the value first.
        free = namer.claim(f"{name}_held")
        scope.cells[free] = types.CellType(value)
        start = 1 if _has_docstring(tree) else 0
        tree.body.insert(start, anno.copy_location(nodes.assign(name, nodes.load(free)),
                                                   tree.body[start]))
    return tree


def _has_docstring(tree):
    first = tree.body[0]
    return isinstance(first, gast.Expr) and isinstance(first.value, gast.Constant) and \
        isinstance(first.value.value, str) and len(tree.body) > 1


def _keyword_only_after_held(arguments, scope, keywords, defaults):
    """The positional parameters after the first one a partial holds by keyword become
    keyword-only, as Python's partial takes them (`partial(loss, X=X, y=y)` then takes
    `lam` by keyword alone), with their defaults."""
    positional = arguments.posonlyargs + arguments.args
    first = next((k for k, a in enumerate(positional) if a.id in keywords), None)
    if first is None:
        return
    moved = [a for a in positional[first + 1:] if a.id not in keywords]
    if not moved:
        return
    arguments.posonlyargs = [a for a in arguments.posonlyargs if a not in moved]
    arguments.args = [a for a in arguments.args if a not in moved]
    arguments.kwonlyargs = moved + arguments.kwonlyargs
    arguments.kw_defaults = [defaults.get(a.id, (None,))[0] for a in moved] + \
        arguments.kw_defaults
    scope.kwdefaults = {**{a.id: defaults[a.id][1] for a in moved if a.id in defaults},
                        **(scope.kwdefaults or {})}
    for a in moved:
        defaults.pop(a.id, None)


def parameters(tree):
    args = tree.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _forward_wrapped_parameters(tree, function, origin):
    """A decorator's wrapper, `def wrapper(*args, **kwargs): ... f(*args, **kwargs) ...`,
    takes the parameters of the function it wraps (`functools.wraps` records it), passed
    on by name, so that ast_ad differentiates what the wrapper computes."""
    wrapped = getattr(function, "__wrapped__", None)
    if wrapped is None:
        raise origin.unsupported(tree, "`*args`/`**kwargs` are not supported; name each "
                                       "parameter so `wrt` can refer to it (for a "
                                       "decorator's wrapper, decorate it with "
                                       "`functools.wraps(f)`, so that ast_ad can see f's)")
    inner = parse_function(wrapped).args
    if inner.vararg or inner.kwarg:
        raise origin.unsupported(tree, "the function this wrapper wraps takes "
                                       "`*args`/`**kwargs`; name each parameter")
    taken = nodes.names_in(tree) - {a.id for a in (tree.args.vararg, tree.args.kwarg) if a}
    positional = [a.id for a in inner.posonlyargs + inner.args]
    clash = taken & set(positional + [a.id for a in inner.kwonlyargs])
    if clash:
        raise origin.unsupported(tree, f"this wrapper's own names ({', '.join(sorted(clash))}) "
                                       "are also parameters of the function it wraps; rename "
                                       "them")
    rewrite = _Forwarding(tree.args.vararg and tree.args.vararg.id,
                          tree.args.kwarg and tree.args.kwarg.id, positional,
                          [a.id for a in inner.kwonlyargs], origin)
    tree.body = [rewrite.visit(stmt) for stmt in tree.body]
    tree.args = anno.copy_tree(inner)


class _Forwarding(gast.NodeTransformer):
    """`f(*args, **kwargs)` as `f(x, y, k=k)`; any other use of `args` or `kwargs` is refused."""

    def __init__(self, varargs, kwargs, positional, keyword_only, origin):
        self.varargs, self.kwargs = varargs, kwargs
        self.positional, self.keyword_only, self.origin = positional, keyword_only, origin

    def visit_Call(self, node):
        args = []
        for arg in node.args:
            if isinstance(arg, gast.Starred) and getattr(arg.value, "id", None) == self.varargs:
                args.extend(nodes.load(name) for name in self.positional)
            else:
                args.append(arg)
        keywords = []
        for keyword in node.keywords:
            if keyword.arg is None and getattr(keyword.value, "id", None) == self.kwargs:
                keywords.extend(gast.keyword(arg=name, value=nodes.load(name))
                                for name in self.keyword_only)
            else:
                keywords.append(keyword)
        node.args, node.keywords = args, keywords
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in (self.varargs, self.kwargs):
            raise self.origin.unsupported(node, f"a wrapper may only pass `{node.id}` on, "
                                                f"as `f(*args, **kwargs)`; ast_ad cannot "
                                                "differentiate other uses of it")
        return node
