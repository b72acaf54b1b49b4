"""Text extraction for the full-text index: PDF text layers, OCR of scans and images (tesseract), DOCX,
ODT, plain text and e-mail with attachments.

The worker calls `extract`, which does the work in a child process with a time limit; whatever goes
wrong comes back as `ExtractionFailed` with one readable line that is stored on the document.
"""

from search.extract.dispatch import extract_in_process
from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits
from search.extract.process import extract

__all__ = ["Extracted", "ExtractionFailed", "ExtractionLimits", "extract", "extract_in_process"]
