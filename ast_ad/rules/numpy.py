"""Rules for NumPy: elementwise functions, reductions, shapes and indexing (products and
linear algebra: `linalg.py`).

Arrays broadcast, so the adjoint of an elementwise operation is summed back to the
shape of its input (`unbroadcast`); the operators' array templates (registered under
`("array", operator)`) do so, and are chosen for functions that use NumPy. The helpers
in `ast_ad.runtime.arrays` have rules here, so generated array code can be
differentiated again.
Conventions at kinks follow autograd and PyTorch: `abs` has slope `sign(x)` (0 at 0);
`maximum` and `minimum` send the adjoint to the larger (smaller) input, half each on a tie.
"""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import gast
import numpy as np

from ast_ad.rules import adjoint, d, linear, nondifferentiable, tangent
from ast_ad.runtime.containers import add_to_item, add_trees, typed_like, zeros_like_tree
from ast_ad.runtime.arrays import (add_into, astype, at_high, at_low, broadcast_like,
                                   cast_like, concatenate_part, concatenate_part_adjoint,
                                   cumsum_adjoint, diff_adjoint, einsum_adjoint_spec,
                                   euclidean, extremum_adjoint, gather_einsum,
                                   getitem_adjoint, item_tangent, joined_part,
                                   joined_part_adjoint, keeps_derivatives, materialize,
                                   mean_adjoint, mean_count, norm_adjoint, reading_order,
                                   reciprocal_or_zero, result_like, sorted_like,
                                   spread_einsum, spread_root, sum_adjoint, unbroadcast,
                                   uniform_adjoint, unsorted_like, with_item, within)


# ---------------------------------------------------------------- operators on arrays

_LN2, _LN10 = 0.6931471805599453, 2.302585092994046  # numbers, so float32 stays float32


