"""What the optimizer asks of each simple statement, found once for the statement.

Every pass of the optimizer asks every statement, on every round, which names it reads
and has, whether it changes a value in place, and what it folds to. The answers are kept
on the statement. They cannot go stale: the optimizer never changes a simple statement
(one without a block) in place. A pass that rewrites one puts a new node in its place
(`changed` and `substituted` make them, sharing the parts that stay), and the new node's
facts are found when first asked. `verify` checks that no statement broke this rule.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

_KEY = "_ast_ad_facts"  # not an annotation: `copy_tree` leaves it behind
SIMPLE = nodes.SIMPLE_STATEMENTS


class _Facts:
    """The names a simple statement reads (a name once a read) and has (once a node),
    whether its value calls a method of a local value and whether it changes a value in
    place (as `nodes.calls_a_method` and `nodes.changes_a_value` say), found in one walk;
    and the `answers` to other questions when first asked."""

    __slots__ = ("reads", "names", "method_in_value", "changes", "answers")

    def __init__(self, stmt):
        self.reads, self.names, method = [], [], False
        todo = [stmt]  # the nodes of `nodes.subnodes(stmt)`, but those that hold no name
        while todo:
            node = todo.pop()
            kind = type(node)
            if kind is gast.Name:
                self.names.append(node.id)
                if type(node.ctx) is gast.Load:
                    self.reads.append(node.id)
                if node.annotation is None:
                    continue
            elif kind is gast.Call and not method and nodes.is_method_call(node):
                method = True
            for field in nodes.child_fields(kind):
                value = getattr(node, field, None)
                if type(value) is list:
                    todo.extend(item for item in value if isinstance(item, gast.AST))
                elif isinstance(value, gast.AST):
                    todo.append(value)
        self.method_in_value = method and nodes.calls_a_method(getattr(stmt, "value", None))
        self.changes = not nodes.is_comment(stmt) and (
            isinstance(stmt, (gast.Expr, gast.Delete)) or self.method_in_value or
            (isinstance(stmt, gast.AugAssign) and not isinstance(stmt.target, gast.Name)))
        self.answers = {}


def of(stmt):
    """The facts of a simple statement."""
    known = stmt.__dict__.get(_KEY)
    if known is None:
        known = _Facts(stmt)
        setattr(stmt, _KEY, known)
    return known


def reads(node):
    """`nodes.read_names(node)`: from its facts for a simple statement."""
    return of(node).reads if type(node) in SIMPLE else nodes.read_names(node)


def names(node):
    """`nodes.names_in(node)`: from its facts for a simple statement (a frozenset)."""
    return answer(node, _name_set) if type(node) in SIMPLE else nodes.names_in(node)


def read_set(node):
    """`set(nodes.read_names(node))`: from its facts for a simple statement (a frozenset)."""
    return answer(node, _read_set) if type(node) in SIMPLE else set(nodes.read_names(node))


def _name_set(stmt):
    return frozenset(of(stmt).names)


def _read_set(stmt):
    return frozenset(of(stmt).reads)


def changes_a_value(stmt):
    """`nodes.changes_a_value(stmt)`: from its facts for a simple statement."""
    return of(stmt).changes if type(stmt) in SIMPLE else nodes.changes_a_value(stmt)


def answer(stmt, question):
    """`question(stmt)`, where `question` is a function of a simple statement alone."""
    answers = of(stmt).answers
    if question not in answers:
        found = question(stmt)
        # The statement itself is kept as a mark: a reference would make a cycle, which
        # only the collector frees, once for every statement.
        answers[question] = _ITSELF if found is stmt else found
    found = answers[question]
    return stmt if found is _ITSELF else found


_ITSELF = object()


# ---------------------------------------------------------------- new nodes


def changed(node, **fields):
    """A copy of `node` with these fields (the others shared), its annotations shared as
    if it were `node` changed in place, and no facts."""
    kind = type(node)
    new = kind.__new__(kind)
    state = new.__dict__
    state.update(node.__dict__)
    state.pop(_KEY, None)
    state.update(fields)
    return new


def substituted(node, values):
    """`nodes.Substitute(values).visit(node)` without changing `node`: `node` itself if it
    reads none of the names, else a new node sharing the parts that read none."""
    if type(node) is gast.Name:
        if isinstance(node.ctx, gast.Load) and node.id in values:
            return anno.copy_location(anno.copy_tree(values[node.id]), node)
        return node
    new_fields = {}
    for field in nodes.child_fields(type(node)):
        value = getattr(node, field, None)
        if isinstance(value, list):
            new = [substituted(item, values) if isinstance(item, gast.AST) else item
                   for item in value]
            if any(a is not b for a, b in zip(new, value)):
                new_fields[field] = new
        elif isinstance(value, gast.AST):
            new = substituted(value, values)
            if new is not value:
                new_fields[field] = new
    return changed(node, **new_fields) if new_fields else node


def verify(tree):
    """Check that the facts kept on each simple statement of `tree` are its facts."""
    for _, _, block in nodes.statement_blocks(tree):
        for stmt in block:
            known = stmt.__dict__.get(_KEY)
            if known is None:
                continue
            found = _Facts(stmt)
            found.answers = {question: _ITSELF if answer is stmt else answer
                             for question in known.answers
                             for answer in [question(stmt)]}
            assert all(getattr(known, s) == getattr(found, s) for s in _Facts.__slots__), \
                f"a statement was changed in place after its facts were found: {gast.dump(stmt)}"
