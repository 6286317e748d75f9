"""The one timer the benchmarks share: medians of repeated runs, each long enough to measure."""

import statistics
import time


def seconds(call, repeats=21, at_least=0.02):
    """Median wall time of one `call()`, over `repeats` samples of at least `at_least` s."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - start >= at_least:
            break
        number *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)