@adjoint(("array", gast.Add), np.add)
def add(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(d[z], y)


@tangent(("array", gast.Add), np.add)
def add(z, x, y):
    d[z] = broadcast_like(d[x] + d[y], z)


@adjoint(("array", gast.Sub), np.subtract)
def sub(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = -unbroadcast(d[z], y)


@tangent(("array", gast.Sub), np.subtract)
def sub(z, x, y):
    d[z] = broadcast_like(d[x] - d[y], z)


@adjoint(("array", gast.Mult), np.multiply)
def mul(z, x, y):
    d[x] = unbroadcast(d[z] * y, x)
    d[y] = unbroadcast(d[z] * x, y)


@tangent(("array", gast.Mult), np.multiply)
def mul(z, x, y):
    d[z] = d[x] * y + x * d[y]


@adjoint(("array", gast.Div), np.divide)
def div(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    d[y] = -unbroadcast(d[z] * z / y, y)


@tangent(("array", gast.Div), np.divide)
def div(z, x, y):
    d[z] = (d[x] - z * d[y]) / y


@adjoint(("array", gast.Pow), np.power)
def power(z, x, y):
    d[x] = unbroadcast(d[z] * y * x ** (y - 1), x)
    d[y] = unbroadcast(d[z] * z * np.log(np.where(x == 0, 1.0, x)), y)  # 0 at 0, as JAX


@tangent(("array", gast.Pow), np.power)
def power(z, x, y):
    d[z] = d[x] * y * x ** (y - 1) + d[y] * z * np.log(np.where(x == 0, 1.0, x))


@adjoint(("array", gast.USub), np.negative)
def negative(y, x):
    d[x] = -d[y]


@tangent(("array", gast.USub), np.negative)
def negative(y, x):
    d[y] = -d[x]


# ---------------------------------------------------------------- elementwise


@adjoint(np.sin)
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@tangent(np.sin)
def sin(y, x):
    d[y] = d[x] * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@tangent(np.cos)
def cos(y, x):
    d[y] = -d[x] * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(np.tan)
def tan(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(np.arcsin)
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arcsin)
def arcsin(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arccos)
def arccos(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(np.arctan)
def arctan(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(np.arcsinh)
def arcsinh(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh)
def arcsinh(y, x):
    d[y] = d[x] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh)
def arccosh(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@tangent(np.arccosh)
def arccosh(y, x):
    d[y] = d[x] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh)
def arctanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(np.arctanh)
def arctanh(y, x):
    d[y] = d[x] / (1.0 - x * x)


@adjoint(np.arctan2)
def arctan2(z, y, x):
    d[y] = unbroadcast(d[z] * x / (x * x + y * y), y)
    d[x] = unbroadcast(-d[z] * y / (x * x + y * y), x)


@tangent(np.arctan2)
def arctan2(z, y, x):
    d[z] = (d[y] * x - d[x] * y) / (x * x + y * y)


@adjoint(np.hypot)
def hypot(z, x, y):
    d[x] = unbroadcast(d[z] * x / z, x)
    d[y] = unbroadcast(d[z] * y / z, y)


@tangent(np.hypot)
def hypot(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / z


@adjoint(np.sinh)
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@tangent(np.sinh)
def sinh(y, x):
    d[y] = d[x] * np.cosh(x)


@adjoint(np.cosh)
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@tangent(np.cosh)
def cosh(y, x):
    d[y] = d[x] * np.sinh(x)


@adjoint(np.tanh)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(np.tanh)
def tanh(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(np.exp)
def exp(y, x):
    d[x] = d[y] * y


@tangent(np.exp)
def exp(y, x):
    d[y] = d[x] * y


@adjoint(np.expm1)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(np.expm1)
def expm1(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(np.exp2)
def exp2(y, x):
    d[x] = d[y] * y * _LN2


@tangent(np.exp2)
def exp2(y, x):
    d[y] = d[x] * y * _LN2


@adjoint(np.logaddexp)
def logaddexp(z, x, y):
    d[x] = unbroadcast(d[z] * np.exp(x - z), x)
    d[y] = unbroadcast(d[z] * np.exp(y - z), y)


@tangent(np.logaddexp)
def logaddexp(z, x, y):
    d[z] = d[x] * np.exp(x - z) + d[y] * np.exp(y - z)


@adjoint(np.log2)
def log2(y, x):
    d[x] = d[y] / (x * _LN2)


@tangent(np.log2)
def log2(y, x):
    d[y] = d[x] / (x * _LN2)


@adjoint(np.log10)
def log10(y, x):
    d[x] = d[y] / (x * _LN10)


@tangent(np.log10)
def log10(y, x):
    d[y] = d[x] / (x * _LN10)


@adjoint(np.reciprocal)
def reciprocal(y, x):
    d[x] = -d[y] * y * y


@tangent(np.reciprocal)
def reciprocal(y, x):
    d[y] = -d[x] * y * y


@adjoint(np.cbrt)
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@tangent(np.cbrt)
def cbrt(y, x):
    d[y] = d[x] / (3.0 * y * y)


@adjoint(np.log)
def log(y, x):
    d[x] = d[y] / x


@tangent(np.log)
def log(y, x):
    d[y] = d[x] / x


@adjoint(np.log1p)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(np.log1p)
def log1p(y, x):
    d[y] = d[x] / (1.0 + x)


@adjoint(np.sqrt)
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@tangent(np.sqrt)
def sqrt(y, x):
    d[y] = d[x] / (2.0 * y)


@adjoint(np.square)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@tangent(np.square)
def square(y, x):
    d[y] = d[x] * 2.0 * x


@adjoint(np.abs, np.absolute, ("array", abs))
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(np.abs, np.absolute, ("array", abs))
def absolute(y, x):
    d[y] = d[x] * np.sign(x)


# A tie shares the derivative equally, as autograd does. The masks multiply the derivative
# itself, never a number first: `0.5 * (x == y)` would be float64 for float32 arrays.


@adjoint(np.maximum)
def maximum(z, x, y):
    d[x] = unbroadcast(np.where(x == y, 0.5 * d[z], d[z] * (x > y)), x)
    d[y] = unbroadcast(np.where(x == y, 0.5 * d[z], d[z] * (y > x)), y)


@tangent(np.maximum)
def maximum(z, x, y):
    d[z] = d[x] * (x > y) + d[y] * (y > x) + 0.5 * (d[x] + d[y]) * (x == y)


@adjoint(np.minimum)
def minimum(z, x, y):
    d[x] = unbroadcast(np.where(x == y, 0.5 * d[z], d[z] * (x < y)), x)
    d[y] = unbroadcast(np.where(x == y, 0.5 * d[z], d[z] * (y < x)), y)


@tangent(np.minimum)
def minimum(z, x, y):
    d[z] = d[x] * (x < y) + d[y] * (y < x) + 0.5 * (d[x] + d[y]) * (x == y)


# ---------------------------------------------------------------- reductions and shapes


@adjoint(np.sum)
def sum_(y, x, axis=None, keepdims=False):
    d[x] = sum_adjoint(d[y], x, axis, keepdims)


@tangent(np.sum)
def sum_(y, x, axis=None, keepdims=False):
    d[y] = np.sum(d[x], axis=axis, keepdims=keepdims)


@adjoint(np.mean)
def mean(y, x, axis=None, keepdims=False):
    d[x] = mean_adjoint(d[y], x, axis, keepdims)


@tangent(np.mean)
def mean(y, x, axis=None, keepdims=False):
    d[y] = np.mean(d[x], axis=axis, keepdims=keepdims)


@adjoint(np.max, np.amax, np.min, np.amin)
def max_(y, x, axis=None, keepdims=False):
    d[x] = extremum_adjoint(d[y], x, y, axis, keepdims)


@tangent(np.max, np.amax, np.min, np.amin)
def max_(y, x, axis=None, keepdims=False):
    d[y] = np.sum(extremum_adjoint(1.0, x, y, axis, keepdims) * d[x], axis=axis,
                  keepdims=keepdims)


@adjoint(np.prod)
def prod(y, x, axis=None, keepdims=False):
    d[x] = sum_adjoint(d[y] * y, x, axis, keepdims) / x


@tangent(np.prod)
def prod(y, x, axis=None, keepdims=False):
    d[y] = np.sum(sum_adjoint(y, x, axis, keepdims) / x * d[x], axis=axis, keepdims=keepdims)


@adjoint(np.var)
def var(y, x, axis=None, ddof=0, keepdims=False):
    d[x] = sum_adjoint(d[y], x, axis, keepdims) * (
        2.0 * (x - np.mean(x, axis=axis, keepdims=True)) / (mean_count(x, axis) - ddof))


@tangent(np.var)
def var(y, x, axis=None, ddof=0, keepdims=False):
    d[y] = np.sum((x - np.mean(x, axis=axis, keepdims=True)) * d[x], axis=axis,
                  keepdims=keepdims) * (2.0 / (mean_count(x, axis) - ddof))


@adjoint(np.std)
def std(y, x, axis=None, ddof=0, keepdims=False):
    d[x] = sum_adjoint(d[y] * reciprocal_or_zero(y), x, axis, keepdims) * (
        (x - np.mean(x, axis=axis, keepdims=True)) / (mean_count(x, axis) - ddof))


@tangent(np.std)
def std(y, x, axis=None, ddof=0, keepdims=False):
    d[y] = np.sum((x - np.mean(x, axis=axis, keepdims=True)) * d[x], axis=axis,
                  keepdims=keepdims) * reciprocal_or_zero((mean_count(x, axis) - ddof) * y)


@adjoint(np.full_like)
def full_like(y, x, fill_value):  # `x` gives a shape and a type: no derivative
    d[fill_value] = unbroadcast(d[y], fill_value) * keeps_derivatives(np.result_type(y))


@tangent(np.full_like)
def full_like(y, x, fill_value):
    d[y] = np.full_like(y, d[fill_value]) * keeps_derivatives(np.result_type(y))


@adjoint(np.full)
def full(y, shape, fill_value):
    d[fill_value] = unbroadcast(d[y], fill_value) * keeps_derivatives(np.result_type(y))


@tangent(np.full)
def full(y, shape, fill_value):
    d[y] = np.full_like(y, d[fill_value]) * keeps_derivatives(np.result_type(y))


@adjoint(np.cumsum)
def cumsum(y, x, axis=None):
    d[x] = cumsum_adjoint(d[y], x, axis)


@tangent(np.cumsum)
def cumsum(y, x, axis=None):
    d[y] = np.cumsum(d[x], axis=axis)


@adjoint(np.cumprod)
def cumprod(y, x, axis=None):  # as `prod`: nan where an entry is exactly zero
    d[x] = cumsum_adjoint(d[y] * y, x, axis) / x


@tangent(np.cumprod)
def cumprod(y, x, axis=None):
    d[y] = y * np.cumsum(d[x] / x, axis=axis)


@adjoint(np.diff)
def diff(y, x, n=1, axis=-1):
    d[x] = diff_adjoint(d[y], x, n, axis)


@tangent(np.diff)
def diff(y, x, n=1, axis=-1):
    d[y] = np.diff(d[x], n=n, axis=axis)


@adjoint(np.sort)
def sort(y, x, axis=-1):
    d[x] = unsorted_like(d[y], x, axis)


@tangent(np.sort)
def sort(y, x, axis=-1):
    d[y] = sorted_like(d[x], x, axis)


@adjoint(np.einsum)
def einsum(y, spec, x1):
    d[x1] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 0, x1), d[y]), spec, 0, x1)


@tangent(np.einsum)
def einsum(y, spec, x1):
    d[y] = np.einsum(spec, d[x1])


@adjoint(np.einsum)
def einsum(y, spec, x1, x2):
    d[x1] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 0, x1, x2), d[y], x2), spec, 0,
                          x1, x2)
    d[x2] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 1, x1, x2), d[y], x1), spec, 1,
                          x1, x2)


