"""Sample documents for demo cases: letters and forms as small PDFs, passport photos and signatures as PNGs."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html import escape

from PIL import Image, ImageDraw

from records.documents import Upload
from records.letters import html_to_pdf


@dataclass(frozen=True)
class Doc:
    """A document the demo "uploads" into a form field (`format: akte-document`) or the case."""

    filename: str
    title: str
    lines: tuple[str, ...] = field(default_factory=tuple)  # the text of a PDF; an image when the name ends .png

    def upload(self) -> Upload:
        if self.filename.endswith(".png"):
            return Upload(_image(self.title), self.filename, "image/png")
        return Upload(_pdf(self.title, self.lines), self.filename, "application/pdf")


def _pdf(title: str, lines: tuple[str, ...]) -> io.BytesIO:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return io.BytesIO(html_to_pdf(f"<html lang='de'><body><h1>{escape(title)}</h1>{body}</body></html>"))


def _image(label: str) -> io.BytesIO:
    """A 350×450 px placeholder: a grey head-and-shoulders silhouette (photo) or a scrawl (signature)."""
    if "unterschrift" in label.lower():
        picture = Image.new("RGB", (400, 120), "white")
        draw = ImageDraw.Draw(picture)
        draw.line([(20, 80), (70, 30), (110, 90), (160, 40), (210, 85), (260, 35), (320, 80), (380, 60)],
                  fill="navy", width=4)
    else:
        picture = Image.new("RGB", (350, 450), (225, 228, 232))
        draw = ImageDraw.Draw(picture)
        draw.ellipse((115, 70, 235, 210), fill=(120, 126, 134))
        draw.pieslice((55, 230, 295, 520), 180, 360, fill=(120, 126, 134))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer
