"""The trace IR: the grammar of a lowered function, its annotations, and a verifier.

This module is the contract between the passes. `lower` writes a trace in this grammar;
`common` keeps it; `reverse` and `forward` read it and write a derivative, which
`optimize` cleans; the verifier checks each, after every pass, when the environment
variable `AST_AD_VERIFY` is set (the test suite sets it).

The trace (after `lower` and `common`)::

    function := def NAME(params): stmt* return out
    stmt     := NAME = rhs                            one elementary operation
              | NAME.append(atom)  |  NAME = NAME.pop() a list of the function's own
              | EXPR(call)                            a call for its effect alone
              | if atom: stmt* else: stmt*
              | for NAME in atom: stmt*               atom: a list, a range, a static
              | while NAME: stmt*                     NAME recomputed at the end of the body
    rhs      := atom | atom BINOP atom | UNARYOP atom | atom CMPOP atom
              | atom[index] | call | []
    call     := callee(arg, ..., k=arg)               callee: a static, or atom.method
    arg      := atom | [atom, ...] | (atom, ...)      the pieces of an array, or a shape
    index    := atom | atom:atom:atom | (index, ...)  (a part of a slice may be missing)
    atom     := NAME | CONSTANT | static              CONSTANT: a list of numbers too,
                                                     the `[0.0]` of `[0.0] * n`

Names: outside loops each name is assigned once on each path (the two branches of an
`if` may both assign a merged version). Inside a loop body the same holds within one
iteration, except the names the loop carries from one iteration to the next: assigned
before the loop, and in the body only by a copy annotated `carried`. A name that only
some paths bind, read where a loop or a merge needs it on every path, is declared first,
`NAME = None`, annotated `declaration`, and assigned once more on its path.

Annotations (`ast_ad.ir.annotations`), and the pass that sets each:

    on the FunctionDef   origin (parse: file and indentation, for messages), scope (parse:
                         where free names resolve), user_names (parse), code (parse: the
                         code object whose source it is), parameters_of (parse: the
                         function whose signature it has), arrays (lower: the code uses
                         NumPy), iterated (lower: the parameters loops read by positions),
                         bindings (the sweeps: objects the generated code reaches
                         by name), lists (the sweeps: differentiated list parameters),
                         items (the sweeps: differentiated parameters read item by item,
                         which may be lists, tuples or dicts of arrays)
    on names             static (lower: the object a name outside the function resolves
                         to, a `Static`), bind (lower and the sweeps: an object the
                         generated code must reach under this name)
    on calls             callee (lower: the function object called), not_inlined (lower:
                         why a user function was not inlined), lowered (lower: a call
                         already in three-address form)
    on statements        carried (lower: the copy that ends an iteration), declaration
                         (lower), comment and quotes (the sweeps: printed as comments; a
                         `Quote` prints the statement when first asked),
                         stack (reverse: a push or pop of a loop's stack), reversal
                         (reverse: a loop of the adjoint sweep), cached (lower: the name
                         of the `functools.cache`d helper it was inlined from)
    on loops             carries (lower: the sorted names the loop carries)

The derivative (after `reverse`, `forward` and `optimize`) is ordinary Python in the
same statement forms, with expressions of any depth, `+=` and element updates
(`x_bar[i] += g`); the verifier checks there that every name is bound before it is read
on every path, and that annotations are well formed.
"""

import ast
import os

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.scope import MISSING, Static

_LOOPS = (gast.For, gast.While)
_ATOMS = (gast.Name, gast.Constant)


class IRError(AssertionError):
    """A pass broke the IR's contract: a bug in ast_ad, never in the user's code."""


def enabled():
    return bool(os.environ.get("AST_AD_VERIFY"))


def verify_trace(tree, stage):
    """Check that `tree` is a trace in the grammar above; raise IRError naming `stage`."""
    checker = _Checker(tree, stage)
    checker.annotations()
    for stmt in tree.body[:-1]:
        checker.trace_statement(stmt)
    last = tree.body[-1]
    if not (isinstance(last, gast.Return) and isinstance(last.value, gast.Name)):
        checker.fail(last, "a trace ends with `return NAME`")
    checker.single_assignment(tree.body[:-1])
    checker.bound_before_read(tree)
    return tree


def verify_derivative(tree, stage):
    """Check that generated function `tree` reads only bound names, with sound annotations."""
    checker = _Checker(tree, stage)
    checker.annotations()
    checker.bound_before_read(tree)
    return tree


