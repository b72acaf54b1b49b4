"""Original file names as shown and offered for download: no paths, no control characters, bounded length."""

from __future__ import annotations

import unicodedata

from core.errors import ValidationFailed

MAX_NAME = 255
INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})  # control, format (e.g. right-to-left override), separators


def clean_filename(name: str | None) -> str:
    """The base name a user gave, normalised (NFC); path tricks, control characters and empty names refused."""
    if not name or not name.strip():
        raise ValidationFailed("the file has no name", {"filename": "required"})
    normal = unicodedata.normalize("NFC", name.strip())
    if any(unicodedata.category(char) in INVISIBLE for char in normal):
        raise ValidationFailed("the file name contains control or formatting characters",
                               {"filename": "control characters"})
    if "/" in normal or "\\" in normal or normal in (".", ".."):
        raise ValidationFailed(f"the file name {normal!r} must not contain a path",
                               {"filename": "must be a plain name without / or \\"})
    if len(normal.encode()) > MAX_NAME:
        raise ValidationFailed(f"the file name is longer than {MAX_NAME} bytes", {"filename": "too long"})
    return normal
