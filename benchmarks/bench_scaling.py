"""Cost of a gradient as the number of inputs grows: reverse mode against forward mode.

For f: R^n -> R (a loop over a list of n floats, and the same on a NumPy array), one
reverse sweep gives the whole
gradient, so its time over f's time stays bounded; forward mode needs one tangent sweep
per input, so the gradient costs n sweeps and the ratio grows with n. Run:
python benchmarks/bench_scaling.py. It prints the table and writes scaling.svg beside
itself. For n = 10,000 the n forward sweeps are estimated from one sweep times n
(measuring them would take minutes); smaller n are measured in full.
"""

import math
import pathlib
import random

import numpy as np
from plotting import loglog_svg
from timing import seconds

from ast_ad import differentiate

SIZES = (10, 100, 1000, 10000)
MEASURED_IN_FULL = 1000  # above this, n forward sweeps = one sweep times n


def f(xs):
    s = 0.0
    for x in xs:
        s = s + math.sin(x) * x
    return s


def forward_gradient(tangent, xs):
    """The gradient by forward mode: one sweep along each unit direction."""
    unit = [0.0] * len(xs)
    gradient = []
    for i in range(len(xs)):
        unit[i] = 1.0
        gradient.append(tangent(xs, xs_dot=unit))
        unit[i] = 0.0
    return gradient


def main():
    gradient = differentiate(f)
    tangent = differentiate(f, mode="forward")
    rng = random.Random(0)
    rows = []
    print(f"{'n':>6} {'f':>10} {'reverse':>10} {'/ f':>6} {'forward (n sweeps)':>20} {'/ f':>9}")
    for n in SIZES:
        xs = [rng.uniform(-2, 2) for _ in range(n)]
        if n <= 100:
            assert all(abs(a - b) < 1e-12 for a, b in
                       zip(gradient(xs), forward_gradient(tangent, xs)))
        f_time = seconds(lambda: f(xs))
        reverse_time = seconds(lambda: gradient(xs))
        if n <= MEASURED_IN_FULL:
            forward_time, note = seconds(lambda: forward_gradient(tangent, xs), 3), ""
        else:
            unit = [0.0] * n
            unit[0] = 1.0
            forward_time, note = seconds(lambda: tangent(xs, xs_dot=unit), 3) * n, " (est.)"
        rows.append((n, reverse_time / f_time, forward_time / f_time))
        print(f"{n:>6} {f_time * 1e6:8.1f}us {reverse_time * 1e6:8.1f}us "
              f"{reverse_time / f_time:6.2f} {forward_time * 1e3:15.2f} ms{note:6s} "
              f"{forward_time / f_time:9.1f}")
    array_rows = numpy_version(rng)
    path = pathlib.Path(__file__).with_name("scaling.svg")
    path.write_text(svg_plot(rows, array_rows))
    print(f"plot: {path.name}")


def f_numpy(x):
    return np.sum(np.sin(x) * x)


def numpy_version(rng):
    """The same function on a NumPy array: one reverse sweep against the forward-mode
    gradient, which `tangent(x)` (no seed) computes by one sweep along each element."""
    gradient = differentiate(f_numpy)
    tangent = differentiate(f_numpy, mode="forward")
    rows = []
    print("\nNumPy version: forward mode's whole gradient, tangent(x), is n sweeps")
    print(f"{'n':>6} {'f':>10} {'reverse':>10} {'/ f':>6} {'forward (n sweeps)':>20} {'/ f':>9}")
    for n in SIZES:
        x = np.array([rng.uniform(-2, 2) for _ in range(n)])
        if n <= 100:
            assert np.allclose(gradient(x), tangent(x), rtol=1e-12, atol=1e-12)
        f_time = seconds(lambda: f_numpy(x))
        reverse_time = seconds(lambda: gradient(x))
        if n <= MEASURED_IN_FULL:
            forward_time, note = seconds(lambda: tangent(x), 3), ""
        else:
            unit = np.zeros(n)
            unit[0] = 1.0
            forward_time, note = seconds(lambda: tangent(x, x_dot=unit), 3) * n, " (est.)"
        rows.append((n, reverse_time / f_time, forward_time / f_time))
        print(f"{n:>6} {f_time * 1e6:8.1f}us {reverse_time * 1e6:8.1f}us "
              f"{reverse_time / f_time:6.2f} {forward_time * 1e3:15.2f} ms{note:6s} "
              f"{forward_time / f_time:9.1f}")
    return rows


def svg_plot(rows, array_rows=()):
    """A log-log plot of gradient time over f's time against n, as SVG text."""
    series = [(rows, 1, "#1f77b4", "reverse, list", ""),
              (rows, 2, "#d62728", "forward, list", ""),
              (array_rows, 1, "#1f77b4", "reverse, NumPy", "6 4"),
              (array_rows, 2, "#d62728", "forward, NumPy", "6 4")]
    return loglog_svg([([(row[0], row[column]) for row in data], colour, label, dash)
                       for data, column, colour, label, dash in series if data],
                      "gradient time / f time, f: R^n -> R (log-log)")


if __name__ == "__main__":
    main()