@tangent(np.einsum)
def einsum(y, spec, x1, x2):
    d[y] = np.einsum(spec, d[x1], x2) + np.einsum(spec, x1, d[x2])


@adjoint(np.einsum)
def einsum(y, spec, x1, x2, x3):
    d[x1] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 0, x1, x2, x3), d[y], x2, x3),
                          spec, 0, x1, x2, x3)
    d[x2] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 1, x1, x2, x3), d[y], x1, x3),
                          spec, 1, x1, x2, x3)
    d[x3] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 2, x1, x2, x3), d[y], x1, x2),
                          spec, 2, x1, x2, x3)


@tangent(np.einsum)
def einsum(y, spec, x1, x2, x3):
    d[y] = np.einsum(spec, d[x1], x2, x3) + np.einsum(spec, x1, d[x2], x3) + \
        np.einsum(spec, x1, x2, d[x3])


@adjoint(np.einsum)
def einsum(y, spec, x1, x2, x3, x4):
    d[x1] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 0, x1, x2, x3, x4), d[y], x2,
                                    x3, x4), spec, 0, x1, x2, x3, x4)
    d[x2] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 1, x1, x2, x3, x4), d[y], x1,
                                    x3, x4), spec, 1, x1, x2, x3, x4)
    d[x3] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 2, x1, x2, x3, x4), d[y], x1,
                                    x2, x4), spec, 2, x1, x2, x3, x4)
    d[x4] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 3, x1, x2, x3, x4), d[y], x1,
                                    x2, x3), spec, 3, x1, x2, x3, x4)


