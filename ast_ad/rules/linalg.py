"""Rules for NumPy's products and linear algebra: `@`, `matmul`, `dot`, `outer`, `inner`,
`trace`, `linalg.inv` and `linalg.solve`.

`matmul` broadcasts stacks of matrices and promotes vectors, `dot` multiplies by
scalars and contracts the last axis of its first argument with the second to last of
its second; their adjoints are helpers here with rules of their own, so that
generated array code can be differentiated again.
"""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import gast
import numpy as np

from ast_ad.rules import adjoint, d, linear, nondifferentiable, tangent
from ast_ad.rules.numpy import ShapeAndType, float_type, shape_of, type_of, unbroadcast


@adjoint(("array", gast.MatMult), np.matmul)
def matmul(z, x, y):
    d[x] = matmul_adjoint_left(d[z], x, y)
    d[y] = matmul_adjoint_right(d[z], x, y)


@tangent(("array", gast.MatMult), np.matmul)
def matmul(z, x, y):
    d[z] = np.matmul(d[x], y) + np.matmul(x, d[y])


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


@adjoint(np.dot)
def dot(z, x, y):
    d[x] = dot_adjoint_left(d[z], x, y)
    d[y] = dot_adjoint_right(d[z], x, y)


@tangent(np.dot)
def dot(z, x, y):
    d[z] = np.dot(d[x], y) + np.dot(x, d[y])


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


# The adjoint helpers of a product p(x, y) are bilinear, each the transpose of p in one
# argument: their own rules are p and the other helper again, so derivatives nest.


@adjoint(matmul_adjoint_left)
def matmul_adjoint_left_(a, g, x, y):
    d[g] = np.matmul(d[a], y)
    d[y] = matmul_adjoint_right(g, d[a], y)


@tangent(matmul_adjoint_left)
def matmul_adjoint_left_(a, g, x, y):
    d[a] = matmul_adjoint_left(d[g], x, y) + matmul_adjoint_left(g, x, d[y])


@adjoint(matmul_adjoint_right)
def matmul_adjoint_right_(b, g, x, y):
    d[g] = np.matmul(x, d[b])
    d[x] = matmul_adjoint_left(g, x, d[b])


@tangent(matmul_adjoint_right)
def matmul_adjoint_right_(b, g, x, y):
    d[b] = matmul_adjoint_right(d[g], x, y) + matmul_adjoint_right(g, d[x], y)


@adjoint(dot_adjoint_left)
def dot_adjoint_left_(a, g, x, y):
    d[g] = np.dot(d[a], y)
    d[y] = dot_adjoint_right(g, d[a], y)


@tangent(dot_adjoint_left)
def dot_adjoint_left_(a, g, x, y):
    d[a] = dot_adjoint_left(d[g], x, y) + dot_adjoint_left(g, x, d[y])


@adjoint(dot_adjoint_right)
def dot_adjoint_right_(b, g, x, y):
    d[g] = np.dot(x, d[b])
    d[x] = dot_adjoint_left(g, x, d[b])


@tangent(dot_adjoint_right)
def dot_adjoint_right_(b, g, x, y):
    d[b] = dot_adjoint_right(d[g], x, y) + dot_adjoint_right(g, d[x], y)


@adjoint(np.linalg.inv)
def inv(y, x):
    d[x] = -np.matmul(np.matmul(np.swapaxes(y, -1, -2), d[y]), np.swapaxes(y, -1, -2))


@tangent(np.linalg.inv)
def inv(y, x):
    d[y] = -np.matmul(np.matmul(y, d[x]), y)


@adjoint(np.linalg.solve)
def solve(z, a, b):
    w = solve_columns(np.swapaxes(a, -1, -2), d[z], b)
    d[b] = unbroadcast(w, b)
    d[a] = -unbroadcast(times_columns_transposed(w, z, b), a)


@tangent(np.linalg.solve)
def solve(z, a, b):
    d[z] = solve_columns(a, d[b] - times_columns(d[a], z, b), b)


