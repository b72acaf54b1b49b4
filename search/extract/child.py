"""The extraction child process: `python -m search.extract.child` reads one request as JSON on stdin and
writes one answer as JSON on stdout: {"text", "method", "pages"} or {"error"}.

Library output is sent to stderr (also C-level writes to file descriptor 1), so stdout carries only the answer.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from search.extract.dispatch import extract_in_process
from search.extract.model import ExtractionFailed, ExtractionLimits


def answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        limits = ExtractionLimits(**request["limits"])
        return asdict(extract_in_process(Path(request["path"]), request["media_type"], limits))
    except ExtractionFailed as exc:
        return {"error": str(exc)}
    except Exception as exc:  # a bug or a library failing on odd input: still one line for the document
        traceback.print_exc()
        return {"error": str(ExtractionFailed(f"unexpected {type(exc).__name__}: {exc}"))}


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (the time limit) ends the child through SystemExit: a running tesseract is killed and reaped
    by subprocess.run on the way out, temporary directories are removed."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    request = json.load(sys.stdin)
    answer_to = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else writes to stdout ends up on stderr
    sys.stdout = sys.stderr
    with answer_to:
        json.dump(answer(request), answer_to, ensure_ascii=False)


if __name__ == "__main__":
    main()
