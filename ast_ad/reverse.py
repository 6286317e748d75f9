"""Reverse mode: the adjoint function of a trace.

Input: a lowered FunctionDef (see `lower`) and the parameters to differentiate.
Output: `grad_<name>(<parameters>, *, out_bar=1.0)`: the primal sweep, a blank line,
then for each active statement in reverse order a comment quoting it and its adjoint
statements. The first contribution to an adjoint assigns it, later ones use `+=`.
Straight-line code in single-assignment form needs no storage: the adjoint statements
read the primal values directly. Dead primal statements are left for `optimize`.

The sweep is seeded with 1, as the survey's table is, and the seed `out_bar` scales
the returned adjoints: the output is a scalar, so every adjoint is linear in the
seed, and the unit seed folds away (`1.0 * y` is `y`) instead of costing a
multiplication wherever it flows.
"""

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad import rules
from ast_ad.codegen import to_source
from ast_ad.naming import Derived, Namer
from ast_ad.sweeps import (active_names, applications, bind_statics, derivative_function,
                           describe, returned_name)
from ast_ad.templates import expand


def reverse(tree, wrt):
    """The adjoint of lowered `tree` with respect to the parameter names `wrt`."""
    origin = anno.get(tree, "origin")
    namer = Namer(nodes.all_names(tree) | {tree.name})
    adjoint = Derived(namer, "_bar")
    seed = namer.claim("out_bar")  # the contract's name, whatever the output is called
    out = returned_name(tree.body)
    adjoint = _UnitSeed(adjoint, out)
    active = active_names(tree.body, wrt)
    has_adjoint = {out}
    sweep = []
    for application in reversed(applications(tree.body)):
        if application.result not in has_adjoint or application.result not in active:
            continue
        sweep.append(nodes.comment(to_source(application.stmt).strip()))
        block = _adjoint_statements(application, active, adjoint, has_adjoint, namer, origin)
        sweep.extend(anno.copy_location(stmt, application.stmt) for stmt in block)
    primal = [anno.copy_tree(s) for s in tree.body[:-1]]
    returns = [gast.BinOp(left=nodes.load(seed), op=gast.Mult(), right=adjoint.node(p))
               if p in has_adjoint else nodes.constant(0.0) for p in wrt]
    function = derivative_function(tree, namer.claim(f"grad_{tree.name}"), [seed],
                                   primal + [nodes.comment("")] + sweep, returns,
                                   describe(tree, wrt, "Gradient"))
    return bind_statics(function, namer)


def _adjoint_statements(application, active, adjoint, has_adjoint, namer, origin):
    def contribute(atom, value):
        if not (hasattr(atom, "id") and atom.id in active):
            return
        name = adjoint(atom.id)
        if name in block_targets or atom.id in has_adjoint:
            block.append(nodes.add_assign(name, value))
        else:
            block.append(nodes.assign(name, value))
        has_adjoint.add(atom.id)
        block_targets.add(name)

    block, block_targets = [], set()
    if application.primal == "copy":
        contribute(application.args[0], adjoint.node(application.result))
        return block
    template, inputs = application.template(rules.ADJOINTS, origin)

    def derivative(parameter):
        if parameter == template.result:
            return adjoint.node(application.result)
        return None  # templates read only the result's adjoint

    for target, value in expand(template, application.result, inputs, derivative, namer):
        if isinstance(target, tuple):
            contribute(inputs[target[1]], value)
        else:
            block.append(nodes.assign(target, value))
    return block


class _UnitSeed:
    """Adjoint names, except that the output's adjoint is the constant 1."""

    def __init__(self, names, out):
        self.names, self.out = names, out

    def __call__(self, name):
        return self.names(name)

    def node(self, name):
        return nodes.constant(1.0) if name == self.out else nodes.load(self.names(name))
