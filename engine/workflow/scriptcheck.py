"""Compile-time check of model scripts and expressions.

Delegates to the sandbox's `check_source` (RestrictedPython) when that module is present; until then a
plain `compile()` syntax check stands in, so deploy-time errors are still reported.
"""

from __future__ import annotations

from collections.abc import Callable

CheckSource = Callable[[str, str], "str | None"]


def _syntax_only(source: str, mode: str) -> str | None:
    try:
        compile(source, "<model>", mode, dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})" if exc.lineno else exc.msg
    except (ValueError, OverflowError) as exc:
        return str(exc)
    return None


def _load_checker() -> CheckSource:
    try:
        from engine.workflow.sandbox import check_source
    except ImportError:
        return _syntax_only
    return check_source


def check_source(source: str, mode: str) -> str | None:
    """Error message if `source` is not acceptable as a script ("exec") or expression ("eval")."""
    return _load_checker()(source, mode)
