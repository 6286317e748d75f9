"""Gradient speed of two commits of ast_ad, side by side in one run.

Run: python benchmarks/compare_commits.py BASE [NEW] [--rounds 5]. BASE and NEW are git
revisions (NEW defaults to the work tree). Each is checked out into a temporary
worktree; rounds alternate between them, each round a fresh process per commit that
times our gradient against the hand-written one on the seed, loop and NumPy benchmarks
(`timing.side_by_side`). The table gives, per workload, the median over rounds of the
ratio ours / hand-written for each commit, and NEW's ratio over BASE's.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent

# Runs in a child process whose sys.path starts with one commit's tree.
CHILD = r"""
import json, math, sys
sys.path.insert(1, BENCHMARKS)
import ast_ad
assert ast_ad.__file__.startswith(TREE), ast_ad.__file__
import numpy as np
from ast_ad import differentiate
from timing import side_by_side
import bench_seed, bench_loops, bench_numpy

def ratio(function, hand, args, wrt=0):
    ours = differentiate(function, wrt=wrt)
    hand_time, our_time = side_by_side([lambda: hand(*args), lambda: ours(*args)])
    return our_time / hand_time

rng = np.random.default_rng(0)
X, y = rng.normal(size=(1000, 100)), rng.integers(0, 2, 1000).astype(float)
W1, b1 = rng.normal(size=(784, 256)) * 0.05, np.zeros(256)
W2, b2 = rng.normal(size=(256, 10)) * 0.05, np.zeros(10)
images, labels = rng.normal(size=(256, 784)), np.eye(10)[rng.integers(0, 10, 256)]
print(json.dumps({
    "seed": ratio(bench_seed.f, bench_seed.seed_grad, (2.0, 5.0), (0, 1)),
    "logistic map, 100 steps": ratio(bench_loops.logistic, bench_loops.logistic_sweep, (0.3,)),
    "sin-cos sum, 50 terms": ratio(bench_loops.trig_sum, bench_loops.trig_sum_sweep,
                                   (0.3, 0.7), (0, 1)),
    "logistic regression": ratio(bench_numpy.logistic_nll, bench_numpy.logistic_nll_grad,
                                 (rng.normal(size=100) * 0.1, X, y)),
    "MLP": ratio(bench_numpy.mlp_loss, bench_numpy.mlp_grad,
                 (W1, b1, W2, b2, images, labels), (0, 1, 2, 3)),
    "Rosenbrock": ratio(bench_numpy.rosenbrock, bench_numpy.rosenbrock_grad,
                        (rng.uniform(-1, 1, 10_000),)),
}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("new", nargs="?")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"base": _worktree(options.base, pathlib.Path(scratch) / "base")}
        trees["new"] = _worktree(options.new, pathlib.Path(scratch) / "new") \
            if options.new else HERE.parent
        try:
            results = {"base": [], "new": []}
            for _ in range(options.rounds):
                for which, tree in trees.items():
                    results[which].append(_measure(tree))
        finally:
            for which, tree in trees.items():
                if tree != HERE.parent:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)],
                                   cwd=HERE.parent, check=False)
    print(f"{'workload':26s} {'base':>7s} {'new':>7s} {'new/base':>9s}   "
          f"(ours / hand-written, medians of {options.rounds} rounds)")
    for workload in results["base"][0]:
        base = statistics.median(r[workload] for r in results["base"])
        new = statistics.median(r[workload] for r in results["new"])
        print(f"{workload:26s} {base:7.3f} {new:7.3f} {new / base:9.3f}")


def _worktree(revision, path):
    subprocess.run(["git", "worktree", "add", "--detach", str(path), revision],
                   cwd=HERE.parent, check=True, capture_output=True)
    return path


def _measure(tree):
    code = f"BENCHMARKS = {str(HERE)!r}\nTREE = {str(tree)!r}\n" + CHILD
    output = subprocess.run([sys.executable, "-c", code], cwd=HERE, check=True,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tree)}).stdout
    return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
