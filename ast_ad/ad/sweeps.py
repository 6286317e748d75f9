"""What the reverse and forward passes share: activity, rule lookup, the new signature.

A value is *active* when it depends, through differentiable operations, on an input
being differentiated; only active values get adjoints or tangents.
"""

import builtins
import math
import os
import sys
import types

import gast

from ast_ad import rules
from ast_ad.ad import packs
from ast_ad.errors import NonDifferentiableError
from ast_ad.frontend.parse import parameters
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer, helper_name
from ast_ad.runtime import containers


class Application:
    """One trace statement seen as a primitive applied to atoms: `result = primal(inputs)`."""

    def __init__(self, stmt):
        self.stmt = stmt
        value = stmt.value
        self.keywords = {}
        if isinstance(stmt, gast.Expr):  # `stack.append(v)` assigns the stack
            self.result, self.primal, self.args = value.func.value.id, "push", value.args
            return
        self.result = stmt.targets[0].id
        if isinstance(value, gast.List):
            self.primal, self.args = "list", []
        elif isinstance(value, gast.Subscript):
            self.primal, self.args = "getitem", [value.value, value.slice]
        elif nodes.is_method_call(value) and value.func.attr == "pop":
            self.primal, self.args = "pop", [value.func.value]
        elif nodes.is_method_call(value):  # an object's method: no rule, maybe effects
            self.primal, self.args = ("method", value.func.attr), [value.func.value] + value.args
            self.keywords = {k.arg: k.value for k in value.keywords}
        elif nodes.is_atom(value):
            self.primal, self.args = "copy", [value]
        elif isinstance(value, gast.BinOp):
            self.primal, self.args = type(value.op), [value.left, value.right]
        elif isinstance(value, gast.UnaryOp):
            self.primal, self.args = type(value.op), [value.operand]
        elif isinstance(value, gast.Compare):
            self.primal, self.args = type(value.ops[0]), [value.left, value.comparators[0]]
        else:
            self.primal, self.args = anno.get(value, "callee"), value.args
            self.keywords = {k.arg: k.value for k in value.keywords}
            if self.primal in (builtins.sum, math.fsum) and len(self.args) == 1 and \
                    not self.keywords:  # (fsum rounds once, to the same derivative)
                self.primal = "sum"
            elif self.primal is getattr and len(self.args) == 2:  # `p.w`, a field
                self.primal = "getattr"

    def atoms(self):
        """The atoms it reads, those in a display argument (`np.stack([a, b])`) included."""
        found = []
        for arg in self.args + list(self.keywords.values()):
            display = self.primal != "getitem" and isinstance(arg, (gast.List, gast.Tuple))
            found.extend(arg.elts if display else [arg])
        return found

    def reads(self, active):
        return any(isinstance(a, gast.Name) and a.id in active for a in self.atoms())

    def differentiable(self):
        return self.primal in _STRUCTURAL or not rules.is_nondifferentiable(self.primal)

    def template(self, table, origin, active, arrays=False, lists=frozenset()):
        """The rule's template, and the atom bound to each of its inputs.

        In a function on arrays an operator takes its broadcasting template. A display
        argument that holds an `active` name may reach only an input whose derivative the
        template does not take (the shape-only `pieces` of `concatenate_part`).
        """
        template = None
        if arrays and (isinstance(self.primal, type) or self.primal is builtins.abs):
            template = rules.lookup(table, ("array", self.primal), self.args, {})
        template = template or rules.lookup(table, self.primal, self.args, self.keywords)
        if template is None:
            raise origin.error(self.stmt, self._no_rule_message(table), NonDifferentiableError)
        inputs = template.bind_inputs(self.args, self.keywords)
        for parameter, atom in inputs.items():
            if isinstance(atom, gast.Name) and atom.id in lists and atom.id in active and \
                    parameter in template.derivatives and not isinstance(self.primal, type) \
                    and not _adds_to_an_item(self.primal):
                raise origin.unsupported(self.stmt, f"`{atom.id}` is a list of differentiated "
                                                    "values, which this function takes as "
                                                    "one array; make it one first, with "
                                                    f"`np.stack({atom.id})`")
            if isinstance(atom, (gast.List, gast.Tuple)) and parameter in template.derivatives \
                    and any(isinstance(e, gast.Name) and e.id in active for e in atom.elts):
                raise origin.unsupported(self.stmt, "a differentiated value inside a list or "
                                                    "tuple display reaches a derivative only "
                                                    "through np.concatenate, np.stack, "
                                                    "np.hstack, np.vstack, np.column_stack, "
                                                    "np.dstack and np.array; pass it as an "
                                                    "argument of its own")
        return template, inputs

    def _no_rule_message(self, table):
        from ast_ad.ir.printer import to_source

        name = to_source(self.stmt.value.func if isinstance(self.stmt.value, gast.Call)
                         else self.stmt.value).strip()
        decorator = "adjoint" if table is rules.ADJOINTS else "tangent"
        example = "d[x] = d[y] * ..." if table is rules.ADJOINTS else "d[y] = d[x] * ..."
        if packs.is_pack_function(self.primal):
            return (f"`{name}` takes its pieces written out, as in `{name}([a, b])`, for "
                    "ast_ad to split its adjoint among them, or a list the function builds "
                    "with `append`; pieces given otherwise (a list argument, the rows of an "
                    "array) are not supported; for a copy of an array, write `np.copy(x)`")
        if any(self.primal is key for key in table):
            fixed = {f"{k}={v!r}" for t in rules.lookup_all(table, self.primal)
                     for k, v in t.fixed.items()}
            only = f"; they take {', '.join(sorted(fixed))} only" if fixed else ""
            return (f"ast_ad's rules for `{name}` do not take these {len(self.args)} "
                    f"arguments and keywords {sorted(self.keywords)}{only}")
        if self.primal in _DICT_METHODS:
            return _dict_method_message(name)
        reason = anno.get(self.stmt.value, "not_inlined")
        reason = f"\nIt could not be inlined either: {reason}" if reason else ""
        return (f"ast_ad has no derivative rule for `{name}`, which receives a "
                f"differentiated value.{reason}\nRegister one, for example:\n\n"
                f"    from ast_ad.extend import {decorator}, d\n\n"
                f"    @{decorator}({name})\n"
                f"    def {name.rsplit('.', 1)[-1]}(y, x):\n"
                f"        {example}  # the derivative of {name} at x\n")


