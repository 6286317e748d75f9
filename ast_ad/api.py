"""The public functions: they chain the passes and hold no transformation logic."""

import contextlib
import dataclasses
import functools
import gc
import inspect
import os
import weakref

from ast_ad import display, pickling
from ast_ad.backend import standalone as standalone_modules
from ast_ad.ad.effects import refuse_effects_of_cached_helpers
from ast_ad.ad.forward import first_effect, forward, whole_gradients
from ast_ad.ad.reverse import reverse
from ast_ad.ad.sweeps import guard_arguments
from ast_ad.backend.codegen import compile_function
from ast_ad.errors import DifferentiationError
from ast_ad.frontend.aux import returning_aux, with_aux
from ast_ad.frontend.check import check
from ast_ad.frontend.containers import flatten_containers, leaves_of, restore_containers
from ast_ad.frontend.lower import lower, parameters
from ast_ad.frontend.parse import is_dispatcher, parse_function, underlying
from ast_ad.ir import annotations as anno
from ast_ad.ir import grammar
from ast_ad.ir.printer import to_source
from ast_ad.optimize import optimize
from ast_ad.optimize.common import share_common_values

_MODES = {"reverse": reverse, "forward": forward}
_SOURCES = weakref.WeakKeyDictionary()
_RECIPES = weakref.WeakKeyDictionary()  # derivative -> how it was derived: a `Step`
_CACHE = weakref.WeakKeyDictionary()
_DEBUG = os.environ.get("AST_AD_DEBUG")


def differentiate(function=None, *, wrt=0, mode="reverse", has_aux=False, optimized=True):
    """The derivative of a scalar-valued function, as a new generated Python function.

    Usable as `differentiate(f)`, `@differentiate` or `@differentiate(wrt=1)`.

    Args:
        function: a Python function defined with `def` that returns a scalar.
        wrt: the parameter to differentiate with respect to: an index, a name, or a
            tuple of them (the result is then a tuple of derivatives).
        mode: "reverse" (one sweep gives every partial) or "forward" (one tangent
            sweep per parameter in `wrt`).
        has_aux: `function` returns `(value, aux)`, as with `jax.grad`: the derivative
            is that of `value`, and returns `(derivative, aux)`.
        optimized: False keeps the unoptimized generated code (for study and tests).

    Returns:
        A function with the parameters of `function` plus a keyword-only seed
        (`out_bar=1.0` in reverse mode, `<param>_dot=1.0` in forward mode).

    Raises:
        UnsupportedSyntaxError: `function` uses Python outside the supported subset.
        NonDifferentiableError: a differentiated value reaches a call with no rule.
        DifferentiationError: no source, a bad `wrt` or `mode`, a non-scalar output.
    """
    if function is None:
        return functools.partial(differentiate, wrt=wrt, mode=mode, has_aux=has_aux,
                                 optimized=optimized)
    if mode not in _MODES:
        raise DifferentiationError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    has_aux = bool(has_aux)
    key = (tuple(wrt) if isinstance(wrt, list) else wrt, mode, optimized, has_aux)
    try:
        cached = _CACHE.setdefault(function, {})
    except TypeError:
        cached = {}
    if key not in cached:
        cached[key] = _transform(function, wrt, mode, optimized, has_aux=has_aux)
        pickling.make_importable(cached[key], function, wrt, mode, optimized, has_aux)
    return cached[key]


def adjoint_with_seed(function, wrt):
    """The reverse-mode function whose seed `out_bar` flows through the sweep itself, so
    that it may be an array like the output: what `vjp` and `jacobian` need for functions
    with an array output (`differentiate` keeps to scalar outputs, as `jax.grad` does)."""
    key = (tuple(wrt) if isinstance(wrt, list) else wrt, "seeded")
    cached = _CACHE.setdefault(function, {})
    if key not in cached:
        cached[key] = _transform(function, wrt, "reverse", True, seed_inside=True)
        pickling.make_importable(cached[key], function, wrt, "seeded", True, False)
    return cached[key]


