"""The runtime helpers as Numba compiles them, for derivatives of Numba functions.

Generated code calls the same helpers in both targets; importing this module (which
imports Numba) registers, with `numba.extending.overload`, what each helper is in
compiled code. Numba chooses an implementation by the types of the arguments when it
compiles, so that on numbers a helper is the identity and costs nothing. A helper or a
case that compiled code cannot take is refused when Numba compiles the derivative,
with a message that says which.
"""

import operator

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

from ast_ad.errors import ARRAY_OUTPUT_ADVICE, format_message
from ast_ad.runtime import arrays, checks, linalg

_NUMBERS = (types.Number, types.Boolean)


def _is_number(kind):
    return isinstance(kind, _NUMBERS)


def _is_array(kind):
    return isinstance(kind, types.Array)


def _literal(kind):
    return getattr(kind, "literal_value", None)


@overload(arrays.empty_stack)
def _empty_stack(like, count):
    if _is_number(like):  # of floats even for an int: a later iteration's may be a float
        return lambda like, count: np.empty(count, np.float64)
    if _is_array(like):
        dtype = like.dtype
        return lambda like, count: np.empty((count,) + like.shape, dtype)
    raise TypingError(f"a loop stores a value of type {like}, which compiled code cannot stack")


@overload(arrays.shape_stack)
def _shape_stack(like, count):
    if _is_number(like):  # as long as the loop, as a loop reversed over it counts it
        return lambda like, count: np.empty((count, 0))
    return lambda like, count: arrays.empty_stack(like, count)


@overload(arrays.kept_shape)
def _kept_shape(stack, k, value):
    if _is_number(value):
        return lambda stack, k, value: value
    return lambda stack, k, value: stack[k]


@overload(arrays.keep_shape)
def _keep_shape(stack, k, value):
    if _is_number(value):
        return lambda stack, k, value: None

    def kept(stack, k, value):
        stack[k] = value
    return kept


@overload(arrays.zeros_like)
def _zeros_like(x):
    if _is_number(x) or isinstance(x, types.NoneType) or \
            isinstance(x, types.Optional) and _is_number(x.type):
        return lambda x: 0.0  # a name that may hold None before a branch gives it a number
    return lambda x: np.zeros_like(x)


@overload(operator.getitem)
def _range_item(sequence, k):
    """`r[k]` of a range, which reversed loops read their loop variable by, and `r[a:b]`,
    which the adjoint of a slice of a list loops over."""
    if not isinstance(sequence, types.RangeType):
        return None
    if isinstance(k, types.Integer):
        def item(sequence, k):
            if k < 0:
                k += len(sequence)
            value = sequence.start + k * sequence.step
            # In range without its length, a division a loop reading r[k] would pay each time
            if k < 0 or (value >= sequence.stop if sequence.step > 0 else value <= sequence.stop):
                raise IndexError("range object index out of range")
            return value
        return item
    if isinstance(k, types.SliceType):
        def sliced(sequence, k):
            start, stop, step = k.indices(len(sequence))
            return range(sequence.start + start * sequence.step,
                         sequence.start + stop * sequence.step, step * sequence.step)
        return sliced


@overload(checks.require_number, prefer_literal=True)
def _require_number(value, name, function):
    if _is_number(value):
        return lambda value, name, function: None
    raise TypingError(f"{_literal(function)} was given {value} for `{_literal(name)}`, which "
                      "it differentiates; it was made for a number")


@overload(checks.require_array, prefer_literal=True)
def _require_array(value, name, function):
    if _is_number(value) or _is_array(value) and isinstance(value.dtype, types.Float):
        return lambda value, name, function: None
    raise TypingError(f"{_literal(function)} was given {value} for `{_literal(name)}`, which "
                      "it differentiates; it was made for a NumPy array of floats or a number")


@overload(checks.require_sequence, prefer_literal=True)
def _require_sequence(value, name, function, differentiated=True):
    if not isinstance(value, types.DictType):
        return lambda value, name, function, differentiated=True: None
    raise TypingError(f"{_literal(function)} was given a dict for `{_literal(name)}`, which it "
                      "reads by positions, as a list")


@overload(checks.require_scalar, prefer_literal=True)
def _require_scalar(out, filename, lineno):
    if isinstance(out, types.Optional):  # a number on the paths that return one
        out = out.type
    if _is_number(out) or _is_array(out) and out.ndim == 0:
        return lambda out, filename, lineno: None
    what = "an array" if _is_array(out) else f"a value of type {out}"
    raise TypingError(format_message(f"the function returns {what}; {ARRAY_OUTPUT_ADVICE}",
                                     _literal(filename), _literal(lineno)))


