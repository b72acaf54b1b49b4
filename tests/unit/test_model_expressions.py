"""JUEL and FEEL subsets translated to Python, and what is refused."""

from __future__ import annotations

import re

import pytest

from engine.workflow.expressions import ExpressionError, feel_to_python, juel_to_python
from engine.workflow.feel import unary_tests_to_python


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("${approved}", "approved"),
        ("#{!approved}", "(not approved)"),
        ("${clarified == 'yes'}", "(clarified == 'yes')"),
        ("${a && !b || c eq 3}", "((a and (not b)) or (c == 3))"),
        ("${x.y gt 2.5}", "(x['y'] > 2.5)"),
        ("${!a == b}", "((not a) == b)"),
        ("${empty list}", "(not list)"),
        ("${n mod 2 ne 0 and x != null}", "(((n % 2) != 0) and (x != None))"),
        ("${true}", "True"),
    ],
)
def test_juel_subset(juel: str, python: str) -> None:
    assert juel_to_python(juel) == python


@pytest.mark.parametrize(
    ("juel", "reason"),
    [
        ("${bean.call(x)}", "function and method calls"),
        ("Hello ${name}", "only a single ${...} expression"),
        ("${__class__}", "names starting with '_'"),
        ("${a ? b : c}", "unsupported syntax"),
        ("${list[0]}", "indexing"),
        ("${lambda}", "reserved word"),
    ],
)
def test_juel_refused(juel: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        juel_to_python(juel)


@pytest.mark.parametrize(
    ("feel", "python"),
    [
        ("[1953..1958]", "(1953 <= ? <= 1958)"),
        ("(1..5]", "(1 < ? <= 5)"),
        ("]1..5[", "(1 < ? < 5)"),
        ("[a..b)", "(a <= ? < b)"),
        ("< 250", "(? < 250)"),
        (">= x + 1", "(? >= (x + 1))"),
        ('"Misc"', "(? == 'Misc')"),
        ('"budget", "exceptional"', "((? == 'budget') or (? == 'exceptional'))"),
        ('not("a", "b")', "(not ((? == 'a') or (? == 'b')))"),
        ("true", "(? == True)"),
        ("= 1", "(? == 1)"),
        ("-", None),
        ("", None),
        ("? > 5", "? > 5"),
    ],
)
def test_feel_unary_tests(feel: str, python: str | None) -> None:
    assert unary_tests_to_python(feel) == python


@pytest.mark.parametrize("feel", ['date("2020-01-01")', "[1..]", "x in y", "count(list) > 1"])
def test_feel_refused(feel: str) -> None:
    with pytest.raises(ExpressionError):
        unary_tests_to_python(feel)


def test_feel_expressions() -> None:
    assert feel_to_python('"day-to-day expense"') == "'day-to-day expense'"
    assert feel_to_python("amount * 2 > limit and not(flag)") == "(((amount * 2) > limit) and (not flag))"
