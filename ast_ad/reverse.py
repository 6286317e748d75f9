"""Reverse mode: the adjoint function of a trace.

Input: a lowered FunctionDef (see `lower`) and the parameters to differentiate.
Output: `grad_<name>(<parameters>, *, out_bar=1.0)`: the primal sweep, a blank line,
then the adjoint sweep: for each active statement in reverse order a comment quoting
it and its adjoint statements. The first contribution to an adjoint assigns it, later
ones use `+=`; an adjoint that only some paths contribute to starts at zero.

Straight-line code and branches need no storage: in single-assignment form the adjoint
statements read the primal values directly, and a branch is reversed by testing the
same condition again. A loop is reversed by a loop over the same items in reverse
order (a `while` loop counts its trips). The only values a loop overwrites are those
it carries from one iteration to the next, so each iteration pushes those on a stack
of their own (`x_stack.append(x)`); the reversed iteration pops them back, recomputes
the iteration's other values from them, and runs the iteration's adjoint statements.
No record of operations is ever kept.

The sweep is seeded with 1, as the survey's table is, and the seed `out_bar` scales
the returned adjoints: the output is a scalar, so every adjoint is linear in the
seed, and the unit seed folds away (`1.0 * y` is `y`) instead of costing a
multiplication wherever it flows.
"""

import builtins

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad import rules
from ast_ad.codegen import to_source
from ast_ad.naming import Derived, Namer
from ast_ad.sweeps import (Application, active_names, bind_statics, derivative_function,
                           describe, returned_name)
from ast_ad.templates import expand

_LOOPS = (gast.For, gast.While)


def reverse(tree, wrt):
    """The adjoint of lowered `tree` with respect to `wrt`: a parameter name, or a list of
    them (the adjoint function then returns a tuple)."""
    return _Reverse(tree, wrt).function()