@tangent(np.einsum)
def einsum(y, spec, x1, x2, x3, x4):
    d[y] = np.einsum(spec, d[x1], x2, x3, x4) + np.einsum(spec, x1, d[x2], x3, x4) + \
        np.einsum(spec, x1, x2, d[x3], x4) + np.einsum(spec, x1, x2, x3, d[x4])


@adjoint(np.einsum)
def einsum(y, spec, x1, x2, x3, x4, x5):
    d[x1] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 0, x1, x2, x3, x4, x5),
                                    d[y], x2, x3, x4, x5), spec, 0, x1, x2, x3, x4, x5)
    d[x2] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 1, x1, x2, x3, x4, x5),
                                    d[y], x1, x3, x4, x5), spec, 1, x1, x2, x3, x4, x5)
    d[x3] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 2, x1, x2, x3, x4, x5),
                                    d[y], x1, x2, x4, x5), spec, 2, x1, x2, x3, x4, x5)
    d[x4] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 3, x1, x2, x3, x4, x5),
                                    d[y], x1, x2, x3, x5), spec, 3, x1, x2, x3, x4, x5)
    d[x5] = spread_einsum(np.einsum(einsum_adjoint_spec(spec, 4, x1, x2, x3, x4, x5),
                                    d[y], x1, x2, x3, x4), spec, 4, x1, x2, x3, x4, x5)


