"""Parameters that are containers (pytrees, as in JAX): dicts, lists, tuples and
namedtuples of numbers and arrays, nested, read by constant keys and indices
(`params["w"]`, `layers[0]["b"]`), by a namedtuple's fields (`p.w`) and by unpacking
(`w, b = params`).

Such a parameter is replaced by one parameter for each value the function reads, its
*leaf* (`params_w`), and the function is differentiated with respect to the leaves.
The derivative then takes the container again: it reads the leaves first
(`params_w = params["w"]`) and returns the gradient in the container's shape, made by
`gradient_like` from the leaves' gradients by path (`{("w",): params_w_bar}`), with
zeros where the function reads nothing.
"""

import dataclasses

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.naming import Namer


@dataclasses.dataclass
class Container:
    """A parameter read as a container: its leaves' names and their paths, each path a
    tuple of steps `("[]", key)` or `(".", attribute)`."""
    name: str
    leaves: dict  # leaf name -> path


def flatten_containers(tree):
    """`tree` with each container parameter replaced by its leaves, in place, and the
    `Container`s found, by parameter name: for reverse mode. Forward mode reads a
    container item by item and field by field, along its tangent's items and fields, and
    the sweeps of reverse mode with the seed inside read it as they read a list."""
    origin = anno.get(tree, "origin")
    arguments = tree.args
    every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    everything = nodes.subnodes(tree)
    read = {n.value.id for n in everything if isinstance(n, (gast.Subscript, gast.Attribute))
            and isinstance(n.value, gast.Name)} | \
        {n.value.id for n in everything if isinstance(n, gast.Assign)
         and isinstance(n.value, gast.Name) and isinstance(n.targets[0], gast.Tuple)}
    candidates = [a.id for a in every if a.id in read]  # (most functions have none)
    if not candidates:
        return tree, {}
    assigned = {n.id for n in everything if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    parents = nodes.parents(tree)
    namer = Namer(nodes.names_in(tree))
    found = {}
    for name in candidates:
        if name in assigned:
            continue
        paths = _paths(tree, name, parents)
        if paths is None:
            continue
        _refuse_prefixes(tree, paths, name, origin)
        leaves = {}
        for path in sorted(paths, key=lambda p: [str(step) for step in p]):
            leaves[namer.claim(_leaf_name(name, path))] = path
        found[name] = Container(name, leaves)
    if not found:
        return tree, found
    _replace_reads(tree, found)
    for field in ("posonlyargs", "args", "kwonlyargs"):
        replaced = []
        for argument in getattr(arguments, field):
            if argument.id in found:
                replaced += [gast.Name(id=leaf, ctx=gast.Param(), annotation=None,
                                       type_comment=None) for leaf in found[argument.id].leaves]
            else:
                replaced.append(argument)
        if field == "kwonlyargs":  # a container keyword's leaves take no default
            defaults = dict(zip([a.id for a in arguments.kwonlyargs], arguments.kw_defaults))
            arguments.kw_defaults = [defaults.get(a.id) for a in replaced]
        setattr(arguments, field, replaced)
    return tree, found


def _paths(tree, name, parents):
    """The paths by which the function reads parameter `name`, or None if it reads it
    otherwise too (whole, as `len(p)` or `f(p)` do) or never as a container.

    A container shows itself by a key (`p["w"]`), a field (`p.w`) or unpacking: the
    path runs to the last key or field of a chain of reads, and what follows indexes the
    leaf (`p["w"][0]`, `p["w"].T`). Reads by integers alone (`p[0]`) are a container's
    only where it shows itself elsewhere, and then take one step."""
    unpacked = [node for node in nodes.walk(tree)
                if isinstance(node, gast.Assign) and _unpacks(node, name)]
    chains = []
    for node in nodes.walk(tree):
        if not (isinstance(node, gast.Name) and node.id == name and
                isinstance(node.ctx, gast.Load)):
            continue
        parent = parents.get(id(node))
        if any(parent is assign for assign in unpacked):
            continue
        steps, current = [], node
        while parent is not None and _step(parent, current) is not None:
            above = parents.get(id(parent))
            if isinstance(above, gast.Call) and above.func is parent:
                break  # a method: `rng.normal()`, `p["w"].sum()`
            steps.append(_step(parent, current))
            current, parent = parent, above
        if not steps:
            return None  # read whole
        chains.append(steps)
    keyed = [k for steps in chains for k, step in enumerate(steps) if _shows_container(step)]
    if not unpacked and not keyed:
        return None
    paths = {(("[]", k),) for assign in unpacked for k in range(len(assign.targets[0].elts))}
    for steps in chains:
        last = max((k for k, step in enumerate(steps) if _shows_container(step)), default=0)
        paths.add(tuple(steps[:last + 1]))
    return paths


_ARRAY_ATTRIBUTES = {"T", "mT", "shape", "ndim", "size", "dtype", "real", "imag", "flat",
                     "nbytes", "itemsize", "strides"}


def _shows_container(step):
    kind, key = step
    return isinstance(key, str) and not (kind == "." and key in _ARRAY_ATTRIBUTES)


def _unpacks(assign, name):
    """`a, b = p`: the value is the parameter itself, unpacked into plain names."""
    return len(assign.targets) == 1 and isinstance(assign.targets[0], gast.Tuple) and \
        all(isinstance(t, gast.Name) for t in assign.targets[0].elts) and \
        isinstance(assign.value, gast.Name) and assign.value.id == name


def _step(parent, child):
    """The step `parent` reads from `child`, if it reads one: `("[]", key)`, `(".", field)`."""
    return _step_of(parent) if getattr(parent, "value", None) is child else None


def _step_of(node):
    """The step of `node` if it is a read by a constant key, index or field, else None."""
    if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant) and \
            isinstance(node.slice.value, (str, int)) and \
            not isinstance(node.slice.value, bool) and isinstance(node.ctx, gast.Load):
        return ("[]", node.slice.value)
    if isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Load):
        return (".", node.attr)
    return None


