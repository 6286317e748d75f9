"""Shared helpers: functions built from source text, with a source inspect can find."""

import itertools
import linecache
import os
import textwrap

import pytest

# Every pass's output is checked against the trace IR's grammar while the tests run.
os.environ.setdefault("AST_AD_VERIFY", "1")

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
