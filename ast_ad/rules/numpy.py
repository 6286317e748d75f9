"""Rules for NumPy: elementwise functions, reductions, shapes and indexing (products and
linear algebra: `linalg.py`).

Arrays broadcast, so the adjoint of an elementwise operation is summed back to the
shape of its input (`unbroadcast`); the operators' array templates (registered under
`("array", operator)`) do so, and are chosen for functions that use NumPy. The helpers
here have rules of their own, so generated array code can be differentiated again.
Conventions at kinks follow autograd and PyTorch: `abs` has slope `sign(x)` (0 at 0);
`maximum` and `minimum` send the adjoint to the larger (smaller) input, half each on a tie.
"""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import math

import gast
import numpy as np

from ast_ad.rules import adjoint, d, linear, nondifferentiable, tangent


def unbroadcast(g, x):
    """`g`, the adjoint of a result broadcast from `x`, summed back to `x`'s shape."""
    if type(g) is np.ndarray:
        if type(x) is np.ndarray and g.shape == x.shape:
            return g  # the common case, first: nothing was broadcast
    elif isinstance(g, (float, int, np.generic)):
        return g  # a number broadcasts (see `uniform_adjoint`)
    shape = shape_of(x)
    if shape_of(g) in (shape, ()):
        return g
    extra = np.ndim(g) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def broadcast_like(t, z):
    """`t`, a tangent of `z` that a zero left smaller (`x_dot` for `x + b`), at `z`'s shape."""
    shape = shape_of(z)
    if shape_of(t) == shape:
        return t
    if isinstance(t, (int, float)):  # a default seed: of the argument's type, as in JAX
        t = np.asarray(t, dtype=float_type(z))
    return np.broadcast_to(t, shape)


def shape_of(x):
    """`np.shape(x)`, without its detour through an array for arrays and numbers."""
    if isinstance(x, np.ndarray):
        return x.shape
    return () if isinstance(x, (int, float)) else np.shape(x)


def getitem_adjoint(g, x, index):
    """`g`, the adjoint of `x[index]`, scattered into an array shaped like `x`."""
    result = np.zeros(np.shape(x), dtype=np.result_type(x, g))
    parts = index if isinstance(index, tuple) else (index,)
    if all(isinstance(part, (int, np.integer, slice)) for part in parts):
        result[index] = g  # a basic index selects each element once
    else:
        np.add.at(result, index, g)  # an index array may select one element twice
    return result


def extremum_adjoint(g, x, y, axis=None, keepdims=False):
    """The adjoint of `y = np.max(x, ...)` (or min): to the extreme entries, split on ties."""
    if axis is not None and not keepdims:
        y = np.expand_dims(y, axis)
    at_extremum = x == y
    count = np.sum(at_extremum, axis=axis, keepdims=True, dtype=float_type(x))
    return sum_adjoint(g, x, axis, keepdims) * at_extremum / count


def sum_adjoint(g, x, axis=None, keepdims=False):
    """`g`, the adjoint of `np.sum(x, axis, keepdims)`, spread back over `x`'s shape."""
    if shape_of(g) == ():  # filled rather than broadcast: a small array is faster to read then
        result = np.empty(shape_of(x), dtype=float_type(x))
        result.fill(g)
        return result
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def within(x, low, high):
    """Where `np.clip(x, low, high)` passes `x` through (a bound of None: none)."""
    if low is None:
        return x <= high
    if high is None:
        return x >= low
    return (x >= low) & (x <= high)


def cast_like(g, x):
    """`g`, the gradient of the argument `x`, an array of `x`'s floating type, as JAX gives
    it: the float64 values a float32 argument meets do not make its gradient float64, nor
    does a 0-d argument get a number."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype is x.dtype:
        return g  # the common case, first
    if type(x) is np.ndarray and x.dtype.kind == "f" and \
            (type(g) is not np.ndarray or g.dtype != x.dtype):
        return np.asarray(g, dtype=x.dtype)
    return g


def mean_adjoint(g, x, axis=None, keepdims=False):
    """`g`, the adjoint of `np.mean(x, axis, keepdims)`, shared among the entries each mean
    averaged, over `x`'s shape."""
    # A mean of no entries has an adjoint of none, whatever it is divided by.
    return sum_adjoint(g / (mean_count(x, axis) or 1), x, axis, keepdims)


