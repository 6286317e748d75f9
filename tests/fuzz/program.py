"""One random program: module-level helpers and the function `f` the fuzzer differentiates,
with the points where it is checked.

A program is a pure function of `(seed, index)`, so any one can be written again for a
replay. `f` takes the scalars `x` and `y` (and, in NumPy programs, sometimes an array `w`),
which are differentiated, and may take parameters that are not: `n` (an int for loop
bounds), `rng` (a `random.Random`), `gen` (a NumPy Generator), `log` (a list it appends
to) and `logger` (a `logging.Logger`). Each call gets them afresh, seeded, so that a
program that draws random numbers is a function of its differentiated arguments.
"""

import io
import logging
import random
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from tests.fuzz import expressions, statements  # noqa: F401  (they register the grammar)
from tests.fuzz.writer import Features, Helper, Writer

PAIRS = ((0.5, 1.0), (1.5, -0.5), (-0.25, 2.0))  # data the module holds
HEADER = ("import collections\nimport functools\nimport math\nimport random\n\n"
          "import numpy as np\n\n"
          f"from ast_ad import stop_gradient\n\nPAIRS = {PAIRS!r}\n")
RANDOM_SEED = 20240601
EXTRAS = {"n": 0.3, "rng": 0.12, "gen": 0.06, "log": 0.1, "logger": 0.05, "cfg": 0.08}
CONFIG = {"a": 0.5, "b": -1.25, "c": 2.0}  # the dict `cfg` the function reads, not differentiated
PARAMS_VARIANT = 0.2  # programs that also write f as taking its parameters in a dict or list
PAIRS_RETURNED = 0.25  # helpers that return a pair, unpacked where they are called
DIFFERENTIATED = ("x", "y", "w")
# How helpers are decorated: plainly, by decorators ast_ad sees through, as methods.
DECORATIONS = {"plain": 14, "lru_cache": 1.5, "cache": 1, "wrapper": 1, "staticmethod": 1.5,
               "classmethod": 0.5, "method": 1.5}
WRAPPER = '''def scaled(function):
    """A decorator whose wrapper passes its arguments on."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return 2.0 * function(*args, **kwargs)
    return wrapper
'''


class CapturedLogger(logging.Logger):
    """A logger of its own (not in logging's registry) writing to a string."""

    def __init__(self):
        super().__init__("fuzz", logging.INFO)
        self.stream = io.StringIO()
        self.addHandler(logging.StreamHandler(self.stream))


@dataclass
class Program:
    seed: int
    index: int
    body: str
    differentiated: list
    extras: list
    second_wrt: str
    array_length: int
    fixed_points: list = field(repr=False, default=None)

    @property
    def source(self):
        return HEADER + "\n\n" + self.body

    @property
    def module_name(self):
        return f"fuzz_{self.seed}_{self.index}"

    @property
    def parameters(self):
        return self.differentiated + self.extras

    def points(self, count):
        """`count` points, each a dict of the parameters' values; the first is the main one."""
        if self.fixed_points is not None:
            return [dict(p) for p in self.fixed_points]
        rng = random.Random(f"point {self.seed} {self.index}")
        return [self._point(rng) for _ in range(count)]

    def _point(self, rng):
        point = {}
        for name in self.differentiated:
            if name == "w":
                point[name] = np.array([round(rng.uniform(-1.5, 1.5), 3)
                                        for _ in range(self.array_length)])
            else:
                point[name] = round(rng.uniform(-1.5, 1.5), 3)
        if "n" in self.extras:
            point["n"] = rng.randint(0, 3)
        return point

    def arguments(self, point):
        """Fresh positional arguments at `point`, for one call: new seeded generators, an
        empty log and logger; `random` itself is seeded again too."""
        random.seed(RANDOM_SEED)
        made = {"rng": lambda: random.Random(RANDOM_SEED),
                "gen": lambda: np.random.default_rng(RANDOM_SEED),
                "log": list, "logger": CapturedLogger, "cfg": lambda: dict(CONFIG)}
        return [made[name]() if name in made else _copy(point[name])
                for name in self.parameters]


def written(name, body, point, second_wrt="x"):
    """A program written by hand, such as a bug's reproduction: `def f` takes `x` first,
    then any of `y`, `w` (differentiated) and the extras; it is checked at `point`."""
    body = textwrap.dedent(body).lstrip("\n")
    parameters = re.search(r"^def f\((.*)\):", body, re.M).group(1).split(", ")
    differentiated = [p for p in parameters if p in DIFFERENTIATED]
    extras = [p for p in parameters if p not in differentiated]
    length = len(point["w"]) if "w" in point else 3
    return Program(name, 0, body, differentiated, extras, second_wrt, length,
                   fixed_points=[point])


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def generate(seed, index):
    """The program number `index` of the run seeded with `seed`."""
    rng = random.Random(f"program {seed} {index}")
    features = _features(rng)
    helpers, sources = [], []
    for number in range(rng.choices([0, 1, 2], [0.55, 0.3, 0.15])[0]):
        helper, source = _helper(rng, features, f"h{number + 1}", helpers)
        helpers.append(helper)
        sources.append(source)
    sources.append(_main_source(rng, features, helpers))
    if any("@scaled" in s for s in sources):
        sources.insert(0, WRAPPER)
    differentiated = ["x", "y"] + (["w"] if features.array_parameter else [])
    chance = random.Random(f"params {seed} {index}")
    if chance.random() < PARAMS_VARIANT and sources[-1].startswith("def f("):
        sources.append(_with_parameters_in_a_container(
            sources[-1], differentiated,
            chance.choice(["dict", "list", "fields", "dict through a helper",
                           "dict looped over"])))
    return Program(seed, index, "\n\n".join(sources), differentiated, list(features.extras),
                   second_wrt=rng.choice(differentiated), array_length=features.array_length)


