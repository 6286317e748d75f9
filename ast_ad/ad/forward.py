"""Forward mode: the tangent function of a trace.

Input: a lowered FunctionDef and the parameters to differentiate. Output:
`jvp_<name>(<parameters>, *, x_dot=1.0, ...)`: each primal statement followed by its
tangent statements, branches and loops keeping their shape. One sweep per parameter
in `wrt`, each seeded by that parameter's keyword-only seed; with one parameter
tangents are `v_dot` (the survey's v̇), with several they are `dv_dx` (along x), and
the function returns one derivative each. Forward mode needs no storage at all.
"""

import builtins

import gast

from ast_ad import rules
from ast_ad.ad import effects, packs
from ast_ad.frontend.lower import parameters
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Derived, Namer
from ast_ad.ir.scope import ITSELF
from ast_ad.ad.sweeps import (Application, NothingBroadcast, active_names, adds_into,
                              applications, bind_statics, derivative_function, describe,
                              is_application, item_containers, names_taken, reads_by_keys,
                              refuse_keys_of_arrays, returned_name, scalar_names, sequences,
                              truncated, zero_like)
from ast_ad.rules.templates import expand


def forward(tree, wrt):
    """The tangent function of lowered `tree` along `wrt`: a parameter name, or a list of
    them (the tangent function then returns a tuple)."""
    return _Forward(tree, wrt).function()