class _Checker:
    def __init__(self, tree, stage):
        self.tree, self.stage = tree, stage
        self.scope = anno.get(tree, "scope")

    def fail(self, node, message):
        try:
            text = ast.unparse(gast.gast_to_ast(node)).strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - the node may be malformed: that is the report
            text = type(node).__name__
        raise IRError(f"after {self.stage}, in {self.tree.name}: {message}: `{text}`")

    # ------------------------------------------------------------ grammar of the trace

    def trace_statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], gast.Name):
                self.fail(stmt, "an assignment has one name as its target")
            self.rhs(stmt, stmt.value)
        elif isinstance(stmt, gast.Expr):
            if not isinstance(stmt.value, gast.Call):
                self.fail(stmt, "a statement of its own is a call")
            self.call(stmt, stmt.value)
        elif isinstance(stmt, gast.If):
            self.atom(stmt, stmt.test)
            for inner in stmt.body + stmt.orelse:
                self.trace_statement(inner)
        elif isinstance(stmt, gast.For):
            if not isinstance(stmt.target, gast.Name):
                self.fail(stmt, "a loop's target is a name")
            self.atom(stmt, stmt.iter)
            self.loop(stmt)
        elif isinstance(stmt, gast.While):
            if not isinstance(stmt.test, gast.Name):
                self.fail(stmt, "a while loop tests a name")
            self.loop(stmt)
        elif not isinstance(stmt, gast.Pass):
            self.fail(stmt, f"no {type(stmt).__name__} statement in a trace")

    def loop(self, loop):
        carries = anno.get(loop, "carries")
        if not isinstance(carries, list) or carries != sorted(carries):
            self.fail(loop, "a loop's `carries` is the sorted list of the names it carries")
        for inner in loop.body:
            self.trace_statement(inner)

    def rhs(self, stmt, value):
        if isinstance(value, gast.BinOp):
            self.atom(stmt, value.left)
            self.atom(stmt, value.right)
        elif isinstance(value, gast.UnaryOp):
            self.atom(stmt, value.operand)
        elif isinstance(value, gast.Compare):
            if len(value.ops) != 1:
                self.fail(stmt, "a comparison compares two atoms")
            self.atom(stmt, value.left)
            self.atom(stmt, value.comparators[0])
        elif isinstance(value, gast.Subscript):
            self.atom(stmt, value.value)
            self.index(stmt, value.slice)
        elif isinstance(value, gast.Call):
            self.call(stmt, value)
        elif isinstance(value, gast.List):
            if value.elts:
                self.fail(stmt, "a list starts empty, `[]`")
        else:
            self.atom(stmt, value)

    def call(self, stmt, call):
        if isinstance(call.func, gast.Attribute) and not self.is_static(call.func):
            self.atom(stmt, call.func.value)  # a method of a local value
        elif not self.is_static(call.func):
            self.fail(stmt, "a call's function is a static or a method of an atom")
        for arg in call.args + [k.value for k in call.keywords]:
            if isinstance(arg, (gast.List, gast.Tuple)):
                for element in arg.elts:
                    self.atom(stmt, element)
            else:
                self.atom(stmt, arg)

    def index(self, stmt, index):
        if isinstance(index, gast.Tuple):
            for part in index.elts:
                self.index(stmt, part)
        elif isinstance(index, gast.Slice):
            for part in (index.lower, index.upper, index.step):
                if part is not None:
                    self.atom(stmt, part)
        else:
            self.atom(stmt, index)

    def atom(self, stmt, node):
        if not (isinstance(node, _ATOMS) or self.is_static(node)):
            self.fail(stmt, f"{type(node).__name__} where an atom belongs")

    @staticmethod
    def is_static(node):
        if anno.get(node, "static") is not None or anno.get(node, "bind") is not None:
            return True
        return isinstance(node, gast.Attribute) and _Checker.is_static(node.value)

    # ------------------------------------------------------------ names

    def single_assignment(self, block):
        """Outside loops a name is assigned once on each path; in a loop, once in each
        iteration, the carried names by their copy alone."""
        def visit(block, before, iteration, carried, test=None):
            for stmt in block:
                if isinstance(stmt, gast.If):
                    then = visit(stmt.body, set(before), set(iteration), carried, test)
                    orelse = visit(stmt.orelse, set(before), set(iteration), carried, test)
                    before |= then | orelse
                    iteration |= then | orelse
                elif isinstance(stmt, _LOOPS):
                    inner = set(anno.get(stmt, "carries") or ())
                    if isinstance(stmt, gast.For):
                        target = stmt.target.id
                        self.assign_once(stmt, target, before - inner - declared,
                                         iteration - declared)
                    loop_test = stmt.test.id if isinstance(stmt, gast.While) else None
                    assigned = visit(stmt.body, set(before), set(), inner, loop_test)
                    before |= assigned
                    iteration |= assigned
                elif isinstance(stmt, gast.Assign):
                    name = stmt.targets[0].id
                    if name == test:  # a while loop's test, computed again for the next
                        continue
                    if anno.get(stmt, "carried"):
                        if name not in carried:
                            self.fail(stmt, f"`{name}` is copied as carried by a loop that "
                                            "does not carry it")
                        continue
                    if not (anno.get(stmt, "declaration") is None and name in declared):
                        self.assign_once(stmt, name, before, iteration)
                    before.add(name)
                    iteration.add(name)
            return iteration

        declared = {s.targets[0].id for s in block
                    if isinstance(s, gast.Assign) and anno.get(s, "declaration")}
        visit(block, set(), set(), set())

    def assign_once(self, stmt, name, before, iteration):
        if name in before or name in iteration:
            self.fail(stmt, f"`{name}` is assigned twice on one path")

    def bound_before_read(self, tree):
        """Every name read is bound on every path to the read: a parameter, a name
        assigned before, or a name outside the function (a static, a binding, a global)."""
        args = tree.args
        bound = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        bound |= {a.id for a in (args.vararg, args.kwarg) if a is not None}
        self.outside = set(anno.get(tree, "bindings") or ())
        self.branches = {}  # (test, taken) -> the names that branch binds
        self.block(tree.body, bound)

    def block(self, block, bound):
        for stmt in block:
            bound = self.statement(stmt, bound)
        return bound

    def statement(self, stmt, bound):
        if isinstance(stmt, gast.If):
            # A later `if` on the same test takes the same branch: the adjoint sweep's
            # branches read what the primal sweep's bound.
            self.reads(stmt.test, bound)
            test = stmt.test.id if isinstance(stmt.test, gast.Name) else None
            after = []
            for taken, block in ((True, stmt.body), (False, stmt.orelse)):
                inside = self.block(block, bound | self.branches.get((test, taken), set()))
                if test is not None:
                    self.branches.setdefault((test, taken), set()).update(inside - bound)
                after.append(inside)
            return after[0] & after[1]
        # In a loop, what an earlier iteration may have bound counts as bound, and after
        # it, what its body binds: the function itself may read a name so (else Python
        # raises, in the function as in its derivative).
        if isinstance(stmt, _LOOPS):
            self.reads(stmt.iter if isinstance(stmt, gast.For) else stmt.test, bound)
            earlier = {n for s in stmt.body for n in _stored(s)}
            if isinstance(stmt, gast.For):
                earlier |= _stored(stmt.target)
            return self.block(stmt.body, bound | earlier)
        if isinstance(stmt, gast.AugAssign):
            self.reads(stmt.target, bound, load_too=True)
        if isinstance(stmt, gast.Delete):
            self.reads(stmt, bound, load_too=True)
            return bound
        value = getattr(stmt, "value", None)
        if value is not None:
            self.reads(value, bound)
        for target in getattr(stmt, "targets", []) + [getattr(stmt, "target", None)]:
            if isinstance(target, gast.Subscript):
                self.reads(target, bound, load_too=True)
            elif target is not None:
                bound |= _stored(target)
        return bound

    def reads(self, node, bound, load_too=False):
        for name in nodes.walk(node):
            if isinstance(name, gast.Name) and (isinstance(name.ctx, gast.Load) or load_too) \
                    and name.id not in bound and not self.reaches(name):
                self.fail(name, f"`{name.id}` is read where it may not be bound")

    def reaches(self, name):
        """Whether `name` resolves outside the function: a static, a binding, a global."""
        if anno.get(name, "static") is not None or anno.get(name, "bind") is not None:
            return True
        if name.id in self.outside:
            return True
        return self.scope is not None and self.scope.lookup(name.id) is not MISSING

    # ------------------------------------------------------------ annotations

    def annotations(self):
        for node in nodes.walk(self.tree):
            static = anno.get(node, "static")
            if static is not None and not isinstance(static, Static):
                self.fail(node, "`static` holds a Static")
            for key, kinds in _ANNOTATED.items():
                if anno.get(node, key) is not None and not isinstance(node, kinds):
                    self.fail(node, f"`{key}` marks a {kinds[0].__name__}")
        for key in ("origin", "scope"):
            if anno.get(self.tree, key) is None:
                self.fail(self.tree, f"a function carries its `{key}`")


# The annotations on nodes of one kind only, and that kind.
_ANNOTATED = {"carried": (gast.Assign,), "carries": _LOOPS, "callee": (gast.Call,),
              "bind": (gast.Name,), "comment": (gast.Expr,), "declaration": (gast.Assign,)}


def _stored(node):
    """The names `node`, a target or a statement, binds."""
    return {n.id for n in nodes.walk(node) if isinstance(n, gast.Name)
            and not isinstance(n.ctx, gast.Load)}
