"""Dates entered in page forms and query strings (ISO YYYY-MM-DD, as <input type="date"> sends them)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from core.errors import ValidationFailed


def optional_date(values: MultiDict[str, str], name: str) -> date | None:
    """The date in field `name`, None when it is empty; a wrong value names the field."""
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_("Please enter a date."), {name: _("Please enter a date.")}) from None