class _Forward:
    def __init__(self, tree, wrt):
        self.single = isinstance(wrt, str)
        self.tree, self.wrt = tree, [wrt] if self.single else list(wrt)
        self.origin = anno.get(tree, "origin")
        self.namer = Namer(names_taken(tree))
        seed_names = Derived(self.namer, "_dot")
        self.seeds = [seed_names(p) for p in self.wrt]
        # A list's tangent is a list the caller gives: one sweep gives one direction.
        found = applications(tree.body)
        arrays = anno.get(tree, "arrays", False)  # scalars matter, and NumPy exists, only then
        self.lists = lists = sequences(found, arrays)
        several = len(self.wrt) > 1
        self.tangents = {p: _tangent_names(self.namer, seed_names, p, several) for p in self.wrt}
        self.active = {p: active_names(found, [p]) for p in self.wrt}
        active = set().union(*self.active.values())
        self.items = item_containers(tree, found, active) \
            if arrays or reads_by_keys(found, active) else set()
        # In code on numbers a container's tangent is one too, which the caller gives.
        self.required = [seed_names(p) for p in self.wrt
                         if p in lists or p in self.items and not arrays]
        self.trees = self.items | _trees_made(found)
        refuse_keys_of_arrays(found, self.items | lists, active, self.origin)
        self.assigned_once = nodes.assigned_once(tree)
        self.scalars = scalar_names(found) if arrays else set()
        self.nothing_broadcast = NothingBroadcast(self.scalars) if arrays else None

    def function(self):
        zeros = [nodes.assign(self.tangents[p](name), self.zero(name)) for p in self.wrt
                 for name in parameters(self.tree) if name != p and name in self.active[p]]
        body = self.shaped_seeds() + zeros + self.block(self.tree.body[:-1])
        out = returned_name(self.tree.body)
        returns = [nodes.load(self.tangents[p](out)) if out in self.active[p]
                   else self.returned_zero(out) for p in self.wrt]
        name = self.namer.claim(f"jvp_{self.tree.name}")
        function = derivative_function(self.tree, name, self.seeds, body, returns,
                                       describe(self.tree, self.wrt, "Tangent"),
                                       self.single, self.required)
        anno.set(function, "lists", {p for p in self.wrt if p in self.lists})
        anno.set(function, "items", {p for p in self.wrt if p in self.items})
        anno.set(function, "independent", {p for p in self.wrt if out not in self.active[p]})
        return bind_statics(function, self.namer)

    def shaped_seeds(self):
        """In array code a seed takes its parameter's shape: the default 1.0 is the
        direction of all ones, as a scalar seed is for a scalar parameter."""
        if not anno.get(self.tree, "arrays", False) or self.required:
            return []
        from ast_ad.runtime.arrays import broadcast_like, broadcast_tree

        return [nodes.assign(seed, gast.Call(
            func=nodes.bound("broadcast_tree", broadcast_tree) if p in self.items else
            nodes.bound("broadcast_like", broadcast_like),
            args=[nodes.load(seed), nodes.load(p)], keywords=[]))
            for p, seed in zip(self.wrt, self.seeds)]

    def block(self, statements):
        result = []
        for stmt in statements:
            if isinstance(stmt, gast.If):
                new = gast.If(test=anno.copy_tree(stmt.test), body=self.block(stmt.body),
                              orelse=self.block(stmt.orelse))
                result.append(anno.copy_location(new, stmt))
            elif isinstance(stmt, (gast.For, gast.While)):
                new = anno.copy_tree(stmt)
                new.body = self.target_tangents(stmt) + self.block(stmt.body)
                result.append(new)
            else:
                result.append(anno.copy_tree(stmt))
                if is_application(stmt):
                    for p in self.wrt:
                        result.extend(self.tangent_statements(Application(stmt), p))
                elif truncated(stmt) in self.lists:  # the tangents' list, cut back too
                    for p in self.wrt:
                        if truncated(stmt) in self.active[p]:
                            cut = anno.copy_tree(stmt)
                            cut.value.args[0] = nodes.load(self.tangents[p](truncated(stmt)))
                            result.append(cut)
        return result

    def target_tangents(self, loop):
        """A loop's target takes a constant each iteration (a differentiated sequence is
        read by index), so its tangent starts at zero, if the body makes it differentiated."""
        target = getattr(loop, "target", None)
        if not isinstance(target, gast.Name):
            return []
        return [anno.copy_location(nodes.assign(self.tangents[p](target.id),
                                                self.zero(target.id)), loop)
                for p in self.wrt if target.id in self.active[p]]

    def tangent_statements(self, application, p):
        """The tangent statements of one application along parameter `p`."""
        active, tangent = self.active[p], self.tangents[p]
        if application.result not in active:
            return []

        def derivative(parameter):
            if parameter == template.result:
                return tangent(application.result)
            atom = inputs.get(parameter)
            return tangent(atom.id) if isinstance(atom, gast.Name) and atom.id in active else None

        stmt = application.stmt
        if application.primal in ("getitem", "getattr", "sum"):
            sequence = application.args[0]
            if not (isinstance(sequence, gast.Name) and sequence.id in active):
                value = self.zero(application.result)
            elif application.primal == "getitem":
                value = gast.Subscript(value=nodes.load(tangent(sequence.id)), ctx=gast.Load(),
                                       slice=anno.copy_tree(application.args[1]))
            elif application.primal == "getattr":  # the tangent's field: a namedtuple's
                value = gast.Attribute(value=nodes.load(tangent(sequence.id)), ctx=gast.Load(),
                                       attr=application.args[1].value)
            else:
                value = gast.Call(func=nodes.bound("sum", builtins.sum),
                                  args=[nodes.load(tangent(sequence.id))], keywords=[])
            return [anno.copy_location(nodes.assign(tangent(application.result), value), stmt)]
        if application.primal in ("push", "pop", "list"):
            return [anno.copy_location(self.stack_tangent(application, p), stmt)]
        if application.primal == "copy":
            source = application.args[0]
            value = nodes.load(tangent(source.id)) if isinstance(source, gast.Name) and \
                source.id in active else nodes.constant(None) if \
                isinstance(source, gast.Constant) and source.value is None else \
                self.zero(application.result)  # (None: a start a loop replaces)
            return [anno.copy_location(nodes.assign(tangent(application.result), value), stmt)]
        if not application.differentiable():  # a name active elsewhere (`x_bar = zeros`)
            return [anno.copy_location(nodes.assign(tangent(application.result),
                                                    self.zero(application.result)), stmt)]
        if packs.is_pack_of_list(application, active):  # `np.stack(pieces)`
            value = packs.tangent_of_list(application, tangent(application.args[0].id))
            return [anno.copy_location(nodes.assign(tangent(application.result), value), stmt)]
        if packs.is_pack(application):
            value = packs.tangent(application, lambda atom: tangent(atom.id) if isinstance(
                atom, gast.Name) and atom.id in active else None)
            return [anno.copy_location(nodes.assign(tangent(application.result), value), stmt)]
        template, inputs = application.template(rules.TANGENTS, self.origin, active,
                                                anno.get(self.tree, "arrays", False),
                                                self.lists)
        block, assigned = [], False
        for target, value in expand(template, application.result, inputs, derivative,
                                    self.namer):
            if application.result in self.scalars:
                value = self.nothing_broadcast.visit(value)
            if isinstance(target, tuple):
                target, assigned = tangent(application.result), True
            block.append(anno.copy_location(nodes.assign(target, value), stmt))
        if not assigned:  # every input's tangent is zero here
            if application.result in self.assigned_once:  # zero wherever it is read, too
                active.discard(application.result)
                return block
            block.append(anno.copy_location(
                nodes.assign(tangent(application.result), self.zero(application.result)), stmt))
        return block

    def returned_zero(self, out):
        """The tangent of an output the parameter does not reach: a container's (a gradient
        differentiated again) in its own types, which `zeros_like_tree` makes lists."""
        zero = self.zero(out)
        if out not in self.trees:
            return zero
        from ast_ad.runtime.containers import typed_like

        return gast.Call(func=nodes.bound("typed_like", typed_like),
                         args=[zero, nodes.load(out)], keywords=[])

    def zero(self, name):
        if name in self.lists:
            from ast_ad.ad.reverse import list_of_zeros

            return list_of_zeros(name)
        if name in self.trees:
            from ast_ad.runtime.containers import zeros_like_tree

            return gast.Call(func=nodes.bound("zeros_like_tree", zeros_like_tree),
                             args=[nodes.load(name)], keywords=[])
        return zero_like(name, anno.get(self.tree, "arrays", False))

    def stack_tangent(self, application, p):
        """A stack's tangent is a stack of tangents: push and pop them alongside."""
        active, tangent = self.active[p], self.tangents[p]
        stack = tangent(application.result if application.primal != "pop"
                        else application.args[0].id)
        if application.primal == "list":
            return nodes.assign(tangent(application.result), gast.List(elts=[], ctx=gast.Load()))
        if application.primal == "pop" and application.args[0].id not in active:
            return nodes.assign(tangent(application.result), self.zero(application.result))
        if application.primal == "pop":
            return nodes.assign(tangent(application.result), nodes.method_call(stack, "pop"))
        if not application.args:  # a pop whose value is dropped: the tangents' too
            return gast.Expr(value=nodes.method_call(stack, "pop"))
        value = application.args[0]
        pushed = nodes.load(tangent(value.id)) if isinstance(value, gast.Name) and \
            value.id in active else self.zero(value.id) if isinstance(value, gast.Name) \
            else nodes.constant(0.0)  # a zero keeps the stacks aligned
        return gast.Expr(value=nodes.method_call(stack, "append", pushed))


