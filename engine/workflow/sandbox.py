"""The script sandbox: every model script, condition and DMN cell runs in a separate worker process.

Defence in depth: RestrictedPython rejects imports and names/attributes starting with `_` at compile time
(`check_source`, also used at deploy time) and guards attribute and item access at run time; the worker
process (`sandbox_worker.py`) has no `open`, no `__import__`, an address-space limit, and is killed when a
call exceeds the time limit, so `while True: pass` or `10 ** 10 ** 9` cost the time limit and no more. Data
crosses the process boundary as JSON (see the worker's codec), never as pickle.

Workers are kept in a small pool and reused; a worker that timed out or ran out of memory is replaced.
"""

from __future__ import annotations

import atexit
import builtins
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.workflow import clocked
from engine.workflow.sandbox_worker import compile_source, decode, encode

_WORKER_SCRIPT = Path(__file__).with_name("sandbox_worker.py")
_MAX_IDLE_WORKERS = 4


class ScriptTimeout(Exception):
    """A script or expression ran longer than the sandbox's time limit."""


class ScriptFailed(Exception):
    """A script raised an exception type that is not a builtin one (or the worker died)."""


def check_source(source: str, mode: str) -> str | None:
    """Error message if `source` is not acceptable as a script ("exec") or expression ("eval")."""
    _code, error = compile_source(source, mode)
    return error


class _Worker:
    """One sandbox process; not thread-safe (the pool hands it to one caller at a time)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter and the worker file
            [sys.executable, "-I", str(_WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            cwd="/",
        )
        self._buffer = b""

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(encode(request).encode() + b"\n")
        self.process.stdin.flush()
        line = self._read_line(time.monotonic() + timeout)
        answer: dict[str, Any] = decode(line.decode())
        return answer

    def _read_line(self, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScriptTimeout
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                raise ScriptTimeout
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ScriptFailed("the script sandbox process ended unexpectedly")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class _WorkerPool:
    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker()

    def release(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < _MAX_IDLE_WORKERS:
                self._idle.append(worker)
                return
        worker.stop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.stop()


_POOLS: weakref.WeakSet[_WorkerPool] = weakref.WeakSet()


@atexit.register
def _close_all_pools() -> None:
    for pool in list(_POOLS):
        pool.close()


def _raise_from_answer(answer: dict[str, Any]) -> None:
    message = str(answer.get("message") or answer.get("type") or "script failed")
    if answer.get("line"):
        message = f"{message} (script line {answer['line']})"
    exc_type = getattr(builtins, str(answer.get("type")), None)
    if isinstance(exc_type, type) and issubclass(exc_type, Exception) and exc_type is not SystemExit:
        raise exc_type(message)
    raise ScriptFailed(f"{answer.get('type')}: {message}")


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff script environment that sends every evaluation and execution to a sandbox worker."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__({})
        self.timeout_seconds = timeout_seconds
        self._pool = _WorkerPool()
        _POOLS.add(self._pool)
        weakref.finalize(self, self._pool.close)

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        worker = self._pool.acquire()
        try:
            answer = worker.call(request, self.timeout_seconds)
        except ScriptTimeout:
            worker.stop()
            raise ScriptTimeout(
                f"script exceeded the time limit of {self.timeout_seconds:g} s and was stopped"
            ) from None
        except BaseException:
            worker.stop()
            raise
        if answer.get("fatal"):
            worker.stop()
        else:
            self._pool.release(worker)
        if not answer.get("ok"):
            _raise_from_answer(answer)
        return answer

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        request = {"mode": "eval", "source": expression, "context": context, "external": external_context or {},
                   "now": clocked.current_iso()}
        return self._call(request)["value"]

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        request = {"mode": "exec", "source": script, "context": context, "external": external_context or {},
                   "now": clocked.current_iso()}
        new_context = self._call(request)["context"]
        context.clear()
        context.update(new_context)
        return True

    def close(self) -> None:
        self._pool.close()


def make_script_engine(timeout_seconds: float) -> PythonScriptEngine:
    """A Spiff script engine whose scripts and expressions all run in the sandbox."""
    return PythonScriptEngine(environment=SandboxEnvironment(timeout_seconds))
