"""Time of the seed function's generated gradient against a hand-written one and peers.

Run: python benchmarks/bench_seed.py. Every timing is the median of many repetitions,
all in this one process, side by side; ratios are to the hand-written gradient.
Peers (autograd, JAX) are timed when installed and skipped otherwise.
"""

import math
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
        yield "jax.jit(jax.grad)", jax.jit(jax.grad(f_jax, argnums=(0, 1)))
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


if __name__ == "__main__":
    main()
