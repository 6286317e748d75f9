"""ast_ad: source-to-source automatic differentiation for Python.

>>> import math
>>> def f(x1, x2):
...     return math.log(x1) + x1 * x2 - math.sin(x2)
>>> differentiate(f)(2.0, 5.0)
5.5
"""

from ast_ad.api import differentiate, source
from ast_ad.errors import DifferentiationError, NonDifferentiableError, UnsupportedSyntaxError
from ast_ad.runtime.markers import stop_gradient
from ast_ad.trace import trace
from ast_ad.transforms import hessian, jacobian, jvp, value_and_grad, vjp

__all__ = ["differentiate", "source", "value_and_grad", "jvp", "vjp", "jacobian", "hessian",
           "trace", "stop_gradient", "DifferentiationError", "NonDifferentiableError",
           "UnsupportedSyntaxError"]
__version__ = "0.1.0"