def _refuse_prefixes(tree, paths, name, origin):
    for path in paths:
        for other in paths:
            if other != path and other[:len(path)] == path:
                raise origin.unsupported(tree, f"`{name}` is read both as {_text(name, path)} "
                                               f"and as {_text(name, other)}; read each value "
                                               "of a container parameter at one depth only")


def _text(name, path):
    return name + "".join(f"[{key!r}]" if kind == "[]" else f".{key}" for kind, key in path)


def _leaf_name(name, path):
    return "_".join([name] + [str(key) for _, key in path])


def _replace_reads(tree, found):
    """Each read of a leaf, `p["w"]`, becomes the leaf's name; `a, b = p`, the leaves."""
    by_path = {(c.name, path): leaf for c in found.values() for leaf, path in c.leaves.items()}
    for node in nodes.walk(tree):
        if isinstance(node, gast.Assign) and isinstance(node.value, gast.Name) and \
                node.value.id in found and _unpacks(node, node.value.id):
            name = node.value.id
            node.value = gast.Tuple(elts=[nodes.load(by_path[(name, (("[]", k),))]) for k in
                                          range(len(node.targets[0].elts))], ctx=gast.Load())
    for node in list(nodes.walk(tree)):
        for field in nodes.child_fields(type(node)):
            value = getattr(node, field, None)
            items = value if isinstance(value, list) else [value]
            for k, child in enumerate(items):
                leaf = _leaf_of(child, by_path)
                if leaf is None:
                    continue
                replacement = anno.copy_location(nodes.load(leaf), child)
                if isinstance(value, list):
                    value[k] = replacement
                else:
                    setattr(node, field, replacement)


def _leaf_of(node, by_path):
    """The leaf `node`, a chain of accesses on a container parameter, reads, or None."""
    steps = []
    while _step_of(node) is not None:
        steps.append(_step_of(node))
        node = node.value
    if not isinstance(node, gast.Name) or not steps:
        return None
    return by_path.get((node.id, tuple(reversed(steps))))


def leaves_of(names, containers):
    """The names to differentiate: `names`, each container among them as its leaves."""
    return [leaf for name in names for leaf in
            (containers[name].leaves if name in containers else [name])]


def restore_containers(function, containers, user_arguments, wrt, single):
    """`function`, a derivative made with respect to leaves, taking the container
    parameters again (`user_arguments`, the function's own) and returning the gradient of
    each container in its shape. `wrt`: the names differentiated, containers among them;
    `single`: whether one was asked for alone."""
    if not containers:
        return function
    from ast_ad.runtime.containers import gradient_like

    arguments = function.args
    seeds = _seed_count(function, user_arguments, containers)
    restored = anno.copy_tree(user_arguments)
    for argument in restored.posonlyargs + restored.args + restored.kwonlyargs:
        argument.ctx = gast.Param()
    restored.kwonlyargs += arguments.kwonlyargs[len(arguments.kwonlyargs) - seeds:]
    restored.kw_defaults += arguments.kw_defaults[len(arguments.kw_defaults) - seeds:]
    function.args = restored
    reads = [anno.set(anno.copy_location(nodes.assign(leaf, _access(c.name, path)),
                                         function.body[0]), "leaf", True)
             for c in containers.values() for leaf, path in c.leaves.items()]
    function.body[1:1] = reads
    bindings = anno.get(function, "bindings")
    helper = Namer(nodes.names_in(function) | set(bindings)).claim("gradient_like")
    bindings[helper] = gradient_like
    leaves = leaves_of(wrt, containers)
    returned = function.body[-1]  # a tuple, unless one name that is no container was asked
    parts = [returned.value] if single and wrt[0] not in containers else \
        list(returned.value.elts)
    by_leaf = dict(zip(leaves, parts))
    grouped = [by_leaf[name] if name not in containers else gast.Call(
        func=nodes.load(helper), args=[nodes.load(name), gast.Dict(
            keys=[nodes.constant(tuple(key for _, key in path))
                  for path in containers[name].leaves.values()],
            values=[by_leaf[leaf] for leaf in containers[name].leaves])], keywords=[])
        for name in wrt]
    docstring = function.body[0].value
    docstring.value = docstring.value.replace(", ".join(leaves), ", ".join(wrt))
    returned.value = grouped[0] if single else nodes.tuple_of(grouped)
    return function


def _seed_count(function, user_arguments, containers):
    flat_keywords = sum(len(containers[a.id].leaves) if a.id in containers else 1
                        for a in user_arguments.kwonlyargs)
    return len(function.args.kwonlyargs) - flat_keywords


def _access(name, path):
    node = nodes.load(name)
    for kind, key in path:
        node = gast.Subscript(value=node, slice=nodes.constant(key), ctx=gast.Load()) \
            if kind == "[]" else gast.Attribute(value=node, attr=key, ctx=gast.Load())
    return node