_STRUCTURAL = ("copy", "push", "pop", "list", "getitem", "getattr", "sum")
_DICT_METHODS = (("method", "items"), ("method", "values"), ("method", "keys"))


def truncated(stmt):
    """The list a generated adjoint's `truncate(xs, n)` cuts back, if `stmt` is one."""
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and \
            anno.get(stmt.value.func, "bind") is containers.truncate:
        return getattr(stmt.value.args[0], "id", None)
    return None


def _adds_to_an_item(primal):
    """Whether `primal` is a helper a generated adjoint adds into a list's item by
    (`v1_bar[k] += v_bar`), whose rules take the list as it is (named, not imported:
    `add_into` lives with the array helpers, which code on numbers never imports)."""
    return primal is containers.add_to_item or adds_into(primal)


def is_application(stmt):
    """Assignments, and the pushes that assign a stack."""
    return isinstance(stmt, gast.Assign) or (isinstance(stmt, gast.Expr) and nodes.is_method_call(
        stmt.value) and stmt.value.func.attr in ("append", "pop")
        and not anno.get(stmt.value, "effect"))


def sequences(found, arrays=False):
    """The names used as lists: built with `[]`, appended to, popped; unless the code uses
    NumPy (then an indexed name is an array), also those indexed or summed. A copy of a
    list is that list, and so is a generated adjoint's `x_bar[k] += g` (`add_into`) of
    one, and what it added into."""
    names, copies = set(), {}
    for application in found:
        if application.primal in ("push", "list"):
            names.add(application.result)
        elif isinstance(application.args[0] if application.args else None, gast.Name) and (
                application.primal == "pop" or  # only a list pops
                application.primal in ("getitem", "getattr", "sum") and not arrays):
            names.add(application.args[0].id)
        elif (application.primal == "copy" or adds_into(application.primal)) and \
                isinstance(application.args[0], gast.Name):
            copies.setdefault(application.result, set()).add(application.args[0].id)
            copies.setdefault(application.args[0].id, set()).add(application.result)
    return _reached(names, copies, lambda name: [name])  # a copy of a list is that list


