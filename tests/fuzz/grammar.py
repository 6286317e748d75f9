"""Weighted productions: each construct of the supported subset is one registered function.

A construct enters the fuzzer by registering one production, in `statements.py` or
`expressions.py`:

    @GRAMMAR.production("scalar", weight=2, when=lambda w: w.lists())
    def list_sum(w, depth):
        return f"sum({w.pick(w.lists())})"

`kind` says where it may stand (a statement, or an expression of one kind), `weight` how
often it is picked among those that fit (a number, or a function of the writer for weights
that depend on the place), `when` whether it fits here at all, and `leaf` that it needs no
subexpression, so it may end an expression that has grown deep enough.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Production:
    name: str
    kind: str
    emit: Callable
    weight: float | Callable
    when: Callable | None
    leaf: bool
    draws: bool = False  # a random draw: a value that differs each time it is written

    def weight_at(self, writer):
        if self.when is not None and not self.when(writer):
            return 0.0
        return self.weight(writer) if callable(self.weight) else self.weight


class Grammar:
    """The productions by kind; `choose` draws one of those that fit, by weight."""

    def __init__(self):
        self.productions = {}
        self.used = Counter()

    def production(self, kind, weight=1.0, when=None, leaf=False, draws=False):
        def register(emit):
            entry = Production(emit.__name__, kind, emit, weight, when, leaf, draws)
            self.productions.setdefault(kind, []).append(entry)
            return emit
        return register

    def choose(self, kind, writer, leaf_only=False):
        candidates = [p for p in self.productions.get(kind, ()) if (p.leaf or not leaf_only)
                      and not (p.draws and writer.same_each_time)]
        weights = [p.weight_at(writer) for p in candidates]
        if not any(weights):
            raise LookupError(f"no production of kind {kind!r} fits here")
        chosen = writer.rng.choices(candidates, weights)[0]
        self.used[chosen.name] += 1
        return chosen

    def names(self):
        return [p.name for kind in self.productions.values() for p in kind]


GRAMMAR = Grammar()