def mean_count(x, axis=None):
    """How many entries of `x` each mean of `np.mean(x, axis)` averages."""
    shape = shape_of(x)
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def float_type(x):
    """The floating type of `x`'s gradient: its own, or float64 for integers and numbers."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in "fc":
        return dtype
    return np.result_type(x if dtype is None else dtype, 1.0)


def result_like(*parts):
    """What an adjoint needs of an elementwise result of `parts` it did not compute: its
    shape and type. The first part itself when all are arrays alike."""
    first = parts[0]
    if type(first) is np.ndarray:
        shape, dtype = first.shape, first.dtype
        for part in parts[1:]:
            if type(part) is not np.ndarray or part.shape != shape or part.dtype is not dtype:
                break
        else:
            return first
    return ShapeAndType(np.broadcast_shapes(*map(shape_of, parts)),
                        np.result_type(*map(type_of, parts)))


def type_of(x):
    """What `np.result_type` needs of `x`: `x` itself, but a stand-in's type, and a list as
    an array."""
    if isinstance(x, (np.ndarray, np.generic, int, float, complex)):
        return x
    return x.dtype if isinstance(x, ShapeAndType) else np.asarray(x)


def uniform_adjoint(g, like):
    """The adjoint of a full sum of an elementwise result `like` stands for: the number `g`
    itself when `like` is an array (its operands were arrays of one shape and type), as
    every array the summand's adjoints meet then has that shape and broadcasts it; else
    `g` filled into the result's shape."""
    if type(like) is np.ndarray and (type(g) is float or shape_of(g) == ()):
        return float_type(like).type(g)
    return sum_adjoint(g, like)


def materialize(g, like):
    """`g` at `like`'s shape: an adjoint a number of `uniform_adjoint` reached, made an
    array again for an operand the sum did not leave out."""
    if type(g) is np.ndarray:
        return g
    shape = shape_of(like)
    return g if shape_of(g) == shape else np.full(shape, g)


class ShapeAndType:
    """An array's shape and type, as `np.shape`, `np.ndim`, `np.size` and `float_type`
    read them, without its values."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype
        self.ndim, self.size = len(shape), int(np.prod(shape))


def add_into(a, index, v):
    """`a[index] += v`, in place, and `a`: how a generated adjoint adds into part of an
    array of its own (`x_bar[1:] += v1_bar`) when it is differentiated again."""
    a[index] += v
    return a


def concatenate_part(g, pieces, i, axis=0):
    """The part of `g`, the adjoint of `np.concatenate(pieces, axis)`, due to `pieces[i]`."""
    if axis is None:
        start, stop = _flat_span(pieces, i)
        return np.reshape(np.ravel(g)[start:stop], np.shape(pieces[i]))
    return g[_concatenate_index(pieces, i, axis)]


def concatenate_part_adjoint(h, g, pieces, i, axis=0):
    """`h`, the adjoint of `concatenate_part(g, pieces, i, axis)`, in its place among zeros."""
    result = np.zeros(np.shape(g), dtype=np.result_type(g, h))
    if axis is None:
        start, stop = _flat_span(pieces, i)
        result.reshape(-1)[start:stop] = np.ravel(h)
    else:
        result[_concatenate_index(pieces, i, axis)] = h
    return result


def _concatenate_index(pieces, i, axis):
    return _joined_index([np.shape(piece) for piece in pieces], i, axis % np.ndim(pieces[i]))


def _joined_index(shapes, i, axis):
    """Where piece `i`, of these shapes joined along `axis` (not negative), sits."""
    start = sum(shape[axis] for shape in shapes[:i])
    return (slice(None),) * axis + (slice(start, start + shapes[i][axis]),)


def joined_part(g, pieces, i, how):
    """The part of `g`, the adjoint of `np.hstack(pieces)` or `np.vstack(pieces)` (`how`),
    due to `pieces[i]`, at that piece's shape."""
    shapes, axis = _joined(pieces, how)
    return np.reshape(g[_joined_index(shapes, i, axis)], np.shape(pieces[i]))


