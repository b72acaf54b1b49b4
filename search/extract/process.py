"""`extract`: the extraction in a child process, so a slow OCR or a library stuck on a hostile file costs
at most `limits.timeout_seconds` and a crash never takes the worker down."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits, too_slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "search.extract.child"]
GRACE_SECONDS = 2.0


def _environment() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8"}


def _run(request: bytes, limits: ExtractionLimits) -> tuple[int, bytes, bytes]:
    """Run the child in a session of its own and stop it at the time limit (see `_stop`)."""
    with subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603 - fixed argv
                          stderr=subprocess.PIPE, env=_environment(), start_new_session=True) as child:
        try:
            stdout, stderr = child.communicate(request, timeout=limits.timeout_seconds)
        except subprocess.TimeoutExpired as exc:
            raise too_slow(limits) from exc
        finally:
            if child.returncode is None:
                _stop(child)
        return child.returncode, stdout, stderr


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the child stop and reap its tesseract and remove its temporary files; whatever of its
    session still runs after GRACE_SECONDS is killed. The child is reaped and its pipes closed."""
    child.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.communicate(timeout=GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _crash(returncode: int, stderr: bytes) -> ExtractionFailed:
    how = f"killed by {_signal_name(-returncode)}" if returncode < 0 else f"exit code {returncode}"
    said = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return ExtractionFailed(f"the extraction process crashed ({how}){': ' + said[-1] if said else ''}")


def extract(path: Path, media_type: str, limits: ExtractionLimits) -> Extracted:
    """Run the extraction in a child process killed at limits.timeout_seconds (ExtractionFailed "took longer
    than N s"); a crash of the child is ExtractionFailed too."""
    request = json.dumps({"path": str(path.resolve()), "media_type": media_type, "limits": asdict(limits)})
    returncode, stdout, stderr = _run(request.encode(), limits)
    try:
        answer = json.loads(stdout) if returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _crash(returncode, stderr)
    if "error" in answer:
        raise ExtractionFailed(str(answer["error"]))
    return Extracted(text=str(answer["text"]), method=str(answer["method"]), pages=answer["pages"])