def _with_parameters_in_a_container(source, differentiated, kind):
    """`f` again, as `f_params(params, ...)`, which reads x, y (and w) from a dict, itself,
    by a helper it passes the dict to or by loops over its views, a list it unpacks
    (`x, y = params`) or the fields of a namedtuple (`params.x`)."""
    header, _, body = source.partition("\n")
    rest = header[len("def f("):-len("):")].split(", ")[len(differentiated):]
    keys = ", ".join(f'params["{name}"]' for name in differentiated)
    looped = ", ".join(f'sum(v for k, v in params.items() if k == "{name}")' if i % 2 == 0
                       else f'sum(params[k] for k in params.keys() if k == "{name}")'
                       for i, name in enumerate(differentiated))
    reads = {"list": "params", "dict": keys, "dict through a helper": "read_params(params)",
             "fields": ", ".join(f"params.{name}" for name in differentiated),
             "dict looped over": looped}[kind]
    made = f'FParams = collections.namedtuple("FParams", "{" ".join(differentiated)}")' \
        "\n\n\n" if kind == "fields" else \
        f"def read_params(params):\n    return {keys}\n\n\n" if kind.endswith("helper") else ""
    return (f"{made}def f_params({', '.join(['params'] + rest)}):\n"
            f"    {', '.join(differentiated)} = {reads}\n{body}")


def _features(rng):
    numpy = rng.random() < 0.3
    return Features(numpy=numpy, array_length=rng.choice([2, 3, 4]),
                    array_parameter=numpy and rng.random() < 0.6,
                    extras=tuple(name for name, p in EXTRAS.items() if rng.random() < p),
                    module_random=rng.random() < 0.06,
                    printing=rng.random() < 0.1)


def _helper(rng, features, name, earlier):
    """A helper of scalars (one may be an int for its loops, or a list), decorated or not."""
    kinds = rng.choice([("scalar", "scalar")] * 3 + [("scalar", "scalar", "int"),
                                                      ("list", "scalar")])
    names = {("list", "scalar"): ["ps", "q"]}.get(kinds, ["p", "q", "k"][:len(kinds)])
    decoration = rng.choices(list(DECORATIONS), list(DECORATIONS.values()))[0]
    if "list" in kinds and decoration in ("lru_cache", "cache"):
        decoration = "plain"  # a list is no key of a cache
    # A cached helper runs once for the same arguments: its prints would not repeat.
    cached = decoration in ("lru_cache", "cache")
    helper_features = Features(printing=features.printing and not cached)
    returns = 2 if decoration != "wrapper" and rng.random() < PAIRS_RETURNED else 1
    writer = Writer(rng, helper_features, budget=_budget(rng, 2, 7), in_helper=True,
                    helpers=earlier, returns=returns)
    for parameter, kind in zip(names, kinds):
        writer.define(parameter, kind, length=1)
        if kind == "list":
            writer.frozen.add(parameter)
    _statements(writer)
    writer.line(f"return {writer.returned()}")
    body = "\n".join(writer.lines) + "\n"
    return _decorated(name, names, kinds, body, decoration, returns)


def _decorated(name, names, kinds, body, decoration, returns=1):
    if decoration == "method":  # of an instance the module holds, reading its attribute
        owner, instance = name.upper(), f"{name}_ops"
        text = (f"class {owner}:\n    bias = 0.5\n\n"
                f"    def {name}(self, {', '.join(names)}):\n"
                + textwrap.indent(body.replace("return ", "return self.bias * 0.0 + ", 1)
                                  if body.count("return ") == 1 else body, "    ")
                + f"\n\n{instance} = {owner}()\n")
        return Helper(f"{instance}.{name}", kinds, returns), text
    if decoration in ("staticmethod", "classmethod"):
        owner = name.upper()
        first = ["cls"] if decoration == "classmethod" else []
        text = (f"class {owner}:\n    @{decoration}\n"
                f"    def {name}({', '.join(first + names)}):\n"
                + textwrap.indent(body, "    "))
        return Helper(f"{owner}.{name}", kinds, returns), text
    line = {"plain": "", "lru_cache": "@functools.lru_cache\n", "cache": "@functools.cache\n",
            "wrapper": "@scaled\n"}[decoration]
    return Helper(name, kinds, returns), f"{line}def {name}({', '.join(names)}):\n{body}"


def _main_source(rng, features, helpers):
    writer = Writer(rng, features, budget=_budget(rng, 4, 22), helpers=helpers)
    params = ["x", "y"] + (["w"] if features.array_parameter else []) + list(features.extras)
    for name in params:
        kind = {"w": "array", "n": "int"}.get(name, "scalar")
        if name in ("x", "y", "w", "n"):
            writer.define(name, kind)
    _statements(writer)
    live = rng.sample(writer.scalars(), min(len(writer.scalars()), rng.randint(1, 3)))
    writer.line(f"return {' + '.join(live + [writer.expression()])}")
    decoration = ""
    if rng.random() < 0.04:
        decoration = "@scaled\n"
    elif rng.random() < 0.03 and not features.extras and not features.array_parameter \
            and not features.printing and not features.module_random:
        decoration = "@functools.lru_cache\n"  # only where a cached call changes nothing
    return f"{decoration}def f({', '.join(params)}):\n" + "\n".join(writer.lines) + "\n"


def _budget(rng, least, most):
    """Lines to write: mostly few, sometimes up to `most`. Small programs check fast (the
    transformation's cost grows faster than the program) and make small reproductions."""
    return min(most, least + int(rng.expovariate(1 / 5)))


def _statements(writer):
    while writer.budget > 0:
        writer.statement()
