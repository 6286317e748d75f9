"""The IR verifier accepts what the passes write and rejects what breaks the grammar.

Every transform in the test suite runs under AST_AD_VERIFY (see conftest), so every pass's
output is checked; these tests show that the verifier can fail."""

import math

import gast
import pytest

from ast_ad.frontend.check import check
from ast_ad.frontend.lower import lower
from ast_ad.frontend.parse import parse_function
from ast_ad.ir import annotations as anno
from ast_ad.ir import grammar
from tests.conftest import make_function


def _trace(source):
    return lower(check(parse_function(make_function(source, namespace={"math": math}))))


def test_the_verifier_is_on_in_the_test_suite():
    assert grammar.enabled()


def test_a_trace_of_branches_and_loops_verifies():
    trace = _trace("""
        def f(x, n):
            s = x
            for i in range(n):
                if s > 1.0:
                    s = s * 0.5
                else:
                    s = math.sin(s) + x
            k = 0
            while k < 2:
                s = s * x
                k += 1
            return s
        """)
    assert grammar.verify_trace(trace, "lower") is trace


def test_a_name_assigned_twice_on_one_path_is_caught():
    trace = _trace("def f(x):\n    y = x * 2.0\n    return y\n")
    trace.body.insert(1, anno.copy_tree(trace.body[0]))
    with pytest.raises(grammar.IRError, match="`y` is assigned twice on one path"):
        grammar.verify_trace(trace, "test")


def test_a_nested_expression_in_a_trace_is_caught():
    trace = _trace("def f(x):\n    y = x * 2.0\n    return y\n")
    trace.body[0].value.left = gast.BinOp(left=gast.Name(id="x", ctx=gast.Load(), annotation=None,
                                                         type_comment=None),
                                          op=gast.Add(), right=gast.Constant(value=1.0, kind=None))
    with pytest.raises(grammar.IRError, match="BinOp where an atom belongs"):
        grammar.verify_trace(trace, "test")


def test_a_read_before_any_binding_is_caught():
    trace = _trace("def f(x):\n    y = x * 2.0\n    z = y + x\n    return z\n")
    trace.body[0], trace.body[1] = trace.body[1], trace.body[0]
    with pytest.raises(grammar.IRError, match="`y` is read where it may not be bound"):
        grammar.verify_derivative(trace, "test")


def test_a_name_bound_in_one_branch_only_is_caught():
    trace = _trace("""
        def f(x):
            if x > 0.0:
                y = x * 2.0
            else:
                y = x
            return y
        """)
    branch = trace.body[1]
    branch.orelse[:] = [gast.Pass()]
    with pytest.raises(grammar.IRError, match="may not be bound"):
        grammar.verify_derivative(trace, "test")


def test_a_malformed_annotation_is_caught():
    trace = _trace("def f(x):\n    y = x * 2.0\n    return y\n")
    anno.set(trace.body[0], "carries", ["y"])
    with pytest.raises(grammar.IRError, match="`carries` marks a For"):
        grammar.verify_trace(trace, "test")
