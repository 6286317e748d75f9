"""A differential fuzzer of ast_ad.

It writes random programs over the supported subset (`grammar.py`, with the productions in
`expressions.py` and `statements.py`), imports each from a file of its own, and checks
ast_ad's derivatives in both modes and to second order against autograd run on the same
text, or central differences where autograd cannot run. Every newly supported construct
enters the grammar the day it is supported.

    python -m tests.fuzz --programs 2000 --seed 1 --jobs 2 --show wrong,crashed
    python -m tests.fuzz --seed 1 --index 17          # replay one program in full
    python -m tests.fuzz --seed 1 --index 17 --reduce # shrink it, keeping its failure
"""