def _tangent_names(namer, seed_names, parameter, several):
    """Tangent names along `parameter`: its seed for the parameter itself."""
    if not several:
        return seed_names
    prefixed = {}

    def name(v):
        if v == parameter:
            return seed_names(v)
        if v not in prefixed:
            prefixed[v] = namer.claim(f"d{v}_d{parameter}")
        return prefixed[v]

    return name



def whole_gradients(function, wrt, arrays, effect=None, aux=None):
    """`function`, a tangent function, whose seeds default to None, where a seed left out
    asks for its parameter's whole gradient, as reverse mode gives it. In array code that
    is found by calling the function again along each element of the parameter (one
    vectorised sweep would need every rule to carry a batch of directions); `effect`, the
    file and line of a call with effects the sweeps would repeat, makes it refuse instead.
    In code on numbers the seed 1.0 is the whole gradient, and only a parameter the output
    does not depend on, which may be an array, needs its own: zeros of its shape. `aux`
    names the slot of a function with `has_aux`. Run after the clean-up, which takes one
    return only."""
    arguments = function.args
    count = len(arguments.kwonlyargs) - len(wrt)  # the seeds come last, one a parameter
    seeds = [a.id for a in arguments.kwonlyargs[count:]]
    bindings = anno.get(function, "bindings")
    names = Namer(nodes.names_in(function) | set(bindings))
    if any(default is None for default in arguments.kw_defaults[count:]):
        if arrays:
            return function  # a list's tangent is required: no gradient by sweeps
        from ast_ad.runtime.scalars import list_gradient  # a list parameter's, by sweeps

        arguments.kw_defaults[count:] = [nodes.constant(None) if d is None else d
                                         for d in arguments.kw_defaults[count:]]
        branch = _sweeps(function, wrt, seeds, effect, aux, names, bindings, list_gradient)
        function.body.insert(1, anno.copy_location(branch, function.body[0]))
        return function
    if arrays:
        arguments.kw_defaults[count:] = [nodes.constant(None) for _ in seeds]
        from ast_ad.runtime.arrays import whole_gradient

        branch = _sweeps(function, wrt, seeds, effect, aux, names, bindings, whole_gradient)
        function.body.insert(1, anno.copy_location(branch, function.body[0]))
        return function
    independent = anno.get(function, "independent") or ()
    if not independent:
        return function
    from ast_ad.runtime.checks import zero_gradient

    helper = names.claim("zero_gradient")
    bindings[helper] = zero_gradient
    returned = function.body[-1]
    parts = returned.value.elts if len(wrt) > 1 else [returned.value]
    read = {name for stmt in function.body[:-1] for name in nodes.read_names(stmt)}
    for k, (p, seed) in enumerate(zip(wrt, seeds)):
        if p in independent and seed not in read:  # (a loop may carry tangents it drops)
            arguments.kw_defaults[count + k] = nodes.constant(None)
            like = [] if isinstance(parts[k], gast.Constant) else [anno.copy_tree(parts[k])]
            zeros = gast.Call(func=nodes.load(helper), args=[  # `like`: zeros shaped as out
                nodes.load(p), nodes.constant(p), nodes.constant(function.name)] + like,
                keywords=[])
            parts[k] = gast.IfExp(test=_is_none(seed), body=zeros, orelse=parts[k])
    if len(wrt) == 1:
        returned.value = parts[0]
    return function


