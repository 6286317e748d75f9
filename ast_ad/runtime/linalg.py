"""Adjoints of NumPy's products and linear algebra that generated code calls: `@`,
`dot`, `inner`, `outer`, `solve`, for vectors, matrices and stacks of matrices. Each has
rules of its own in `ast_ad.rules.linalg`.
"""

import numpy as np

from ast_ad.runtime.arrays import ShapeAndType, float_type, shape_of, type_of, unbroadcast


def matmul_adjoint_left(g, x, y):
    """The adjoint of `x` in `x @ y`: vectors, matrices and stacks of matrices."""
    x_dims, y_dims = _dims(x, y)
    if x_dims == 2 and y_dims == 2:  # the common cases first, without a wasted call
        return np.matmul(g, np.asarray(y).T)
    if y_dims == 1:
        return g * y if x_dims == 1 else unbroadcast(np.asarray(g)[..., None] * y, x)
    if x_dims == 1:
        return unbroadcast(np.matmul(y, np.asarray(g)[..., None])[..., 0], x)
    return unbroadcast(np.matmul(g, np.swapaxes(y, -1, -2)), x)


def matmul_adjoint_right(g, x, y):
    """The adjoint of `y` in `x @ y`: vectors, matrices and stacks of matrices."""
    x_dims, y_dims = _dims(x, y)
    if x_dims == 2:
        if y_dims == 2:
            return np.matmul(np.asarray(x).T, g)
        if y_dims == 1:
            return np.matmul(g, x)  # `x.T @ g`, as one product of a vector and a matrix
    if x_dims == 1:
        return g * x if y_dims == 1 else \
            unbroadcast(np.asarray(x)[..., None] * np.asarray(g)[..., None, :], y)
    if y_dims == 1:
        return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), np.asarray(g)[..., None])[..., 0],
                           y)
    return unbroadcast(np.matmul(np.swapaxes(x, -1, -2), g), y)


def matmul_like(x, y):
    """What an adjoint needs of `x @ y` it did not keep: its shape and type."""
    x_shape, y_shape = shape_of(x), shape_of(y)
    if not x_shape or not y_shape or x_shape[-1] != y_shape[-2 if len(y_shape) > 1 else 0]:
        raise ValueError(f"matmul: operands of shapes {x_shape} and {y_shape} do not multiply")
    if len(x_shape) == 1:
        shape = y_shape[:-2] + y_shape[-1:] if len(y_shape) > 1 else ()
    elif len(y_shape) == 1:
        shape = x_shape[:-1]
    else:
        shape = np.broadcast_shapes(x_shape[:-2], y_shape[:-2]) + (x_shape[-2], y_shape[-1])
    return ShapeAndType(shape, np.result_type(type_of(x), type_of(y)))


def dot_adjoint_left(g, x, y):
    """The adjoint of `x` in `np.dot(x, y)`, which multiplies when either is a scalar and
    contracts the last axis of `x` with the second to last of `y`."""
    x_dims, y_dims = _dims(x, y)
    if x_dims == 0 or y_dims == 0:
        return unbroadcast(g * y, x)
    if y_dims <= 2:
        return matmul_adjoint_left(g, x, y)
    y_axes = list(range(y_dims - 2)) + [y_dims - 1]
    return np.tensordot(g, y, axes=(list(range(x_dims - 1, np.ndim(g))), y_axes))


def dot_adjoint_right(g, x, y):
    """The adjoint of `y` in `np.dot(x, y)`."""
    x_dims, y_dims = _dims(x, y)
    if x_dims == 0 or y_dims == 0:
        return unbroadcast(g * x, y)
    if y_dims <= 2:
        return matmul_adjoint_right(g, x, y)
    leading = list(range(x_dims - 1))
    return np.moveaxis(np.tensordot(x, g, axes=(leading, leading)), 0, -2)


def _dims(x, y):
    """`np.ndim` of both, without its detour for arrays: these helpers run for every
    product of a gradient, and each call they make adds to its time."""
    if type(x) is np.ndarray and type(y) is np.ndarray:
        return x.ndim, y.ndim
    return np.ndim(x), np.ndim(y)


def solve_columns(a, r, b):
    """`np.linalg.solve(a, r)`, `r` shaped like the solution of `np.linalg.solve(a, b)`."""
    if np.ndim(b) == 1 and np.ndim(r) > 1:
        return np.linalg.solve(a, np.expand_dims(r, -1))[..., 0]
    return np.linalg.solve(a, r)


def times_columns(m, z, b):
    """`m @ z`, `z` shaped like the solution of `np.linalg.solve(a, b)`."""
    if np.ndim(b) == 1:
        return np.matmul(m, np.expand_dims(z, -1))[..., 0]
    return np.matmul(m, z)


def times_columns_transposed(w, z, b):
    """`w @ z.T` for each matrix, `w` and `z` shaped like the solution of
    `np.linalg.solve(a, b)`: the outer products of columns when `b` is a vector."""
    if np.ndim(b) == 1:
        return np.expand_dims(w, -1) * np.expand_dims(z, -2)
    return np.matmul(w, np.swapaxes(z, -1, -2))


def inner_adjoint_left(g, x, y):
    """The adjoint of `x` in `np.inner(x, y)`, which sums over the last axes of both
    (a number times an array where either is 0-d)."""
    x_dims, y_dims = np.ndim(x), np.ndim(y)
    if x_dims == 1 and y_dims == 1:
        return g * y
    if x_dims == 0:
        return np.sum(g * y)
    if y_dims == 0:
        return g * y
    return np.tensordot(g, y, axes=(list(range(x_dims - 1, x_dims + y_dims - 2)),
                                    list(range(y_dims - 1))))


def inner_adjoint_right(g, x, y):
    """The adjoint of `y` in `np.inner(x, y)`."""
    x_dims, y_dims = np.ndim(x), np.ndim(y)
    if x_dims == 1 and y_dims == 1:
        return g * x
    if y_dims == 0:
        return np.sum(g * x)
    if x_dims == 0:
        return g * x
    return np.tensordot(g, x, axes=(list(range(x_dims - 1)), list(range(x_dims - 1))))


def outer_adjoint_left(g, x, y):
    """The adjoint of `x` in `np.outer(x, y)`, which flattens both: of `x`'s shape."""
    return np.reshape(np.matmul(g, np.ravel(y)), np.shape(x))


def outer_adjoint_right(g, x, y):
    """The adjoint of `y` in `np.outer(x, y)`."""
    return np.reshape(np.matmul(np.ravel(x), g), np.shape(y))


def trace_adjoint(g, x):
    """The adjoint of `np.trace(x)`: `g` along the diagonal of `x`'s first two axes."""
    rows, columns = np.shape(x)[:2]
    eye = np.eye(rows, columns, dtype=float_type(x))
    return eye.reshape((rows, columns) + (1,) * (np.ndim(x) - 2)) * g


def slogdet_sign(a):
    """The sign of `np.linalg.slogdet(a)`: a tuple's part, a function of its own."""
    return np.linalg.slogdet(a)[0]


def slogdet_log(a):
    """The logarithm of the absolute determinant, `np.linalg.slogdet(a)[1]`."""
    return np.linalg.slogdet(a)[1]


# Functions whose result is a tuple, and a function for each of its parts: code that
# unpacks or indexes the result calls the parts, each with its own rule.
TUPLE_PARTS = {np.linalg.slogdet: ((slogdet_sign, "sign"), (slogdet_log, "logabsdet"))}