def adds_into(primal):
    """Whether `primal` is `add_into`, told without importing NumPy."""
    return getattr(primal, "__name__", None) == "add_into" and \
        getattr(primal, "__module__", None) == "ast_ad.runtime.arrays"


def reads_by_keys(found, active):
    """Whether a differentiated name is read by a key (`p["w"]`) or a field (`p.w`), or is
    the template of a container's adjoint (in a derivative differentiated again): in code
    on numbers, the signs of a container that the sweeps take apart item by item, where
    the front end left it whole (passed to a helper, read by a key held in a variable,
    or for the seeded sweeps of `hessian`)."""
    def container(a):
        if a.primal == "getitem" and _constant_key(a.args[1]) or a.primal == "getattr" or \
                a.primal in (containers.zeros_like_tree, containers.keys_of):
            return a.args[0]
        return a.args[1] if a.primal is containers.typed_like else None

    return any(isinstance(container(a), gast.Name) and container(a).id in active
               for a in found)


def item_containers(tree, found, active):
    """In array code, the differentiated names read only item by item (`layers[i]`,
    `layer[0]`, `layer["w"]`), measured (`len`), or copied or sliced to such a name:
    parameters, and items of them read so in turn. Such a name may hold a list, tuple or
    dict of arrays (a pytree, as JAX calls it) as well as an array, so its adjoint is made
    and added to by helpers that take either (`zeros_like_tree`, `add_to_item`)."""
    from ast_ad.runtime import arrays, checks, containers

    loads, allowed = {}, {}
    # A derivative differentiated again reads such a name by the helpers made for it too.
    shape_only = {containers.zeros_like_tree: 0, arrays.cast_like: 1, checks.require_arrays: 0,
                  containers.field_position: 0, containers.keys_of: 0, containers.typed_like: 1,
                  checks.zero_gradient: 0}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
        elif isinstance(node, gast.Call) and len(node.args) > shape_only.get(
                anno.get(node, "callee"), len(node.args)):
            read = node.args[shape_only[anno.get(node, "callee")]]
            if isinstance(read, gast.Name):
                allowed[read.id] = allowed.get(read.id, 0) + 1
    taken, assigned = {}, {}  # taken: name -> the applications reading its items or copies
    for application in found:
        if application.primal == "copy" and isinstance(application.args[0], gast.Constant):
            continue  # a start a loop's first iteration replaces (`layer = None`)
        assigned[application.result] = assigned.get(application.result, 0) + 1
        first = application.args[0] if application.args else None
        if isinstance(first, gast.Name) and application.primal in ("getitem", "getattr", "copy",
                                                                    len):
            allowed[first.id] = allowed.get(first.id, 0) + 1
            if application.primal != len:
                taken.setdefault(first.id, []).append(application)
    candidates = {name for name in active if loads.get(name, 0) == allowed.get(name, 0) > 0}
    copied_out = True
    while copied_out:  # a copy or a slice to a name read otherwise is an array's
        copied_out = {name for name in candidates if any(
            _whole_again(a) and a.result not in candidates for a in taken.get(name, ()))}
        candidates -= copied_out
    items = {p for p in parameters(tree) if p in candidates}
    sources = {}  # name -> the names its item or copy each of its assignments reads
    for name, readers in taken.items():
        for application in readers:
            sources.setdefault(application.result, []).append(name)
    grown = True
    while grown:  # a name each of whose assignments reads an item of one of them, or copies
        grown = {name for name, read in sources.items() if name not in items and
                 name in candidates and len(read) == assigned[name] and
                 all(source in items for source in read)}
        items |= grown
    return items