# `np.linalg.solve(a, b)` with a vector `b` solves for one vector per matrix of `a`, and
# gives a stack of vectors; NumPy would read such a stack as a matrix. These helpers keep
# it a stack of columns.


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


@adjoint(np.trace)
def trace(y, x):
    d[x] = trace_adjoint(d[y], x)


@tangent(np.trace)
def trace(y, x):
    d[y] = np.trace(d[x])


@adjoint(np.inner)
def inner(z, x, y):
    d[x] = inner_adjoint_left(d[z], x, y)
    d[y] = inner_adjoint_right(d[z], x, y)


@tangent(np.inner)
def inner(z, x, y):
    d[z] = np.inner(d[x], y) + np.inner(x, d[y])


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


@adjoint(inner_adjoint_left)
def inner_adjoint_left_(h, g, x, y):
    d[g] = np.inner(d[h], y)
    d[y] = inner_adjoint_right(g, d[h], y)


@tangent(inner_adjoint_left)
def inner_adjoint_left_(h, g, x, y):
    d[h] = inner_adjoint_left(d[g], x, y) + inner_adjoint_left(g, x, d[y])


@adjoint(inner_adjoint_right)
def inner_adjoint_right_(h, g, x, y):
    d[g] = np.inner(x, d[h])
    d[x] = inner_adjoint_left(g, x, d[h])


@tangent(inner_adjoint_right)
def inner_adjoint_right_(h, g, x, y):
    d[h] = inner_adjoint_right(d[g], x, y) + inner_adjoint_right(g, d[x], y)


@adjoint(np.outer)
def outer(z, x, y):
    d[x] = outer_adjoint_left(d[z], x, y)
    d[y] = outer_adjoint_right(d[z], x, y)


@tangent(np.outer)
def outer(z, x, y):
    d[z] = np.outer(d[x], y) + np.outer(x, d[y])


def outer_adjoint_left(g, x, y):
    """The adjoint of `x` in `np.outer(x, y)`, which flattens both: of `x`'s shape."""
    return np.reshape(np.matmul(g, np.ravel(y)), np.shape(x))


def outer_adjoint_right(g, x, y):
    """The adjoint of `y` in `np.outer(x, y)`."""
    return np.reshape(np.matmul(np.ravel(x), g), np.shape(y))


@adjoint(outer_adjoint_left)
def outer_adjoint_left_(h, g, x, y):
    d[g] = np.outer(d[h], y)
    d[y] = outer_adjoint_right(g, d[h], y)


@tangent(outer_adjoint_left)
def outer_adjoint_left_(h, g, x, y):
    d[h] = outer_adjoint_left(d[g], x, y) + outer_adjoint_left(g, x, d[y])


@adjoint(outer_adjoint_right)
def outer_adjoint_right_(h, g, x, y):
    d[g] = np.outer(x, d[h])
    d[x] = outer_adjoint_left(g, x, d[h])


@tangent(outer_adjoint_right)
def outer_adjoint_right_(h, g, x, y):
    d[h] = outer_adjoint_right(d[g], x, y) + outer_adjoint_right(g, d[x], y)


def trace_adjoint(g, x):
    """The adjoint of `np.trace(x)`: `g` along the diagonal of `x`'s first two axes."""
    rows, columns = np.shape(x)[:2]
    eye = np.eye(rows, columns, dtype=float_type(x))
    return eye.reshape((rows, columns) + (1,) * (np.ndim(x) - 2)) * g


@adjoint(trace_adjoint)
def trace_adjoint_(r, g, x):
    d[g] = np.trace(d[r])


@tangent(trace_adjoint)
def trace_adjoint_(r, g, x):
    d[r] = trace_adjoint(d[g], x)


linear(np.matmul, np.dot, np.outer, np.inner, np.trace, trace_adjoint, solve_columns,
       inner_adjoint_left, inner_adjoint_right, outer_adjoint_left, outer_adjoint_right,
       times_columns, times_columns_transposed, matmul_adjoint_left,
       matmul_adjoint_right, dot_adjoint_left, dot_adjoint_right)
nondifferentiable(matmul_like)
