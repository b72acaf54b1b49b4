"""What every extractor shares: the limits, the result and the one error callers handle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractionLimits:
    timeout_seconds: float = 120.0
    max_pages: int = 200
    max_chars: int = 2_000_000  # text beyond this is cut
    ocr_languages: str = "deu"  # tesseract -l value, e.g. "deu+eng"


@dataclass(frozen=True)
class Extracted:
    text: str
    method: str  # "text" | "pdf-text" | "pdf-ocr" | "ocr" | "docx" | "odt" | "email" | "none"
    pages: int | None  # pages looked at (PDF/TIFF), else None


NOTHING = Extracted("", "none", None)
MAX_MESSAGE = 300


class ExtractionFailed(Exception):
    """Why a document's text could not be extracted, as one readable line (stored on the document)."""

    def __init__(self, message: str) -> None:
        line = " ".join(str(message).split())
        super().__init__(line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…")


def too_slow(limits: ExtractionLimits) -> ExtractionFailed:
    return ExtractionFailed(f"the extraction took longer than {limits.timeout_seconds:g} s and was stopped")


def clip(text: str, limits: ExtractionLimits) -> str:
    """The text without surrounding blank space, cut at `limits.max_chars`."""
    return text.strip()[: limits.max_chars]


def enough(parts: list[str], limits: ExtractionLimits) -> bool:
    """Whether the parts collected so far already reach `limits.max_chars` (stop reading more)."""
    return sum(map(len, parts)) >= limits.max_chars
