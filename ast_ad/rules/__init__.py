"""The registry of derivative rules: one adjoint and one tangent template per primitive.

A primitive is a function object (`math.sin`), an operator node class (`gast.Mult`),
or anything else a trace statement can apply. Rules are registered with the
`adjoint` and `tangent` decorators; `nondifferentiable` marks primitives whose result
has derivative zero (comparisons, `math.floor`, `round`).
"""

from ast_ad.rules.templates import Template

ADJOINTS = {}
TANGENTS = {}
NONDIFFERENTIABLE = set()
LINEAR = set()  # zero when any argument that carries a derivative is zero


class _Derivative:
    """`d` in a template: `d[x]` is the derivative of `x`. Templates are never called."""

    def __getitem__(self, name):
        raise TypeError("derivative templates are expanded by ast_ad, never called")

    __setitem__ = __getitem__


d = _Derivative()


def _register(table, primals, fixed):
    def decorator(function):
        template = Template(function, fixed)
        for primal in primals:
            template.check_arity(primal)
            table.setdefault(primal, []).append(template)
        return function

    return decorator


def adjoint(*primals, **fixed):
    """Register a reverse-mode template for each of `primals` (see ast_ad.extend); `fixed`
    keywords name parameters a call must leave at these values for the template to fit
    (`ord=None`: the rule of the 2-norm alone)."""
    return _register(ADJOINTS, primals, fixed)


def tangent(*primals, **fixed):
    """Register a forward-mode template for each of `primals`, as `adjoint`."""
    return _register(TANGENTS, primals, fixed)


def nondifferentiable(*primals):
    NONDIFFERENTIABLE.update(primals)


def linear(*primals):
    """Declare functions linear in each derivative they receive (`np.sum`, `np.matmul`):
    a symbolic zero given to them makes their result zero."""
    LINEAR.update(primals)


def is_linear(primal):
    try:
        return primal in LINEAR
    except TypeError:
        return False


def is_registered(primal):
    """Whether `primal` has a rule, or is declared without a derivative: a primitive of
    ast_ad's, and so pure."""
    try:
        return primal in ADJOINTS or primal in TANGENTS or primal in NONDIFFERENTIABLE
    except TypeError:  # an unhashable callable has no rule
        return False


def lookup(table, primal, args, keywords):
    """The template of `table` for a call of `primal` on these atoms, or None."""
    return next((t for t in lookup_all(table, primal) if t.accepts(args, keywords)), None)


def lookup_all(table, primal):
    """Every template of `table` for `primal`."""
    try:
        return table.get(primal, [])
    except TypeError:  # an unhashable callable has no rule
        return []


def is_nondifferentiable(primal):
    try:
        return primal in NONDIFFERENTIABLE
    except TypeError:
        return False


def _load_builtin_rules():
    from ast_ad.rules import math, operators  # noqa: F401 - registers on import

    try:
        import numpy  # noqa: F401 - NumPy is optional: its rules load where it is installed
    except ImportError:
        return
    from ast_ad.rules import linalg, numpy as numpy_rules  # noqa: F401


_load_builtin_rules()
