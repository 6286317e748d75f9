"""Forward mode: the tangent function of a trace.

Input: a lowered FunctionDef and the parameters to differentiate. Output:
`jvp_<name>(<parameters>, *, x_dot=1.0, ...)`: each primal statement followed by its
tangent statements. One sweep per parameter in `wrt`, each seeded by that parameter's
keyword-only seed; with one parameter tangents are `v_dot` (the survey's v̇), with
several they are `dv_dx` (along x), and the function returns one derivative each.
"""

import gast

from ast_ad import annotations as anno
from ast_ad import nodes
from ast_ad import rules
from ast_ad.naming import Derived, Namer
from ast_ad.sweeps import (Application, bind_statics, derivative_function,
                           describe, returned_name)
from ast_ad.templates import expand


def forward(tree, wrt):
    """The tangent function of lowered `tree` along each parameter name in `wrt`."""
    origin = anno.get(tree, "origin")
    namer = Namer(nodes.all_names(tree) | {tree.name})
    seed_names = Derived(namer, "_dot")
    seeds = [seed_names(p) for p in wrt]
    tangents = {p: _tangent_names(namer, seed_names, p, len(wrt) > 1) for p in wrt}
    has_tangent = {p: {p} for p in wrt}
    body = []
    for stmt in tree.body[:-1]:
        body.append(anno.copy_tree(stmt))
        if not isinstance(stmt, gast.Assign):
            continue
        application = Application(stmt)
        for p in wrt:
            if application.reads(has_tangent[p]) and application.differentiable():
                block = _tangent_statements(application, has_tangent[p], tangents[p], namer,
                                            origin)
                body.extend(anno.copy_location(s, stmt) for s in block)
    out = returned_name(tree.body)
    returns = [nodes.load(tangents[p](out)) if out in has_tangent[p] else nodes.constant(0.0)
               for p in wrt]
    function = derivative_function(tree, namer.claim(f"jvp_{tree.name}"), seeds, body, returns,
                                   describe(tree, wrt, "Tangent"))
    return bind_statics(function, namer)


def _tangent_names(namer, seed_names, parameter, several):
    """Tangent names along `parameter`: the seed for the parameter itself."""
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


def _tangent_statements(application, has_tangent, tangent, namer, origin):
    """The tangent statements of one application; its result gets a tangent if nonzero."""

    def derivative(parameter):
        if parameter == template.result:
            return tangent(application.result)
        atom = inputs.get(parameter)
        return tangent(atom.id) if hasattr(atom, "id") and atom.id in has_tangent else None

    if application.primal == "copy":
        has_tangent.add(application.result)
        source = application.args[0].id
        return [nodes.assign(tangent(application.result), nodes.load(tangent(source)))]
    template, inputs = application.template(rules.TANGENTS, origin)
    block = []
    for target, value in expand(template, application.result, inputs, derivative, namer):
        if isinstance(target, tuple):
            has_tangent.add(application.result)
            target = tangent(application.result)
        block.append(nodes.assign(target, value))
    return block
