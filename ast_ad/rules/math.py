"""Rules for the `math` module and the numeric builtins (`abs`, `min`, `max`, `float`).

Conventions at the kinks, as JAX: `abs` has slope `copysign(1, x)` (1 at +0); `min`
and `max` send the whole adjoint to the argument Python returns (the first on a tie).
"""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import math

from ast_ad.rules import adjoint, d, nondifferentiable, tangent
from ast_ad.runtime import checks, containers
from ast_ad.runtime.markers import stop_gradient

# ---------------------------------------------------------------- trigonometric


@adjoint(math.sin)
def sin(y, x):
    d[x] = d[y] * math.cos(x)


@tangent(math.sin)
def sin(y, x):
    d[y] = d[x] * math.cos(x)


@adjoint(math.cos)
def cos(y, x):
    d[x] = -d[y] * math.sin(x)


@tangent(math.cos)
def cos(y, x):
    d[y] = -d[x] * math.sin(x)


@adjoint(math.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(math.tan)
def tan(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(math.asin)
def asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@tangent(math.asin)
def asin(y, x):
    d[y] = d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.acos)
def acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@tangent(math.acos)
def acos(y, x):
    d[y] = -d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.atan)
def atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(math.atan)
def atan(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(math.atan2)
def atan2(z, y, x):
    d[y] = d[z] * x / (x * x + y * y)
    d[x] = -d[z] * y / (x * x + y * y)


@tangent(math.atan2)
def atan2(z, y, x):
    d[z] = (d[y] * x - d[x] * y) / (x * x + y * y)


# ---------------------------------------------------------------- hyperbolic


@adjoint(math.sinh)
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@tangent(math.sinh)
def sinh(y, x):
    d[y] = d[x] * math.cosh(x)


@adjoint(math.cosh)
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@tangent(math.cosh)
def cosh(y, x):
    d[y] = d[x] * math.sinh(x)


@adjoint(math.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(math.tanh)
def tanh(y, x):
    d[y] = d[x] * (1.0 - y * y)


# ---------------------------------------------------------------- exponential and logarithm


@adjoint(math.erf)
def erf(y, x):
    d[x] = d[y] * (1.1283791670955126 * math.exp(-x * x))  # 2 / sqrt(pi)


@tangent(math.erf)
def erf(y, x):
    d[y] = d[x] * (1.1283791670955126 * math.exp(-x * x))


@adjoint(math.erfc)
def erfc(y, x):
    d[x] = d[y] * (-1.1283791670955126 * math.exp(-x * x))


@tangent(math.erfc)
def erfc(y, x):
    d[y] = d[x] * (-1.1283791670955126 * math.exp(-x * x))


@adjoint(math.radians)
def radians(y, x):
    d[x] = d[y] * 0.017453292519943295  # pi / 180


@tangent(math.radians)
def radians(y, x):
    d[y] = d[x] * 0.017453292519943295


@adjoint(math.degrees)
def degrees(y, x):
    d[x] = d[y] * 57.29577951308232  # 180 / pi


@tangent(math.degrees)
def degrees(y, x):
    d[y] = d[x] * 57.29577951308232


@adjoint(math.exp)
def exp(y, x):
    d[x] = d[y] * y


@tangent(math.exp)
def exp(y, x):
    d[y] = d[x] * y


@adjoint(math.expm1)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(math.expm1)
def expm1(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(math.log)
def log(y, x):
    d[x] = d[y] / x


@tangent(math.log)
def log(y, x):
    d[y] = d[x] / x


@adjoint(math.log)
def log_base(y, x, base):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@tangent(math.log)
def log_base(y, x, base):
    d[y] = (d[x] / x - d[base] * y / base) / math.log(base)


@adjoint(math.log1p)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(math.log1p)
def log1p(y, x):
    d[y] = d[x] / (1.0 + x)


@adjoint(math.log2)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(math.log2)
def log2(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(math.log10)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(math.log10)
def log10(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(math.sqrt)
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@tangent(math.sqrt)
def sqrt(y, x):
    d[y] = d[x] / (2.0 * y)


@adjoint(math.hypot)
def hypot(z, x, y):
    d[x] = d[z] * x / z
    d[y] = d[z] * y / z


@tangent(math.hypot)
def hypot(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / z


# ---------------------------------------------------------------- piecewise


@adjoint(math.fabs, abs)
def abs_(y, x):
    d[x] = d[y] * math.copysign(1.0, x)


@tangent(math.fabs, abs)
def abs_(y, x):
    d[y] = d[x] * math.copysign(1.0, x)


@adjoint(math.copysign)
def copysign(z, x, y):
    d[x] = d[z] * math.copysign(1.0, x) * math.copysign(1.0, y)


@tangent(math.copysign)
def copysign(z, x, y):
    d[z] = d[x] * math.copysign(1.0, x) * math.copysign(1.0, y)


@adjoint(max)
def max_(z, x, y):
    d[x] = d[z] * (x >= y)
    d[y] = d[z] * (y > x)


@tangent(max)
def max_(z, x, y):
    d[z] = d[x] * (x >= y) + d[y] * (y > x)


@adjoint(min)
def min_(z, x, y):
    d[x] = d[z] * (x <= y)
    d[y] = d[z] * (y < x)


@tangent(min)
def min_(z, x, y):
    d[z] = d[x] * (x <= y) + d[y] * (y < x)


@adjoint(float)
def float_(y, x):
    d[x] = d[y]


@tangent(float)
def float_(y, x):
    d[y] = d[x]


# ---------------------------------------------------------------- non-differentiable

nondifferentiable(math.floor, math.ceil, math.trunc, round, int, bool, len, math.isnan,
                  math.isinf, math.isfinite)


# The checks generated code makes: their values do not depend on their arguments' values.
nondifferentiable(checks.require_number, checks.require_array, checks.require_scalar,
                  checks.require_not_a_view, checks.require_not_an_array,
                  checks.require_sequence, checks.zero_gradient)
nondifferentiable(stop_gradient)  # read as a constant, by definition
nondifferentiable(format, str, repr, ascii)  # text, as an f-string makes it
nondifferentiable(containers.field_position)  # where a namedtuple's field is
nondifferentiable(containers.keys_of)  # a dict's keys, not its values
