"""A Numba function in, a Numba function out: the gradient of a loop over an array,
compiled by Numba, with the array's adjoint added into in place.

Run: python examples/compiled.py (with the `numba` extra installed).
"""

import time

import numba
import numpy as np

from ast_ad import differentiate, source


@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def best_of(call, repeats=5, number=200):
    """The least time of one call, in microseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            call()
        times.append((time.perf_counter() - start) / number)
    return min(times) * 1e6


gradient = differentiate(rosenbrock)
print(source(gradient))
x = np.linspace(-1.0, 1.5, 1000)
compiled, in_python = gradient(x), differentiate(rosenbrock.py_func)(x)
print(f"a {type(gradient).__name__}; equal to the Python gradient to 1e-12: "
      f"{np.allclose(compiled, in_python, rtol=1e-12, atol=0.0)}")
f_time, gradient_time = best_of(lambda: rosenbrock(x)), best_of(lambda: gradient(x))
print(f"f: {f_time:.1f} us, its compiled gradient: {gradient_time:.1f} us")