def _whole_again(application):
    """A copy or a slice: a value like the one it reads, not an item of it."""
    return application.primal == "copy" or isinstance(application.args[1], gast.Slice)


def refuse_keys_of_arrays(found, items, active, origin):
    """Refuse `p["w"]` of a differentiated value the sweeps take for an array (or, in code
    on numbers, a list): a container is read so only where it is read item by item."""
    for application in found:
        container = application.args[0] if application.args else None
        keyed = application.primal == "getitem" and _constant_key(application.args[1])
        if (keyed or application.primal == "getattr") and isinstance(container, gast.Name) \
                and container.id in active and container.id not in items:
            step = f"a key (`[{application.args[1].value!r}]`)" if keyed else \
                f"a field (`.{application.args[1].value}`)"
            reason = "and by a key held in a variable too (`p[k]`, in a loop over keys)" \
                if _read_by_variable_keys(found, container.id) else \
                "and whole or by a slice too (looped over, or passed to a function)"
            raise origin.unsupported(application.stmt, (
                f"`{container.id}` is read by {step}, {reason}; a container of parameters is "
                "read by constant keys, fields and indices alone (write `p[\"a\"] + "
                "p[\"b\"]` for a loop over its keys)"))


def refuse_dict_methods(found, active, origin):
    """Refuse `p.items()` of a differentiated dict first: the sweeps would stop at what the
    function does with its result, with a message that would not say why."""
    for application in found:
        if application.primal in _DICT_METHODS and isinstance(application.args[0], gast.Name) \
                and application.args[0].id in active:
            name = f"{application.args[0].id}.{application.primal[1]}"
            raise origin.error(application.stmt, _dict_method_message(name),
                               NonDifferentiableError)


def _dict_method_message(name):
    return (f"`{name}()` of a differentiated dict is supported as the sequence of a `for` "
            "loop or a comprehension, each pair unpacked: `for k, v in p.items()`, "
            "`sum(v * v for v in p.values())`")


def _constant_key(index):
    return isinstance(index, gast.Constant) and isinstance(index.value, str)


def _read_by_variable_keys(found, name):
    return any(a.primal == "getitem" and isinstance(a.args[0], gast.Name) and
               a.args[0].id == name and not isinstance(a.args[1], gast.Constant)
               for a in found)


def applications(body):
    """Every application of `body`, nested ones included, in source order."""
    return [Application(s) for stmt in body for s in nodes.walk(stmt) if is_application(s)]


def scalar_names(found):
    """Names surely bound to a scalar: numbers, full reductions (`np.sum(x)`, `len(xs)`), and
    arithmetic on scalars; each assigned once. Broadcasting cannot change their shape."""
    assignments = {}
    for application in found:
        assignments[application.result] = assignments.get(application.result, 0) + 1
    scalars = set()
    while True:
        grown = {a.result for a in found if assignments[a.result] == 1 and
                 a.result not in scalars and _makes_scalar(a, scalars)}
        if not grown:
            return scalars
        scalars |= grown


class NothingBroadcast(gast.NodeTransformer):
    """`unbroadcast(g, x)` and `broadcast_like(t, x)` are `g` and `t` in a statement whose
    result has the shape of each of `names`: when all are scalars, or when `x` is the one
    name an elementwise operation with numbers reads (see `shaped_alike`)."""

    def __init__(self, names):
        from ast_ad.runtime.arrays import broadcast_like, unbroadcast

        self.names, self.helpers = names, (unbroadcast, broadcast_like)

    def visit_Call(self, node):
        self.generic_visit(node)
        if any(anno.get(node.func, "bind") is helper for helper in self.helpers) and \
                getattr(node.args[1], "id", None) in self.names:
            return node.args[0]
        return node


