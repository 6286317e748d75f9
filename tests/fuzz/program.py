"""One random program: module-level helpers and the function `f` the fuzzer differentiates,
with the point where it is checked.

A program is a pure function of `(seed, index)`, so any one can be written again for a
replay. `f` takes the scalars `x` and `y` (and, in NumPy programs, sometimes an array `w`),
which are differentiated, and may take `n` (an int for loop bounds), `rng` (a
`random.Random`, seeded afresh for every call) and `log` (a list it appends to).
"""

import random
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from tests.fuzz import expressions, statements  # noqa: F401  (they register the grammar)
from tests.fuzz.writer import Features, Helper, Writer

HEADER = "import math\nimport random\n\nimport numpy as np\n"
RANDOM_SEED = 20240601


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
        """Fresh positional arguments at `point`: a new seeded `rng` and an empty `log`."""
        made = {"rng": lambda: random.Random(RANDOM_SEED), "log": list}
        return [made[name]() if name in made else _copy(point[name])
                for name in self.parameters]


def written(name, body, point, second_wrt="x"):
    """A program written by hand, such as a bug's reproduction: `def f` takes `x` first,
    then any of `y`, `w` (differentiated) and `n`, `rng`, `log`; it is checked at `point`."""
    body = textwrap.dedent(body).lstrip("\n")
    parameters = re.search(r"^def f\((.*)\):", body, re.M).group(1).split(", ")
    differentiated = [p for p in parameters if p in ("x", "y", "w")]
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
    helpers = []
    for number in range(len(features.helpers)):
        kinds = features.helpers[number]
        helper = Helper(f"h{number + 1}", kinds)
        helpers.append((helper, _helper_source(rng, features, helper, helpers)))
    main = _main_source(rng, features, [h for h, _ in helpers])
    differentiated = ["x", "y"] + (["w"] if features.array_parameter else [])
    extras = ([("n")] if features.count_parameter else []) + \
        (["rng"] if features.random_parameter else []) + \
        (["log"] if features.log_parameter else [])
    body = "\n\n".join([source for _, source in helpers] + [main])
    return Program(seed, index, body, differentiated, extras,
                   second_wrt=rng.choice(differentiated), array_length=features.array_length)


def _features(rng):
    numpy = rng.random() < 0.3
    helpers = [("scalar", "scalar") if rng.random() < 0.6 else ("scalar", "scalar", "int")
               for _ in range(rng.choices([0, 1, 2], [0.55, 0.3, 0.15])[0])]
    return Features(numpy=numpy, array_length=rng.choice([2, 3, 4]),
                    array_parameter=numpy and rng.random() < 0.6,
                    count_parameter=rng.random() < 0.3,
                    random_parameter=rng.random() < 0.15,
                    log_parameter=rng.random() < 0.1,
                    printing=rng.random() < 0.1,
                    helpers=helpers)


def _helper_source(rng, features, helper, earlier):
    names = ["p", "q", "k"][:len(helper.kinds)]
    helper_features = Features(printing=features.printing)
    writer = Writer(rng, helper_features, budget=_budget(rng, 2, 7), in_helper=True,
                    helpers=[h for h, _ in earlier])
    for name, kind in zip(names, helper.kinds):
        writer.define(name, kind)
    _statements(writer)
    writer.line(f"return {writer.expression()}")
    return f"def {helper.name}({', '.join(names)}):\n" + "\n".join(writer.lines) + "\n"


def _main_source(rng, features, helpers):
    writer = Writer(rng, features, budget=_budget(rng, 4, 22), helpers=helpers)
    params = ["x", "y"]
    writer.define("x", "scalar")
    writer.define("y", "scalar")
    if features.array_parameter:
        params.append("w")
        writer.define("w", "array")
    for flag, name in [(features.count_parameter, "n"), (features.random_parameter, "rng"),
                       (features.log_parameter, "log")]:
        if flag:
            params.append(name)
    if features.count_parameter:
        writer.define("n", "int")
    _statements(writer)
    live = rng.sample(writer.scalars(), min(len(writer.scalars()), rng.randint(1, 3)))
    writer.line(f"return {' + '.join(live + [writer.expression()])}")
    return f"def f({', '.join(params)}):\n" + "\n".join(writer.lines) + "\n"


def _budget(rng, least, most):
    """Lines to write: mostly few, sometimes up to `most`. Small programs check fast (the
    transformation's cost grows faster than the program) and make small reproductions."""
    return min(most, least + int(rng.expovariate(1 / 5)))


def _statements(writer):
    while writer.budget > 0:
        writer.statement()
