"""Highlighted snippets for the database backends: a window of text around the first match, HTML-escaped,
matches wrapped in <mark> (Elasticsearch builds its own with the same markup)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

WIDTH = 200


def _pattern(needles: Sequence[str]) -> re.Pattern[str] | None:
    parts = [r"\s+".join(re.escape(word) for word in needle.split()) for needle in needles if needle.strip()]
    if not parts:
        return None
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def snippet(text: str, needles: Sequence[str], width: int = WIDTH) -> str:
    """Up to `width` characters of `text` around the first needle, safe to put into HTML."""
    pattern = _pattern(needles)
    first = pattern.search(text) if pattern else None
    start = 0 if first is None else max(0, first.start() - width // 3)
    if start:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    window = " ".join(text[start:start + width].split())
    if pattern is None:
        return html.escape(window)
    pieces, last = [], 0
    for match in pattern.finditer(window):
        pieces.append(html.escape(window[last:match.start()]))
        pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(html.escape(window[last:]))
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text) else ""
    return prefix + "".join(pieces) + suffix
