"""Transform time: seconds for the first `differentiate(f)` of a function, against its size.

The functions are made up, with fixed seeds: straight-line code of random arithmetic and
`math` calls (`t5 = math.sin(t2) * t4 + 0.3`), a loop of such a body, chains `t = t + t`,
many conditional returns (in one branch, or on some paths of one), and deep loop nests. Each case runs in a process of its own,
after one warm-up transform of another function, under a time limit. Run:

    python benchmarks/bench_transform.py            # every size, writes the table and plot
    python benchmarks/bench_transform.py --quick    # the smallest sizes, writes nothing
    python benchmarks/bench_transform.py straight 100 300   # one kind, these sizes

It prints a table and the growth of each case (the slope of log time against log size),
and writes transform_time.md and transform_time.svg beside itself.
"""

import argparse
import linecache
import math
import pathlib
import platform
import random
import subprocess
import sys
import time

from plotting import loglog_svg

# kind -> the sizes it is timed at; the size is statements, returns or loop depth.
SIZES = {"straight": (100, 300, 1000, 3000), "loop": (100, 300, 1000, 3000),
         "second": (30, 100, 300, 1000), "chain": (100, 300, 1000, 3000),
         "returns": (20, 40, 80), "partial": (8, 16, 32), "nest": (2, 6, 18)}
QUICK = {"straight": (100,), "loop": (100,), "second": (100,), "chain": (100,),
         "returns": (20,), "partial": (8,), "nest": (6,)}
MODES = {"straight": ("reverse", "forward"), "loop": ("reverse", "forward"),
         "second": ("reverse",), "chain": ("reverse", "forward"),
         "returns": ("reverse", "forward"), "partial": ("reverse", "forward"),
         "nest": ("reverse", "forward")}
# The bounds, in seconds: kind -> {size: bound}.
BOUNDS = {"straight": {100: 0.1, 1000: 1.0}, "loop": {100: 0.2}, "second": {100: 0.5}}
LIMIT = 600.0  # seconds a case may run before it is stopped and reported as too slow
PARAMETERS = ("x", "y", "z")


# ---------------------------------------------------------------- the functions


def _operand(rng, names):
    """An earlier name, most often a recent one, or a parameter."""
    if rng.random() < 0.7:
        return rng.choice(names[-8:])
    return rng.choice(names)


def _expression(rng, names):
    a, b, c = (_operand(rng, names) for _ in range(3))
    k = round(rng.uniform(0.1, 0.9), 1)
    return rng.choice([
        f"math.sin({a}) * {b} + {k}", f"{a} * {b} - math.cos({c})",
        f"math.tanh({a} + {b}) * {c}", f"math.exp(math.sin({a})) - {b} * {k}",
        f"{a} / (2.0 + math.cos({b}))", f"math.log(1.0 + {a} * {a}) + {b}",
        f"math.sqrt(1.0 + {a} * {a}) * {k} - {b}", f"({a} + {b}) * {k} + math.atan({c})"])


def _statements(rng, count, names, indent="    "):
    """`count` assignments `t<i> = <expression>`, each reading names before it."""
    lines = []
    for _ in range(count):
        name = f"t{len(names) - len(PARAMETERS) + 1}"
        lines.append(f"{indent}{name} = {_expression(rng, names)}")
        names.append(name)
    return lines


def straight(n, rng):
    names = list(PARAMETERS)
    body = _statements(rng, n, names)
    return body + [f"    return {names[-1]} * {names[-2]} + {names[-3]}"]


def loop(n, rng):
    """A loop over range(k) whose body has `n` statements and carries `s`."""
    names = list(PARAMETERS) + ["s"]
    body = _statements(rng, n - 1, names, indent="        ")
    return ["    s = x", "    for i in range(k):"] + body + \
        [f"        s = s * 0.5 + {names[-1]} * {names[-2]}", "    return s"]


def chain(n, rng):
    return ["    t = x * y"] + ["    t = t + t"] * (n - 1) + ["    return t * z"]


def returns(n, rng):
    """`n` conditional returns `if x > k: return ...`, then one more."""
    lines = ["    t = x * y"]
    for k in range(n):
        lines += [f"    if x > {k / n:.4f}:",
                  f"        return t * {_expression(rng, list(PARAMETERS) + ['t'])}",
                  f"    t = t + math.sin(t) * {round(rng.uniform(0.1, 0.9), 1)}"]
    return lines + ["    return t"]


def partial(n, rng):
    """`n` returns each on some paths of one branch, `if x > k: if y > k: return ...`: the
    code after such an `if` once went into both of its branches."""
    lines = ["    t = x * y"]
    for k in range(n):
        lines += [f"    if x > {k / n:.4f}:", f"        if y > {k / n:.4f}:",
                  f"            return t * {_expression(rng, list(PARAMETERS) + ['t'])}",
                  f"    t = t + math.sin(t) * {round(rng.uniform(0.1, 0.9), 1)}"]
    return lines + ["    return t"]


def nest(depth, rng):
    """`depth` nested loops, each adding to a carried value and doing some work."""
    lines = ["    s = x"]
    for level in range(depth):
        indent = "    " * (level + 1)
        lines += [f"{indent}for i{level} in range(k):",
                  f"{indent}    s = s * {round(rng.uniform(0.1, 0.9), 1)} + math.sin(s) * y"]
    return lines + ["    return s"]


KINDS = {"straight": straight, "loop": loop, "second": straight, "chain": chain,
         "returns": returns, "partial": partial, "nest": nest}