def shaped_alike(application, classes):
    """The names among the result and operands of an elementwise operation that have the
    result's shape: the operand of `x * 2.0`, `x ** 2`, `np.maximum(x, 0.0)` (one name and
    numbers), and those of one of the `shape_classes` with the result."""
    names = _elementwise_names(application)
    if names is None:
        return set()
    if len(set(names)) == 1:
        return {names[0], application.result}
    kind = classes.get(application.result)
    alike = {n for n in names if kind is not None and classes.get(n) == kind}
    return alike | {application.result} if alike else set()


def shape_classes(body, found, parameters):
    """Names of one shape for certain, by class. A class is the set of shapes broadcast
    together: a name's own, or a slice's, where slices of one array that keep as many
    entries along its first axis (`x[1:]` and `x[:-1]`) share one; an elementwise
    operation on names and numbers has the union of its operands' classes, as broadcasting
    a set of shapes gives one shape in any order, once or twice
    (`y * z - np.log1p(np.exp(z))` has the class of `y * z`). Only names that keep their
    value: parameters never assigned, and names assigned once, outside any loop."""
    assignments = {}
    for application in found:
        assignments[application.result] = assignments.get(application.result, 0) + 1
    in_loops = {Application(s).result for stmt in body for loop in nodes.walk(stmt)
                if isinstance(loop, (gast.For, gast.While))
                for s in nodes.walk(loop) if is_application(s)}
    classes = {p: frozenset([("name", p)]) for p in parameters if p not in assignments}
    for application in found:
        name = application.result
        if assignments[name] != 1 or name in in_loops:
            continue
        classes[name] = frozenset([("name", name)])
        if application.primal == "getitem":
            base, index = application.args
            kept = _entries_kept(index)
            if isinstance(base, gast.Name) and base.id in classes and kept is not None:
                classes[name] = frozenset([(classes[base.id], kept)])
            continue
        names = _elementwise_names(application)
        if names and all(n in classes for n in names):
            classes[name] = frozenset().union(*(classes[n] for n in names))
    return classes


def _elementwise_names(application):
    """The names an elementwise operation on names and numbers reads; else None."""
    primal = application.primal
    elementwise = primal in (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.USub) \
        or (type(primal).__name__ == "ufunc" and primal.nout == 1 and primal.signature is None)
    names = [a.id for a in application.atoms() if isinstance(a, gast.Name)]
    numbers = [a for a in application.atoms()
               if isinstance(a, gast.Constant) and type(a.value) in (int, float)]
    if not elementwise or application.keywords or not names or \
            len(names) + len(numbers) != len(application.atoms()):
        return None
    return names


def _entries_kept(index):
    """How many entries along the first axis the slice `index` keeps of n: `("drop", k)`
    for n - k (`1:`, `:-1`, `1:-1`), `("first", k)` for min(n, k) (`:3`, `-3:`); or None."""
    if not isinstance(index, gast.Slice) or index.step is not None:
        return None
    lower, upper = _integer(index.lower), _integer(index.upper)
    if (index.lower is not None and lower is None) or (index.upper is not None and upper is None):
        return None
    if (lower is None or lower >= 0) and (upper is None or upper < 0):
        return ("drop", (lower or 0) - (upper or 0))
    if not lower and upper is not None and upper >= 0:
        return ("first", upper)
    if lower is not None and lower < 0 and upper is None:
        return ("first", -lower)
    return None