def _numbers_only(reason):
    """The compiled form of a check of what `+=` or a write changes in place: a number
    passes; compiled code cannot tell an array view from its own array."""
    def typed(value, filename, lineno):
        if _is_number(value):
            return lambda value, filename, lineno: None
        raise TypingError(reason)
    return typed


overload(checks.require_not_a_view)(_numbers_only(
    "compiled code cannot tell whether an array written into in place is a view of "
    "another: take a copy (`.copy()`)"))
overload(checks.require_not_an_array)(_numbers_only(
    "compiled code cannot tell whether an array changed by `+=` is viewed by another "
    "name: write `x = x + v`"))


@overload(checks.assertion, prefer_literal=True)
def _assertion(holds, message=None):
    """`assert holds, message`: Numba raises only messages known when it compiles."""
    text = _literal(message)
    if text is None:
        def checked(holds, message=None):
            if not holds:
                raise AssertionError()
        return checked

    def checked_with_message(holds, message=None):
        if not holds:
            raise AssertionError(text)
    return checked_with_message


@overload(checks.zero_gradient)
def _zero_gradient(value, name, function):
    if _is_number(value):
        return lambda value, name, function: 0.0
    if _is_array(value):
        return lambda value, name, function: np.zeros(value.shape)


@overload(checks.zero_gradient_unless_seeded, prefer_literal=True)
def _zero_gradient_unless_seeded(value, name, function, seed, tangent):
    if isinstance(seed, types.NoneType):
        return lambda value, name, function, seed, tangent: \
            checks.zero_gradient(value, name, function)
    return lambda value, name, function, seed, tangent: tangent


@overload(arrays.unbroadcast)
def _unbroadcast(g, x):
    if _is_number(g):
        return lambda g, x: g
    if _is_array(g) and _is_number(x):
        return lambda g, x: np.sum(g)
    if _is_array(g) and _is_array(x) and g.ndim == x.ndim:
        def same_shape(g, x):
            if g.shape != x.shape:
                raise ValueError("compiled code sums an adjoint back to its operand's shape "
                                 "only where it was not broadcast")
            return g
        return same_shape
    if _is_array(g) and _is_array(x) and g.ndim == x.ndim + 1:
        def leading_axis_summed(g, x):
            if g.shape[1:] != x.shape:
                raise ValueError("compiled code sums an adjoint back to its operand's shape "
                                 "only where it was broadcast along a leading axis")
            return np.sum(g, axis=0)
        return leading_axis_summed
    raise TypingError(f"compiled code cannot sum an adjoint of type {g} back to {x}")


@overload(arrays.broadcast_like)
def _broadcast_like(t, z):
    if isinstance(t, types.NoneType) and _is_number(z):
        return lambda t, z: 1.0  # a left-out seed of a number: its whole gradient's
    if isinstance(t, types.NoneType):
        raise TypingError("a compiled forward-mode derivative needs the direction of each "
                          "array it differentiates, given after the function's arguments: "
                          "it cannot compute a whole gradient by calling back into Python")
    if _is_number(z) or _is_array(t) and _is_array(z) and t.ndim == z.ndim:
        return lambda t, z: t
    if _is_number(t) and _is_array(z):
        return lambda t, z: np.full(z.shape, t)
    raise TypingError(f"compiled code cannot broadcast a tangent of type {t} to {z}")


@overload(arrays.getitem_adjoint)
def _getitem_adjoint(g, x, index):
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    if not all(isinstance(p, (types.Integer, types.SliceType)) for p in parts):
        raise TypingError("compiled code differentiates indexing by integers and slices; "
                          f"not by {index}")

    def scattered(g, x, index):
        result = np.zeros(x.shape)
        result[index] = g
        return result
    return scattered


@overload(arrays.cast_like)
def _cast_like(g, x):
    if _is_array(x) and _is_array(g) and g.dtype != x.dtype:
        dtype = x.dtype
        return lambda g, x: g.astype(dtype)
    return lambda g, x: g


@overload(arrays.uniform_adjoint)
def _uniform_adjoint(g, like):
    if _is_number(g) and _is_number(like):
        return lambda g, like: g
    if _is_number(g) and _is_array(like):
        return lambda g, like: float(g)
    raise TypingError(f"compiled code cannot spread an adjoint of type {g} over {like}")


