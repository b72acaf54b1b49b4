"""The sandbox's worker process: runs model scripts and expressions under RestrictedPython.

Started by `engine.workflow.sandbox` as `python -I sandbox_worker.py`; it imports only the standard library
and RestrictedPython. Requests and answers are JSON lines on stdin/stdout (never pickle: the parent must not
unpickle anything a script could influence). The parent enforces the time limit by killing this process;
the memory limit is an address-space rlimit set here at start-up.

This module is also imported by the parent for `compile_source` and the value codec, so both sides agree.
"""

from __future__ import annotations

import ast
import builtins
import datetime as _dt
import decimal
import json
import math
import operator
import sys
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
_TAG = "$akte"
_COMPILED: dict[tuple[str, str], Any] = {}
_COMPILED_MAX = 1024
LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")  # a script's "today" is the city's calendar day
_ENGINE_NOW: list[_dt.datetime | None] = [None]  # the engine's clock for the current request (tests move it)


class _ClockedDate(_dt.date):
    """`date` for scripts: `today()` is the engine clock's day in the city's time zone."""

    @classmethod
    def today(cls) -> _ClockedDate:
        moment = _ENGINE_NOW[0] or _dt.datetime.now(_dt.UTC)
        day = moment.astimezone(LOCAL_TIMEZONE).date()
        return cls(day.year, day.month, day.day)


class _ClockedDatetime(_dt.datetime):
    """`datetime` for scripts: `now()` is the engine clock (local wall time without tz, as Python's)."""

    @classmethod
    def now(cls, tz: _dt.tzinfo | None = None) -> _ClockedDatetime:
        moment = (_ENGINE_NOW[0] or _dt.datetime.now(_dt.UTC)).astimezone(tz or LOCAL_TIMEZONE)
        if tz is None:
            moment = moment.replace(tzinfo=None)
        return cls.combine(moment.date(), moment.timetz())

    @classmethod
    def today(cls) -> _ClockedDatetime:
        return cls.now()


class _ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no imports at all (the sandbox offers no `__import__`)."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed in scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed in scripts")
        return node


def compile_source(source: str, mode: str) -> tuple[Any, str | None]:
    """(code, None) or (None, error message) for a script ("exec") or an expression ("eval")."""
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compiler(source, "<script>", policy=_ScriptPolicy)
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        return None, str(exc) or type(exc).__name__
    if result.errors:
        return None, "; ".join(result.errors)
    return result.code, None


# -- value codec: JSON plus tagged dates, times and decimals -------------------------------------------------


def _encode_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, _dt.date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, decimal.Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"a value of type {type(value).__name__} cannot be process data")


def _decode_hook(dct: dict[str, Any]) -> Any:
    kind = dct.get(_TAG)
    if kind is None or len(dct) != 2:
        return dct
    value = dct["v"]
    if kind == "datetime":
        return _dt.datetime.fromisoformat(value)
    if kind == "date":
        return _dt.date.fromisoformat(value)
    if kind == "timedelta":
        return _dt.timedelta(seconds=value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return dct


def encode(value: Any) -> str:
    return json.dumps(value, default=_encode_default, separators=(",", ":"), allow_nan=True)


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_decode_hook)


# -- the restricted globals -------------------------------------------------------------------------------------

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}
_EXTRA_BUILTINS = (
    "dict", "list", "set", "frozenset", "min", "max", "sum", "any", "all", "enumerate", "map", "filter",
    "reversed", "iter", "next",
)


_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})  # what date.strftime/strptime import behind the scenes


def _internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    """`__import__` for the interpreter's own use (scripts cannot name it: `_` names are refused at compile time)."""
    if name not in _INTERNAL_IMPORTS:
        raise ImportError(f"import of {name} is not allowed in scripts")
    return builtins.__import__(name, *args, **kwargs)


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _safe_globals() -> dict[str, Any]:
    restricted_builtins = dict(safe_builtins)
    for name in _EXTRA_BUILTINS:
        restricted_builtins[name] = getattr(builtins, name)
    restricted_builtins["__import__"] = _internal_import
    return {
        "__builtins__": restricted_builtins,
        "__name__": "script",
        "__metaclass__": type,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_print_": PrintCollector,
        "datetime": _ClockedDatetime,
        "date": _ClockedDate,
        "timedelta": _dt.timedelta,
        "Decimal": decimal.Decimal,
        "math": math,
    }


_GLOBALS = _safe_globals()  # built once per worker; each call gets a shallow copy


def _is_data(name: str, value: Any, hidden: set[str]) -> bool:
    """Whether a name left behind by a script is process data (not a function, module or helper)."""
    return not (name in hidden or name.startswith("_") or callable(value) or type(value).__name__ == "module")


def _compiled(source: str, mode: str) -> Any:
    key = (mode, source)
    code = _COMPILED.get(key)
    if code is None:
        code, error = compile_source(source, mode)
        if error:
            raise SyntaxError(error)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = code
    return code


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Evaluate or execute one request; the answer holds `value` or the new `context`."""
    context: dict[str, Any] = request["context"]
    external: dict[str, Any] = request.get("external") or {}
    _ENGINE_NOW[0] = _dt.datetime.fromisoformat(request["now"]) if request.get("now") else None
    code = _compiled(request["source"], request["mode"])
    namespace = dict(_GLOBALS)
    hidden = set(namespace) | set(external)
    namespace.update(external)
    namespace.update(context)
    if request["mode"] == "eval":
        return {"ok": True, "value": eval(code, namespace)}  # noqa: S307 - restricted code, restricted globals
    exec(code, namespace)  # noqa: S102 - restricted code, restricted globals
    result = {name: value for name, value in namespace.items() if _is_data(name, value, hidden)}
    return {"ok": True, "context": result}


def _error_answer(exc: BaseException) -> dict[str, Any]:
    line = None
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<script>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return {"ok": False, "type": type(exc).__name__, "message": str(exc), "line": line}


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platforms without rlimits
        sys.stderr.write("akte sandbox: memory limit not available on this platform\n")


def main() -> None:
    _limit_memory()
    stdin, stdout = sys.stdin, sys.stdout
    for line in stdin:
        try:
            answer = run(decode(line))
            text = encode(answer)
        except MemoryError:
            text = encode({"ok": False, "type": "MemoryError", "message": "script exceeded the memory limit",
                           "line": None, "fatal": True})
        except Exception as exc:
            text = encode(_error_answer(exc))
        stdout.write(text + "\n")
        stdout.flush()


if __name__ == "__main__":
    main()
