"""PDF: the text layer (pypdf), or OCR of the rendered pages (pypdfium2 + tesseract) for scans.

A PDF whose text layer holds (almost) nothing — fewer than MIN_CHARS_PER_PAGE visible characters per
page on average — is treated as a scan: its pages are rendered in grey at 300 dpi and read by tesseract.
For each page the longer of the two readings is kept, so a thin but real text layer is never lost.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits, clip, enough
from search.extract.ocr import check_languages, ocr

MIN_CHARS_PER_PAGE = 20
DPI = 300
MAX_PIXELS = 25_000_000  # a page larger than A3 is rendered below 300 dpi rather than into gigabytes

logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-but-readable PDFs would log every repair


def _visible(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def _decrypt(reader: PdfReader) -> None:
    """Open a PDF encrypted without a user password (only printing or copying restricted)."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except (DependencyError, NotImplementedError) as exc:
        raise ExtractionFailed(f"PDF is encrypted in a way that cannot be opened here: {exc}") from exc
    if not opened:
        raise ExtractionFailed("PDF is encrypted with a password; its text cannot be read")


def _text_layer(path: Path, limits: ExtractionLimits) -> list[str]:
    """The text of each page up to `limits.max_pages` (pypdf); raises ExtractionFailed for a damaged PDF."""
    try:
        reader = PdfReader(path)
        _decrypt(reader)
        pages: list[str] = []
        for page in reader.pages[: limits.max_pages]:
            pages.append(page.extract_text() or "")
            if enough(pages, limits):
                break
        return pages
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            NotImplementedError, RecursionError, AssertionError) as exc:
        raise ExtractionFailed(f"PDF is damaged: {exc or type(exc).__name__}") from exc


def _pgm(document: pdfium.PdfDocument, number: int) -> tuple[bytes, int]:
    """Page `number` rendered in 8-bit grey as a binary PGM image (tesseract reads it from stdin), and its dpi."""
    page = document[number]
    try:
        width, height = page.get_size()
        scale = min(DPI / 72, math.sqrt(MAX_PIXELS / max(width * height, 1)))
        bitmap = page.render(scale=scale, grayscale=True)
    finally:
        page.close()
    try:
        columns, rows, stride = bitmap.width, bitmap.height, bitmap.stride
        raw = memoryview(bitmap.buffer).cast("B")
        pixels = raw if stride == columns else b"".join(raw[row * stride: row * stride + columns]
                                                        for row in range(rows))
        return b"P5\n%d %d\n255\n" % (columns, rows) + bytes(pixels), round(scale * 72)
    finally:
        bitmap.close()


def _ocr_pages(path: Path, count: int, limits: ExtractionLimits) -> list[str]:
    check_languages(limits.ocr_languages)  # before rendering anything
    pages: list[str] = []
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise ExtractionFailed(f"PDF cannot be rendered for OCR: {exc}") from exc
    try:
        for number in range(min(count, len(document))):
            try:
                image, dpi = _pgm(document, number)
            except pdfium.PdfiumError as exc:
                raise ExtractionFailed(f"PDF page {number + 1} cannot be rendered for OCR: {exc}") from exc
            pages.append(ocr(image, limits, dpi=dpi))
            if enough(pages, limits):
                break
    finally:
        document.close()
    return pages


def extract_pdf(path: Path, limits: ExtractionLimits) -> Extracted:
    layer = _text_layer(path, limits)
    if not layer or sum(map(_visible, layer)) >= MIN_CHARS_PER_PAGE * len(layer):
        return Extracted(clip("\n\n".join(layer), limits), "pdf-text", len(layer))
    scanned = _ocr_pages(path, len(layer), limits)
    best = [max(pair, key=_visible) for pair in zip(layer, scanned, strict=False)]
    return Extracted(clip("\n\n".join(best), limits), "pdf-ocr", len(layer))