def build(kind, n, seed=0):
    """The function of this kind and size, compiled from source that inspect can find."""
    rng = random.Random(f"{kind} {n} {seed}")
    name = f"{kind}_{n}"
    text = "\n".join([f"def {name}(x, y, z, k=3):"] + KINDS[kind](n, rng)) + "\n"
    filename = f"<bench_transform {name} {seed}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    scope = {"math": math}
    exec(compile(text, filename, "exec"), scope)
    return scope[name]


# ---------------------------------------------------------------- timing


def time_one(kind, n, mode):
    """Seconds of the first transform of the function, after a warm-up of another."""
    from ast_ad import differentiate

    differentiate(build("straight", 10, seed=1), wrt=(0, 1), mode=mode)
    f = build(kind, n)
    start = time.perf_counter()
    if kind == "second":
        differentiate(differentiate(f))
    else:
        differentiate(f, wrt=(0, 1), mode=mode)
    return time.perf_counter() - start


def time_in_own_process(kind, n, mode, limit):
    """`time_one` in a fresh interpreter; None if it ran past `limit` seconds, or failed
    (the error's last line is printed)."""
    command = [sys.executable, __file__, "--one", kind, str(n), mode]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit,
                              check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        print(f"{kind} {n} {mode} failed: {error.stderr.strip().splitlines()[-1]}")
        return None
    return float(done.stdout.split()[-1])


def slope(times):
    """The log-log slope of time against size, from the first size to the last timed."""
    timed = [(n, t) for n, t in times if t is not None]
    if len(timed) < 2:
        return None
    (n0, t0), (n1, t1) = timed[0], timed[-1]
    return math.log(t1 / t0) / math.log(n1 / n0)


def run(sizes, limit):
    """{(kind, mode): [(size, seconds or None)]}, printed as it goes."""
    results = {}
    for kind, ns in sizes.items():
        for mode in MODES[kind]:
            times = []
            for n in ns:
                if times and times[-1][1] is None:
                    times.append((n, None))  # a smaller size already ran out of time
                    continue
                seconds = time_in_own_process(kind, n, mode, limit)
                times.append((n, seconds))
                shown = f"{seconds:9.3f} s" if seconds is not None else f"> {limit:.0f} s"
                print(f"{kind:9s} {mode:8s} {n:6d} {shown}{_verdict(kind, n, seconds)}",
                      flush=True)
            results[kind, mode] = times
            growth = slope(times)
            if growth is not None:
                print(f"{kind:9s} {mode:8s} slope {growth:.2f}", flush=True)
    return results


def _verdict(kind, n, seconds):
    bound = BOUNDS.get(kind, {}).get(n)
    if bound is None:
        return ""
    return f"  (bound {bound} s: {'ok' if seconds is not None and seconds <= bound else 'TOO SLOW'})"


# ---------------------------------------------------------------- reporting


_TITLES = {"straight": "straight-line code, n statements",
           "loop": "a loop whose body has n statements",
           "second": "second derivative of straight-line code, n statements",
           "chain": "a chain `t = t + t`, n statements",
           "returns": "n conditional returns",
           "partial": "n ifs that return on some paths of both branches",
           "nest": "n nested loops"}


def table(results, limit):
    """The results as a Markdown table, with the machine's Python."""
    lines = [f"Transform time in seconds (Python {platform.python_version()}, "
             f"{platform.machine()}); `>` ran past the {limit:.0f} s limit."]
    for kind in KINDS:
        rows = [(mode, times) for (k, mode), times in results.items() if k == kind]
        if not rows:
            continue
        sizes = [n for n, _ in rows[0][1]]
        lines += ["", f"**{_TITLES[kind]}**", "",
                  "| mode | " + " | ".join(f"n = {n}" for n in sizes) + " | slope |",
                  "|---|" + "---:|" * (len(sizes) + 1)]
        for mode, times in rows:
            cells = [f"{t:.3f}" if t is not None else f"> {limit:.0f}" for _, t in times]
            growth = slope(times)
            cells.append(f"{growth:.2f}" if growth is not None else "")
            lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_COLOURS = {"reverse": "#1f77b4", "forward": "#d62728"}
_DASHES = {"straight": "", "loop": "6 4", "chain": "2 3", "second": "10 3 2 3",
           "returns": "1 5", "partial": "4 2 1 2", "nest": "12 6"}


def plot(results):
    """A log-log plot of each case's transform time against its size."""
    series = []
    for (kind, mode), times in results.items():
        points = [(n, t) for n, t in times if t is not None]
        if len(points) >= 2 and kind != "nest":
            series.append((points, _COLOURS[mode], f"{kind}, {mode}", _DASHES[kind]))
    return loglog_svg(series, "transform time in seconds against n (log-log)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", nargs="?", choices=sorted(KINDS))
    parser.add_argument("sizes", nargs="*", type=int)
    parser.add_argument("--quick", action="store_true", help="the smallest sizes only")
    parser.add_argument("--limit", type=float, default=LIMIT, help="seconds per case")
    parser.add_argument("--one", nargs=3, metavar=("KIND", "N", "MODE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one:
        kind, n, mode = options.one
        print(time_one(kind, int(n), mode))
        return
    sizes = QUICK if options.quick else SIZES
    if options.kind:
        sizes = {options.kind: options.sizes or SIZES[options.kind]}
    results = run(sizes, options.limit)
    if sizes is SIZES:
        here = pathlib.Path(__file__).parent
        (here / "transform_time.md").write_text(table(results, options.limit))
        (here / "transform_time.svg").write_text(plot(results))
        print("wrote transform_time.md and transform_time.svg")


if __name__ == "__main__":
    main()
