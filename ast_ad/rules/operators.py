"""Rules for Python's arithmetic operators and comparisons."""

# ruff: noqa: F811 - a primitive's reverse and forward templates share its name
import math

import gast

from ast_ad.rules import adjoint, d, nondifferentiable, tangent
from ast_ad.runtime.scalars import log_of_base

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
