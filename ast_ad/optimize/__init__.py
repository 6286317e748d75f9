"""Clean-up of generated code, every rewrite in turn until none changes anything.

Input and output: a FunctionDef in the form the sweeps write, changed in place:
assignments, `+=`, comments, `if`, `for` and `while` blocks, and a final return. The
rewrites, each in a module of its own:

- `folding`: constants, and the identities `1 * x`, `-1 * x`, `x / 1`, `x + 0`,
  `x - 0`, `x ** 1`, `-(-x)`, `a + -b`, `-a - 2 * b` as `-2 * b - a`;
- `copies`: copy propagation of `a = b` where `a` is assigned once and `b` cannot
  change, and within one block where every use of `a` follows before `b` changes;
  `t = e` then `x = t` becomes `x = e` when `t` is used nowhere else;
- `fusion`: an adjoint's few contributions fused into one sum (`x_bar = a` ...
  `x_bar += b` becomes `x_bar = a + b` where the second stood);
- `liveness`: dead code removed, by liveness through branches and loops (a stack's
  `pop` and any call made as a statement are kept for their effect);
- `inlining`: a temporary (`v3`, `v3_bar`) read once, by a later statement of its block
  or a loop's header, put back into it, unless it is one of our helpers' shape
  arguments; and an adjoint taken back through a product, read once by a later line of
  arithmetic (`matmul_adjoint_left(g, H, W2) * (1.0 - H * H)`); `signs` moves a negated
  temporary's sign where IEEE arithmetic gives the same bits;
- `stacks`: a reversed loop that runs once per call reads its stacks by iteration,
  `for x in reversed(x_stack):`, rather than popping them, and the rewrites run again;
- `comments`: comments left quoting nothing go; comments quoting a statement that reads
  an inlined temporary write it out.

Values are unchanged: nothing is folded that could differ in the last bit, and `0 * x`
is kept (x may be inf or nan).

A rewrite never changes a simple statement in place: it puts a new one in its place, so
that what `facts` keeps on each statement (the names it reads, what it folds to) holds;
and each tells whether it changed anything, which is how the rewrites know they are done.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, grammar, naming, nodes
from ast_ad.optimize.blocks import all_statements, each_block, name_counts
from ast_ad.optimize.comments import drop_empty_comments, requote
from ast_ad.optimize.copies import coalesce_copies, propagate_copies, propagate_local_copy
from ast_ad.optimize.folding import fold
from ast_ad.optimize.fusion import fuse_accumulations
from ast_ad.optimize.inlining import defined_before_read, inline_temporary, is_product_adjoint
from ast_ad.optimize.liveness import drop_stacks, without_dead_code
from ast_ad.optimize.stacks import builtins_reachable, read_stacks_by_iteration


def optimize(function):
    """`function` cleaned, in place (the sweeps' output, which nothing else holds)."""
    user_names = anno.get(function, "user_names") or set()
    everything = nodes.subnodes(function)
    temporaries = {n for n in {n.id for n in everything if isinstance(n, gast.Name)}
                   if naming.is_temporary(n, user_names)} | \
        {s.targets[0].id for s in everything if isinstance(s, gast.Assign)
         and is_product_adjoint(s.value) and s.targets[0].id not in user_names}
    inlined = {}  # temporary -> the expression put in its place
    _clean(function, temporaries, inlined)
    if any(isinstance(s, gast.For) and anno.get(s, "reversal") for s in all_statements(function)) \
            and builtins_reachable(function, ("reversed", "zip")) and \
            read_stacks_by_iteration(function.body):  # (the first asks least)
        _clean(function, temporaries, inlined)  # a loop's counter, or its range, may go
    if grammar.enabled():
        facts.verify(function)
    requote(function, inlined)
    each_block(function, drop_empty_comments)
    return function


def _clean(function, temporaries, inlined):
    """Every pass below in turn, again and again, until each has run once since the last
    that changed anything: each pass runs to its own fixed point, so that one changing
    nothing would change nothing when run again before another changes something."""
    def local_copies():
        counts = name_counts(function)  # each rewrite keeps them true for the next
        return each_block(function, lambda block: coalesce_copies(block, counts)) | \
            each_block(function, lambda block: propagate_local_copy(block, counts))

    def dead_code():
        pops = {"dead": set(), "live": set()}
        body, _ = without_dead_code(function.body, set(), pops, {})
        changed = len(body) != len(function.body) or \
            any(a is not b for a, b in zip(body, function.body))
        function.body = body
        return drop_stacks(function, pops["dead"] - pops["live"]) or changed

    def inlining():
        local = defined_before_read(function, temporaries)  # after the dead code is gone
        memo = {}
        return each_block(function, lambda block: inline_temporary(block, local, inlined, memo))

    passes = [lambda: fold(function.body), lambda: propagate_copies(function, temporaries),
              lambda: each_block(function, fuse_accumulations), local_copies, dead_code,
              inlining]
    idle, turn = 0, 0
    while idle < len(passes):
        changed = passes[turn % len(passes)]()
        idle = 0 if changed else idle + 1
        turn += 1
