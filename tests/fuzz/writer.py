"""Where the generator stands while it writes one function: indentation, names in scope,
loops around it, and what is left of its statement budget.

Names defined in a block are read only in that block, after their definition, so every
program reads only names that exist on every path. A list's known length counts only
the appends made in the block that defined it, which run before anything after them.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.fuzz.grammar import GRAMMAR

MAX_BLOCK_DEPTH = 3
MAX_EXPRESSION_DEPTH = 2


@dataclass
class Scope:
    names: dict = field(default_factory=dict)
    lengths: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Helper:
    """A function the program may call: how a call names it, its parameters' kinds, and
    how many values it returns (two: a pair, unpacked where it is called)."""
    call: str
    kinds: tuple
    returns: int = 1


@dataclass
class Features:
    """What one program may use, drawn once per program. `extras` are the parameters that
    are not differentiated: `n` (an int), `rng` (a random.Random), `gen` (a NumPy
    Generator), `log` (a list to append to), `logger` (a logging.Logger)."""
    numpy: bool = False
    array_length: int = 3
    array_parameter: bool = False
    extras: tuple = ()
    module_random: bool = False
    printing: bool = False


class Writer:
    """The state of one function being written, and the calls productions make on it."""

    def __init__(self, rng, features, budget, in_helper=False, helpers=(), returns=1):
        self.rng = rng
        self.features = features
        self.budget = budget
        self.in_helper = in_helper
        self.returns = returns  # values each `return` gives
        self.helpers = list(helpers)
        self.lines = []
        self.indent = 1
        self.scopes = [Scope()]
        self.loops = []
        self.iterating = set()
        self.frozen = set()
        self.counter = 0
        self.same_each_time = False  # writing an operand that appears more than once

    # -- choices --------------------------------------------------------------------

    def pick(self, items):
        return self.rng.choice(list(items))

    def chance(self, probability):
        return self.rng.random() < probability

    def constant(self, low=0.25, high=2.0):
        return repr(round(self.rng.uniform(low, high), 2))

    # -- names ----------------------------------------------------------------------

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def define(self, name, kind, length=0):
        self.scopes[-1].names[name] = kind
        if kind == "list":
            self.scopes[-1].lengths[name] = length

    def visible(self, kind):
        return [name for scope in self.scopes for name, k in scope.names.items() if k == kind]

    def scalars(self):
        return self.visible("scalar")

    def ints(self):
        return self.visible("int")

    def lists(self):
        return self.visible("list")

    def arrays(self):
        return self.visible("array")

    def appendable_lists(self):
        """Lists a loop does not iterate and that are the function's own."""
        return [name for name in self.lists()
                if name not in self.iterating and name not in self.frozen]

    def list_length(self, name):
        """How many items `name` has for certain here."""
        for scope in reversed(self.scopes):
            if name in scope.lengths:
                return scope.lengths[name]
        return 0

    def appended(self, name):
        """Count an append that runs whenever what follows it in this block runs."""
        if name in self.scopes[-1].lengths:
            self.scopes[-1].lengths[name] += 1

    # -- places ---------------------------------------------------------------------

    @property
    def depth(self):
        return len(self.scopes) - 1

    def in_loop(self):
        return bool(self.loops)

    def has(self, extra):
        return extra in self.features.extras

    def can_nest(self):
        return self.depth < MAX_BLOCK_DEPTH and self.budget > 1

    # -- writing --------------------------------------------------------------------

    def returned(self):
        """What a `return` gives: an expression, or a pair of them in a helper of pairs."""
        return ", ".join(self.expression() for _ in range(self.returns))

    def line(self, text):
        self.lines.append("    " * self.indent + text)
        self.budget -= 1

    @contextmanager
    def block(self):
        self.indent += 1
        self.scopes.append(Scope())
        try:
            yield
        finally:
            self.scopes.pop()
            self.indent -= 1

    @contextmanager
    def loop(self, kind, iterating=()):
        self.loops.append(kind)
        added = set(iterating) - self.iterating
        self.iterating |= added
        try:
            yield
        finally:
            self.iterating -= added
            self.loops.pop()

    def body(self, most=3, define=()):
        """An indented block of 1 to `most` statements; `define` names it binds first."""
        with self.block():
            for name, kind in define:
                self.define(name, kind)
            start = len(self.lines)
            for _ in range(self.rng.randint(1, most)):
                if self.budget <= 0:
                    break
                self.statement()
            if len(self.lines) == start:
                self.simple_statement()

    def statement(self):
        GRAMMAR.choose("statement", self).emit(self)

    def simple_statement(self):
        """One assignment, for a block that must not stay empty."""
        target = self.pick(self.scalars())
        self.line(f"{target} = {self.expression('bounded', 1)}")

    def expression(self, kind="scalar", depth=0, same_each_time=False):
        leaf_only = depth >= MAX_EXPRESSION_DEPTH
        outer, self.same_each_time = self.same_each_time, self.same_each_time or same_each_time
        try:
            return GRAMMAR.choose(kind, self, leaf_only).emit(self, depth + 1)
        finally:
            self.same_each_time = outer

    def condition(self, depth=0):
        return self.expression("condition", depth)
