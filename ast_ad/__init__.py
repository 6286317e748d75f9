"""ast_ad: source-to-source automatic differentiation for Python.

>>> import math
>>> def f(x1, x2):
...     return math.log(x1) + x1 * x2 - math.sin(x2)
>>> differentiate(f)(2.0, 5.0)
5.5
"""

from ast_ad.api import differentiate, source
from ast_ad.errors import DifferentiationError, NonDifferentiableError, UnsupportedSyntaxError

__all__ = ["differentiate", "source", "DifferentiationError", "NonDifferentiableError",
           "UnsupportedSyntaxError"]
__version__ = "0.1.0"
