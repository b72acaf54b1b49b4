"""The script sandbox runs real worker processes: hostile scripts fail cleanly, ordinary ones work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engine.workflow.sandbox import SandboxEnvironment, ScriptFailed, ScriptTimeout, check_source


@pytest.fixture
def sandbox() -> Iterator[SandboxEnvironment]:
    environment = SandboxEnvironment(timeout_seconds=1.0)
    yield environment
    environment.close()


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("import os", "import statements are not allowed"),
        ("from os import system", "import statements are not allowed"),
        ("x = ().__class__.__bases__", '"__class__" is an invalid attribute name'),
        ("x = __builtins__", '"__builtins__" is an invalid variable name'),
        ("x = (", "SyntaxError"),
    ],
)
def test_check_source_rejects_hostile_or_broken_scripts(source: str, fragment: str) -> None:
    error = check_source(source, "exec")
    assert error is not None and fragment in error


def test_check_source_accepts_ordinary_script() -> None:
    assert check_source("total = sum(item['amount'] for item in items)\nok = total > 10", "exec") is None


def test_script_updates_task_data_with_dates_and_decimals(sandbox: SandboxEnvironment) -> None:
    context = {"born": dt.date(1957, 3, 1), "fee": Decimal("25.30"), "items": [1, 2, 3]}
    sandbox.execute("group = 'A' if born.year < 1959 else 'B'\nfee2 = fee * 2\ncount = len(items)", context)
    assert context == {
        "born": dt.date(1957, 3, 1), "fee": Decimal("25.30"), "items": [1, 2, 3],
        "group": "A", "fee2": Decimal("50.60"), "count": 3,
    }


def test_functions_and_helpers_do_not_leak_into_data(sandbox: SandboxEnvironment) -> None:
    context: dict[str, object] = {}
    sandbox.execute("def double(v):\n    return v * 2\nresult = double(21)\nnow = datetime(2026, 1, 1)", context)
    assert context == {"result": 42, "now": dt.datetime(2026, 1, 1)}


def test_evaluate_with_external_context(sandbox: SandboxEnvironment) -> None:
    assert sandbox.evaluate("dmninputexpr > limit", {"limit": 5}, {"dmninputexpr": 7}) is True


def test_open_and_import_builtin_are_not_available(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(NameError, match="open"):
        sandbox.execute("data = open('/etc/passwd').read()", {})


def test_attribute_guard_blocks_format_string_escape(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(NotImplementedError):
        sandbox.evaluate("'{0.__class__}'.format(1)", {})


def test_endless_loop_stops_at_time_limit_and_sandbox_recovers(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(ScriptTimeout, match="time limit of 1 s"):
        sandbox.execute("while True:\n    pass", {})
    assert sandbox.evaluate("1 + 1", {}) == 2


def test_huge_computation_is_stopped(sandbox: SandboxEnvironment) -> None:
    with pytest.raises((ScriptTimeout, MemoryError)):
        sandbox.execute("x = 'a' * (10 ** 10)", {})
    assert sandbox.evaluate("2 * 21", {}) == 42


def test_error_names_the_script_line(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(ZeroDivisionError, match="script line 2"):
        sandbox.execute("a = 1\nb = a / 0", {})


def test_values_that_are_not_data_are_refused(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(TypeError, match="cannot be process data"):
        sandbox.execute("x = 1", {"handle": object()})


def test_unknown_exception_types_are_reported_by_name(sandbox: SandboxEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="Boom"):
        sandbox.execute("class Boom(Exception):\n    pass\nraise Boom('no')", {})


def test_scripts_read_the_engine_clock_in_the_city_time_zone(sandbox: SandboxEnvironment) -> None:
    from engine.workflow import clocked

    late_evening_utc = dt.datetime(2026, 1, 18, 23, 30, tzinfo=dt.UTC)  # already 19 Jan in Germany
    with clocked.at(late_evening_utc):
        context: dict[str, object] = {}
        sandbox.execute("heute = date.today().isoformat()\njetzt = datetime.now().isoformat()", context, {})
        assert context["heute"] == "2026-01-19" and context["jetzt"] == "2026-01-19T00:30:00"
        assert sandbox.evaluate("(date.today() - date(2026, 1, 1)).days", {}) == 18
    outside = sandbox.evaluate("date.today()", {})  # outside the engine: the real day in Germany
    assert outside == dt.datetime.now(ZoneInfo("Europe/Berlin")).date()


def test_date_formatting_works_but_imports_stay_closed(sandbox: SandboxEnvironment) -> None:
    assert sandbox.evaluate("date(2026, 1, 19).strftime('%d.%m.%Y')", {}) == "19.01.2026"
    assert sandbox.evaluate("datetime.strptime('19.01.2026', '%d.%m.%Y').year", {}) == 2026
    with pytest.raises(Exception, match="invalid variable name"):
        sandbox.evaluate("__import__('os')", {})
    with pytest.raises(Exception, match="invalid variable name"):
        sandbox.execute("x = __builtins__['__import__']('os')", {}, {})
