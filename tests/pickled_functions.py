"""Functions at module level, importable in other processes: the ones the pickling tests
send to workers."""

import math

import numpy as np


def survey(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def energy(w, x):
    z = np.tanh(x @ w)
    return np.sum(z * z) + 0.5 * np.sum(w * w) + math.sin(w[0])  # checked to be a scalar


def with_aux(x1, x2):
    value = survey(x1, x2)
    return value, {"value": value}