def joined_part_adjoint(h, g, pieces, i, how):
    """`h`, the adjoint of `joined_part(g, pieces, i, how)`, in its place among zeros."""
    shapes, axis = _joined(pieces, how)
    result = np.zeros(np.shape(g), dtype=np.result_type(g, h))
    result[_joined_index(shapes, i, axis)] = np.reshape(h, shapes[i])
    return result


def _joined(pieces, how):
    """The shapes `np.hstack` or `np.vstack` gives the pieces before it concatenates them
    (`np.atleast_1d`, `np.atleast_2d`), and the axis it concatenates them along."""
    shapes = [np.shape(piece) for piece in pieces]
    if how == "vstack":
        return [(1,) * (2 - len(shape)) + shape for shape in shapes], 0
    shapes = [shape or (1,) for shape in shapes]
    return shapes, 0 if len(shapes[0]) == 1 else 1


def _flat_span(pieces, i):
    start = sum(np.size(piece) for piece in pieces[:i])
    return start, start + np.size(pieces[i])


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


@adjoint(np.linalg.norm)
def norm(y, x):
    d[x] = d[y] * x / y


@tangent(np.linalg.norm)
def norm(y, x):
    d[y] = np.sum(x * d[x]) / y


@adjoint(np.linalg.norm, ord=None)
def norm(y, x, ord=None, axis=None, keepdims=False):  # along axes: of vectors, or Frobenius'
    d[x] = sum_adjoint(d[y] / y, x, axis, keepdims) * x


@tangent(np.linalg.norm, ord=None)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[y] = np.sum(x * d[x], axis=axis, keepdims=keepdims) / y


@adjoint(np.where)
def where(z, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[z]), y)


@tangent(np.where)
def where(z, condition, x, y):
    d[z] = broadcast_like(np.where(condition, d[x], d[y]), z)


@adjoint(np.clip)
def clip(y, x, low, high):
    d[x] = unbroadcast(d[y] * within(x, low, high), x)
    d[low] = unbroadcast(d[y] * (x < low), low)
    d[high] = unbroadcast(d[y] * (x > high), high)


@tangent(np.clip)
def clip(y, x, low, high):
    d[y] = d[x] * within(x, low, high) + d[low] * (x < low) + d[high] * (x > high)


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


@adjoint(getitem_adjoint)
def getitem_adjoint_(y, g, x, index):
    d[g] = d[y][index]


@tangent(getitem_adjoint)
def getitem_adjoint_(y, g, x, index):
    d[y] = getitem_adjoint(d[g], x, index)


@adjoint(np.expand_dims)
def expand_dims(y, x, axis):
    d[x] = np.reshape(d[y], np.shape(x))


@tangent(np.expand_dims)
def expand_dims(y, x, axis):
    d[y] = np.expand_dims(d[x], axis)


@adjoint(add_into)
def add_into_(r, a, index, v):
    d[a] = d[r]
    d[v] = unbroadcast(d[r][index], v)


@tangent(add_into)
def add_into_(r, a, index, v):
    d[r] = d[a] + getitem_adjoint(d[v], a, index)


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

linear(np.copy, np.transpose, np.reshape, np.sum, np.mean, np.broadcast_to, np.expand_dims,
       np.swapaxes, np.squeeze, np.ravel, unbroadcast, broadcast_like, sum_adjoint,
       mean_adjoint, uniform_adjoint, materialize, cast_like,
       getitem_adjoint, extremum_adjoint, concatenate_part, concatenate_part_adjoint,
       joined_part, joined_part_adjoint)

nondifferentiable(result_like, within, np.shape, np.ndim, np.size, np.zeros, np.ones,
                  np.zeros_like, np.ones_like, np.sign, np.floor, np.ceil, np.round, np.argmax,
                  np.argmin, np.arange, np.eye, np.isnan, np.isfinite, np.equal, np.greater,
                  np.less, np.logical_and, np.logical_or, np.logical_not)
