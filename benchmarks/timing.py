"""The one timer the benchmarks share: medians of repeated runs, each long enough to measure."""

import statistics
import time


def seconds(call, repeats=21, at_least=0.02):
    """Median wall time of one `call()`, over `repeats` samples of at least `at_least` s."""
    return side_by_side([call], repeats, at_least)[0]


def side_by_side(calls, repeats=21, at_least=0.02):
    """The median wall time of each of `calls`, their samples taken in turn: a machine that
    speeds up or slows down during the run does so for all of them alike."""
    numbers = [_calls_per_sample(call, at_least) for call in calls]
    samples = [[] for _ in calls]
    for _ in range(repeats):
        for call, number, found in zip(calls, numbers, samples):
            start = time.perf_counter()
            for _ in range(number):
                call()
            found.append((time.perf_counter() - start) / number)
    return [statistics.median(found) for found in samples]


def _calls_per_sample(call, at_least):
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - start >= at_least:
            return number
        number *= 2
