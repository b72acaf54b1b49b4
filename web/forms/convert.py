"""Text from a form field → typed JSON value, accepting what German users type (decimal comma, 31.12.2026).

Each converter returns the value or raises `ConversionError` carrying a translated message for the user.
"""

from __future__ import annotations

import contextlib
import math
import re
from datetime import date
from urllib.parse import urlsplit

from flask_babel import gettext as _

MAX_NUMBER_TEXT = 40

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_GERMAN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_ENGLISH_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_EXPONENT = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d{1,3}")
_INTEGER = re.compile(r"[+-]?\d+")
_GROUPED_INTEGER = re.compile(r"[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_SPACES = re.compile(r"[\s\u00a0\u202f']")  # spaces, no-break and thin spaces, Swiss apostrophe as grouping


class ConversionError(ValueError):
    """The text cannot be read as the field's type; `message` is for the user (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def to_number(text: str) -> int | float:
    """"12,5" and "12.5" → 12.5; "1.234,5" → 1234.5; "12" → 12."""
    compact = _SPACES.sub("", text)
    if len(compact) > MAX_NUMBER_TEXT:
        raise ConversionError(_("Please enter a number."))
    if _PLAIN_NUMBER.fullmatch(compact):
        normal = compact.replace(",", ".")
    elif _GERMAN_GROUPED.fullmatch(compact):
        normal = compact.replace(".", "").replace(",", ".")
    elif _ENGLISH_GROUPED.fullmatch(compact) or _EXPONENT.fullmatch(compact):
        normal = compact.replace(",", "")
    else:
        raise ConversionError(_("Please enter a number."))
    if "." not in normal and "e" not in normal.lower():
        return int(normal)
    value = float(normal)
    if not math.isfinite(value):
        raise ConversionError(_("Please enter a number."))
    return value


def to_integer(text: str) -> int:
    """"12" → 12; "1.234" / "1 234" → 1234 (grouped thousands); "12,5" is refused."""
    compact = _SPACES.sub("", text)
    if len(compact) > MAX_NUMBER_TEXT:
        raise ConversionError(_("Please enter a whole number."))
    if _INTEGER.fullmatch(compact):
        return int(compact)
    if _GROUPED_INTEGER.fullmatch(compact):
        return int(compact.replace(".", "").replace(",", ""))
    raise ConversionError(_("Please enter a whole number."))


def to_iso_date(text: str) -> str:
    """"2026-12-31" stays; "31.12.2026" → "2026-12-31"."""
    german = _GERMAN_DATE.fullmatch(text)
    candidate = f"{german[3]}-{int(german[2]):02d}-{int(german[1]):02d}" if german else text
    parsed: date | None = None
    if _ISO_DATE.fullmatch(candidate):
        with contextlib.suppress(ValueError):  # e.g. 31.02.2026
            parsed = date.fromisoformat(candidate)
    if parsed is None:
        raise ConversionError(_("Please enter a valid date, for example 31.12.2026."))
    return parsed.isoformat()


def to_email(text: str) -> str:
    if _EMAIL.fullmatch(text):
        return text
    raise ConversionError(_("Please enter a valid e-mail address, for example name@example.org."))


def to_uri(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = urlsplit("")
    addressed = bool(parts.netloc) or parts.scheme.lower() in ("mailto", "tel", "urn")
    if parts.scheme.isalpha() and addressed and " " not in text:
        return text
    raise ConversionError(_("Please enter a complete web address, for example https://www.example.org."))
