"""Rules for NumPy's products and linear algebra: `@`, `matmul`, `dot`, `outer`, `inner`,
`trace`, `linalg.inv`, `linalg.det`, `linalg.slogdet` and `linalg.solve`.

`matmul` broadcasts stacks of matrices and promotes vectors, `dot` multiplies by
scalars and contracts the last axis of its first argument with the second to last of
its second; their adjoints are helpers in `ast_ad.runtime.linalg` with rules here, so
that generated array code can be differentiated again.
"""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import gast
import numpy as np

from ast_ad.rules import adjoint, d, linear, nondifferentiable, tangent
from ast_ad.runtime.arrays import unbroadcast
from ast_ad.runtime.linalg import (dot_adjoint_left, dot_adjoint_right, inner_adjoint_left,
                                   inner_adjoint_right, matmul_adjoint_left, matmul_adjoint_right,
                                   matmul_like, outer_adjoint_left, outer_adjoint_right,
                                   slogdet_log, slogdet_sign, solve_columns, times_columns,
                                   times_columns_transposed, trace_adjoint)


@adjoint(("array", gast.MatMult), np.matmul)
def matmul(z, x, y):
    d[x] = matmul_adjoint_left(d[z], x, y)
    d[y] = matmul_adjoint_right(d[z], x, y)


@tangent(("array", gast.MatMult), np.matmul)
def matmul(z, x, y):
    d[z] = np.matmul(d[x], y) + np.matmul(x, d[y])


@adjoint(np.dot)
def dot(z, x, y):
    d[x] = dot_adjoint_left(d[z], x, y)
    d[y] = dot_adjoint_right(d[z], x, y)


@tangent(np.dot)
def dot(z, x, y):
    d[z] = np.dot(d[x], y) + np.dot(x, d[y])


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


@adjoint(np.linalg.det)
def det(y, a):
    d[a] = np.expand_dims(np.expand_dims(d[y] * y, -1), -1) * \
        np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(np.linalg.det)
def det(y, a):
    d[y] = y * np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * d[a], axis=(-2, -1))


@adjoint(slogdet_log)
def slogdet_log_(y, a):
    d[a] = np.expand_dims(np.expand_dims(d[y], -1), -1) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(slogdet_log)
def slogdet_log_(y, a):
    d[y] = np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * d[a], axis=(-2, -1))


nondifferentiable(slogdet_sign)


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