@tangent(np.einsum)
def einsum(y, spec, x1, x2, x3, x4, x5):
    d[y] = (np.einsum(spec, d[x1], x2, x3, x4, x5) +
            np.einsum(spec, x1, d[x2], x3, x4, x5) +
            np.einsum(spec, x1, x2, d[x3], x4, x5) +
            np.einsum(spec, x1, x2, x3, d[x4], x5) +
            np.einsum(spec, x1, x2, x3, x4, d[x5]))


@adjoint(np.linalg.norm)
def norm(y, x):
    d[x] = d[y] * x * reciprocal_or_zero(y)


@tangent(np.linalg.norm)
def norm(y, x):
    d[y] = np.sum(x * d[x]) * reciprocal_or_zero(y)


@adjoint(np.linalg.norm, ord=None)
@adjoint(np.linalg.norm, ord="fro")
def norm(y, x, ord=None, axis=None, keepdims=False):  # along axes: of vectors, or Frobenius'
    d[x] = sum_adjoint(d[y] * reciprocal_or_zero(y), x, axis, keepdims) * x


@tangent(np.linalg.norm, ord=None)
@tangent(np.linalg.norm, ord="fro")
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[y] = np.sum(x * d[x], axis=axis, keepdims=keepdims) * reciprocal_or_zero(y)


@adjoint(np.linalg.norm, ord=2)
def norm(y, x, ord=None, axis=None, keepdims=False):  # of vectors
    d[x] = sum_adjoint(d[y] * reciprocal_or_zero(y), x, axis, keepdims) * euclidean(x, axis)


@tangent(np.linalg.norm, ord=2)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[y] = np.sum(euclidean(x, axis) * d[x], axis=axis, keepdims=keepdims) * reciprocal_or_zero(y)


@adjoint(np.linalg.norm)
def norm(y, x, ord, axis=None, keepdims=False):  # 1, inf, -inf; of matrices -1 too
    d[x] = norm_adjoint(d[y], x, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm(y, x, ord, axis=None, keepdims=False):
    d[y] = np.sum(norm_adjoint(1.0, x, ord, axis, keepdims) * d[x], axis=axis,
                  keepdims=keepdims)


@adjoint(np.where)
def where(z, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[z]), y)


@tangent(np.where)
def where(z, condition, x, y):
    d[z] = broadcast_like(np.where(condition, d[x], d[y]), z)


@adjoint(np.clip)
def clip(y, x, a_min, a_max):  # NumPy's names for the bounds, which callers may give
    d[x] = unbroadcast(d[y] * within(x, a_min, a_max), x)
    d[a_min] = unbroadcast(d[y] * at_low(x, a_min, a_max), a_min)
    d[a_max] = unbroadcast(d[y] * at_high(x, a_min, a_max), a_max)


@tangent(np.clip)
def clip(y, x, a_min, a_max):
    d[y] = d[x] * within(x, a_min, a_max) + d[a_min] * at_low(x, a_min, a_max) + \
        d[a_max] * at_high(x, a_min, a_max)


@adjoint(np.swapaxes)
def swapaxes(y, x, axis1, axis2):
    d[x] = np.swapaxes(d[y], axis1, axis2)


@tangent(np.swapaxes)
def swapaxes(y, x, axis1, axis2):
    d[y] = np.swapaxes(d[x], axis1, axis2)


@adjoint(np.squeeze)
def squeeze(y, x, axis=None):
    d[x] = np.reshape(d[y], np.shape(x))


@tangent(np.squeeze)
def squeeze(y, x, axis=None):
    d[y] = np.squeeze(d[x], axis)


@adjoint(np.copy)
def copy(y, x):
    d[x] = d[y]


@tangent(np.copy)
def copy(y, x):
    d[y] = d[x]


@adjoint(np.flip)
def flip(y, x, axis=None):
    d[x] = np.flip(d[y], axis)


@tangent(np.flip)
def flip(y, x, axis=None):
    d[y] = np.flip(d[x], axis)


@adjoint(np.roll)
def roll(y, x, shift, axis=None):
    d[x] = np.roll(d[y], np.negative(shift), axis)


