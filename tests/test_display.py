"""In a notebook: a generated function shows its source, highlighted where Pygments is
installed; a trace shows its tables."""

import html
import math
import re
import sys

import pytest

from ast_ad import differentiate, source, trace


def survey(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def test_a_generated_function_shows_its_source():
    pytest.importorskip("pygments")
    df = differentiate(survey, wrt=(0, 1))
    shown = df._repr_html_()
    assert "<span" in shown  # highlighted
    assert html.unescape(re.sub("<[^>]+>", "", shown)).strip() == source(df).strip()


def test_without_pygments_it_is_plain_pre(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)
    df = differentiate(survey)
    assert df._repr_html_() == f"<pre>{html.escape(source(df))}</pre>"


def test_a_trace_shows_its_tables():
    shown = trace(survey, 2.0, 5.0)._repr_html_()
    assert shown.count("<table>") == 2
    assert "<caption>primal trace</caption>" in shown
    assert "<caption>adjoint trace, in reverse order</caption>" in shown
    assert "<td>x1_bar = x1_bar + v1_bar / x1</td><td>5.500</td>" in shown

