"""Compiled derivatives: the gradient of a Numba function, compiled by Numba, against the
compiled function, our Python gradient, `jax.jit(jax.grad)` and a hand-written Numba
gradient.

Run: python benchmarks/bench_numba.py (from the project root, with the `numba` extra;
JAX is timed where installed). Everything is timed as users call it, the dispatcher
called from Python, without `fastmath`, medians of many repetitions side by side, after
a first call that compiles. It prints the table, checks the issue's bounds, and writes
`numba.md` and `numba.svg` beside itself; the first-call (transform and compile)
times are in the table too.
"""

import math
import pathlib
import sys
import time

import numba
import numpy as np
from timing import side_by_side

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from ast_ad import differentiate  # noqa: E402
from tests.numba_workloads import H, WORKLOADS  # noqa: E402

HERE = pathlib.Path(__file__).parent
LOOPS = ("logistic map, 100 steps", "sin-cos loop, 50 terms", "RK4 pendulum, 200 steps",
         "Rosenbrock loop, n = 1000")


def jax_gradients():
    """`jax.jit(jax.grad)` of each workload, written as a JAX user writes it: loops of
    fixed length as `lax.fori_loop`, the sums and the Rosenbrock function vectorised."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("JAX: not installed, skipped")
        return {}
    jax.config.update("jax_enable_x64", True)

    def logistic(x):
        return jax.lax.fori_loop(0, 100, lambda _, x: 4.0 * x * (1.0 - x), x)

    def trig_sum(x, y):
        i = jnp.arange(50.0)
        return jnp.sum(jnp.sin(x * i) * jnp.cos(y + i))

    def pendulum(theta, omega):
        def step(_, state):
            theta, omega = state
            k1t, k1w = omega, -jnp.sin(theta)
            k2t, k2w = omega + 0.5 * H * k1w, -jnp.sin(theta + 0.5 * H * k1t)
            k3t, k3w = omega + 0.5 * H * k2w, -jnp.sin(theta + 0.5 * H * k2t)
            k4t, k4w = omega + H * k3w, -jnp.sin(theta + H * k3t)
            return (theta + H / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t),
                    omega + H / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w))
        return jax.lax.fori_loop(0, 200, step, (theta, omega))[0]

    def rosenbrock(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def mlp(w1, w2, x):
        return jnp.sum((jnp.tanh(x @ w1) @ w2) ** 2)

    made = {}
    for (name, (_, wrt, args, _)), function in zip(
            WORKLOADS.items(), (logistic, trig_sum, pendulum, rosenbrock, mlp)):
        gradient = jax.jit(jax.grad(function, argnums=wrt))
        jax_args = tuple(jnp.asarray(a) for a in args)
        made[name] = lambda g=gradient, a=jax_args: jax.block_until_ready(g(*a))
    return made


def first_call(make, args):
    """Seconds from nothing to a first result: the transform and Numba's compilation."""
    start = time.perf_counter()
    make()(*args)
    return time.perf_counter() - start


def measure():
    peers = jax_gradients()
    rows = []
    for name, (function, wrt, args, by_hand) in WORKLOADS.items():
        compiled, by_hand = numba.njit(function), numba.njit(by_hand)
        started = first_call(lambda: compiled, args)
        transform_and_compile = first_call(lambda: differentiate(compiled, wrt=wrt), args)
        ours = differentiate(compiled, wrt=wrt)
        python = differentiate(function, wrt=wrt)
        _check(name, ours(*args), python(*args), by_hand(*args))
        by_hand(*args)
        calls = {"compiled gradient": lambda: ours(*args), "compiled f": lambda: compiled(*args),
                 "Python gradient": lambda: python(*args),
                 "hand-written Numba gradient": lambda: by_hand(*args)}
        if name in peers:
            peers[name]()
            calls["jax.jit(jax.grad)"] = peers[name]
        times = dict(zip(calls, side_by_side(list(calls.values()))))
        rows.append((name, times, started, transform_and_compile))
        _print_row(name, times, started, transform_and_compile)
    return rows


def _check(name, ours, python, by_hand):
    """The compiled gradient equals the Python one to 1e-12 relative, and the hand-written
    one (other rounding) to 1e-9."""
    ours = ours if isinstance(ours, tuple) else (ours,)
    python = python if isinstance(python, tuple) else (python,)
    by_hand = by_hand if isinstance(by_hand, tuple) else (by_hand,)
    for got, expected, hand in zip(ours, python, by_hand):
        assert np.allclose(got, expected, rtol=1e-12, atol=0.0), name
        assert np.allclose(got, hand, rtol=1e-9, atol=1e-12), name


def _print_row(name, times, started, transform_and_compile):
    ours = times["compiled gradient"]
    print(f"\n{name}: compiled gradient {ours * 1e6:.2f} us "
          f"(first call {transform_and_compile:.2f} s; f's first call {started:.2f} s)")
    for label, elapsed in times.items():
        if label != "compiled gradient":
            print(f"  / {label:28s} {elapsed * 1e6:10.2f} us   ratio {ours / elapsed:8.3g}")