@tangent(np.roll)
def roll(y, x, shift, axis=None):
    d[y] = np.roll(d[x], shift, axis)


@adjoint(np.asarray)
def asarray(y, x):  # an array given as it is
    d[x] = d[y]


@tangent(np.asarray)
def asarray(y, x):
    d[y] = d[x]


@adjoint(np.asarray)
def asarray_(y, x, dtype):
    d[x] = d[y] * keeps_derivatives(dtype)


@tangent(np.asarray)
def asarray_(y, x, dtype):
    d[y] = astype(d[x] * keeps_derivatives(dtype), dtype)


@adjoint(np.ravel)
def ravel(y, x):
    d[x] = np.reshape(d[y], np.shape(x))


@tangent(np.ravel)
def ravel(y, x):
    d[y] = np.ravel(d[x])


@adjoint(extremum_adjoint)
def extremum_adjoint_(z, g, x, y, axis=None, keepdims=False):
    d[g] = np.sum(d[z] * extremum_adjoint(1.0, x, y, axis, keepdims), axis=axis,
                  keepdims=keepdims)


@tangent(extremum_adjoint)
def extremum_adjoint_(z, g, x, y, axis=None, keepdims=False):
    d[z] = extremum_adjoint(d[g], x, y, axis, keepdims)


@adjoint(sum_adjoint)
def sum_adjoint_(y, g, x, axis=None, keepdims=False):
    d[g] = np.sum(d[y], axis=axis, keepdims=keepdims)


@tangent(sum_adjoint)
def sum_adjoint_(y, g, x, axis=None, keepdims=False):
    d[y] = sum_adjoint(d[g], x, axis, keepdims)


@adjoint(cast_like)
def cast_like_(y, g, x):
    d[g] = cast_like(d[y], g)


@tangent(cast_like)
def cast_like_(y, g, x):
    d[y] = cast_like(d[g], x)


@adjoint(mean_adjoint)
def mean_adjoint_(y, g, x, axis=None, keepdims=False):
    d[g] = np.mean(d[y], axis=axis, keepdims=keepdims)


@tangent(mean_adjoint)
def mean_adjoint_(y, g, x, axis=None, keepdims=False):
    d[y] = mean_adjoint(d[g], x, axis, keepdims)


@adjoint(broadcast_like, uniform_adjoint, materialize)
def spread_(y, t, like):  # each spreads `t` over `like`'s shape, or leaves it as it is
    d[t] = unbroadcast(d[y], t)


@tangent(uniform_adjoint)
def uniform_adjoint_(y, g, like):
    d[y] = uniform_adjoint(d[g], like)


@tangent(materialize)
def materialize_(y, g, like):
    d[y] = materialize(d[g], like)


@tangent(broadcast_like)
def broadcast_like_(y, t, z):
    d[y] = broadcast_like(d[t], z)


@adjoint(unbroadcast)
def unbroadcast_(y, g, x):
    d[g] = np.broadcast_to(d[y], np.shape(g))


@tangent(unbroadcast)
def unbroadcast_(y, g, x):
    d[y] = unbroadcast(d[g], x)


@adjoint(np.broadcast_to)
def broadcast_to(y, x, shape):
    d[x] = unbroadcast(d[y], x)


@tangent(np.broadcast_to)
def broadcast_to(y, x, shape):
    d[y] = np.broadcast_to(d[x], shape)


@adjoint(np.transpose)
def transpose(y, x):
    d[x] = np.transpose(d[y])


@tangent(np.transpose)
def transpose(y, x):
    d[y] = np.transpose(d[x])


@adjoint(np.transpose)
def transpose(y, x, axes):
    d[x] = np.transpose(d[y], np.argsort(np.mod(axes, np.ndim(x))))


@tangent(np.transpose)
def transpose(y, x, axes):
    d[y] = np.transpose(d[x], axes)


@adjoint(np.reshape)
def reshape(y, x, shape):
    d[x] = np.reshape(d[y], np.shape(x))


@tangent(np.reshape)
def reshape(y, x, shape):
    d[y] = np.reshape(d[x], shape)


