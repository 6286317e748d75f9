"""Expressions in three-address form: each becomes one elementary operation on atoms.

A mixin of the lowering pass (`lower._Lowerer`): `rhs` turns an expression into one
operation whose operands are atoms, emitting a temporary (`v1, v2, ...`) for each
subexpression, in Python's evaluation order; `reference` resolves a name to its
current version or to the object it names outside the function (a `static`); calls
of the user's functions are inlined; an array's methods call NumPy's functions.
"""

import math
import types

import gast

from ast_ad import rules
from ast_ad.errors import DifferentiationError
from ast_ad.frontend.check import check
from ast_ad.frontend.jumps import returns_assigning
from ast_ad.frontend.jumps import without_early_returns
from ast_ad.frontend.local_functions import taken_out
from ast_ad.frontend.parse import (is_bound_method, is_cached, parameters, parse_function,
                                   seen_through)
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.scope import MISSING, Static


class Expressions:
    """Needs from its host: `emit`, `statement`, `trace`, `line_node`, `namer`, `origin`,
    `scope`, `found`, `locals`, `current`, `version`, `bind`, `inlined`, `inlining`, `out`,
    `functions` and `enclosed_by`, and a constructor `(tree, namer, inlining, found)` for
    the lowering of an inlined callee."""

    def atom(self, expr):
        """`expr` as a name or constant, emitting a temporary for anything larger."""
        value = self.rhs(expr)
        return value if nodes.is_atom(value) else self.temporary(value)

    def temporary(self, value):
        """A new temporary assigned `value`, an operation on atoms already lowered."""
        name = self.namer.temporary()
        self.emit(nodes.assign(name, value))
        return nodes.load(name)

    def rhs(self, expr):
        """`expr` as one elementary operation on atoms."""
        part = self.tuple_part(expr)
        if part is not None:
            return part
        if isinstance(expr, gast.Constant):
            return nodes.constant(expr.value)
        if isinstance(expr, (gast.Name, gast.Attribute)):
            return self.reference(expr)
        if isinstance(expr, gast.BinOp):
            if isinstance(expr.op, gast.MatMult):  # only arrays have `@`
                self.found["arrays"] = True
            left, right = (nodes.constant([nodes.constant_value(e) for e in side.elts])
                           if isinstance(side, gast.List) and isinstance(expr.op, gast.Mult)
                           and all(nodes.is_constant(e) for e in side.elts) else self.atom(side)
                           for side in (expr.left, expr.right))  # `[0.0] * n`, kept so
            return gast.BinOp(left=left, op=expr.op, right=right)
        if isinstance(expr, gast.UnaryOp):
            operand = self.atom(expr.operand)
            if isinstance(expr.op, gast.UAdd):
                return operand
            if isinstance(expr.op, gast.USub) and _is_number(operand):
                return nodes.constant(-operand.value)
            return gast.UnaryOp(op=expr.op, operand=operand)
        if isinstance(expr, gast.Compare):
            return self.compare(self.atom(expr.left), expr.ops, expr.comparators)
        if isinstance(expr, gast.JoinedStr):  # f"...": formats, joined by `+`
            return self.joined_text(expr.values)
        if isinstance(expr, gast.NamedExpr):  # `(z := e)`: `z` is assigned; its value is e's
            self.bind(expr.target.id, self.rhs(expr.value))
            return nodes.load(self.version(expr.target.id))
        if isinstance(expr, gast.Call) and anno.get(expr, "lowered"):
            return anno.set(expr, "callee", anno.get(expr.func, "static").value)
        if isinstance(expr, gast.Call):
            return self.call(expr)
        if isinstance(expr, gast.List) and expr.elts:
            return self.built_list(expr.elts)
        if isinstance(expr, gast.List):
            return gast.List(elts=[], ctx=gast.Load())
        if isinstance(expr, gast.Tuple) and all(nodes.is_constant(e) for e in expr.elts):
            return nodes.constant(tuple(self.rhs(e).value for e in expr.elts))  # a shape
        if isinstance(expr, gast.Tuple):  # a sequence of values, as a list would be
            return self.built_list(expr.elts)
        if isinstance(expr, gast.Subscript):
            container = self.atom(expr.value)
            return gast.Subscript(value=container, slice=self.index(expr.slice), ctx=gast.Load())
        if isinstance(expr, gast.IfExp):
            return self.choice(self.atom(expr.test), lambda: self.rhs(expr.body),
                               lambda: self.rhs(expr.orelse))
        if isinstance(expr, gast.BoolOp):  # short-circuit: `b` is evaluated only if needed
            first = self.atom(expr.values[0])
            rest = gast.BoolOp(op=expr.op, values=expr.values[1:]) if len(expr.values) > 2 \
                else expr.values[1]
            branches = (lambda: self.rhs(rest), lambda: anno.copy_tree(first))
            if isinstance(expr.op, gast.Or):
                branches = branches[::-1]
            return self.choice(first, *branches)
        raise self.origin.unsupported(expr, "this expression is not supported here; "
                                            "docs/supported.md lists the subset")

    def compare(self, left, ops, comparators):
        """`left < b <= c ...` with `left` an atom: each comparison made only if those before
        it hold, and each operand evaluated once, as Python does."""
        right = self.atom(comparators[0])
        test = gast.Compare(left=left, ops=ops[:1], comparators=[right])
        if len(ops) == 1:
            return test
        held = self.temporary(test)
        return self.choice(held,
                           lambda: self.compare(anno.copy_tree(right), ops[1:], comparators[1:]),
                           lambda: anno.copy_tree(held))

    def joined_text(self, values):
        """The text of an f-string: each part formatted (`format(v, spec)`, after `repr` or
        `str` for `!r` and `!s`) and the parts added, as strings, which have no derivative."""
        parts = []
        for value in values:
            if isinstance(value, gast.Constant):
                parts.append(nodes.constant(value.value))
                continue
            part = self.atom(value.value)
            if value.conversion in (ord("r"), ord("s"), ord("a")):
                part = self.atom(lowered_call({ord("r"): repr, ord("s"): str,
                                               ord("a"): ascii}[value.conversion], [part]))
            spec = self.joined_text(value.format_spec.values) if value.format_spec else \
                nodes.constant("")
            parts.append(self.atom(lowered_call(format, [part, spec])))
        text = parts[0] if parts else nodes.constant("")
        for part in parts[1:]:
            text = self.temporary(gast.BinOp(left=text, op=gast.Add(), right=part))
        return text

    def built_list(self, elements):
        """A list display as the trace builds lists: `v1 = []`, then `v1.append(e)` for each
        element, so that each has its place in the list's adjoint."""
        name = self.namer.temporary()
        self.emit(nodes.assign(name, gast.List(elts=[], ctx=gast.Load())))
        for element in elements:
            self.emit(gast.Expr(value=nodes.method_call(name, "append", self.atom(element))))
        return nodes.load(name)

    def index(self, index):
        """An index whose parts are atoms: `i`, `1:n`, `i, 1:`."""
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in index.elts], ctx=gast.Load())
        if isinstance(index, gast.Slice):
            parts = [None if p is None else self.atom(p)
                     for p in (index.lower, index.upper, index.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        return self.atom(index)

    def items(self, value, count):
        """`value[0]`, ... `value[count - 1]`, after the check of its length Python makes
        where it unpacks `value` into `count` names."""
        from ast_ad.runtime.checks import require_length

        length = self.atom(lowered_call(len, [value]))
        self.emit(gast.Expr(value=self.rhs(lowered_call(
            require_length, [length, nodes.constant(count)]))))
        return [gast.Subscript(value=anno.copy_tree(value), slice=nodes.constant(k),
                               ctx=gast.Load()) for k in range(count)]

    def choice(self, test, if_true, if_false):
        """A temporary holding `if_true()` if `test` else `if_false()`, by an `if` statement."""
        name = self.namer.temporary()
        blocks = []
        for value in (if_true, if_false):
            outer, self.trace = self.trace, []
            self.emit(nodes.assign(name, value()))
            blocks.append(self.trace)
            self.trace = outer
        self.emit(gast.If(test=test, body=blocks[0], orelse=blocks[1]))
        return nodes.load(name)

    def call(self, expr, results=None):
        """The lowered call `expr`; with `results`, the names it is unpacked into, the atom
        of each, where it calls a function of the user's that returns as many."""
        if isinstance(expr.func, gast.Name) and expr.func.id in self.functions and \
                expr.func.id not in self.locals:
            return self.call_local(expr, self.functions[expr.func.id], results)
        if isinstance(expr.func, gast.Attribute) and not self.is_static(expr.func.value):
            if results is None:
                return self.method(expr)
            function = None  # a method of a local value: nothing to unpack
        else:
            callee = expr.func if anno.get(expr.func, "static") else self.reference(expr.func)
            function = anno.get(callee, "static")
        parts = _tuple_parts(function.value) if function is not None else None
        if parts is not None:
            if results is None or len(results) != len(parts):
                raise self.origin.unsupported(
                    expr, f"this returns a tuple of {len(parts)}: unpack it "
                          f"(`{', '.join(n for _, n in parts)} = ...`) or read one part "
                          f"(`[1]`, `.{parts[-1][1]}`)")
            args = [self.atom(arg) for arg in expr.args]  # once, for every part
            return [self.atom(lowered_call(part, args)) for part, _ in parts]
        if results is not None and (function is None or not _inlinable(function.value)):
            return self.items(self.temporary(self.call(expr)), len(results))  # `np.exp(p)`'s
        if function is None:
            raise self.origin.unsupported(expr, "calling a local variable is supported where "
                                                "it is bound once, to a function the module "
                                                "reaches (`act = np.tanh`, or `act = np.tanh "
                                                "if c else np.sin`); call the function itself")
        if _is_numpy(function.value) and expr.args and \
                getattr(function.value, "__name__", None) in _REDUCTION_FILLS and \
                any(k.arg in ("dtype", "where", "initial") for k in expr.keywords):
            return self.reduction(expr, callee, function.value.__name__)
        if _is_numpy(function.value) and expr.args and \
                getattr(function.value, "__name__", None) in ("var", "std") and \
                any(k.arg in ("dtype", "where") for k in expr.keywords):
            return self.masked_spread(expr, function.value.__name__)
        if function.value in (max, min) and not expr.keywords and _several(expr.args):
            return self.rhs(_pairwise(expr))  # `max(a, b, c)`, `max([a, b])`
        if isinstance(expr.func, gast.Attribute) and _is_array_method(function.value):
            return self.method(expr)  # `W.dot(x)`, of an array the module holds
        if isinstance(function.value, types.MethodType) and \
                isinstance(function.value.__self__, type) and \
                isinstance(expr.func, gast.Attribute):  # `K.make(x)`, a classmethod
            func = gast.Attribute(value=expr.func, attr="__func__", ctx=gast.Load())
            return self.call(gast.Call(func=func, args=[expr.func.value] + expr.args,
                                       keywords=expr.keywords))
        tree, not_inlined, names = None, None, None
        if _inlinable(function.value):
            try:
                parsed = parse_function(function.value)
                if results is not None:  # the helper's values, named after the targets
                    names = [self.fresh(name, self.locals | nodes.names_in(parsed))
                             for name in results]
                    parsed = returns_assigning(parsed, names, self.origin, expr)
                tree = check(parsed)
            except DifferentiationError as error:  # fine if no differentiated value enters
                if results is not None:
                    raise
                not_inlined = str(error)
        # A builtin (`sum`, `enumerate`) or a helper of the user's takes a list display as
        # a list, built in the trace; NumPy's functions take it as the pieces of an array
        # (`np.stack([a, b])`), and any other call as the display it is (`log((a, b))`).
        pieces = _takes_pieces(function.value) or not_inlined is not None
        argument = self.argument if pieces else self.atom
        args = [argument(arg) for arg in expr.args]
        if _is_numpy(function.value) and getattr(function.value, "__name__", "") == "einsum" \
                and not (args and (isinstance(_value_of(args[0]), str) or (
                    isinstance(expr.args[0], gast.Call)))):  # a call: generated code's
            raise self.origin.unsupported(expr, "np.einsum is differentiated with its "
                                                "subscripts written as a string "
                                                "(`'ij,jk->ik'`) or held by the module, not "
                                                "in the form of lists of axes")
        keywords = [gast.keyword(arg=k.arg, value=argument(k.value)) for k in expr.keywords]
        call = anno.set(gast.Call(func=callee, args=args, keywords=keywords), "callee",
                        function.value)
        if tree is None:
            return call if not_inlined is None else anno.set(call, "not_inlined", not_inlined)
        if function.value not in self.found["inlined"]:
            self.found["inlined"].append(function.value)
        return self.inline(expr, tree, function.value, args, keywords, names)

    def call_local(self, expr, local, results):
        """The lowered call `expr` of a function defined inside this one, inlined."""
        tree, names = anno.copy_tree(local.tree), None
        if results is not None:
            names = [self.fresh(name, self.locals | nodes.names_in(tree)) for name in results]
            tree = returns_assigning(tree, names, self.origin, expr)
        check(tree)
        args = [self.argument(arg) for arg in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=self.argument(k.value))
                    for k in expr.keywords]
        return self.inline(expr, tree, None, args, keywords, names, local)

    def reduction(self, expr, callee, name):
        """`np.sum(e, axis, dtype=D, where=m, initial=c)` (and `prod`, `mean`, `max`,
        `min`) as the reductions the rules take: `np.sum(np.where(m, astype(e, D), 0.0),
        axis) + c`, evaluated in Python's order."""
        from ast_ad.runtime.arrays import astype

        value = self.atom(expr.args[0])
        rest = [self.atom(arg) for arg in expr.args[1:]]
        given = {k.arg: self.atom(k.value) for k in expr.keywords}
        kept = [gast.keyword(arg=k, value=v) for k, v in given.items()
                if k not in ("dtype", "where", "initial")]
        if "dtype" in given:
            value = self.atom(lowered_call(astype, [value, given["dtype"]]))
        if name == "mean" and "initial" in given:
            raise self.origin.unsupported(expr, "np.mean takes no `initial`")
        if name in ("max", "amax", "min", "amin") and "where" in given and \
                "initial" not in given:
            raise self.origin.unsupported(expr, f"np.{name} with `where` needs `initial`, "
                                                "as NumPy says")

        def called(function, args, keywords=()):
            call = gast.Call(func=function, args=args, keywords=list(keywords))
            return self.atom(anno.set(call, "lowered", True))

        if "where" in given:
            where = self.numpy(expr, "where")
            fill = _REDUCTION_FILLS[name]
            masked = called(where, [given["where"], value, nodes.constant(fill)])
            if name == "mean":  # the mean of the entries `where` keeps
                ones = called(self.numpy(expr, "ones_like"), [value])
                count = called(where, [given["where"], ones, nodes.constant(0.0)])
                total = called(self.numpy(expr, "sum"), [masked] + rest, kept)
                return gast.BinOp(left=total, op=gast.Div(),
                                  right=called(self.numpy(expr, "sum"), [count] + rest, kept))
            value = masked
        reduced = called(callee, [value] + rest, kept)
        if "initial" not in given:
            return reduced
        initial = given["initial"]
        if name in ("sum", "prod"):
            operator = gast.Add() if name == "sum" else gast.Mult()
            return gast.BinOp(left=reduced, op=operator, right=initial)
        extreme = "maximum" if name in ("max", "amax") else "minimum"
        return self.rhs(anno.set(gast.Call(func=self.numpy(expr, extreme),
                                           args=[reduced, initial], keywords=[]), "lowered",
                                 True))

    def masked_spread(self, expr, name):
        """`np.var(e, axis, ddof=k, where=m, dtype=D)` (and `np.std`) as the masked sums
        the rules take: the mean of the entries `m` keeps, then their squared deviations
        summed and divided by their count less `ddof`, evaluated in Python's order."""
        from ast_ad.runtime.arrays import astype

        value = self.atom(expr.args[0])
        named = dict(zip(("axis", "dtype", "out", "ddof", "keepdims"),
                         [self.atom(arg) for arg in expr.args[1:]]))
        named.update({k.arg: self.atom(k.value) for k in expr.keywords})
        if set(named) - {"axis", "dtype", "ddof", "keepdims", "where"}:
            raise self.origin.unsupported(expr, f"np.{name} takes `axis`, `dtype`, `ddof`, "
                                                "`keepdims` and `where` here")
        if "dtype" in named:
            value = self.atom(lowered_call(astype, [value, named["dtype"]]))
        axis = named.get("axis", nodes.constant(None))
        keepdims = named.get("keepdims", nodes.constant(False))

        def numpy(function, *args, **keywords):
            return self.atom(anno.set(gast.Call(
                func=self.numpy(expr, function), args=list(args),
                keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()]),
                "lowered", True))

        where = named.get("where", nodes.constant(True))
        ones = numpy("where", where, numpy("ones_like", value), nodes.constant(0.0))
        count = numpy("sum", ones, axis=axis, keepdims=nodes.constant(True))
        total = numpy("sum", numpy("where", where, value, nodes.constant(0.0)), axis=axis,
                      keepdims=nodes.constant(True))
        mean = self.temporary(gast.BinOp(left=total, op=gast.Div(), right=count))
        deviation = self.temporary(gast.BinOp(left=value, op=gast.Sub(), right=mean))
        squared = self.temporary(gast.BinOp(left=deviation, op=gast.Pow(),
                                            right=nodes.constant(2)))
        spread = numpy("sum", numpy("where", where, squared, nodes.constant(0.0)), axis=axis,
                       keepdims=keepdims)
        kept = numpy("sum", ones, axis=axis, keepdims=keepdims)
        if "ddof" in named:
            kept = self.temporary(gast.BinOp(left=kept, op=gast.Sub(), right=named["ddof"]))
        variance = gast.BinOp(left=spread, op=gast.Div(), right=kept)
        if name == "var":
            return variance
        from ast_ad.runtime.arrays import spread_root  # equal entries: a derivative of 0

        return self.atom(lowered_call(spread_root, [self.temporary(variance)]))

    def tuple_part(self, expr):
        """`np.linalg.slogdet(a)[1]` or `.logabsdet`: the call of that part alone, or
        None where `expr` reads no part of such a call."""
        if not (isinstance(expr, (gast.Subscript, gast.Attribute))
                and isinstance(expr.value, gast.Call)):
            return None
        function = anno.get(self.reference(expr.value.func), "static") \
            if self.is_static(expr.value.func) else None
        parts = _tuple_parts(function.value) if function is not None else None
        if parts is None:
            return None
        key = expr.attr if isinstance(expr, gast.Attribute) else \
            getattr(expr.slice, "value", None)
        chosen = [part for k, (part, name) in enumerate(parts) if key in (k, name)]
        if not chosen or isinstance(key, bool):
            raise self.origin.unsupported(expr, "read one part of this tuple by its index or "
                                                f"name: {', '.join(n for _, n in parts)}")
        return self.rhs(lowered_call(chosen[0], [self.atom(arg) for arg in expr.value.args]))

    def argument(self, expr):
        """An atom; a display (`[a, b]`, `(n, 3)`) stays one, of atoms, unless constant."""
        if isinstance(expr, gast.List) or (isinstance(expr, gast.Tuple) and not all(
                isinstance(e, gast.Constant) for e in expr.elts)):
            return type(expr)(elts=[self.atom(e) for e in expr.elts], ctx=gast.Load())
        return self.atom(expr)

    def fresh(self, name, taken):
        """A name the namer gives for `name` that none of `taken` is: the names of the
        functions being inlined, which the namer does not know."""
        new = self.namer.claim(name)
        while new in taken:
            new = self.namer.claim(name)
        return new

    def inline(self, expr, tree, function, args, keywords, results=None, local=None):
        """Lower the body of the called user function into this trace; its value's name,
        or, with `results` (the names its returns assign), their atoms. A `local` function,
        defined inside the one lowered, reads the names it does not bind from the function
        it is defined in."""
        if anno.get(tree, "code") in self.inlining:
            raise self.origin.unsupported(
                expr, f"`{tree.name}` calls itself: ast_ad inlines the functions a "
                      "differentiated function calls, and cannot inline recursion; write the "
                      "recursion as a loop")
        taken_out(tree)
        taken = nodes.names_in(tree)  # the callee's own names are not the namer's
        tree.body = without_early_returns(tree.body, lambda name: self.fresh(name, taken))
        callee = type(self)(tree, self.namer, self.inlining, self.found)
        callee.trace = self.trace
        if local is not None:
            callee.enclosed_by(local.lowerer, tree, expr)
        assigned = {n.id for stmt in tree.body for n in nodes.walk(stmt)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        defaults = local.defaults if local is not None else self.constant_defaults(expr, tree)
        for name, value in self.bind_arguments(expr, tree, args, keywords, defaults).items():
            if isinstance(value, gast.Name) and anno.get(value, "static") is None and \
                    name not in assigned:
                # A parameter the helper never assigns is the caller's value itself, as
                # Python passes it (one list, not two); a loop's carried copies of one it
                # assigns would write the caller's variable.
                callee.current[name] = value.id
                continue
            callee.current[name] = self.namer.claim(name)
            callee.line_node = expr
            callee.emit(nodes.assign(callee.current[name], value))
        callee.out = self.namer.temporary()
        start = len(self.trace)
        for stmt in tree.body:
            callee.statement(stmt)
        if is_cached(function):
            for node in (n for stmt in self.trace[start:] for n in nodes.walk(stmt)):
                if isinstance(node, gast.stmt):
                    anno.set(node, "cached", tree.name)
        if results is not None:
            return [nodes.load(name) for name in results]
        return nodes.load(callee.out)

    def bind_arguments(self, expr, tree, args, keywords, defaults):
        """The atom each parameter of an inlined function receives, `defaults` (atoms)
        where a call leaves one out."""
        positional = [a.id for a in tree.args.posonlyargs + tree.args.args]
        bound = dict(zip(positional, args))
        bound.update({k.arg: k.value for k in keywords})
        for name in parameters(tree):
            if name not in bound and name in defaults:
                bound[name] = defaults[name]
        if len(args) > len(positional) or set(bound) != set(parameters(tree)):
            raise self.origin.error(expr, f"this call does not match the parameters of "
                                          f"`{tree.name}` ({', '.join(parameters(tree))})")
        return {name: bound[name] for name in parameters(tree)}

    def constant_defaults(self, expr, tree):
        """The defaults of a module-level function, as constants."""
        function = anno.get(tree, "parameters_of")  # a wrapper's are the wrapped function's
        positional = [a.id for a in tree.args.posonlyargs + tree.args.args]
        defaults = dict(zip(positional[len(positional) - len(function.__defaults__ or ()):],
                            function.__defaults__ or ()))
        defaults.update(function.__kwdefaults__ or {})
        for name, value in defaults.items():
            if not isinstance(value, (int, float, bool, str, type(None))):
                raise self.origin.unsupported(expr, f"the default of `{name}` is not a "
                                                    "number or string; pass it explicitly")
        return {name: nodes.constant(value) for name, value in defaults.items()}

    def method(self, expr):
        """`list.append(v)` and `list.pop()`; an array's methods call NumPy's functions."""
        if expr.func.attr == "astype":  # no NumPy function before NumPy 2.1: a helper
            from ast_ad.runtime.arrays import astype

            self.numpy(expr, "asarray")  # (NumPy is there, and the code is array code)
            return self.call(gast.Call(func=static_reference(astype),
                                       args=[expr.func.value] + expr.args,
                                       keywords=expr.keywords))
        if expr.func.attr in _ARRAY_METHODS:
            function = self.numpy(expr, _ARRAY_METHODS[expr.func.attr])
            args = [expr.func.value] + expr.args
            if expr.func.attr in ("reshape", "transpose") and len(expr.args) > 1:
                args = [expr.func.value, gast.Tuple(elts=expr.args, ctx=gast.Load())]
            return self.call(gast.Call(func=function, args=args, keywords=expr.keywords))
        expected = {"append": 1, "pop": 0}
        if expr.func.attr in expected and (len(expr.args) != expected[expr.func.attr]
                                           or expr.keywords):
            raise self.origin.unsupported(expr, f"a list's `{expr.func.attr}` is supported "
                                                "as append(v) and pop() only")
        if expr.func.attr in _IN_PLACE and isinstance(expr.func.value, gast.Name) and \
                expr.func.value.id in self.locals:
            raise self.origin.unsupported(expr, f"`.{expr.func.attr}()` changes a value of the "
                                                "function's in place, which the derivative "
                                                "cannot follow; make a new one (`np.sort(y)`, "
                                                "`sorted(ys)`)")
        base = self.atom(expr.func.value)  # any other method: an object's, run as it is
        # A list of the function's keeps each item's place in its adjoint; an object the
        # function was given (a log) takes a display as the value Python makes.
        own = isinstance(expr.func.value, gast.Name) and expr.func.value.id in self.locals \
            and expr.func.value.id not in self.found["parameters"]
        argument = self.atom if own else self.argument
        args = [argument(arg) for arg in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=argument(k.value)) for k in expr.keywords]
        func = gast.Attribute(value=base, attr=expr.func.attr, ctx=gast.Load())
        call = gast.Call(func=func, args=args, keywords=keywords)
        if expr.func.attr in expected and getattr(base, "id", None) in self.found["parameters"]:
            # A list the caller gave (a log): changing it is an effect of the function.
            self.found["changed_parameters"].add(base.id)
            anno.set(call, "effect", True)
        return call

    def is_range(self, call):
        return self.is_builtin_call(call, range)

    def is_builtin_call(self, node, builtin):
        """Whether `node` calls `builtin` (`range`, `reversed`), not a local of that name."""
        if not isinstance(node, gast.Call) or not self.is_static(node.func):
            return False
        return anno.get(self.reference(node.func), "static").value is builtin

    def is_static(self, node):
        """Whether `node` names something outside the function (`math`, `np.linalg`)."""
        if isinstance(node, gast.Name):
            return node.id not in self.locals
        return isinstance(node, gast.Attribute) and self.is_static(node.value)

    def numpy(self, node, name):
        """`numpy.<name>`, as a static reference the generated code can reach."""
        try:
            import numpy
        except ImportError:
            raise self.origin.unsupported(node, "this is an array method, and NumPy is not "
                                                "installed") from None
        base = anno.set(nodes.load("numpy"), "static", Static(numpy))
        anno.set(base, "bind", numpy)
        self.found["arrays"] = True
        attribute = gast.Attribute(value=base, attr=name, ctx=gast.Load())
        return anno.set(attribute, "static", Static(getattr(numpy, name)))

    def reference(self, expr):
        """A local name at its current version, or a static name or attribute chain."""
        if isinstance(expr, gast.Name):
            if expr.id in self.functions and expr.id not in self.locals:
                raise self.origin.unsupported(expr, f"`{expr.id}` is a function defined in "
                                                    "this one: ast_ad inlines its calls "
                                                    f"(`{expr.id}(x)`), and cannot pass it "
                                                    "as a value; call it here, or define it "
                                                    "at module level")
            if expr.id in self.locals:
                if expr.id not in self.current:
                    raise self.origin.unsupported(expr, f"`{expr.id}` is used before it is "
                                                        "assigned")
                return nodes.load(self.version(expr.id))
            bound = anno.get(expr, "bind")  # a helper of ours the front end wrote
            value = self.scope.lookup(expr.id) if bound is None else bound
            if value is MISSING:
                raise self.origin.error(expr, f"name `{expr.id}` is not defined when "
                                              "differentiate is called; define it first")
            if _is_numpy(value):
                self.found["arrays"] = True
            node = anno.set(nodes.load(expr.id), "static", Static(value))
            if self.inlined or bound is not None:  # the scope may not reach it by this name
                anno.set(node, "bind", value)
            return node
        if isinstance(expr, gast.Attribute):
            base = self.reference(expr.value)
            static = anno.get(base, "static")
            if static is None and expr.attr in _ARRAY_ATTRIBUTES:
                call = gast.Call(func=self.numpy(expr, _ARRAY_ATTRIBUTES[expr.attr]),
                                 args=[base], keywords=[])
                return anno.set(call, "callee", getattr(_numpy(), _ARRAY_ATTRIBUTES[expr.attr]))
            if static is None:  # a field of a value, a namedtuple's (`p.w`)
                call = gast.Call(func=nodes.bound("getattr", getattr),
                                 args=[base, nodes.constant(expr.attr)], keywords=[])
                return anno.set(call, "callee", getattr)
            value = getattr(static.value, expr.attr, MISSING)
            if value is MISSING:
                raise self.origin.error(expr, f"`{expr.attr}` is not an attribute of "
                                              f"{static.value!r}")
            node = gast.Attribute(value=base, attr=expr.attr, ctx=gast.Load())
            return anno.set(node, "static", Static(value))
        return self.atom(expr)


