"""Time of the seed function's generated gradient against a hand-written one and peers.

Run: python benchmarks/bench_seed.py. Every timing is the median of many repetitions,
all in this one process, side by side; ratios are to the hand-written gradient.
Peers (autograd, JAX) are timed when installed and skipped otherwise. Last, the time
to transform straight-line functions of 10 to 80 statements, optimized or not.
"""

import importlib.util
import math
import pathlib
import tempfile
import time

from timing import seconds

from ast_ad import differentiate

def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def seed_grad(x1, x2):
    return 1.0 / x1 + x2, x1 - math.cos(x2)


def peers():
    try:
        import autograd
        import autograd.numpy as anp

        def f_autograd(x1, x2):
            return anp.log(x1) + x1 * x2 - anp.sin(x2)

        yield "autograd", autograd.grad(f_autograd, argnum=(0, 1))
    except ImportError:
        print("autograd: not installed, skipped")
    try:
        import jax
        import jax.numpy as jnp

        def f_jax(x1, x2):
            return jnp.log(x1) + x1 * x2 - jnp.sin(x2)

        yield "jax.grad", jax.grad(f_jax, argnums=(0, 1))
        compiled = jax.jit(jax.grad(f_jax, argnums=(0, 1)))
        # JAX returns before it computes: wait, or the work spills into the next timing.
        yield "jax.jit(jax.grad)", lambda x1, x2: jax.block_until_ready(compiled(x1, x2))
    except ImportError:
        print("jax: not installed, skipped")


def main():
    start = time.perf_counter()
    gradient = differentiate(f, wrt=(0, 1))
    transform = time.perf_counter() - start
    assert all(abs(a - b) < 1e-12 for a, b in zip(gradient(2.0, 5.0), seed_grad(2.0, 5.0)))
    candidates = [("hand-written gradient", seed_grad), ("function f itself", f),
                  ("ast_ad gradient", gradient),
                  ("ast_ad forward, 2 sweeps", differentiate(f, wrt=(0, 1), mode="forward"))]
    candidates += list(peers())
    for _, function in candidates:  # warm up (and compile, for jax.jit)
        function(2.0, 5.0)
    times = {name: seconds(lambda fn=function: fn(2.0, 5.0))
             for name, function in candidates}
    hand = times["hand-written gradient"]
    print(f"first call of differentiate (transform): {transform * 1e3:.2f} ms")
    print(f"{'':28s} {'time':>10s} {'/ hand':>8s}")
    for name, elapsed in times.items():
        print(f"{name:28s} {elapsed * 1e9:8.0f} ns {elapsed / hand:8.2f}")
    return times


def transform_times(lengths=(10, 20, 40, 80)):
    """Seconds to transform a chain of `n` statements, each reading the last two."""
    print(f"\n{'statements':>10s} {'transform':>10s} {'optimized':>10s}")
    with tempfile.TemporaryDirectory() as folder:
        for n in lengths:
            lines = ["import math", "", "def chain(x, y):", "    t0 = x * y"]
            lines += [f"    t{i} = math.sin(t{i - 1} * y) + t{i - 1} * 0.5 - x * t{max(i - 2, 0)}"
                      for i in range(1, n)] + [f"    return t{n - 1}"]
            path = pathlib.Path(folder) / f"chain{n}.py"
            path.write_text("\n".join(lines) + "\n")
            spec = importlib.util.spec_from_file_location(f"chain{n}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            row = []
            for optimized in (False, True):
                start = time.perf_counter()
                differentiate(module.chain, wrt=(0, 1), optimized=optimized)
                row.append(time.perf_counter() - start)
            print(f"{n:10d} {row[0]:9.3f}s {row[1]:9.3f}s")


if __name__ == "__main__":
    main()
    transform_times()