class _Reverse:
    def __init__(self, tree, wrt):
        self.single = isinstance(wrt, str)
        self.tree, self.wrt = tree, [wrt] if self.single else list(wrt)
        self.origin = anno.get(tree, "origin")
        self.namer = Namer(nodes.all_names(tree) | {tree.name})
        self.seed = self.namer.claim("out_bar")  # the contract's name, whatever the output is
        self.out = returned_name(tree.body)
        self.names = Derived(self.namer, "_bar")
        self.active = active_names(tree.body, self.wrt)
        self.stacks = {}  # (loop, carried name) -> the stack's name
        self.counters = {}  # while loop -> the name counting its trips

    def function(self):
        body = self.tree.body[:-1]
        has_adjoint = {self.out}
        sweep = self.adjoint_block(body, has_adjoint)
        primal = self.primal(body, push=True)  # after the sweep: it knows what loops reverse
        stacks = [nodes.assign(name, gast.List(elts=[], ctx=gast.Load()))
                  for name in self.stacks.values()]
        returns = [gast.BinOp(left=nodes.load(self.seed), op=gast.Mult(), right=self.node(p))
                   if p in has_adjoint else nodes.constant(0.0) for p in self.wrt]
        name = self.namer.claim(f"grad_{self.tree.name}")
        function = derivative_function(self.tree, name, [self.seed],
                                       stacks + primal + [nodes.comment("")] + sweep, returns,
                                       describe(self.tree, self.wrt, "Gradient"),
                                       self.single)
        return bind_statics(function, self.namer)

    def node(self, name):
        """The adjoint of `name`; the output's is the unit seed."""
        return nodes.constant(1.0) if name == self.out else nodes.load(self.names(name))

    # ------------------------------------------------------------ primal sweep

    def primal(self, block, push, recompute=False):
        """`block` as the primal sweep runs it: loops push what they overwrite (`push`).

        `recompute` leaves out the copies that end a loop iteration: recomputing an
        iteration must not overwrite the values it carries.
        """
        result = []
        for stmt in block:
            if recompute and anno.get(stmt, "carried"):
                continue
            if isinstance(stmt, gast.If):
                new = gast.If(test=anno.copy_tree(stmt.test), body=self.primal(stmt.body, push),
                              orelse=self.primal(stmt.orelse, push))
                result.append(anno.copy_location(new, stmt))
            elif isinstance(stmt, _LOOPS):
                result.extend(self.primal_loop(stmt, push))
            else:
                result.append(anno.copy_tree(stmt))
        return result

    def primal_loop(self, loop, push):
        body = self.primal(loop.body, push)
        if push:
            body = [self.push(loop, name) for name in anno.get(loop, "carried")
                    if (id(loop), name) in self.stacks] + body
        before = []
        counter = self.counters.get(id(loop))
        if counter:
            before.append(nodes.assign(counter, nodes.constant(0)))
            body.append(gast.AugAssign(target=nodes.store(counter), op=gast.Add(),
                                       value=nodes.constant(1)))
        new = anno.copy_tree(loop)
        new.body = body
        return [anno.copy_location(s, loop) for s in before + [new]]

    def stack(self, loop, name):
        key = (id(loop), name)
        if key not in self.stacks:
            self.stacks[key] = self.namer.claim(f"{name}_stack")
        return self.stacks[key]

    def counter(self, loop):
        if id(loop) not in self.counters:
            self.counters[id(loop)] = self.namer.claim("trips")
        return self.counters[id(loop)]

    def push(self, loop, name):
        append = gast.Attribute(value=nodes.load(self.stack(loop, name)), attr="append",
                                ctx=gast.Load())
        return anno.copy_location(
            gast.Expr(value=gast.Call(func=append, args=[nodes.load(name)], keywords=[])), loop)

    def pop(self, loop, name):
        pop = gast.Attribute(value=nodes.load(self.stack(loop, name)), attr="pop",
                             ctx=gast.Load())
        return anno.copy_location(
            nodes.assign(name, gast.Call(func=pop, args=[], keywords=[])), loop)

    # ------------------------------------------------------------ adjoint sweep

    def adjoint_block(self, block, has_adjoint):
        """The adjoint statements of `block`, in reverse order."""
        sweep = []
        for stmt in reversed(block):
            if isinstance(stmt, gast.Assign):
                sweep.extend(self.adjoint_assign(stmt, has_adjoint))
            elif isinstance(stmt, gast.If):
                sweep.extend(self.adjoint_if(stmt, has_adjoint))
            elif isinstance(stmt, _LOOPS):
                sweep.extend(self.adjoint_loop(stmt, has_adjoint))
        return sweep

    def adjoint_if(self, stmt, has_adjoint):
        then_has, else_has = set(has_adjoint), set(has_adjoint)
        then_sweep = self.adjoint_block(stmt.body, then_has)
        else_sweep = self.adjoint_block(stmt.orelse, else_has)
        if not then_sweep and not else_sweep:
            return []
        inside = _assigned(stmt)  # adjoints of these are used up inside the branch
        zeros = self.zeros((then_has ^ else_has) - has_adjoint - inside, stmt)
        has_adjoint |= (then_has | else_has) - inside
        new = gast.If(test=anno.copy_tree(stmt.test), body=then_sweep or [gast.Pass()],
                      orelse=else_sweep)
        return zeros + [anno.copy_location(new, stmt)]

    def adjoint_loop(self, loop, has_adjoint):
        inside = _assigned(loop)
        carried = anno.get(loop, "carried")
        outside = {n for n in nodes.loaded_names(loop) if n not in inside or n in carried}
        needed = {n for n in outside if n in self.active}
        zeros = self.zeros(needed - has_adjoint, loop)
        has_adjoint |= needed
        sweep = self.adjoint_block(loop.body, set(has_adjoint))
        if not sweep:
            return zeros
        pops = [self.pop(loop, name) for name in reversed(carried)]
        body = pops + self.primal(loop.body, push=False, recompute=True) + sweep
        if isinstance(loop, gast.For):
            items = gast.Call(func=_builtin("reversed"), args=[anno.copy_tree(loop.iter)],
                              keywords=[])
            target = anno.copy_tree(loop.target)
        else:
            items = gast.Call(func=_builtin("range"), args=[nodes.load(self.counter(loop))],
                              keywords=[])
            target = nodes.store(self.namer.claim("_"))
        new = gast.For(target=target, iter=items, body=body, orelse=[], type_comment=None)
        return zeros + [anno.copy_location(new, loop)]

    def zeros(self, names, where):
        return [anno.copy_location(nodes.assign(self.names(n), nodes.constant(0.0)), where)
                for n in sorted(names)]

    def adjoint_assign(self, stmt, has_adjoint):
        application = Application(stmt)
        result = application.result
        if result not in has_adjoint or result not in self.active:
            return []
        block = [nodes.comment(to_source(stmt).strip())]

        def contribute(atom, value):
            if not (isinstance(atom, gast.Name) and atom.id in self.active):
                return
            name = self.names(atom.id)
            assign = nodes.add_assign if atom.id in has_adjoint else nodes.assign
            block.append(anno.copy_location(assign(name, value), stmt))
            has_adjoint.add(atom.id)

        result_bar = self.node(result)
        if anno.get(stmt, "carried"):  # the carried value is overwritten: its adjoint restarts
            has_adjoint.discard(result)
            contribute(application.args[0], result_bar)
            block.append(anno.copy_location(
                nodes.assign(self.names(result), nodes.constant(0.0)), stmt))
            has_adjoint.add(result)
            return block
        if application.primal == "getitem":
            raise self.origin.error(stmt, _DIFFERENTIATED_ELEMENT)
        if application.primal in ("push", "pop", "list"):
            raise self.origin.error(stmt, "ast_ad cannot yet reverse a list's append and pop, "
                                          "such as the stacks of a generated loop adjoint.\n"
                                          "For a second derivative through a loop, take the "
                                          "outer derivative in forward mode: "
                                          "differentiate(grad_f, mode=\"forward\").")
        if application.primal == "copy":
            contribute(application.args[0], result_bar)
            return block if len(block) > 1 else []
        template, inputs = application.template(rules.ADJOINTS, self.origin)

        def derivative(parameter):
            return result_bar if parameter == template.result else None

        for target, value in expand(template, result, inputs, derivative, self.namer):
            if isinstance(target, tuple):
                contribute(inputs[target[1]], value)
            else:
                block.append(anno.copy_location(nodes.assign(target, value), stmt))
        return block if len(block) > 1 else []


def _assigned(stmt):
    return {s.targets[0].id for s in gast.walk(stmt) if isinstance(s, gast.Assign)}


def _builtin(name):
    return anno.set(nodes.load(name), "bind", getattr(builtins, name))


_DIFFERENTIATED_ELEMENT = ("ast_ad cannot yet differentiate through an element read from a "
                           "list or tuple that holds differentiated values; keep such values "
                           "in separate variables (reading a tuple of constants is fine)")
