"""OCR with the tesseract command line (Debian tesseract-ocr + tesseract-ocr-<lang>; `make install`).

tesseract reads PNG, JPEG, TIFF (every frame), GIF, WebP and PGM. Each call gets OMP_THREAD_LIMIT=1:
OpenMP threads make tesseract slower on the small machines the worker runs on.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from functools import cache
from pathlib import Path

from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits, clip, enough, too_slow

LANGUAGES = re.compile(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*")
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


@cache
def _tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        raise ExtractionFailed("OCR is not possible: the tesseract program is not installed (make install)")
    return found


@cache
def installed_languages() -> frozenset[str]:
    listed = subprocess.run([_tesseract(), "--list-langs"],  # noqa: S603 - fixed argv
                            capture_output=True, text=True, env=ENV, check=False)
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def check_languages(languages: str) -> None:
    """Fail with a clear message unless every language of a tesseract `-l` value is installed."""
    if not LANGUAGES.fullmatch(languages):
        raise ExtractionFailed(f"OCR languages {languages!r} are not a tesseract language list like 'deu+eng'")
    missing = [name for name in languages.split("+") if name not in installed_languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{name.lower()}" for name in missing)
        raise ExtractionFailed(f"OCR language {'+'.join(missing)} is not installed (Debian: {packages}); "
                               f"installed: {', '.join(sorted(installed_languages()))}")


def ocr(source: Path | bytes, limits: ExtractionLimits, *, frame: int | None = None, dpi: int | None = None) -> str:
    """The text tesseract reads from an image file, or from image bytes (e.g. a PGM page rendering)."""
    check_languages(limits.ocr_languages)
    command = [_tesseract(), "stdin" if isinstance(source, bytes) else str(source), "stdout",
               "-l", limits.ocr_languages]
    if dpi is not None:
        command += ["--dpi", str(dpi)]
    if frame is not None:
        command += ["-c", f"tessedit_page_number={frame}"]
    stdin = source if isinstance(source, bytes) else None
    try:
        done = subprocess.run(command, input=stdin, capture_output=True,  # noqa: S603 - argv list, checked -l value
                              env=ENV, timeout=limits.timeout_seconds, check=False)
    except subprocess.TimeoutExpired as exc:
        raise too_slow(limits) from exc
    if done.returncode != 0:
        said = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        raise ExtractionFailed(f"OCR failed (tesseract exit code {done.returncode}): "
                               f"{said[-1] if said else 'no message'}")
    return done.stdout.decode("utf-8", errors="replace")


def tiff_frames(path: Path, stop_after: int) -> int | None:
    """How many frames (pages) a TIFF holds, counting at most `stop_after + 1`; None when unreadable."""
    with path.open("rb") as source:
        head = source.read(8)
        order = {b"II": "<", b"MM": ">"}.get(head[:2])
        if order is None or len(head) < 8 or struct.unpack(order + "H", head[2:4])[0] != 42:
            return None  # not a classic TIFF (BigTIFF): tesseract reads all of it
        offset: int = struct.unpack(order + "I", head[4:8])[0]
        seen: set[int] = set()
        while offset and offset not in seen and len(seen) <= stop_after:
            seen.add(offset)
            source.seek(offset)
            count = source.read(2)
            if len(count) < 2:
                break
            source.seek(offset + 2 + 12 * struct.unpack(order + "H", count)[0])
            following = source.read(4)
            offset = struct.unpack(order + "I", following)[0] if len(following) == 4 else 0
        return len(seen)


def extract_image(path: Path, limits: ExtractionLimits) -> Extracted:
    return Extracted(clip(ocr(path, limits), limits), "ocr", None)


def extract_tiff(path: Path, limits: ExtractionLimits) -> Extracted:
    """Every frame of a TIFF up to `limits.max_pages`: in one tesseract call when all are wanted."""
    frames = tiff_frames(path, limits.max_pages)
    if frames is None or frames <= limits.max_pages:
        return Extracted(clip(ocr(path, limits), limits), "ocr", frames)
    parts: list[str] = []
    for frame in range(limits.max_pages):
        parts.append(ocr(path, limits, frame=frame))
        if enough(parts, limits):
            break
    return Extracted(clip("\n".join(parts), limits), "ocr", len(parts))
