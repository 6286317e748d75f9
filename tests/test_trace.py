"""The evaluation-trace tables: the survey's figures, and rows that are the generated code."""

import math
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ast_ad import DifferentiationError, differentiate, source, trace
from ast_ad.trace import Row
from tests.conftest import examples
from tests.test_transforms import programs


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def shown(rows, section):
    return [f"{row.value:.3f}" for row in rows if row.section == section]


# The survey's figures (survey-tables.md). Python evaluates `v1 + v2` before `sin(x2)`,
# so our v3 and v4 are the survey's v4 and v3: the same values, those two swapped.
PRIMAL = ["2.000", "5.000", "0.693", "10.000", "10.693", "-0.959", "11.652"]
TANGENT = ["1.000", "0.000", "0.500", "5.000", "5.500", "0.000", "5.500", "5.500"]
ADJOINT = ["1.000", "1.000", "-1.000", "-0.284", "1.000", "1.000", "5.000", "1.716", "5.500",
           "5.500", "1.716"]


def test_forward_trace_has_the_survey_primal_and_tangent_figures():
    table = trace(f, 2.0, 5.0, wrt=0, mode="forward")
    text = str(table)
    for figure in PRIMAL + TANGENT:
        assert f" {figure}" in text
    assert shown(table.rows, "primal") == PRIMAL
    assert shown(table.rows, "tangent along x1") == TANGENT
    assert "v-1 = x1" in text and "v0 = x2" in text
    seeds = [row for row in table.rows if row.note.startswith("seed")]
    assert [(r.name, r.value) for r in seeds] == [("x1_dot", 1.0), ("x2_dot", 0.0)]


def test_reverse_trace_has_the_survey_adjoint_figures_in_reverse_order():
    table = trace(f, 2.0, 5.0, wrt=(0, 1), mode="reverse")
    text = str(table)
    for figure in PRIMAL + ADJOINT:
        assert f" {figure}" in text
    assert shown(table.rows, "primal") == PRIMAL
    adjoints = shown(table.rows, "adjoint")
    assert sorted(adjoints) == sorted(ADJOINT)
    # Accumulations are successive rows, as the survey's v̄0 = v̄0 + ...
    by_name = {}
    for row in table.rows:
        if row.section == "adjoint":
            by_name.setdefault(row.name, []).append(f"{row.value:.3f}")
    assert by_name["x1_bar"] == ["5.000", "5.500"]
    assert by_name["x2_bar"] == ["-0.284", "1.716"]
    assert "x2_bar = x2_bar + v2_bar * x1" in text
    assert text.index("adjoint trace") > text.index("out = v3 - v4")


def test_rows_are_the_statements_of_the_unoptimized_generated_code():
    for wrt, mode in [((0, 1), "reverse"), (0, "forward"), (1, "forward")]:
        table = trace(f, 2.0, 5.0, wrt=wrt, mode=mode)
        code = source(differentiate(f, wrt=wrt, mode=mode, optimized=False))
        for row in table.rows:
            inputs = row.section == "primal" and row.expression in ("x1", "x2")
            if inputs or row.note == "returned" or row.expression == "0.0":
                continue  # not statements: the point, the return, zero tangents
            statement = f"{row.name} = {row.expression}"
            accumulated = f"{row.name} += {row.expression.split(' + ', 1)[-1]}"
            assert statement in code or accumulated in code or row.note == "seed", statement


def test_the_returned_rows_are_what_differentiate_returns():
    table = trace(f, 2.0, 5.0, wrt=(0, 1))
    returned = tuple(row.value for row in table.rows if row.note == "returned")
    assert returned == differentiate(f, wrt=(0, 1), optimized=False)(2.0, 5.0)
    assert [row.name for row in table.rows if row.note == "returned"] == ["df/dx1", "df/dx2"]


def test_the_tables_in_the_docs_are_what_trace_prints():
    modes = (pathlib.Path(__file__).parent.parent / "docs" / "modes.md").read_text()
    assert str(trace(f, 2.0, 5.0, wrt=0, mode="forward")) in modes
    assert str(trace(f, 2.0, 5.0, wrt=(0, 1), mode="reverse")) in modes


def test_forward_trace_has_one_tangent_table_per_parameter():
    table = trace(f, 2.0, 5.0, wrt=("x1", "x2"), mode="forward")
    sections = list(dict.fromkeys(row.section for row in table.rows))
    assert sections == ["primal", "tangent along x1", "tangent along x2"]
    returned = [row.value for row in table.rows if row.note == "returned"]
    assert returned == list(differentiate(f, wrt=(0, 1), mode="forward", optimized=False)(2, 5))
    assert "tangent trace along x2:" in str(table)


def test_second_order_trace_gives_the_survey_second_derivative():
    table = trace(differentiate(f), 2.0, 5.0, mode="forward")
    assert f"{table.rows[-1].value:.3f}" == "-0.250"
    assert "v0 = out_bar" in str(table)  # the first derivative's seed is an input


def test_reassigned_variables_show_each_version():
    def g(x):
        y = x * x
        y = y * x
        y += x
        return y

    table = trace(g, 2.0)
    assert [(r.name, r.value) for r in table.rows if r.section == "primal"] == [
        ("v0", 2.0), ("y", 4.0), ("y_1", 8.0), ("y_2", 10.0), ("out", 10.0)]
    assert table.rows[-1].value == 3 * 2.0 ** 2 + 1


def test_rows_are_rows_and_the_table_prints_at_the_prompt():
    table = trace(f, 2.0, 5.0)
    assert all(isinstance(row, Row) for row in table.rows)
    assert table.rows[0] == Row("v-1", "x1", 2.0, "primal")
    assert repr(table) == str(table)
    assert str(table).splitlines()[0] == "trace of f at x1=2.0, x2=5.0, reverse mode"


@pytest.mark.parametrize("call, message", [
    (lambda: trace(f, 2.0, 5.0, wrt=2), "out of range"),
    (lambda: trace(f, 2.0, 5.0, mode="sideways"), "mode must be"),
    (lambda: trace(f, 2.0), "cannot take the arguments"),
    (lambda: trace(f, 2.0, 5.0, 1.0), "cannot take the arguments"),
])
def test_bad_calls_raise_differentiation_errors(call, message):
    with pytest.raises(DifferentiationError, match=message):
        call()


@examples(12, 200)
@given(g=programs(), point=st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False)] * 2),
       mode=st.sampled_from(["reverse", "forward"]))
def test_trace_of_random_programs_agrees_with_the_function_and_its_derivative(g, point, mode):
    table = trace(g, *point, wrt=(0, 1), mode=mode)
    out = [row.value for row in table.rows if row.section == "primal" and row.name == "out"]
    assert out == [g(*point)]
    returned = tuple(row.value for row in table.rows if row.note == "returned")
    assert returned == differentiate(g, wrt=(0, 1), mode=mode, optimized=False)(*point)


def _sum_of_squares(x):
    return np.sum(x ** 2)


def test_the_primal_table_of_array_code_shows_every_value():
    """The adjoint needs neither `x ** 2` nor the sum: the table shows them all the same."""
    for mode in ("reverse", "forward"):
        rows = [r for r in trace(_sum_of_squares, np.array([1.0, 2.0]), mode=mode).rows
                if r.section == "primal"]
        assert [r.expression for r in rows] == ["x", "x ** 2", "np.sum(v1)"]
        assert rows[-1].value == 5.0
        np.testing.assert_array_equal(rows[1].value, [1.0, 4.0])
