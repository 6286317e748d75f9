"""Runs many programs, in worker processes when asked, and sums up their outcomes.

A program with no point where autograd and the differences agree is skipped and the next
index takes its place, so a run of N programs always counts N.
"""

import multiprocessing
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field

from tests.fuzz.checker import SECONDS_PER_STEP, check_program
from tests.fuzz.loader import ProgramFiles
from tests.fuzz.program import generate

OUTCOMES = ("right", "wrong", "refused", "crashed")

_worker_files = None
_worker_seconds = SECONDS_PER_STEP
_worker_compiled = False


@dataclass
class Summary:
    programs: int = 0
    counts: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def add(self, result):
        if result.outcome == "skipped":
            self.skipped.append(result.index)
            return
        self.programs += 1
        self.counts[result.outcome] += 1
        for message in result.refusals():
            self.refusals[message] += 1
        for signature in sorted({c.signature for c in result.failures()}):
            self.failures[signature] += 1
            self.examples.setdefault(signature, result.index)

    def last_line(self):
        c = self.counts
        return (f"{self.programs} programs: {c['right']} right, {c['wrong']} wrong, "
                f"{c['refused']} refused, {c['crashed']} crashed")


def check_one(seed, index, seconds=SECONDS_PER_STEP):
    """The result of program `index` of the run seeded `seed`, in this process."""
    with ProgramFiles() as files:
        return check_program(generate(seed, index), files, seconds)


def run(seed, programs, jobs=1, on_result=None, seconds=SECONDS_PER_STEP, first=0,
        compiled=False):
    """Check `programs` programs from index `first`; `on_result` sees each result in order.
    With `compiled`, the derivatives Numba compiles are checked too."""
    summary = Summary()
    folder = tempfile.mkdtemp(prefix="ast_ad_fuzz_")
    pool = _pool(jobs, folder, seconds, compiled) if jobs > 1 else None
    try:
        pending, following = range(first, first + programs), first + programs
        while pending:
            for result in _results(pool, folder, seed, pending, seconds, compiled):
                summary.add(result)
                if on_result:
                    on_result(result)
            missing = programs - summary.programs
            if missing and len(summary.skipped) > programs:
                break  # nearly nothing has a reference: say so rather than go on
            pending = range(following, following + missing)
            following += missing
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        shutil.rmtree(folder, ignore_errors=True)
    return summary


def _pool(jobs, folder, seconds, compiled):
    context = multiprocessing.get_context("fork")
    return context.Pool(jobs, initializer=_start_worker, initargs=(folder, seconds, compiled))


def _start_worker(folder, seconds, compiled):
    global _worker_files, _worker_seconds, _worker_compiled
    _worker_files, _worker_seconds = ProgramFiles(folder), seconds
    _worker_compiled = compiled


def _check_in_worker(task):
    seed, index = task
    return check_program(generate(seed, index), _worker_files, _worker_seconds,
                         compiled=_worker_compiled)


def _results(pool, folder, seed, indices, seconds, compiled):
    if pool is None:
        files = ProgramFiles(folder)
        for index in indices:
            yield check_program(generate(seed, index), files, seconds, compiled=compiled)
        return
    yield from pool.imap(_check_in_worker, [(seed, i) for i in indices], chunksize=4)
