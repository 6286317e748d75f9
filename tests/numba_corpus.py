"""The corpus through Numba: each function that Numba compiles, differentiated as a Numba
function, against its Python derivative.

Run: python -m tests.numba_corpus [--only NAME]. Its last line counts the functions whose
compiled derivative equals the Python one to 1e-12 relative (right), differs (wrong),
is refused with an ast_ad error (refused), and those Numba does not compile itself
(skipped). The test suite runs a fixed sample of it.
"""

import argparse
import collections
import sys
import warnings

import numba
import numpy as np

from ast_ad import differentiate
from ast_ad.errors import DifferentiationError
from tests.corpus import CORPUS

TOLERANCE = 1e-12


def check(function, args):
    """`(outcome, detail)` for one corpus function: its compiled derivative, in both
    modes, against the Python one."""
    compiled = numba.njit(function)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled(*args)
    except Exception as error:  # noqa: BLE001 - Numba refuses in many ways
        return "skipped", type(error).__name__
    for mode in ("reverse", "forward"):
        try:
            expected = differentiate(function, mode=mode)(*args)
        except DifferentiationError:
            continue
        try:
            got = differentiate(compiled, mode=mode)(*args)
        except DifferentiationError as error:
            return "refused", f"{mode}: {str(error).splitlines()[0]}"
        if not close(got, expected):
            return "wrong", f"{mode}: {got!r} != {expected!r}"
    return "right", ""


def close(got, expected):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.all(
        np.abs(got - expected) <= TOLERANCE * np.maximum(1.0, np.abs(expected))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="check only the corpus function of this name")
    parser.add_argument("--show", default="wrong,refused",
                        help="outcomes to list, by name (default: wrong,refused)")
    options = parser.parse_args(argv)
    counts = collections.Counter()
    for function, args in CORPUS:
        if options.only and function.__name__ != options.only:
            continue
        outcome, detail = check(function, args)
        counts[outcome] += 1
        if outcome in options.show.split(","):
            print(f"{outcome}: {function.__name__}: {detail}")
    print(f"{sum(counts.values())} functions: {counts['right']} right, {counts['wrong']} "
          f"wrong, {counts['refused']} refused, {counts['skipped']} skipped")
    return 1 if counts["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
