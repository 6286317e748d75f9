"""What a run prints: chosen programs in full, then the failure classes, the refusals by
message, and last the outcome line."""

from tests.fuzz.checker import show_point

CHECK_ORDER = {name: i for i, name in enumerate(
    ["load", "program", "reverse", "reverse, parameters in a container", "forward",
     "forward, parameters in a container", "reverse wrt x",
     "forward over reverse", "reverse over reverse"])}


def program_text(result, verbose=False):
    """A program, its point, and what each of its checks found, for a replay."""
    if isinstance(result.seed, int):
        lines = [f"=== program {result.index} (seed {result.seed}): {result.outcome} ===",
                 f"replay: python -m tests.fuzz --seed {result.seed} --index {result.index}"
                 " --verbose"]
    else:
        lines = [f"=== {result.seed}: {result.outcome} ==="]
    lines += [result.source.rstrip(), ""]
    if result.point is not None:
        lines.append(f"point: {show_point(result.point)}   reference: {result.reference}")
    lines.append(f"second order: d/d{result.second_wrt} of df/dx")
    if verbose:
        lines += [f"note: {note}" for note in result.notes]
    for check in sorted(result.checks, key=lambda c: CHECK_ORDER.get(c.name, 0)):
        if check.outcome == "right" and not verbose:
            continue
        lines.append(f"  {check.name}: {check.outcome}" +
                     (f": {check.summary}" if check.summary else ""))
        if check.details and (verbose or check.outcome in ("wrong", "crashed")):
            lines += ["      " + line for line in check.details.rstrip().splitlines()]
    lines.append(f"({result.seconds:.2f} s)")
    return "\n".join(lines)


def summary_text(summary):
    lines = []
    if summary.failures:
        lines.append("wrong and crashed, by class (programs, first index):")
        for signature, count in summary.failures.most_common():
            lines.append(f"  {count:6d}  [{summary.examples[signature]}] {signature}")
    if summary.refusals:
        lines.append("refusals by message (programs):")
        for message, count in summary.refusals.most_common():
            lines.append(f"  {count:6d}  {message}")
    if summary.skipped:
        lines.append(f"skipped {len(summary.skipped)} programs with no point where autograd "
                     "and the differences agree; later indices took their place")
    lines.append(summary.last_line())
    return "\n".join(lines)
