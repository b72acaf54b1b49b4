"""Which extractor reads which media type (the types records.mediatypes accepts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from records.mediatypes import ALIASES
from search.extract import mail, ocr, office, pdf, text
from search.extract.model import NOTHING, Extracted, ExtractionFailed, ExtractionLimits

Extractor = Callable[[Path, ExtractionLimits], Extracted]

EXTRACTORS: dict[str, Extractor] = {
    "application/pdf": pdf.extract_pdf,
    "image/png": ocr.extract_image,
    "image/jpeg": ocr.extract_image,
    "image/gif": ocr.extract_image,
    "image/webp": ocr.extract_image,
    "image/tiff": ocr.extract_tiff,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": office.extract_docx,
    "application/vnd.oasis.opendocument.text": office.extract_odt,
    "text/plain": text.extract_plain,
    "text/csv": text.extract_plain,
    "text/markdown": text.extract_plain,
    "application/json": text.extract_plain,
    "application/xml": text.extract_xml,
    "text/html": text.extract_html,
}


def _email(path: Path, limits: ExtractionLimits) -> Extracted:
    return mail.extract_email(path, limits, extract_in_process)


def extractor_for(media_type: str) -> Extractor | None:
    base = media_type.split(";", 1)[0].strip().lower()
    base = ALIASES.get(base, base)
    return _email if base == "message/rfc822" else EXTRACTORS.get(base)


def extract_in_process(path: Path, media_type: str, limits: ExtractionLimits) -> Extracted:
    """The same work as `extract`, in this process and without its time limit (used by the child process;
    tests may use it). Types without an extractor (e.g. spreadsheets) give empty text, method "none"."""
    if not path.is_file():
        raise ExtractionFailed(f"there is no file to extract text from at {path}")
    extractor = extractor_for(media_type)
    return NOTHING if extractor is None else extractor(path, limits)
