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

from ast_ad import rules
from ast_ad.ad import effects, packs
from ast_ad.frontend.expressions import parameters
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes, printer
from ast_ad.ir.naming import Derived, Namer, is_temporary
from ast_ad.ad.sweeps import (Application, NothingBroadcast, active_names, applications,
                              bind_statics, derivative_function, describe, is_application,
                              item_containers, names_taken, reads_by_keys, refuse_dict_methods,
                              refuse_keys_of_arrays, returned_name, scalar_names, sequences,
                              shape_classes, shaped_alike, truncated, zero_like)
from ast_ad.errors import ARRAY_OUTPUT_ADVICE
from ast_ad.rules.templates import expand
from ast_ad.runtime import containers
from ast_ad.runtime.checks import require_scalar, zero_gradient

_LOOPS = (gast.For, gast.While)


def reverse(tree, wrt, seed_inside=False):
    """The adjoint of lowered `tree` with respect to `wrt`: a parameter name, or a list of
    them (the adjoint function then returns a tuple). With `seed_inside` the seed enters
    the sweep itself, so that it may be an array like a non-scalar output."""
    return _Reverse(tree, wrt, seed_inside).function(seed_inside)


class _Reverse:
    def __init__(self, tree, wrt, seed_inside=False):
        self.single = isinstance(wrt, str)
        self.tree, self.wrt = tree, [wrt] if self.single else list(wrt)
        self.origin = anno.get(tree, "origin")
        self.namer = Namer(names_taken(tree))
        self.seed = self.namer.claim("out_bar")  # the contract's name, whatever the output is
        self.out = returned_name(tree.body)
        self.names = Derived(self.namer, "_bar")
        found = applications(tree.body)
        self.active = active_names(found, self.wrt, self.out)
        self.arrays = anno.get(tree, "arrays", False)
        self.items = item_containers(tree, found, self.active) \
            if self.arrays or reads_by_keys(found, self.active) else set()
        self.sequences = sequences(found, self.arrays) & self.active - self.items  # lists
        refuse_dict_methods(found, self.active, self.origin)
        refuse_keys_of_arrays(found, self.items, self.active, self.origin)
        self.made_in_loops, self.handed_over = lists_made_in_loops(tree.body)
        self.user_names = anno.get(tree, "user_names") or set()
        self.own_lists = {a.result for a in found if a.primal == "list"}
        self.refuse_lists_made_in_branches(tree.body)
        for loop in (node for stmt in tree.body for node in nodes.walk(stmt)
                     if isinstance(node, _LOOPS)):
            self.refuse_values_left_by_earlier_iterations(loop)
        # A list's (or a container's) adjoint cannot be scaled by `out_bar * x_bar`: seed
        # the sweep itself. So in array code, where the seed's first use fills an array
        # anyway, and scaling the gradients at the end would cost a pass over each.
        self.seeded = seed_inside  # the sweeps of `vjp` and `hessian`, given the seed
        self.seed_inside = seed_inside or self.arrays or any(
            p in self.sequences or p in self.items for p in self.wrt)
        self.scalars = scalar_names(found) if self.arrays else set()
        self.nothing_broadcast = NothingBroadcast(self.scalars) if self.arrays else None
        self.classes = shape_classes(tree.body, found, parameters(tree)) if self.arrays else {}
        self.stacks = {}  # (loop, carried name) -> the stack's name
        self.resets = set()  # names whose adjoint restarts after their definition
        self.fresh = set()  # array adjoints last assigned an array no other name shares
        # An array's zero adjoint needs the array, which exists only where it was defined:
        # those defined in a branch get theirs there, in the primal sweep.
        self.conditional = _defined_in_blocks(tree.body) - set(parameters(tree)) \
            if self.arrays else set()
        self.zero_at_definition = set()
        self.counters = {}  # while loop -> the name counting its trips
        self.definitions = {}  # what `_defined` found of each compound statement
        self.loop_depth = 0  # of the statement being reversed

    def function(self, seed_inside=False):
        body = self.tree.body[:-1]
        has_adjoint = {self.out} | (self.sequences - self.made_in_loops)
        sweep = self.adjoint_block(body, has_adjoint)
        primal = self.primal(body, push=True)  # after the sweep: it knows what loops reverse
        stacks = [anno.set(nodes.assign(name, gast.List(elts=[], ctx=gast.Load())), "stack",
                           True) for name in self.stacks.values()]
        list_adjoints = [nodes.assign(self.names(name), list_of_zeros(name))
                         for name in sorted(self.sequences - self.made_in_loops)]
        returns = [self.zero_gradient(p) if p not in has_adjoint else self.gradient(p)
                   if self.seed_inside else
                   gast.BinOp(left=nodes.load(self.seed), op=gast.Mult(), right=self.node(p))
                   for p in self.wrt]
        sweep = list_adjoints + sweep
        name = self.namer.claim(f"grad_{self.tree.name}")
        if self.arrays and not seed_inside and self.out not in self.scalars:
            primal.append(self.require_scalar_output())
        function = derivative_function(self.tree, name, [self.seed],
                                       stacks + primal + [nodes.comment("")] + sweep, returns,
                                       describe(self.tree, self.wrt, "Gradient"),
                                       self.single)
        anno.set(function, "lists", {p for p in self.wrt if p in self.sequences})
        anno.set(function, "items", {p for p in self.wrt if p in self.items})
        # An argument the output ignores may be any array, or a container of them.
        anno.set(function, "independent", {p for p in self.wrt if p not in has_adjoint})
        if self.arrays:
            from ast_ad.ad.shapes import leave_out_shape_only_values  # NumPy is there, then

            function = leave_out_shape_only_values(function, self.names.chosen(),
                                                   self.classes)
        return bind_statics(function, self.namer)

    def require_scalar_output(self):
        """A gradient is of a scalar output, as `jax.grad`'s: an output the code shows to
        be an array is refused now; one it does not is checked when the gradient runs."""
        definitions = [s for stmt in self.tree.body for s in nodes.walk(stmt)
                       if isinstance(s, gast.Assign) and nodes.assigned_name(s) == self.out]
        line = definitions[-1] if definitions else self.tree.body[-1]
        if any(_makes_array(Application(s)) for s in definitions):
            raise self.origin.error(line, f"{self.tree.name} returns an array; "
                                          f"{ARRAY_OUTPUT_ADVICE}")
        filename, lineno, _, _ = self.origin.location(line)
        check = gast.Call(func=nodes.bound("require_scalar", require_scalar),
                          args=[nodes.load(self.out), nodes.constant(filename),
                                nodes.constant(lineno)], keywords=[])
        return anno.copy_location(gast.Expr(value=check), line)

    def zero_gradient(self, parameter):
        """The gradient of a parameter the output does not depend on: zeros of its shape,
        which only the argument knows (an array, or a container of them, unread by the
        code)."""
        if parameter in self.sequences:
            return self.zero_like(parameter)
        call = gast.Call(func=nodes.bound("zero_gradient", zero_gradient),
                         args=[nodes.load(parameter), nodes.constant(parameter),
                               nodes.constant(f"grad_{self.tree.name}")], keywords=[])
        return call

    def gradient(self, parameter):
        """The adjoint of `parameter` as returned: of its floating type, in array code, and
        a container's in its types (`zeros_like_tree` makes lists of tuples)."""
        if not self.arrays and (parameter in self.items or parameter in self.sequences
                                and not self.seeded):  # (a tuple's, an array's)
            return _call_helper(containers.typed_like, self.node(parameter),
                                nodes.load(parameter))
        if not self.arrays or parameter in self.sequences:
            return self.node(parameter)
        return _numpy_rule("cast_like", self.node(parameter), nodes.load(parameter))

    def node(self, name):
        """The adjoint of `name`; the output's is the seed (1, scaled at the end, if it can)."""
        if name != self.out:
            return nodes.load(self.names(name))
        return nodes.load(self.seed) if self.seed_inside else nodes.constant(1.0)

    # ------------------------------------------------------------ primal sweep

    def primal(self, block, push, reversing=None, loop=None):
        """`block` as the primal sweep runs it: loops push what they overwrite (`push`).

        `reversing` is the loop whose iteration `block` runs again, in the adjoint sweep:
        the copies that end its iteration are left out (they would overwrite the values
        it carries), and `effects.policy` says which statements run again; `loop` is the
        innermost loop around `block`.
        """
        result = []
        for stmt in block:
            if reversing is loop and loop is not None and anno.get(stmt, "carried"):
                continue
            if isinstance(stmt, gast.If):
                new = gast.If(test=anno.copy_tree(stmt.test),
                              body=self.primal(stmt.body, push, reversing, loop),
                              orelse=self.primal(stmt.orelse, push, reversing, loop))
                result.append(anno.copy_location(new, stmt))
            elif isinstance(stmt, _LOOPS):
                result.extend(self.primal_loop(stmt, push, reversing))
            elif loop is not None and effects.policy(stmt, self.own_lists) != effects.RECOMPUTE:
                result.extend(self.stored(stmt, reversing, loop))
            else:
                result.append(anno.copy_tree(stmt))
                name = nodes.assigned_name(stmt)
                if name in self.zero_at_definition and reversing is None:  # not again
                    result.append(anno.copy_location(
                        nodes.assign(self.names(name), self.zero_like(name)), stmt))
        return result

    def stored(self, stmt, reversing, loop):
        """`stmt`, of a loop's body, as the store policy has it: a value with effects is
        pushed when made and popped when its iteration runs again; an effect alone runs in
        the primal sweep only."""
        if reversing is None:
            if effects.policy(stmt, self.own_lists) == effects.RUN_ONCE:
                return [anno.copy_tree(stmt)]
            return [anno.copy_tree(stmt), self.push(loop, nodes.assigned_name(stmt))]
        if effects.policy(stmt, self.own_lists) == effects.RUN_ONCE:
            return []
        if loop is not reversing:
            raise self.origin.unsupported(
                stmt, "reverse mode cannot yet read back a value with effects (a random "
                      "draw, a call ast_ad does not know) made in a loop nested in another; "
                      "make the values before the loops, or differentiate with "
                      "mode=\"forward\"")
        return [self.pop(loop, nodes.assigned_name(stmt))]

    def primal_loop(self, loop, push, reversing=None):
        body = self.primal(loop.body, push, reversing, loop)
        if push:
            body = [self.push(loop, name) for name in anno.get(loop, "carries")
                    if (id(loop), name) in self.stacks] + body
            body = [self.push(loop, _length(name), _call("len", nodes.load(name)))
                    for name in self.appended(loop) if (id(loop), _length(name)) in self.stacks
                    ] + body
        before = []
        counter = self.counters.get(id(loop))
        if counter:
            before.append(nodes.assign(counter, nodes.constant(0)))
            body.append(gast.AugAssign(target=nodes.store(counter), op=gast.Add(),
                                       value=nodes.constant(1)))
        new = anno.copy_tree(loop, without=("body",))  # a copy of its header: the body is new
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

    def push(self, loop, name, value=None):
        push = gast.Expr(value=nodes.method_call(self.stack(loop, name), "append",
                                                 value or nodes.load(name)))
        return anno.set(anno.copy_location(push, loop), "stack", True)

    def appended(self, loop):
        """The lists made before `loop` that it appends to, differentiated or not:
        recomputing an iteration appends again, so each is first cut back to its length
        then. (A list the iteration makes, it makes again.)"""
        made = {s.targets[0].id for s in _lists_made(loop)}
        sources = {}  # name -> what each of its assignments in the loop copies, or None
        for stmt in nodes.walk(loop):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                sources.setdefault(stmt.targets[0].id, []).append(
                    stmt.value.id if isinstance(stmt.value, gast.Name) else None)
        grown = True
        while grown:  # the version each branch's list is merged into (`xs_3 = xs_1`) too
            grown = {target for target, copied in sources.items()
                     if target not in made and all(c in made for c in copied)}
            made |= grown
        return sorted({s.value.func.value.id for s in nodes.walk(loop) if is_application(s)
                       and isinstance(s, gast.Expr) and s.value.func.attr == "append"} - made)

    def refuse_values_left_by_earlier_iterations(self, loop):
        """A name the loop assigns in a branch and reads where that branch may not have run
        in this iteration holds an earlier iteration's value: a value carried from one
        iteration to the next that the loop does not carry (it has none before the loop)."""
        assigned = {n.id for s in loop.body for n in nodes.walk(s)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        carried = set(anno.get(loop, "carries") or ())

        def visit(block, definite):
            for stmt in block:
                if isinstance(stmt, gast.If):
                    check(stmt.test, definite)
                    definite = visit(stmt.body, set(definite)) & visit(stmt.orelse, set(definite))
                    continue
                if isinstance(stmt, _LOOPS):
                    check(stmt.iter if isinstance(stmt, gast.For) else stmt.test, definite)
                    definite = visit(stmt.body, definite | targets(stmt))  # as read after
                    continue
                check(stmt, definite)
                definite |= {n.id for n in nodes.walk(stmt)
                             if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
            return definite

        def check(node, definite):
            for name in nodes.loaded_names(node):
                if name in assigned and name not in carried and name not in definite:
                    raise self.origin.unsupported(
                        node, f"`{name}` may hold the value an earlier iteration of the loop "
                              "gave it (it is assigned in a branch); reverse mode needs it "
                              f"to have a value before the loop (`{name} = 0.0`), or "
                              "differentiate with mode=\"forward\"")

        def targets(loop):
            return {n.id for n in nodes.walk(loop.target) if isinstance(n, gast.Name)} \
                if isinstance(loop, gast.For) else set()

        visit(loop.body, targets(loop))

    def refuse_lists_made_in_branches(self, body):
        """A list's adjoint is made when the adjoint sweep starts, of the list's length
        then: a list of differentiated values made in a branch may not exist there,
        unless every path through the branches makes it (`if c: xs = [a, b] else: xs =
        [b, a]`)."""
        top = {nodes.assigned_name(s) for s in body} | \
            {name for b in body if isinstance(b, gast.If) for name in _made_on_every_path(b)}
        for stmt in (s for b in body if isinstance(b, gast.If) for s in nodes.walk(b)):
            if is_application(stmt) and Application(stmt).primal == "list" and \
                    stmt.targets[0].id in self.sequences and stmt.targets[0].id not in top:
                name = stmt.targets[0].id
                what = "list display" if is_temporary(name, self.user_names) else \
                    f"list (`{name} = []`)"
                raise self.origin.unsupported(
                    stmt, f"a {what} of differentiated values inside a branch is not "
                          "supported in reverse mode yet; make the list before the `if`, "
                          "or differentiate with mode=\"forward\"")

    def truncate(self, loop, name):
        """`del name[<its length when this iteration began>:]`, before the iteration reruns."""
        start = nodes.method_call(self.stack(loop, _length(name)), "pop")
        part = gast.Subscript(value=nodes.load(name), ctx=gast.Del(),
                              slice=gast.Slice(lower=start, upper=None, step=None))
        return anno.copy_location(gast.Delete(targets=[part]), loop)

    def pop(self, loop, name):
        restore = nodes.assign(name, nodes.method_call(self.stack(loop, name), "pop"))
        return anno.set(anno.copy_location(restore, loop), "stack", True)

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
            elif is_application(stmt):
                sweep.extend(self.adjoint_append(stmt, has_adjoint))
            elif truncated(stmt) is not None:
                raise self.origin.error(stmt, "ast_ad cannot yet reverse the cut of a list "
                                              "back to an earlier length")
        return sweep

    def adjoint_append(self, stmt, has_adjoint):
        """`v_bar += L_bar.pop()`, and `L.pop()` to give the list back its earlier state,
        which the loops reversed before may read (`len(L)`), differentiated or not."""
        application = Application(stmt)
        if stmt.value.func.attr != "append":
            raise self.origin.error(stmt, "ast_ad cannot yet reverse a pop whose value is "
                                          "not kept; assign it to a name")
        value, stack = application.args[0], application.result
        undo = anno.copy_location(gast.Expr(value=nodes.method_call(stack, "pop")), stmt)
        made_again = stack in self.made_in_loops  # the iteration makes it again: no undo
        if application.result not in self.sequences:
            return [] if made_again else [printer.quote(stmt), undo]
        block = [printer.quote(stmt)]
        if isinstance(value, gast.Name) and value.id in self.sequences:
            raise self.origin.unsupported(stmt, "a list of lists that hold differentiated "
                                                "values is not supported; keep one list per "
                                                "sequence of values")
        self.require_list_adjoint(stack, has_adjoint, stmt)
        popped = nodes.method_call(self.names(stack), "pop")
        if isinstance(value, gast.Name) and value.id in self.active:
            self.contribute(block, has_adjoint, value, popped, stmt)
        else:
            block.append(anno.copy_location(gast.Expr(value=popped), stmt))
        return block if made_again else block + [undo]

    def adjoint_pop(self, stmt, application, has_adjoint):
        """`L_bar.append(v_bar)`, the adjoint of `v = L.pop()`, and `L.append(v)`: the list
        as it was, for the loops reversed before."""
        source, result = application.args[0].id, application.result
        # A loop's reverse recomputes its iterations: a pop there would run twice.
        if self.loop_depth or result in self.active and source not in self.sequences:
            raise self.origin.error(stmt, "ast_ad cannot yet reverse the pop of a list in a "
                                          "loop, such as the stacks of a loop nested in "
                                          "another")
        block = [anno.copy_location(gast.Expr(value=nodes.method_call(
            source, "append", nodes.load(result))), stmt)]
        if source not in self.sequences:
            return block
        self.require_list_adjoint(source, has_adjoint, stmt)
        # (a zero as the list's adjoint holds them: a number, which `+=` replaces)
        value = self.node(result) if result in has_adjoint else nodes.constant(0.0)
        has_adjoint.discard(result)
        return [printer.quote(stmt), anno.copy_location(gast.Expr(value=nodes.method_call(
            self.names(source), "append", value)), stmt)] + block

    def adjoint_if(self, stmt, has_adjoint):
        self.fresh = set()  # each branch starts afresh, and what follows knows neither
        then_has, else_has = set(has_adjoint), set(has_adjoint)
        then_sweep = self.adjoint_block(stmt.body, then_has)
        self.fresh = set()
        else_sweep = self.adjoint_block(stmt.orelse, else_has)
        self.fresh = set()
        if not then_sweep and not else_sweep:
            return []
        inside = _defined(stmt, self.definitions)  # their adjoints are used up inside it
        zeros = self.zeros((then_has ^ else_has) - has_adjoint - inside, stmt)
        has_adjoint |= (then_has | else_has) - inside
        new = gast.If(test=anno.copy_tree(stmt.test), body=then_sweep or [gast.Pass()],
                      orelse=else_sweep)
        return zeros + [anno.copy_location(new, stmt)]

    def adjoint_loop(self, loop, has_adjoint):
        self.fresh = set()  # an iteration's adjoints live on into the next
        inside = _defined(loop, self.definitions)
        carried = anno.get(loop, "carries")
        outside = {n for n in nodes.read_names(loop) if n not in inside or n in carried}
        needed = {n for n in outside if n in self.active}
        zeros = self.zeros(needed - has_adjoint, loop)
        has_adjoint |= needed
        # A value the body defines anew each iteration and the code after the loop reads:
        # only its last definition receives that adjoint, so each definition resets it.
        outer_resets = self.resets
        self.resets = outer_resets | (inside & has_adjoint)
        # A list of differentiated values the iteration makes, and keeps to itself, has an
        # adjoint list of its own each iteration, made after the iteration is made again.
        own_lists = sorted({nodes.assigned_name(s) for s in loop.body} & self.made_in_loops &
                           self.sequences - self.handed_over)
        self.loop_depth += 1
        sweep = self.adjoint_block(loop.body, set(has_adjoint) | set(own_lists))
        self.loop_depth -= 1
        self.resets = outer_resets
        self.fresh = set()
        if not sweep and not carried:
            return zeros
        pops = [self.pop(loop, name) for name in reversed(carried)]
        # The iteration's appends run again in the recomputation: drop them first.
        pops += [self.truncate(loop, name) for name in self.appended(loop)]
        adjoint_lists = [anno.copy_location(nodes.assign(self.names(name),
                                                         list_of_zeros(name)), loop)
                         for name in own_lists]
        body = pops + self.primal(loop.body, False, loop, loop) + adjoint_lists + sweep
        if isinstance(loop, gast.For) and isinstance(loop.target, gast.Name) and \
                loop.target.id in self.active:  # the header gives it a new value
            body.append(anno.copy_location(nodes.assign(
                self.names(loop.target.id), self.zero_like(loop.target.id)), loop))
        if isinstance(loop, gast.For):
            items = gast.Call(func=_builtin("reversed"), args=[anno.copy_tree(loop.iter)],
                              keywords=[])
            target = anno.copy_tree(loop.target)
        else:
            items = gast.Call(func=_builtin("range"), args=[nodes.load(self.counter(loop))],
                              keywords=[])
            target = nodes.store(self.namer.claim("_"))
        new = gast.For(target=target, iter=items, body=body, orelse=[], type_comment=None)
        anno.set(new, "reversal", True)
        return zeros + [anno.copy_location(new, loop)]

    def zero_like(self, name):
        if name in self.sequences:
            return list_of_zeros(name)
        if name in self.items:
            return _call_helper(containers.zeros_like_tree, nodes.load(name))
        return zero_like(name, self.arrays)

    def zeros(self, names, where):
        self.zero_at_definition |= names & self.conditional
        return [anno.copy_location(nodes.assign(self.names(n), self.zero_like(n)), where)
                for n in sorted(names - self.conditional)]

    def contribute(self, block, has_adjoint, atom, value, stmt, replace=False):
        """Add `value` to the adjoint of `atom`, if `atom` is a differentiated name; or,
        if `replace`, make it the adjoint (a value that already holds the sum)."""
        if not (isinstance(atom, gast.Name) and atom.id in self.active):
            return
        name = self.names(atom.id)
        if atom.id not in has_adjoint or replace:
            new = nodes.assign(name, value)
        elif atom.id in self.items:  # its adjoint may be a list, which `+` would join
            new = nodes.assign(name, _call_helper(containers.add_trees, nodes.load(name), value))
        elif self.arrays:  # `+=` would write into an array that another adjoint may share
            new = nodes.assign(name, gast.BinOp(left=nodes.load(name), op=gast.Add(), right=value))
        else:
            new = nodes.add_assign(name, value)
        block.append(anno.copy_location(new, stmt))
        has_adjoint.add(atom.id)
        fresh = self.arrays and (atom.id in self.fresh or replace or
                                 _is_call_of(value, "getitem_adjoint"))
        (self.fresh.add if fresh else self.fresh.discard)(atom.id)

    def contribute_element(self, block, has_adjoint, container, index, value, stmt,
                           item=None):
        """Add `value`, the adjoint of `item = x[index]`, into the adjoint of array `x`: in
        place, `x_bar[index] += value`, when that adjoint is an array of its own and the
        index selects each element once. A name read only item by item may hold a list
        (of arrays, of lists): its adjoint takes `add_to_item` instead, unless it is one
        of its own and the item is not a container too, nor a slice (whose `+=` would join
        lists)."""
        if container.id in self.items and (container.id not in self.fresh or
                                           container.id not in has_adjoint or
                                           not _is_basic(index) or item in self.items or
                                           isinstance(index, gast.Slice)):
            total = nodes.load(self.names(container.id)) if container.id in has_adjoint else \
                self.zero_like(container.id)
            self.contribute(block, has_adjoint, container, _call_helper(
                containers.add_to_item, total, nodes.index_value(index), value), stmt,
                replace=True)
            return
        if container.id not in self.fresh or container.id not in has_adjoint or \
                not _is_basic(index):
            self.contribute(block, has_adjoint, container, _numpy_rule(
                "getitem_adjoint", value, nodes.load(container.id), nodes.index_value(index)),
                stmt)
            return
        target = gast.Subscript(value=nodes.load(self.names(container.id)),
                                slice=anno.copy_tree(index), ctx=gast.Store())
        block.append(anno.copy_location(gast.AugAssign(target=target, op=gast.Add(),
                                                       value=value), stmt))

    def adjoint_assign(self, stmt, has_adjoint):
        application = Application(stmt)
        result = application.result
        if application.primal == "pop":
            return self.adjoint_pop(stmt, application, has_adjoint)
        if result not in has_adjoint or result not in self.active or \
                application.primal == "list" or not application.differentiable():
            return []  # a name active elsewhere, given a value here that carries no derivative
        block = [printer.quote(stmt)]
        result_bar = self.node(result)
        source = getattr(application.args[0], "id", None) if application.args else None
        if anno.get(stmt, "carried"):  # the carried value is overwritten: its adjoint restarts
            has_adjoint.discard(result)
            if source in self.sequences:
                self.hand_over(block, has_adjoint, source, result, stmt)
            else:
                self.contribute(block, has_adjoint, application.args[0], result_bar, stmt)
            block.append(anno.copy_location(
                nodes.assign(self.names(result), self.zero_like(result)), stmt))
            has_adjoint.add(result)
            return block
        if application.primal == "copy" and source in self.sequences:
            if source not in self.made_in_loops or source in has_adjoint:
                raise self.origin.unsupported(stmt, "a second name for a list that holds "
                                                    "differentiated values is not supported; "
                                                    "use the list's own name")
            self.hand_over(block, has_adjoint, source, result, stmt)
            return block
        if source in self.sequences:
            self.require_list_adjoint(source, has_adjoint, stmt)
        if application.primal == "copy":
            self.contribute(block, has_adjoint, application.args[0], result_bar, stmt)
        elif application.primal == "getattr" and application.args[0].id in self.items:
            container, field = application.args  # a namedtuple's: added to at its position
            position = _call_helper(containers.field_position, nodes.load(container.id), field)
            total = nodes.load(self.names(container.id)) if container.id in has_adjoint else \
                self.zero_like(container.id)
            self.contribute(block, has_adjoint, container, _call_helper(
                containers.add_to_item, total, position, result_bar), stmt, replace=True)
        elif application.primal == "getattr":
            raise self.origin.unsupported(stmt, "reverse mode reads the fields of a container "
                                                "parameter (`p.w`), not of a value the "
                                                "function computes; read the values whole")
        elif application.primal == "getitem" and not isinstance(application.args[0], gast.Name):
            pass  # an item of a tuple of constants
        elif application.primal == "getitem" and application.args[0].id not in self.sequences:
            container, index = application.args  # an array: its adjoint scatters back
            if container.id in self.active:
                self.contribute_element(block, has_adjoint, container, index, result_bar, stmt,
                                        result)
        elif application.primal == "getitem" and isinstance(application.args[1], gast.Slice):
            block.append(self.add_to_slice(*application.args, result_bar, stmt))
        elif application.primal == "getitem" and result in self.sequences:
            raise self.origin.unsupported(stmt, "a list of lists that hold differentiated "
                                                "values is not supported in reverse mode; "
                                                "keep one list per sequence of values, or "
                                                "make them one array")
        elif application.primal == "getitem":
            container, index = application.args
            element = gast.Subscript(value=nodes.load(self.names(container.id)),
                                     slice=anno.copy_tree(index), ctx=gast.Store())
            block.append(anno.copy_location(
                gast.AugAssign(target=element, op=gast.Add(), value=result_bar), stmt))
        elif application.primal == "sum" and not isinstance(application.args[0], gast.Name):
            assert not application.reads(self.active), "a sum of a display is of constants"
        elif application.primal == "sum" and application.args[0].id not in self.sequences:
            summed = application.args[0]  # an array, summed over its first axis
            self.contribute(block, has_adjoint, summed, _numpy_rule(
                "sum_adjoint", result_bar, nodes.load(summed.id), nodes.constant(0)), stmt)
        elif application.primal == "sum":
            block.append(self.add_to_each(application.args[0].id, lambda k: result_bar, stmt))
        elif packs.is_pack_of_list(application, self.sequences):  # `np.stack(pieces)`
            block.append(self.add_to_each(application.args[0].id, lambda k: packs.part(
                application, result_bar, nodes.load(k), self.origin), stmt))
        elif packs.is_pack(application):
            for piece, adjoint in packs.adjoints(application, result_bar, self.origin):
                if isinstance(piece, gast.Name) and piece.id in self.sequences:  # a row
                    block.append(self.add_to_each(piece.id, lambda k, part=adjoint: gast.Subscript(
                        value=anno.copy_tree(part), slice=nodes.load(k), ctx=gast.Load()), stmt))
                else:
                    self.contribute(block, has_adjoint, piece, adjoint, stmt)
        else:
            self.adjoint_rule(application, block, has_adjoint, result_bar)
        if result in self.resets:  # an earlier iteration's value starts with no adjoint
            block.append(anno.copy_location(
                nodes.assign(self.names(result), self.zero_like(result)), stmt))
            self.fresh.discard(result)
        return block if len(block) > 1 else []

    def require_list_adjoint(self, name, has_adjoint, stmt):
        """Refuse a list an iteration made, read or appended to after it is copied to
        another name: the copy takes its adjoint, and Python's two names share the list."""
        if name in self.made_in_loops and name not in has_adjoint:
            raise self.origin.unsupported(stmt, "a list of differentiated values made inside "
                                                "a loop is used after it is copied to another "
                                                "name; use one name for it")

    def hand_over(self, block, has_adjoint, source, result, stmt):
        """`result = source`, of a list an iteration made, which the iteration uses no more:
        the adjoint list of `result` is `source`'s."""
        if source in has_adjoint:
            raise self.origin.unsupported(stmt, "a list of differentiated values made inside "
                                                "a loop is used after it is copied to another "
                                                "name; use one name for it")
        block.append(anno.copy_location(nodes.assign(self.names(source),
                                                     self.node(result)), stmt))
        has_adjoint.add(source)

    def add_to_each(self, sequence, value, stmt):
        """`for k in range(len(L_bar)): L_bar[k] += value(k)`: the adjoint of `sum(L)`
        (`value` the sum's adjoint), or of `np.stack(L)` (`value` the part of the result's
        adjoint due to `L[k]`)."""
        k = self.namer.claim("k")
        adjoint = self.names(sequence)
        element = gast.Subscript(value=nodes.load(adjoint), slice=nodes.load(k),
                                 ctx=gast.Store())
        body = [gast.AugAssign(target=element, op=gast.Add(), value=value(k))]
        items = gast.Call(func=_builtin("range"), args=[_call("len", nodes.load(adjoint))],
                          keywords=[])
        loop = gast.For(target=nodes.store(k), iter=items, body=body, orelse=[],
                        type_comment=None)
        return anno.copy_location(loop, stmt)

    def add_to_slice(self, sequence, index, result_bar, stmt):
        """`for k, g in zip(range(len(L_bar))[1:3], v_bar): L_bar[k] += g`: the adjoint of a
        list's slice, item by item (`L_bar[1:3] += v_bar` would join the lists)."""
        k, g = self.namer.claim("k"), self.namer.claim("g")
        adjoint = self.names(sequence.id)
        positions = gast.Subscript(value=_call("range", _call("len", nodes.load(adjoint))),
                                   slice=anno.copy_tree(index), ctx=gast.Load())
        element = gast.Subscript(value=nodes.load(adjoint), slice=nodes.load(k),
                                 ctx=gast.Store())
        loop = gast.For(target=gast.Tuple(elts=[nodes.store(k), nodes.store(g)],
                                          ctx=gast.Store()),
                        iter=_call("zip", positions, result_bar),
                        body=[gast.AugAssign(target=element, op=gast.Add(),
                                             value=nodes.load(g))],
                        orelse=[], type_comment=None)
        return anno.copy_location(loop, stmt)

    def adjoint_rule(self, application, block, has_adjoint, result_bar):
        template, inputs = application.template(rules.ADJOINTS, self.origin, self.active,
                                                self.arrays, self.sequences)

        def derivative(parameter):
            return result_bar if parameter == template.result else None

        stmt = application.stmt
        alike = shaped_alike(application, self.classes) if self.arrays else set()
        for target, value in expand(template, application.result, inputs, derivative,
                                    self.namer):
            if application.result in self.scalars:
                value = self.nothing_broadcast.visit(value)
            elif alike:
                value = NothingBroadcast(alike).visit(value)
            if isinstance(target, tuple):
                self.contribute(block, has_adjoint, inputs[target[1]], value, stmt)
            else:
                block.append(anno.copy_location(nodes.assign(target, value), stmt))


def lists_made_in_loops(body):
    """The lists a loop makes (`ks = []`, or a copy of one), which each iteration makes
    again; and those of them copied to another name (`values = items`, as a comprehension
    writes it), which takes their adjoint list each iteration."""
    loops = [loop for stmt in body for loop in nodes.walk(stmt) if isinstance(loop, _LOOPS)]
    made = {making.targets[0].id for loop in loops for making in _lists_made(loop)}
    handed_over = set()
    for copy in (s for loop in loops for s in nodes.walk(loop)  # (in the order made)
                 if type(s) is gast.Assign and type(s.value) is gast.Name):
        if copy.value.id in made:
            handed_over.add(copy.value.id)
            if not anno.get(copy, "carried"):
                made.add(copy.targets[0].id)
    return made, handed_over


def list_of_zeros(name):
    """`[0.0] * len(name)`: the adjoint of a list before anything reaches it."""
    return gast.BinOp(left=gast.List(elts=[nodes.constant(0.0)], ctx=gast.Load()),
                      op=gast.Mult(), right=gast.Call(func=_builtin("len"),
                                                      args=[nodes.load(name)], keywords=[]))


def _lists_made(node):
    """The statements in `node` that make a list: `ks = []`."""
    return [s for s in nodes.walk(node) if is_application(s) and Application(s).primal == "list"]


def _call_helper(function, *args):
    """A call of one of the runtime's helpers, bound by its own name."""
    return gast.Call(func=nodes.bound(function.__name__, function), args=list(args),
                     keywords=[])


def _numpy_rule(name, *args):
    """A call of one of the array helpers of `ast_ad.runtime.arrays`."""
    from ast_ad.runtime import arrays

    return _call_helper(getattr(arrays, name), *args)


def _is_call_of(node, name):
    from ast_ad.runtime import arrays

    return isinstance(node, gast.Call) and \
        anno.get(node.func, "bind") is getattr(arrays, name, None)


def _is_basic(index):
    """An index of numbers and slices, written out: it selects each element once."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    return all(isinstance(p, gast.Slice) or (isinstance(p, gast.Constant) and (
        type(p.value) is int or p.value is None or p.value is Ellipsis)) for p in parts)


def _length(name):
    return f"{name}_length"


def _call(name, *args):
    return gast.Call(func=_builtin(name), args=list(args), keywords=[])


def _made_on_every_path(branch):
    """The names each path through `branch`, an `if`, assigns outside loops."""
    def made(block):
        names = {nodes.assigned_name(s) for s in block} - {None}
        for stmt in block:
            if isinstance(stmt, gast.If):
                names |= _made_on_every_path(stmt)
        return names

    return made(branch.body) & made(branch.orelse)


def _defined_in_blocks(body):
    """Names assigned only inside branches, outside loops: they may not exist after them.

    Not those a loop assigns: a reversed iteration recomputes them, and a zero written
    there would wipe out the adjoint that the code after the loop gave them."""
    every = gast.Module(body=body, type_ignores=[])
    top = {nodes.assigned_name(s) for s in body}
    memo = {}
    in_loops = {name for loop in nodes.walk(every) if isinstance(loop, _LOOPS)
                for name in _defined(loop, memo)}
    return {s.targets[0].id for s in nodes.walk(every)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)} - top - in_loops


def _defined(stmt, memo):
    """The names `stmt` defines, not counting the carried names its loops copy back into;
    those of each statement in it kept in `memo` (a branch holding the rest of the
    function, as returns make them, is not walked again for each branch in it)."""
    if isinstance(stmt, gast.Assign):
        return set() if anno.get(stmt, "carried") else {stmt.targets[0].id}
    known = memo.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1]
    names = set()
    for block in (getattr(stmt, "body", None), getattr(stmt, "orelse", None)):
        for inner in block if isinstance(block, list) else ():
            names |= _defined(inner, memo)
    memo[id(stmt)] = (stmt, names)
    return names


def _builtin(name):
    return nodes.bound(name, getattr(builtins, name))



def _makes_array(application):
    """Whether `application` surely gives an array: the pieces of one put together, or an
    outer product."""
    import numpy

    return packs.is_pack(application) or application.primal is numpy.outer