@functools.lru_cache(maxsize=256)
def reads_containers(function, wrt):
    """Whether `function` reads one of the parameters `wrt` names as a container, by keys
    or fields: its gradient, a container too, is made by the sweeps with the seed inside
    where it is to be differentiated again."""
    tree = parse_function(function)
    names, _ = _wrt_names(tree, wrt)
    _, containers = flatten_containers(tree)
    return any(name in containers for name in names)


def derive_again(function, wrt, mode, optimized, has_aux):
    """The derivative that `pickling` recorded, from the cache where it was derived."""
    if mode == "seeded":
        return adjoint_with_seed(function, wrt)
    return differentiate(function, wrt=wrt, mode=mode, has_aux=has_aux, optimized=optimized)


def _transform(function, wrt, mode, optimized, seed_inside=False, has_aux=False):
    with _without_cycle_collection():
        return _transformed(function, wrt, mode, optimized, seed_inside, has_aux)


@contextlib.contextmanager
def _without_cycle_collection():
    """The passes make and drop nodes by the hundred thousand, in no cycles that need the
    collector: each of its full collections walks every live object, so that a large
    function would pay again and again in proportion to its size."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _transformed(function, wrt, mode, optimized, seed_inside, has_aux):
    tree, slot = with_aux(parse_function(function)) if has_aux else \
        (parse_function(function), None)
    names, single = _wrt_names(tree, wrt)
    user_arguments, user_parameters = anno.copy_tree(tree.args), parameters(tree)
    reverse_only = mode == "forward" or seed_inside
    tree, containers = (tree, {}) if reverse_only else flatten_containers(tree)
    leaves = leaves_of(names, containers)
    single_leaf = single and names[0] not in containers
    tree = check(tree)
    _debug("parsed", tree)
    trace = refuse_effects_of_cached_helpers(lower(tree))
    _debug("lower", trace, grammar.verify_trace)
    if optimized:
        trace = share_common_values(trace)
        _debug("common", trace, grammar.verify_trace)
    if seed_inside:
        derivative = reverse(trace, names[0] if single else names, seed_inside=True)
    else:
        derivative = _MODES[mode](trace, leaves[0] if single_leaf else leaves)
    _debug(mode, derivative, grammar.verify_derivative)
    if optimized:
        derivative = optimize(derivative)
    derivative = restore_containers(derivative, containers, user_arguments, names, single)
    if mode == "forward":
        arrays = anno.get(trace, "arrays", False)
        derivative = whole_gradients(derivative, names, arrays, first_effect(trace, slot), slot)
    if slot is not None:
        derivative = returning_aux(derivative, slot)
    derivative = guard_arguments(derivative, leaves, anno.get(trace, "arrays", False),
                                 reverse=mode != "forward", iterated=anno.get(trace, "iterated"))
    _debug("optimize", derivative, grammar.verify_derivative)
    step = Step(function, wrt, "seeded" if seed_inside else mode,
                tuple(anno.get(trace, "inlined")), has_aux)
    scope, bindings = anno.get(trace, "scope"), anno.get(derivative, "bindings")
    seeds = {arg.id: default.value for arg, default in zip(derivative.args.kwonlyargs,
                                                            derivative.args.kw_defaults)
             if default is not None and arg.id not in user_parameters}
    text = to_source(derivative)
    result = _registered(compile_function(text, derivative.name, scope, bindings, seeds),
                         derivative, step, text)
    if not is_dispatcher(function):
        return result
    # The Python derivative stays beside the compiled one: it is what a second
    # derivative transforms again.
    from ast_ad.backend import numba_compile, numba_target

    keyword_defaults = {**(scope.kwdefaults or {}), **seeds}
    defaults = (scope.defaults or ()) + tuple(keyword_defaults.get(a.id)
                                              for a in derivative.args.kwonlyargs)
    tree = numba_target.to_numba_subset(anno.copy_tree(derivative), slot)
    python_code = compile_function(to_source(tree), tree.name, scope, bindings, {},
                                   defaults=defaults)
    return _registered(numba_compile.jit(python_code, function, result), tree, step)


def _registered(result, tree, step, text=None):
    """`result`, generated from `tree` (whose source is `text`), with its source and
    recipe recorded."""
    text = text or to_source(tree)
    result.__qualname__ = tree.name
    result._repr_html_ = functools.partial(display.source_html, text)  # for notebooks
    _SOURCES[result] = text
    _RECIPES[result] = step
    return result


@dataclasses.dataclass(frozen=True)
class Step:
    """One differentiation: of `function`, with these options, inlining these callees."""
    function: object
    wrt: object
    mode: str
    inlined: tuple
    has_aux: bool = False


def derivation(function):
    """The function a derivative was first derived from, and each step from it to the
    derivative: several for a derivative of a derivative."""
    steps = []
    while function in _RECIPES:
        steps.insert(0, _RECIPES[function])
        function = steps[0].function
    return function, steps


def sources(function):
    """The source text of `function` and of every function the transforms inlined on the
    way to it, by qualified name: what a derivative depends on."""
    origin, steps = derivation(function)
    found = {}
    for item in [origin] + [f for step in steps for f in step.inlined]:
        item = underlying(item)
        if item in _SOURCES:
            text = _SOURCES[item]
        else:
            try:
                text = inspect.getsource(item)
            except (OSError, TypeError):
                text = ""
        found[item.__qualname__] = text  # not its module's name, which a script's is not
    return found


def _wrt_names(tree, wrt):
    """The parameter names `wrt` designates, and whether it was a single one."""
    params = parameters(tree)
    single = not isinstance(wrt, (tuple, list))
    names = []
    for item in [wrt] if single else wrt:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(f"wrt must be a parameter index or name, not {item!r}")
        if isinstance(item, int):
            positional = tree.args.posonlyargs + tree.args.args
            if not -len(positional) <= item < len(positional):
                raise DifferentiationError(
                    f"wrt={item} is out of range: {tree.name} has {len(positional)} "
                    f"positional parameters ({', '.join(a.id for a in positional)})")
            item = positional[item].id
        elif item not in params:
            raise DifferentiationError(f"{tree.name} has no parameter named {item!r}; "
                                       f"its parameters are {', '.join(params)}")
        names.append(item)
    if len(set(names)) != len(names):
        raise DifferentiationError(f"wrt names a parameter twice: {wrt!r}")
    return names, single


def source(function, standalone=False):
    """The generated source of a function made by ast_ad, as a string; with `standalone`,
    the text of a module that defines it and runs without ast_ad (its header names the
    source file relative to the working directory)."""
    try:
        text = _SOURCES[function]
    except (KeyError, TypeError):
        raise DifferentiationError(f"{function!r} was not generated by ast_ad") from None
    if not standalone:
        return text
    return standalone_module(function, text, os.getcwd())


def standalone_module(function, text, folder):
    """`function` as a standalone module meant for `folder`."""
    from ast_ad import __version__

    if is_dispatcher(function):
        raise DifferentiationError(
            f"{function.__name__} is compiled by Numba, whose compiled forms of ast_ad's "
            "helpers a standalone module cannot carry yet; write the module of the Python "
            f"derivative, source(differentiate({_origin_name(function)}.py_func, ...), "
            "standalone=True)")
    origin, steps = derivation(function)
    body = standalone_modules.module_body(function, text, folder)
    return standalone_modules.header(function, origin, steps, sources(function), body,
                                     __version__, folder) + "\n\n" + body


def _origin_name(function):
    origin, _ = derivation(function)
    return getattr(origin, "__name__", "f")


def _debug(stage, tree, verify=None):
    """Print the tree under AST_AD_DEBUG; check it against the IR under AST_AD_VERIFY."""
    if _DEBUG:
        print(f"--- ast_ad: after {stage} ---\n{to_source(tree)}")
    if verify is not None and grammar.enabled():
        verify(tree, stage)
