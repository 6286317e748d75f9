"""The public API for derivative rules of your own primitives.

A rule is a template: a function whose first parameter is the primal result and the
rest its inputs, where `d[x]` is the derivative of `x`. Register a reverse (adjoint)
and a forward (tangent) template for each primitive:

    import math
    from ast_ad.extend import adjoint, tangent, d

    def softplus(x):
        return math.log1p(math.exp(x))

    @adjoint(softplus)
    def softplus_adjoint(y, x):
        d[x] = d[y] / (1.0 + math.exp(-x))

    @tangent(softplus)
    def softplus_tangent(y, x):
        d[y] = d[x] / (1.0 + math.exp(-x))

Templates may call only functions that have rules themselves, so that the code they
generate can be differentiated again. A template right for one value of a parameter
names it in the decorator, `@adjoint(np.linalg.norm, ord=None)`: calls that give the
parameter another value do not take that template.
"""

from ast_ad.rules import adjoint, d, nondifferentiable, tangent

__all__ = ["adjoint", "tangent", "nondifferentiable", "d"]
