"""Designer pages: migration (routes on the `designer` blueprint)."""

from __future__ import annotations

from web.ui.designer import bp

__all__ = ["bp"]