BOUNDS = [  # (what, the ratio's reference, the bound, whether it is an upper bound, rows)
    ("at most 3x the compiled f", "compiled f", 3.0, True, None),
    ("at least 10x faster than our Python gradient", "Python gradient", 0.1, True, LOOPS),
    ("at least 5x faster than jax.jit(jax.grad)", "jax.jit(jax.grad)", 0.2, True,
     ("logistic map, 100 steps", "RK4 pendulum, 200 steps")),
    ("within 1.5x of the hand-written Numba gradient", "hand-written Numba gradient", 1.5,
     True, None),
]


def bounds_met(rows):
    """(bound, workload, ratio, met, the hand-written gradient's own ratio or None): a
    bound the hand-written gradient misses too is one no compiled gradient is near."""
    met = []
    for what, reference, bound, _, names in BOUNDS:
        for name, times, *_ in rows:
            if (names is None or name in names) and reference in times:
                ratio = times["compiled gradient"] / times[reference]
                by_hand = times.get("hand-written Numba gradient")
                by_hand = by_hand / times[reference] \
                    if by_hand and reference != "hand-written Numba gradient" else None
                met.append((what, name, ratio, ratio <= bound, by_hand))
    return met


def _shown(ratio):
    return "-" if ratio is None else f"{ratio:.3g}"


def write_table(rows, met):
    references = ["compiled f", "Python gradient", "jax.jit(jax.grad)",
                  "hand-written Numba gradient"]
    lines = ["# Compiled derivatives", "",
             "Written by `bench_numba.py`. Ratios are the compiled gradient's time over each "
             "reference's (below 1: ours is faster); medians, side by side in one run.", "",
             "| workload | compiled gradient | " + " | ".join(f"/ {r}" for r in references) +
             " | first call: f | first call: gradient |",
             "|---" * (len(references) + 4) + "|"]
    for name, times, started, transform_and_compile in rows:
        ours = times["compiled gradient"]
        ratios = [f"{ours / times[r]:.3g}" if r in times else "-" for r in references]
        lines.append(f"| {name} | {ours * 1e6:.2f} us | " + " | ".join(ratios) +
                     f" | {started:.2f} s | {transform_and_compile:.2f} s |")
    lines += ["", "| bound | workload | ratio | met | the hand-written gradient's ratio |",
              "|---|---|---|---|---|"]
    lines += [f"| {what} | {name} | {ratio:.3g} | {'yes' if ok else 'NO'} | {_shown(hand)} |"
              for what, name, ratio, ok, hand in met]
    (HERE / "numba.md").write_text("\n".join(lines) + "\n")


def write_plot(rows):
    """Bars of each time over the compiled f's time, on a log scale, per workload."""
    labels = ["compiled gradient", "hand-written Numba gradient", "jax.jit(jax.grad)",
              "Python gradient"]
    colours = ["#1f77b4", "#2ca02c", "#d62728", "#7f7f7f"]
    width, height, left, top, bar = 760, 360, 70, 40, 16
    values = [times[label] / times["compiled f"] for _, times, *_ in rows for label in labels
              if label in times]
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))

    def y(value):
        return top + (high - math.log10(value)) / (high - low) * (height - top - 80)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="13">Time over the '
           'compiled function\'s time (log scale)</text>']
    for decade in range(low, high + 1):
        svg.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(10 ** decade):.1f}" '
                   f'y2="{y(10 ** decade):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(10 ** decade) + 4:.1f}" '
                   f'text-anchor="end">1e{decade}</text>')
    group = (width - left - 10) / len(rows)
    for k, (name, times, *_) in enumerate(rows):
        x0 = left + k * group + (group - bar * len(labels)) / 2
        for j, (label, colour) in enumerate(zip(labels, colours)):
            if label in times:
                value = times[label] / times["compiled f"]
                top_y, base = y(value), y(10 ** low)
                svg.append(f'<rect x="{x0 + j * bar:.1f}" y="{min(top_y, base):.1f}" '
                           f'width="{bar - 2}" height="{abs(base - top_y):.1f}" '
                           f'fill="{colour}"/>')
        svg.append(f'<text x="{left + (k + 0.5) * group:.1f}" y="{height - 60}" '
                   f'text-anchor="middle">{name.split(",")[0]}</text>')
    for j, (label, colour) in enumerate(zip(labels, colours)):
        svg.append(f'<rect x="{left + j * 170}" y="{height - 35}" width="12" height="12" '
                   f'fill="{colour}"/><text x="{left + j * 170 + 16}" y="{height - 25}">'
                   f'{label}</text>')
    svg.append("</svg>")
    (HERE / "numba.svg").write_text("\n".join(svg) + "\n")


def main():
    rows = measure()
    met = bounds_met(rows)
    print("\nbounds:")
    for what, name, ratio, ok, hand in met:
        print(f"  {'met ' if ok else 'NOT '} {what}: {name}: {ratio:.3g}"
              f" (hand-written: {_shown(hand)})")
    write_table(rows, met)
    write_plot(rows)


if __name__ == "__main__":
    main()
