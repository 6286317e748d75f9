"""The command line: `python -m tests.fuzz --programs N --seed S [--jobs J]`."""

import argparse
import os
import sys
import time

from tests.fuzz.runner import OUTCOMES


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz",
        description="Differential fuzzer of ast_ad: random programs over the supported "
                    "subset, each checked against autograd and finite differences.")
    parser.add_argument("--programs", type=int, default=100, help="how many programs")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed")
    parser.add_argument("--first", type=int, default=0, help="the first program's index")
    parser.add_argument("--index", type=int, help="replay this one program, in full")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--show", default="",
                        help="print the programs with these outcomes, e.g. wrong,crashed")
    parser.add_argument("--verbose", action="store_true",
                        help="print every program shown with all its checks")
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds one transformation or call may take")
    parser.add_argument("--numba", action="store_true",
                        help="also check the derivatives compiled by Numba, where Numba "
                             "compiles the program, against the Python ones")
    parser.add_argument("--reduce", action="store_true",
                        help="with --index: shrink a failing program, keeping its failure")
    args = parser.parse_args(argv)
    args.show = {o for o in args.show.split(",") if o}
    unknown = args.show - set(OUTCOMES) - {"all", "skipped"}
    if unknown:
        parser.error(f"--show takes {', '.join(OUTCOMES)} or all, not {', '.join(unknown)}")
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    # Every pass's output is checked against the IR's grammar, as in the test suite.
    os.environ.setdefault("AST_AD_VERIFY", "1")
    from tests.fuzz.report import program_text, summary_text
    from tests.fuzz.runner import run

    if args.reduce:
        from tests.fuzz.reduce import reduce_program
        if args.index is None:
            print("--reduce needs --index", file=sys.stderr)
            return 2
        print(reduce_program(args.seed, args.index, args.timeout))
        return 0
    first, count = (args.index, 1) if args.index is not None else (args.first, args.programs)
    shown = set(OUTCOMES) | {"skipped"} if "all" in args.show else args.show
    verbose = args.verbose or args.index is not None

    def on_result(result):
        if result.outcome in shown or (verbose and args.index is not None) or (
                args.verbose and not shown):
            print(program_text(result, verbose), flush=True)

    started = time.perf_counter()
    summary = run(args.seed, count, args.jobs, on_result, args.timeout, first, args.numba)
    print(f"({time.perf_counter() - started:.1f} s, seed {args.seed}, {args.jobs} jobs)")
    print(summary_text(summary))
    return 0