def _sweeps(function, wrt, seeds, effect, aux, names, bindings, sweeping):
    """`if x_dot is None: return whole_gradient(jvp_f, ...)`, or another `sweeping`
    helper of the same arguments."""
    arguments = function.args
    helper = names.claim(sweeping.__name__)
    itself = names.claim(function.name)
    bindings[helper], bindings[itself] = sweeping, ITSELF
    positional = [nodes.load(a.id) for a in arguments.posonlyargs + arguments.args]
    keywords = gast.Dict(keys=[nodes.constant(a.id) for a in arguments.kwonlyargs
                               if a.id not in seeds],
                         values=[nodes.load(a.id) for a in arguments.kwonlyargs
                                 if a.id not in seeds])
    call = gast.Call(func=nodes.load(helper), args=[
        nodes.load(itself), nodes.tuple_of(positional), keywords], keywords=[
        gast.keyword(arg=seed, value=nodes.tuple_of([nodes.load(p), nodes.load(seed)]))
        for p, seed in zip(wrt, seeds)])
    if effect is not None:
        call.keywords.insert(0, gast.keyword(arg="effect", value=nodes.tuple_of(
            [nodes.constant(part) for part in effect])))
    if aux is not None:
        call.keywords.insert(0, gast.keyword(arg="has_aux", value=nodes.constant(True)))
    missing = [_is_none(seed) for seed in seeds]
    test = missing[0] if len(missing) == 1 else gast.BoolOp(op=gast.Or(), values=missing)
    return gast.If(test=test, body=[gast.Return(value=call)], orelse=[])


def _trees_made(found):
    """The names a derivative differentiated again holds an adjoint's containers in:
    made by `zeros_like_tree`, `add_to_item`, `add_trees`, `typed_like`, `zero_gradient`
    (a container's, where the output does not depend on it) and `[0.0] * n`, and their
    copies and what `add_into` adds to them."""
    from ast_ad.runtime import checks, containers

    makers = (containers.zeros_like_tree, containers.add_to_item, containers.add_trees,
              containers.typed_like, checks.zero_gradient)
    trees = {a.result for a in found if any(a.primal is maker for maker in makers) or (
        a.primal is gast.Mult and isinstance(a.args[0], gast.Constant) and
        isinstance(a.args[0].value, list))}  # a list's adjoint, `[0.0] * len(xs)`
    adds = [a for a in found if adds_into(a.primal)]
    copies = [a for a in found if a.primal == "copy" and isinstance(a.args[0], gast.Name)] + \
        adds  # (added into in place: the first argument's containers)
    grown = True
    while grown:
        grown = {a.result for a in copies if a.args[0].id in trees} - trees
        trees |= grown
    return trees


def _is_none(name):
    return gast.Compare(left=nodes.load(name), ops=[gast.Is()],
                        comparators=[nodes.constant(None)])


def first_effect(trace, aux=None):
    """The file and line of the first call with effects in `trace`, or None; keeping the
    aux of a function with `has_aux` in its slot (named `aux`) may run again."""
    origin = anno.get(trace, "origin")
    for node in nodes.walk(trace):
        keeps_aux = isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
            and getattr(node.func.value, "id", None) == aux
        if isinstance(node, gast.Call) and not keeps_aux and effects.has_effects(node):
            return origin.location(node)[:2]
    return None
