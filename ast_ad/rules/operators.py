"""Rules for Python's arithmetic operators and comparisons."""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import math

import gast

from ast_ad.rules import adjoint, d, nondifferentiable, tangent

# ---------------------------------------------------------------- arithmetic


@adjoint(gast.Add)
def add(z, x, y):
    d[x] = d[z]
    d[y] = d[z]


@tangent(gast.Add)
def add(z, x, y):
    d[z] = d[x] + d[y]


@adjoint(gast.Sub)
def sub(z, x, y):
    d[x] = d[z]
    d[y] = -d[z]


@tangent(gast.Sub)
def sub(z, x, y):
    d[z] = d[x] - d[y]


@adjoint(gast.Mult)
def mul(z, x, y):
    d[x] = d[z] * y
    d[y] = d[z] * x


@tangent(gast.Mult)
def mul(z, x, y):
    d[z] = d[x] * y + x * d[y]


@adjoint(gast.Div)
def div(z, x, y):
    d[x] = d[z] / y
    d[y] = -d[z] * z / y


@tangent(gast.Div)
def div(z, x, y):
    d[z] = (d[x] - z * d[y]) / y


@adjoint(gast.Pow, pow, math.pow)
def pow_(z, x, y):
    d[x] = d[z] * y * x ** (y - 1)
    d[y] = d[z] * z * log_of_base(x)


@tangent(gast.Pow, pow, math.pow)
def pow_(z, x, y):
    d[z] = d[x] * y * x ** (y - 1) + d[y] * z * log_of_base(x)


def log_of_base(x):
    """`log(x)` in the derivative of `x ** y` with respect to `y`, with JAX's conventions:
    0 at `x = 0`, where `x ** y` is 0 for every positive `y`, and nan for `x < 0`, where
    `x ** y` has no real derivative in `y`."""
    if x > 0:
        return math.log(x)
    return 0.0 if x == 0 else math.nan


@adjoint(log_of_base)
def log_of_base_(y, x):
    d[x] = d[y] / x


@tangent(log_of_base)
def log_of_base_(y, x):
    d[y] = d[x] / x


@adjoint(gast.Mod)
def mod(z, x, y):
    d[x] = d[z]
    d[y] = -d[z] * (x // y)


@tangent(gast.Mod)
def mod(z, x, y):
    d[z] = d[x] - d[y] * (x // y)


@adjoint(gast.USub)
def neg(y, x):
    d[x] = -d[y]


@tangent(gast.USub)
def neg(y, x):
    d[y] = -d[x]


# ---------------------------------------------------------------- non-differentiable

nondifferentiable(gast.FloorDiv, gast.BitAnd, gast.BitOr, gast.Eq, gast.NotEq, gast.Lt, gast.LtE,
                  gast.Gt, gast.GtE,
                  gast.Is, gast.IsNot, gast.In, gast.NotIn, gast.Not)
