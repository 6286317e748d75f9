"""Shared helpers: functions built from source text, with a source inspect can find."""

import itertools
import linecache
import os
import textwrap

import pytest
from hypothesis import HealthCheck, settings

# Every pass's output is checked against the trace IR's grammar while the tests run.
os.environ.setdefault("AST_AD_VERIFY", "1")

# Property tests check a fixed sample of examples in an ordinary run: derandomized, so every
# run checks the same programs and a failure comes back on the next run. AST_AD_LONG=1 runs
# each of them on many more examples, drawn afresh each time, for a deliberate long run.
LONG = os.environ.get("AST_AD_LONG", "") not in ("", "0")
settings.register_profile("ast_ad", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ast_ad_long", deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ast_ad_long" if LONG else "ast_ad")


def examples(quick, long, **others):
    """The settings of a property test: `quick` examples in an ordinary run, `long` under
    AST_AD_LONG=1 (at least as many as the test ran before it was sampled)."""
    return settings(max_examples=long if LONG else quick, **others)

_counter = itertools.count()


def make_function(source, name=None, namespace=None):
    """Compile `source` (one or more defs) as if it lived in a file; return the named def."""
    source = textwrap.dedent(source)
    filename = f"<test source {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope = {"__name__": "test_source"}
    scope.update(namespace or {})
    exec(compile(source, filename, "exec"), scope)
    if name is None:
        name = source.split("def ", 1)[1].split("(", 1)[0]
    return scope[name]


@pytest.fixture
def build():
    return make_function


def agrees_in_both_modes(f, x, y):
    """`f(x, y)`'s gradient against central differences, and forward mode against it."""
    from ast_ad import differentiate
    from ast_ad.testing import central_difference

    gradient = differentiate(f, wrt=(0, 1))(x, y)
    for k in (0, 1):
        direction = [1.0 if j == k else 0.0 for j in (0, 1)]
        numeric = central_difference(f, [x, y], direction)
        assert gradient[k] == pytest.approx(numeric, rel=1e-6, abs=1e-8)
        along = differentiate(f, wrt=k, mode="forward")(x, y)
        assert along == pytest.approx(gradient[k], rel=1e-12, abs=1e-12)


def hessian_agrees(f, x, y):
    """`f(x, y)`'s Hessian against central differences of its gradient; the Hessian."""
    from ast_ad import differentiate, hessian
    from ast_ad.testing import central_difference

    matrix = hessian(f, wrt=(0, 1))(x, y)
    gradient = differentiate(f, wrt=(0, 1))
    for k in (0, 1):
        direction = [1.0 if j == k else 0.0 for j in (0, 1)]
        column = [central_difference(lambda a, b: gradient(a, b)[i], [x, y], direction)
                  for i in (0, 1)]
        assert [matrix[i][k] for i in (0, 1)] == pytest.approx(column, rel=1e-6, abs=1e-7)
    return matrix
