"""Shrinks a failing program while it keeps failing the same way, for a bug report.

Greedy, on the syntax tree: drop a statement, put a branch's or a loop's body in its place,
drop an `else`, put a subexpression (or 1.0) in place of an expression, drop an unused
parameter; keep each change after which the program still fails with the same signature
(check, outcome, exception and message, numbers left out). Only the failing check runs.
"""

import ast
import dataclasses
import re
import sys
import time

from tests.fuzz.checker import check_program
from tests.fuzz.loader import ProgramFiles
from tests.fuzz.program import generate
from tests.fuzz.report import program_text


def reduce_program(seed, index, seconds=60, signature=None):
    """The smallest program found that fails like program `index`, as text to print."""
    program = generate(seed, index)
    with ProgramFiles() as files:
        result = check_program(program, files, seconds)
        failures = result.failures()
        if not failures:
            return f"program {index} (seed {seed}) is {result.outcome}: nothing to reduce"
        target = next((c for c in failures if c.signature == signature), failures[0])
        only = {target.name}
        # An edit may make a loop endless (a while loop without its count): such a
        # candidate gets a few times what the original took, not the full limit.
        started = time.perf_counter()
        check_program(program, files, seconds, only)
        seconds = min(seconds, max(2.0, 5 * (time.perf_counter() - started)))

        def still_fails(candidate):
            """The same failure, in a program that still runs and has a reference."""
            found = check_program(candidate, files, seconds, only)
            return found.point is not None and \
                not any(c.name in ("load", "program") for c in found.checks) and \
                any(c.signature == target.signature for c in found.failures())

        program = _shrink(program, still_fails)
        final = check_program(program, files, seconds, only)
    header = (f"reduced program {index} (seed {seed}), still failing as\n"
              f"  {target.signature}\n")
    return header + program_text(final)


def _shrink(program, still_fails):
    tries, changed = 0, True
    while changed:
        changed = False
        for make in (_statement_edits, _expression_edits, _parameter_edits):
            position = 0
            while True:
                edits = list(make(program))
                if position >= len(edits):
                    break
                candidate = edits[position]
                tries += 1
                smaller = candidate is not None and (
                    len(candidate.body) < len(program.body) or
                    len(candidate.parameters) < len(program.parameters))
                if smaller and still_fails(candidate):
                    program, changed = candidate, True
                    print(f"  {tries} tries: {len(program.body)} characters",
                          file=sys.stderr, flush=True)
                else:
                    position += 1
    return program


def _with_body(program, tree):
    try:
        body = ast.unparse(tree) + "\n"
        compile(body, "<reduced>", "exec")
    except (SyntaxError, ValueError):
        return None
    if not re.search(r"^def f\(", body, flags=re.M):
        return None
    return dataclasses.replace(program, body=body)


# -- statements ---------------------------------------------------------------------------

def _statement_slots(tree):
    """(node, field, index) of every statement, in a fixed order."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                for i, statement in enumerate(block):
                    if isinstance(statement, ast.stmt):
                        yield node, field, i


def _statement_edits(program):
    tree = ast.parse(program.body)
    for number, (node, field, i) in enumerate(_statement_slots(tree)):
        statement = getattr(node, field)[i]
        actions = ["drop"]
        if isinstance(statement, (ast.If, ast.For, ast.While)):
            actions.append("body")
        if getattr(statement, "orelse", None):
            actions += ["orelse", "no else"]
        for action in actions:
            yield _edit_statement(program, number, action)


def _edit_statement(program, number, action):
    tree = ast.parse(program.body)
    node, field, i = list(_statement_slots(tree))[number]
    block = getattr(node, field)
    statement = block[i]
    if action == "drop":
        del block[i]
    elif action == "no else":
        statement.orelse = []
    else:
        block[i:i + 1] = getattr(statement, action)
    if not block and field == "body":
        block.append(ast.Pass())
    return _with_body(program, tree)


# -- expressions --------------------------------------------------------------------------

def _options(node):
    """What may stand in place of an expression: its operands, or the number 1.0."""
    if isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.List, ast.Tuple)) or \
            isinstance(getattr(node, "ctx", None), ast.Store):
        return []  # a display keeps its kind: a loop over [x] is not one over x
    children = [c for c in ast.iter_child_nodes(node)
                if isinstance(c, ast.expr) and not isinstance(getattr(c, "ctx", None), ast.Store)
                and not (isinstance(node, ast.Call) and c is node.func)]
    return children + [ast.Constant(1.0)]


class _Replace(ast.NodeTransformer):
    def __init__(self, target, choice):
        self.target, self.choice, self.count = target, choice, -1

    def visit(self, node):
        if isinstance(node, ast.expr):
            options = _options(node)
            if options:
                self.count += 1
                if self.count == self.target:
                    return options[self.choice]
        return super().visit(node)


def _expression_edits(program):
    tree = ast.parse(program.body)
    counts = []

    class Count(ast.NodeVisitor):
        def visit(self, node):
            if isinstance(node, ast.expr) and _options(node):
                counts.append(len(_options(node)))
            super().visit(node)
    Count().visit(tree)
    for target, count in enumerate(counts):
        for choice in range(count):
            edited = _Replace(target, choice).visit(ast.parse(program.body))
            yield _with_body(program, ast.fix_missing_locations(edited))


# -- parameters ---------------------------------------------------------------------------

def _parameter_edits(program):
    for name in program.extras:
        body_without_def = re.sub(r"^def f\(.*\):$", "", program.body, flags=re.M)
        if re.search(rf"\b{name}\b", body_without_def):
            continue
        params = [p for p in program.parameters if p != name]
        body = re.sub(r"^def f\(.*\):$", f"def f({', '.join(params)}):", program.body,
                      flags=re.M)
        yield dataclasses.replace(program, body=body,
                                  extras=[e for e in program.extras if e != name])