@adjoint(np.reshape)
def reshape(y, x, shape, order):
    d[x] = np.reshape(d[y], np.shape(x), order=reading_order(x, order))


@tangent(np.reshape)
def reshape(y, x, shape, order):
    d[y] = np.reshape(d[x], shape, order=reading_order(x, order))


@adjoint(astype)
def astype_(y, x, dtype):  # the gradient takes the argument's type back (`cast_like`)
    d[x] = d[y] * keeps_derivatives(dtype)


@tangent(astype)
def astype_(y, x, dtype):
    d[y] = astype(d[x] * keeps_derivatives(dtype), dtype)


@adjoint(cumsum_adjoint)
def cumsum_adjoint_(h, g, x, axis=None):
    d[g] = np.cumsum(d[h], axis=axis)


@tangent(cumsum_adjoint)
def cumsum_adjoint_(h, g, x, axis=None):
    d[h] = cumsum_adjoint(d[g], x, axis)


@adjoint(diff_adjoint)
def diff_adjoint_(h, g, x, n=1, axis=-1):
    d[g] = np.diff(d[h], n=n, axis=axis)


@tangent(diff_adjoint)
def diff_adjoint_(h, g, x, n=1, axis=-1):
    d[h] = diff_adjoint(d[g], x, n, axis)


@adjoint(sorted_like)
def sorted_like_(h, t, x, axis=-1):
    d[t] = unsorted_like(d[h], x, axis)


@tangent(sorted_like)
def sorted_like_(h, t, x, axis=-1):
    d[h] = sorted_like(d[t], x, axis)


@adjoint(unsorted_like)
def unsorted_like_(h, g, x, axis=-1):
    d[g] = sorted_like(d[h], x, axis)


@tangent(unsorted_like)
def unsorted_like_(h, g, x, axis=-1):
    d[h] = unsorted_like(d[g], x, axis)


@adjoint(norm_adjoint)
def norm_adjoint_(h, g, x, ord, axis=None, keepdims=False):  # linear where it has a slope
    d[g] = np.sum(d[h] * norm_adjoint(1.0, x, ord, axis, keepdims), axis=axis,
                  keepdims=keepdims)


@tangent(norm_adjoint)
def norm_adjoint_(h, g, x, ord, axis=None, keepdims=False):
    d[h] = norm_adjoint(d[g], x, ord, axis, keepdims)


@adjoint(euclidean)
def euclidean_(y, x, axis=None):
    d[x] = d[y]


@tangent(euclidean)
def euclidean_(y, x, axis=None):
    d[y] = d[x]