@overload(arrays.sum_adjoint, prefer_literal=True)
def _sum_adjoint(g, x, axis=None, keepdims=False):
    if _is_number(g) and _is_array(x) and _literal(axis) is None:
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
    if _is_number(x):
        return lambda g, x, axis=None, keepdims=False: g
    raise TypingError("compiled code spreads the adjoint of a sum over every axis only")


@overload(arrays.mean_adjoint, prefer_literal=True)
def _mean_adjoint(g, x, axis=None, keepdims=False):
    if _is_number(g) and _is_array(x) and _literal(axis) is None:
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g / max(x.size, 1))
    if _is_number(x):
        return lambda g, x, axis=None, keepdims=False: g
    raise TypingError("compiled code spreads the adjoint of a mean over every axis only")


@overload(arrays.cumsum_adjoint, prefer_literal=True)
def _cumsum_adjoint(g, x, axis=None):
    if _literal(axis) is None and _is_array(g) and _is_array(x) and x.ndim == 1:
        return lambda g, x, axis=None: np.cumsum(g[::-1])[::-1]
    raise TypingError("compiled code differentiates the cumulative sum of a vector only")


@overload(arrays.extremum_adjoint, prefer_literal=True)
def _extremum_adjoint(g, x, y, axis=None, keepdims=False):
    """`np.max(x)`'s (or min's) adjoint, shared among the entries at the extremum."""
    if _is_number(x):
        return lambda g, x, y, axis=None, keepdims=False: g
    if _is_array(x) and _literal(axis) is None:
        def shared(g, x, y, axis=None, keepdims=False):
            at = x == y
            return g * at / np.sum(at)
        return shared
    raise TypingError("compiled code differentiates the maximum and minimum over every "
                      "axis only")


@overload(arrays.within)
def _within(x, low, high):
    """Where `np.clip(x, low, high)` passes `x` through: a bound may be None."""
    if isinstance(low, types.NoneType):
        return lambda x, low, high: x <= high
    if isinstance(high, types.NoneType):
        return lambda x, low, high: x >= low
    return lambda x, low, high: (x >= low) & (np.maximum(x, low) <= high)


@overload(arrays.result_like)
def _result_like(*parts):
    """What an adjoint reads of an elementwise result it did not keep: its shape, here
    that of the result itself, made again (its type alone would do, had Numba a way)."""
    if len(parts) == 1 and isinstance(parts[0], types.BaseTuple):
        parts = parts[0].types  # Numba hands the star arguments over as one tuple
    if len(parts) == 1:
        return lambda *parts: parts[0]
    if len(parts) == 2:
        return lambda *parts: parts[0] + parts[1]
    raise TypingError("compiled code remakes the shape of an elementwise result of one or "
                      "two operands only")


@overload(arrays.reciprocal_or_zero)
def _reciprocal_or_zero(y):
    """`1 / y`, 0 at 0: the slope of a vector's norm (of norms along an axis, arrays: not
    compiled yet)."""
    if _is_number(y):
        return lambda y: 0.0 if y == 0 else 1.0 / y
    raise TypingError("compiled code differentiates the norm of a whole vector only")


@overload(arrays.materialize)
def _materialize(g, like):
    if _is_number(g) and _is_array(like):
        return lambda g, like: np.full(like.shape, g)
    return lambda g, like: g


def _products(left, right):
    """Which of the adjoints of `@` compiled code takes: vectors and matrices."""
    def overload_of(g, x, y):
        if not (_is_array(x) and _is_array(y) and x.ndim in (1, 2) and y.ndim in (1, 2)):
            raise TypingError(f"compiled code differentiates products of vectors and "
                              f"matrices, not of {x} and {y}")
        return left if (x.ndim, y.ndim) == (1, 1) else right[x.ndim, y.ndim]
    return overload_of


overload(linalg.matmul_adjoint_left)(_products(lambda g, x, y: g * y, {
    (2, 2): lambda g, x, y: g @ y.T,
    (2, 1): lambda g, x, y: np.outer(g, y),
    (1, 2): lambda g, x, y: y @ g}))
overload(linalg.matmul_adjoint_right)(_products(lambda g, x, y: g * x, {
    (2, 2): lambda g, x, y: x.T @ g,
    (2, 1): lambda g, x, y: g @ x,
    (1, 2): lambda g, x, y: np.outer(x, g)}))

