"""Helpers that generated code on numbers calls.
"""

import math


def log_of_base(x):
    """`log(x)` in the derivative of `x ** y` with respect to `y`, with JAX's conventions:
    0 at `x = 0`, where `x ** y` is 0 for every positive `y`, and nan for `x < 0`, where
    `x ** y` has no real derivative in `y`."""
    if x > 0:
        return math.log(x)
    return 0.0 if x == 0 else math.nan