@adjoint(spread_einsum)
def spread_einsum_(h, r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    d[r] = gather_einsum(d[h], r, spec, i, x1, x2, x3, x4, x5)


@tangent(spread_einsum)
def spread_einsum_(h, r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    d[h] = spread_einsum(d[r], spec, i, x1, x2, x3, x4, x5)


@adjoint(gather_einsum)
def gather_einsum_(g, h, r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    d[h] = spread_einsum(d[g], spec, i, x1, x2, x3, x4, x5)


@tangent(gather_einsum)
def gather_einsum_(g, h, r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    d[g] = gather_einsum(d[h], r, spec, i, x1, x2, x3, x4, x5)


@adjoint(spread_root)
def spread_root_(r, v):
    d[v] = d[r] * 0.5 * reciprocal_or_zero(r)


@tangent(spread_root)
def spread_root_(r, v):
    d[r] = d[v] * 0.5 * reciprocal_or_zero(r)


@adjoint(reciprocal_or_zero)
def reciprocal_or_zero_(r, y):
    d[y] = -d[r] * r * r


@tangent(reciprocal_or_zero)
def reciprocal_or_zero_(r, y):
    d[r] = -d[y] * r * r


@adjoint(getitem_adjoint)
def getitem_adjoint_(y, g, x, index):
    d[g] = d[y][index]


@tangent(getitem_adjoint)
def getitem_adjoint_(y, g, x, index):
    d[y] = getitem_adjoint(d[g], x, index)


@adjoint(add_trees)
def add_trees_(r, a, b):
    d[a] = d[r]
    d[b] = d[r]


@tangent(add_trees)
def add_trees_(r, a, b):
    d[r] = add_trees(d[a], d[b])


@tangent(typed_like)
def typed_like_(y, t, template):
    d[y] = typed_like(d[t], template)


@adjoint(np.expand_dims)
def expand_dims(y, x, axis):
    d[x] = np.reshape(d[y], np.shape(x))


@tangent(np.expand_dims)
def expand_dims(y, x, axis):
    d[y] = np.expand_dims(d[x], axis)


@adjoint(add_into, add_to_item)  # one sum, the first in place
def added_at(r, a, index, v):
    d[a] = d[r]
    d[v] = unbroadcast(d[r][index], v)


@tangent(add_into, add_to_item)
def added_at(r, a, index, v):
    d[r] = add_to_item(d[a], index, d[v], r)


@adjoint(with_item)
def with_item_(r, a, index, v):
    g = materialize(d[r], r)
    d[a] = with_item(g, index, 0.0)
    d[v] = unbroadcast(g[index], v)


@tangent(with_item)
def with_item_(r, a, index, v):
    d[r] = item_tangent(d[a], a, index, d[v])


@adjoint(item_tangent)
def item_tangent_(r, a_dot, a, index, v_dot):
    g = materialize(d[r], r)
    d[a_dot] = with_item(g, index, 0.0)
    d[v_dot] = unbroadcast(g[index], v_dot)


@tangent(item_tangent)
def item_tangent_(r, a_dot, a, index, v_dot):
    d[r] = item_tangent(d[a_dot], a, index, d[v_dot])


@adjoint(concatenate_part)
def concatenate_part_(p, g, pieces, i, axis=0):
    d[g] = concatenate_part_adjoint(d[p], g, pieces, i, axis)


@tangent(concatenate_part)
def concatenate_part_(p, g, pieces, i, axis=0):
    d[p] = concatenate_part(d[g], pieces, i, axis)


@adjoint(concatenate_part_adjoint)
def concatenate_part_adjoint_(r, h, g, pieces, i, axis=0):
    d[h] = concatenate_part(d[r], pieces, i, axis)


@tangent(concatenate_part_adjoint)
def concatenate_part_adjoint_(r, h, g, pieces, i, axis=0):
    d[r] = concatenate_part_adjoint(d[h], g, pieces, i, axis)


@adjoint(joined_part)
def joined_part_(p, g, pieces, i, how):
    d[g] = joined_part_adjoint(d[p], g, pieces, i, how)


@tangent(joined_part)
def joined_part_(p, g, pieces, i, how):
    d[p] = joined_part(d[g], pieces, i, how)


@adjoint(joined_part_adjoint)
def joined_part_adjoint_(r, h, g, pieces, i, how):
    d[h] = joined_part(d[r], pieces, i, how)


@tangent(joined_part_adjoint)
def joined_part_adjoint_(r, h, g, pieces, i, how):
    d[r] = joined_part_adjoint(d[h], g, pieces, i, how)


# ---------------------------------------------------------------- linear and non-differentiable

linear(np.copy, np.asarray, np.flip, np.roll, np.transpose, np.reshape, np.sum, np.mean, np.broadcast_to, np.expand_dims,
       np.swapaxes, np.squeeze, np.ravel, unbroadcast, broadcast_like, sum_adjoint,
       mean_adjoint, uniform_adjoint, materialize, cast_like,
       getitem_adjoint, extremum_adjoint, concatenate_part, concatenate_part_adjoint,
       joined_part, joined_part_adjoint, np.cumsum, np.diff, cumsum_adjoint, diff_adjoint,
       sorted_like, unsorted_like, astype, norm_adjoint, euclidean, np.einsum, spread_einsum,
       gather_einsum, np.full_like, np.full)

nondifferentiable(zeros_like_tree, result_like, within, at_low, at_high, mean_count,
                  keeps_derivatives, reading_order, einsum_adjoint_spec, np.result_type,
                  np.shape, np.ndim, np.size, np.zeros, np.ones, np.zeros_like, np.ones_like,
                  np.sign, np.floor, np.ceil, np.round,
                  np.argmax, np.argmin, np.arange, np.eye, np.isnan, np.isfinite, np.equal,
                  np.greater, np.less, np.logical_and, np.logical_or, np.logical_not)