def _integer(node):
    """The int a constant (`1`, `-1`) is, else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _integer(node.operand)
        return None if inner is None else -inner
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None


def _makes_scalar(application, scalars):
    def scalar(atom):
        return (isinstance(atom, gast.Constant) and type(atom.value) in (int, float)) or \
            (isinstance(atom, gast.Name) and atom.id in scalars)

    primal = application.primal
    if _is_reduction(primal):
        return len(application.args) == 1 and not application.keywords
    arithmetic = primal == "copy" or isinstance(primal, type) or \
        getattr(primal, "__module__", None) == "math" or type(primal).__name__ == "ufunc"
    return arithmetic and all(scalar(atom) for atom in application.atoms())


def _is_reduction(primal):
    """Functions that give a scalar when given one argument (not `sum` or `np.trace`: of a
    list of arrays, or of a 3-d array, they give an array)."""
    if primal is builtins.len:
        return True
    numpy = sys.modules.get("numpy")
    return numpy is not None and any(primal is f for f in (
        numpy.sum, numpy.mean, numpy.prod, numpy.max, numpy.min, numpy.amax, numpy.amin,
        numpy.linalg.norm, numpy.size, numpy.ndim))


def active_names(found, wrt, out=None):
    """The names that depend on `wrt` through differentiable operations (around loops too)
    and, if `out` is given, that `out` depends on: a worklist each way over the trace's
    def-use chains, so each statement is looked at once per name that becomes active."""
    readers, writers = {}, {}  # name -> the differentiable applications reading, writing it
    for application in found:
        if application.differentiable():
            writers.setdefault(application.result, []).append(application)
            for atom in application.atoms():
                if isinstance(atom, gast.Name):
                    readers.setdefault(atom.id, []).append(application)
    forward = _reached(wrt, readers, lambda a: [a.result])
    if out is None:
        return forward
    return forward & _reached([out], writers, lambda a: [
        atom.id for atom in a.atoms() if isinstance(atom, gast.Name)])


def _reached(start, edges, ends):
    """The names reached from `start` along `edges` (name -> applications), each leading to
    the names `ends(application)` gives."""
    reached, work = set(start), list(start)
    while work:
        for application in edges.get(work.pop(), ()):
            for name in ends(application):
                if name not in reached:
                    reached.add(name)
                    work.append(name)
    return reached


def returned_name(body):
    return body[-1].value.id


def derivative_function(tree, name, seeds, body, returns, docstring, single, required=()):
    """A FunctionDef with the user's parameters plus keyword-only `seeds`: 1.0 by default,
    except the `required` ones (a list's tangent has no natural default).

    It returns `returns[0]` if `single`, else the tuple of `returns` (as `jax.grad`).
    """
    args = anno.copy_tree(tree.args)
    for seed in seeds:
        args.kwonlyargs.append(nodes.store(seed))
        args.kw_defaults.append(None if seed in required else nodes.constant(1.0))
    for arg in args.posonlyargs + args.args + args.kwonlyargs:
        arg.ctx = gast.Param()
    result = returns[0] if single else nodes.tuple_of(returns)
    body = [gast.Expr(value=nodes.constant(docstring))] + body + [gast.Return(value=result)]
    function = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                                type_comment=None, type_params=[])
    for key in ("origin", "scope", "user_names"):
        anno.set(function, key, anno.get(tree, key))
    for node in (args, body[0], body[-1]):  # the statements between are placed already
        anno.copy_location(node, tree)
    return gast.copy_location(function, tree)


def names_taken(tree):
    """The names of `tree` a new name may not take: all but those standing for an object
    that only `bind_statics` gives a name (a helper the lowering calls), and its own."""
    return {n.id for n in nodes.subnodes(tree) if type(n) is gast.Name
            and anno.get(n, "bind") is None} | {tree.name}


def bind_statics(function, namer):
    """Give each object a rule refers to a name the generated code can reach it by."""
    scope = anno.get(function, "scope")
    everything = list(nodes.walk(function))
    local = {n.id for n in everything if type(n) is gast.Name and type(n.ctx) is not gast.Load}
    bindings = {}
    chosen = {}
    for node in everything:
        value = anno.get(node, "bind")
        if value is None:
            continue
        key = (node.id, id(value))
        if key not in chosen and isinstance(value, types.ModuleType):
            node.id = _alias(scope, value, local) or node.id  # `np`, as the user wrote it
            key = (node.id, id(value))
        if key not in chosen:
            reachable = node.id not in local and scope.lookup(node.id) is value
            if reachable or bindings.get(node.id) is value:
                chosen[key] = node.id
            else:
                chosen[key] = namer.claim(node.id)
                bindings[chosen[key]] = value
        node.id = chosen[key]
    anno.set(function, "bindings", bindings)
    return function


def _alias(scope, module, local):
    """The user's global name for `module`, if they have one."""
    return next((name for name, value in sorted(scope.globals.items())
                 if value is module and name not in local), None)


def zero_like(name, arrays):
    """A zero derivative for the value of `name`: 0.0, or zeros of its shape for arrays
    (a shape operation such as `reshape` cannot take a scalar zero)."""
    if not arrays:
        return nodes.constant(0.0)
    import numpy

    function = gast.Attribute(value=nodes.bound("numpy", numpy), attr="zeros_like",
                              ctx=gast.Load())
    return gast.Call(func=function, args=[nodes.load(name)], keywords=[])


def describe(tree, wrt, kind):
    origin = anno.get(tree, "origin")
    where = ""
    if origin and not origin.filename.startswith("<"):
        where = f" ({os.path.basename(origin.filename)}:{tree.lineno})"
    return f"{kind} of {tree.name}{where} with respect to {', '.join(wrt)}. Generated by ast_ad."


def guard_arguments(function, wrt, arrays, reverse, iterated=()):
    """`function`, a derivative, checking first that each differentiated argument is what
    the transform planned for: a number, or an array in array code; and that no argument
    is a dict where the derivative reads one by positions: a list parameter in reverse
    mode (its gradient is a list), and those `iterated` (loops over them read them by
    positions, where a dict would give its keys). In array code every one is checked (a
    call costs little beside NumPy's work); in code on numbers, only those the derivative
    never reads, for which a wrong argument would otherwise give a number where the
    function has none."""
    from ast_ad.runtime.checks import (require_array, require_arrays, require_number,
                                       require_sequence)

    lists = anno.get(function, "lists") or ()
    items = anno.get(function, "items") or ()
    read = set(nodes.read_names(function))
    positional = (set(lists) if reverse else set(lists) & set(iterated)) - set(items)
    guarded = [p for p in wrt if p in positional or
               (p not in lists and (arrays or p not in read))]
    others = set(iterated) - set(wrt)
    if not guarded and not others:
        return function
    # The output does not depend on an `independent` argument, which may then be an array
    # in code on numbers too.
    independent = anno.get(function, "independent") or ()
    bindings = anno.get(function, "bindings")
    names = Namer(nodes.names_in(function) | set(bindings))
    def check_of(p):
        """The check of parameter `p`, and the arguments it takes after the usual three."""
        if p in others:
            return require_sequence, [nodes.constant(False)]  # (not differentiated)
        if p in positional:
            return require_sequence, []
        if p in items or arrays and p in independent:
            return require_arrays, []
        return (require_array if arrays or p in independent else require_number), []

    checks = []
    for p in guarded + sorted(others):
        helper, flags = check_of(p)
        check = helper_name(bindings, names, helper)
        checks.append(anno.copy_location(gast.Expr(value=gast.Call(
            func=nodes.load(check), args=[nodes.load(p), nodes.constant(p),
                                          nodes.constant(function.name)] + flags,
            keywords=[])), function.body[0]))
    at = 1  # after the docstring, and the reads of the leaves of container parameters
    while at < len(function.body) and anno.get(function.body[at], "leaf"):
        at += 1
    function.body[at:at] = checks
    return function
