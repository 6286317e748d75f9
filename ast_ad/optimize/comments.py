"""Comments that quote the user's lines: those left quoting nothing go, and those quoting
a statement whose temporary was inlined write it out.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import facts, nodes
from ast_ad.ir.printer import Quote
from ast_ad.optimize.blocks import COMPOUND, all_statements, each_block


def requote(function, inlined):
    """Comments quote trace statements: one defining a temporary that was inlined everywhere
    goes, and the temporaries such a statement reads are written out in the others."""
    present = nodes.names_in(function)
    gone = {name: value for name, value in inlined.items() if name not in present}

    def obsolete(stmt):
        return nodes.assigned_name(anno.get(stmt, "quotes")) in gone

    each_block(function, lambda block: [s for s in block if not obsolete(s)]
               if any(map(obsolete, block)) else block)
    for node in all_statements(function):
        quoted = anno.get(node, "quotes")
        if quoted is None or not gone.keys() & set(nodes.read_names(quoted)):
            continue
        while gone.keys() & set(nodes.read_names(quoted)):  # an inlined value may read one
            quoted = facts.substituted(quoted, gone)
        anno.set(node, "comment", Quote(quoted))


def drop_empty_comments(block):
    """Comments quoting a block that no longer has statements, and stray blank lines."""
    kept = []
    for i, stmt in enumerate(block):
        following = block[i + 1] if i + 1 < len(block) else None
        if nodes.is_comment(stmt):
            if following is None or isinstance(following, (gast.Return, gast.Pass)):
                continue
            if anno.get(stmt, "comment") and (nodes.is_comment(following)
                                              or isinstance(following, COMPOUND)):
                continue
            if not anno.get(stmt, "comment") and not _is_code(kept[-1] if kept else None):
                continue
        kept.append(stmt)
    return kept if len(kept) < len(block) else block


def _is_code(stmt):
    docstring = isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
    return stmt is not None and not docstring
