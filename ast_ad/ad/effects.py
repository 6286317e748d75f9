"""Effects, and the one policy for what a reversed loop stores and what it recomputes.

A call has *effects* when running it again could give another value or change the world:
a random draw, a print, a logger, a method of an object the function does not
differentiate. Only the rule registry's primitives, Python's arithmetic builtins, `math`,
NumPy's functions (not `numpy.random`) and ast_ad's own helpers are pure; everything
else is assumed to have effects. The calls of an inlined helper are its own statements,
analysed like the function's.

The policy, for the iterations a reversed loop runs again (see `reverse`):

- a pure value is recomputed from the values the loop stored for the iteration;
- a value with effects is stored when the primal sweep makes it, and read back;
- a statement that is only an effect (`print(...)`, `log.append(...)` on a list the
  function did not make) runs once, in the primal sweep.

Every pass asks this module, and no pass may remove, repeat or reorder a call with effects.
"""

import builtins
import types

import gast

from ast_ad import rules
from ast_ad.frontend.parse import is_cached
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

RECOMPUTE, STORE, RUN_ONCE = "recompute", "store", "run once"

# Builtins that compute a value from their arguments and change nothing.
_PURE_BUILTINS = frozenset(getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "complex", "divmod", "enumerate", "float", "int",
    "isinstance", "len", "list", "max", "min", "pow", "range", "reversed", "round", "slice",
    "sorted", "sum", "tuple", "zip", "str", "repr", "format", "getattr"))
_PURE_MODULES = ("math", "cmath", "operator", "numpy", "ast_ad")
# Methods of `str`, which compute a value and change nothing: names no other object of
# the code ast_ad differentiates is likely to have with effects.
_STRING_METHODS = frozenset((
    "startswith", "endswith", "lower", "upper", "casefold", "strip", "lstrip", "rstrip",
    "split", "rsplit", "splitlines", "partition", "rpartition", "join", "replace", "format",
    "find", "rfind", "isdigit", "isalpha", "isalnum", "isnumeric", "isspace", "islower",
    "isupper", "title", "capitalize", "zfill", "center", "ljust", "rjust", "removeprefix",
    "removesuffix"))
_IMPURE_MODULES = ("numpy.random",)


def is_pure_function(function):
    """Whether calling `function` computes a value and changes nothing."""
    if rules.is_registered(function):
        return True
    try:
        if function in _PURE_BUILTINS:
            return True
    except TypeError:  # unhashable
        return False
    if isinstance(function, type) and issubclass(function, BaseException):
        return True  # an exception made for a `raise`, which the raise itself runs
    module = getattr(function, "__module__", None) or ""
    if _within(module, _IMPURE_MODULES) or not _within(module, _PURE_MODULES):
        return False
    owner = getattr(function, "__self__", None)  # a Generator's `normal` is the generator's
    return owner is None or isinstance(owner, types.ModuleType)


def _within(module, packages):
    return any(module == p or module.startswith(p + ".") for p in packages)


def has_effects(value):
    """Whether `value`, a trace statement's right side or an expression of generated code,
    calls something with effects."""
    return any(isinstance(node, gast.Call) and not _is_pure_call(node)
               for node in nodes.walk(value))


def _is_pure_call(call):
    callee = anno.get(call, "callee")
    if callee is None and isinstance(call.func, gast.Name):
        callee = anno.get(call.func, "bind")
    if callee is not None:
        return is_pure_function(callee)
    if nodes.is_method_call(call):
        # A list's `append` and `pop` are the trace's own mutations, which the sweeps
        # undo, unless the list is an argument; any other method is an object's, with
        # effects, but for a string's and a lookup by a string key (`cfg.get("reg", 0.0)`).
        return call.func.attr in ("append", "pop") and not anno.get(call, "effect") or \
            call.func.attr in _STRING_METHODS or call.func.attr == "get" and \
            bool(call.args) and isinstance(call.args[0], gast.Constant) and \
            isinstance(call.args[0].value, str)
    return True  # written by a rule's template, which calls only pure functions


def is_pure_value(value):
    """A trace statement's value that depends on its operands alone and changes nothing: an
    operator, indexing, or a call of a function with rules. Stricter than having no
    effects, which allows the `append` and `pop` of the function's own lists."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Subscript)):
        return True
    callee = anno.get(value, "callee") if isinstance(value, gast.Call) else None
    try:
        return callee is not None and (callee in rules.ADJOINTS or callee in rules.TANGENTS)
    except TypeError:  # unhashable
        return False


def is_effect_only(stmt, own_lists=()):
    """A statement run for its effect alone: a call whose value is dropped, other than the
    `append` and `pop` of a list the function made (`own_lists`), which the sweeps undo."""
    if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
        return False
    if anno.get(stmt, "comment") is not None or anno.get(stmt, "stack"):
        return False
    call = stmt.value
    if isinstance(call.func, gast.Attribute) and call.func.attr in ("append", "pop") and \
            isinstance(call.func.value, gast.Name) and call.func.value.id in own_lists:
        return False
    return True


def refuse_effects_of_cached_helpers(trace):
    """Raise where a helper cached with `functools.cache` or `lru_cache` has an effect: the
    cache runs it only when it misses, which depends on what ran before, while the
    derivative, which inlines the helper, would run it every time."""
    if not any(map(is_cached, anno.get(trace, "inlined") or ())):
        return trace  # the walks below are for the rare function that inlines one
    own_lists = {stmt.targets[0].id for stmt in nodes.walk(trace)
                 if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and
                 isinstance(stmt.targets[0], gast.Name)}
    for stmt in nodes.walk(trace):
        helper = anno.get(stmt, "cached")
        if helper is not None and (is_effect_only(stmt, own_lists) or
                                   isinstance(stmt, gast.Assign) and has_effects(stmt.value)):
            raise anno.get(trace, "origin").unsupported(
                stmt, f"`{helper}` is cached (functools.cache or lru_cache) and has effects "
                      "here, which its cache runs only when it misses; ast_ad cannot "
                      "differentiate that: take the effect out of the cached helper, or "
                      "remove the cache")
    return trace


def policy(stmt, own_lists=()):
    """What a reversed loop does with `stmt` of an iteration it runs again."""
    if is_effect_only(stmt, own_lists):
        return RUN_ONCE
    if isinstance(stmt, gast.Assign) and has_effects(stmt.value):
        return STORE
    return RECOMPUTE
