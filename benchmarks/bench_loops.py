"""Gradients through loops on Python floats: ast_ad against hand-written sweeps and peers.

Run: python benchmarks/bench_loops.py. Medians of many repetitions, side by side in
one process. Ratios are our gradient's time over each reference's.
"""

import math
import pathlib
import sys

from timing import side_by_side

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from ast_ad import differentiate  # noqa: E402
from tests.numba_workloads import logistic, trig_sum  # noqa: E402 - the same workloads
from tests.numba_workloads import trig_sum_by_hand as trig_sum_sweep  # noqa: E402


def logistic_sweep(x):
    xs = []
    for _ in range(100):
        xs.append(x)
        x = 4.0 * x * (1.0 - x)
    x_bar = 1.0
    for _ in range(100):
        x = xs.pop()
        x_bar = x_bar * (4.0 - 8.0 * x)
    return x_bar


def logistic_forward(x):
    x_dot = 1.0
    for _ in range(100):
        x_dot = x_dot * (4.0 - 8.0 * x)
        x = 4.0 * x * (1.0 - x)
    return x_dot


def trig_sum_forward(x, y):
    dx = dy = 0.0
    for i in range(50):
        a, b = x * i, y + i
        dx += math.cos(a) * i * math.cos(b)
        dy -= math.sin(a) * math.sin(b)
    return dx, dy


def autograd_versions():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        print("autograd: not installed, skipped")
        return {}

    def logistic_ag(x):
        for _ in range(100):
            x = 4.0 * x * (1.0 - x)
        return x

    def trig_sum_ag(x, y):
        s = 0.0
        for i in range(50):
            s = s + anp.sin(x * i) * anp.cos(y + i)
        return s

    return {"logistic": autograd.grad(logistic_ag),
            "trig_sum": autograd.grad(trig_sum_ag, argnum=(0, 1))}


def compare(name, args, ours, references):
    assert all(abs(a - b) < 1e-9 * max(1.0, abs(b)) for a, b in
               zip(_tuple(ours(*args)), _tuple(references["hand-written sweep"](*args))))
    ours_time, *times = side_by_side([lambda: ours(*args)] +
                                     [lambda f=f: f(*args) for f in references.values()])
    print(f"\n{name}: ast_ad gradient {ours_time * 1e6:.1f} us")
    for label, elapsed in zip(references, times):
        print(f"  / {label:24s} {elapsed * 1e6:9.1f} us   ratio {ours_time / elapsed:8.3g}")


def _tuple(value):
    return value if isinstance(value, tuple) else (value,)


def main():
    peers = autograd_versions()
    logistic_refs = {"function": logistic, "hand-written sweep": logistic_sweep,
                     "hand-written forward": logistic_forward}
    trig_refs = {"function": trig_sum, "hand-written sweep": trig_sum_sweep,
                 "hand-written forward": trig_sum_forward}
    if peers:
        logistic_refs["autograd"] = peers["logistic"]
        trig_refs["autograd"] = peers["trig_sum"]
    compare("logistic map, n = 100, d/dx", (0.3,), differentiate(logistic), logistic_refs)
    compare("sum of sin(x i) cos(y + i), i < 50, d/dx and d/dy", (0.3, 0.7),
            differentiate(trig_sum, wrt=(0, 1)), trig_refs)


if __name__ == "__main__":
    main()