# An array's methods, and the NumPy functions they are (`x.flatten()` copies where
# `np.ravel(x)` may not: the same values).
_ARRAY_METHODS = {name: name for name in ("sum", "mean", "prod", "max", "min", "dot", "reshape",
                                          "transpose", "swapaxes", "squeeze", "ravel", "clip",
                                          "var", "std", "cumsum", "cumprod", "copy")}
_ARRAY_METHODS["flatten"] = "ravel"
# Methods of lists and arrays that change them in place (a list's `append` and `pop` have
# their own handling).
_IN_PLACE = {"sort", "reverse", "fill", "resize", "put", "partition", "insert", "remove",
             "extend", "clear", "itemset", "setflags", "update", "setdefault"}
_ARRAY_ATTRIBUTES = {"T": "transpose", "shape": "shape", "ndim": "ndim", "size": "size"}


def _numpy():
    import numpy

    return numpy


def _is_numpy(value):
    """NumPy, its functions, and our helpers for them (found in generated array code)."""
    module = value.__name__ if isinstance(value, types.ModuleType) else \
        getattr(value, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.") or \
        module in ("ast_ad.runtime.arrays", "ast_ad.runtime.linalg")


def static_reference(function):
    """`function`, a builtin or a helper of ast_ad's runtime, by its name: a static that the
    generated code reaches by a binding where the user's scope does not."""
    return anno.set(nodes.bound(function.__name__, function), "static", Static(function))


def lowered_call(function, args):
    """A call of `function` (see `static_reference`) on atoms, already lowered."""
    call = gast.Call(func=static_reference(function), args=args, keywords=[])
    return anno.set(call, "lowered", True)


def _value_of(atom):
    """The value of a constant or a static atom, else None."""
    if isinstance(atom, gast.Constant):
        return atom.value
    static = anno.get(atom, "static")
    return None if static is None else static.value


def _several(args):
    """Values given to `max` or `min` other than two by position: three or more, or a
    display of them."""
    return len(args) > 2 or (len(args) == 1 and isinstance(args[0], (gast.List, gast.Tuple))
                             and args[0].elts)


def _pairwise(call):
    """`max(a, b, c)` or `max([a, b, c])` as `max(max(a, b), c)`: the same value, and on a
    tie the same argument, the first."""
    items = call.args[0].elts if len(call.args) == 1 else call.args
    folded = items[0]
    for item in items[1:]:  # (`max([a])` is `a`)
        folded = gast.Call(func=anno.copy_tree(call.func), args=[folded, item], keywords=[])
    return folded


def _is_array_method(value):
    """A method of an array, bound to it: `W.dot` where `W` is an array the module holds."""
    owner = getattr(value, "__self__", None)
    return type(owner).__name__ == "ndarray" and type(owner).__module__ == "numpy" and \
        (value.__name__ in _ARRAY_METHODS or value.__name__ == "astype")


def _inlinable(function):
    if is_bound_method(function):  # `self.other(x)`, `model.loss(x)`: the method's code
        function = function.__func__
    function = seen_through(function)
    if not isinstance(function, types.FunctionType) or \
            function.__module__ in ("ast_ad.runtime.checks", "ast_ad.runtime.aux"):
        return False  # (checks and raises, run as they are)
    if (function.__module__ or "").partition(".")[0] in ("numpy", "scipy"):
        return False  # a library's internals: it needs a rule, not its code inlined
    return function not in rules.ADJOINTS and function not in rules.TANGENTS and \
        not rules.is_nondifferentiable(function)


def _is_number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


# NumPy's reductions that take `where`, `initial` and `dtype`, and the value `where`
# leaves in the entries it masks (the mean counts the others).
_REDUCTION_FILLS = {"sum": 0.0, "prod": 1.0, "mean": 0.0, "max": -math.inf,
                    "amax": -math.inf, "min": math.inf, "amin": math.inf}


def _tuple_parts(function):
    """The functions of the parts of `function`'s tuple result, if it is one of those."""
    if not _is_numpy(function):
        return None
    from ast_ad.runtime.linalg import TUPLE_PARTS

    return TUPLE_PARTS.get(function)


def _takes_pieces(function):
    """Whether `function` takes a display's items as the pieces of an array or a shape
    (`np.stack([a, b])`, `np.zeros((n, 3))`), not as a list: not a builtin, `math.fsum`
    nor a helper of the user's."""
    return getattr(function, "__module__", None) != "builtins" and \
        function is not math.fsum and not _inlinable(function)
