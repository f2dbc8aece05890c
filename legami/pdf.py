"""What the PDFs of Legami share (receipts, signed pacts, the GDPR export of a case file,
the piano di zona report): their fonts."""

from __future__ import annotations

from pathlib import Path

# Debian's fonts-dejavu-core (installed by .ci/run and the Dockerfile).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def pdf_fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans — every Italian accent, the euro sign and “” — when
    installed, else Helvetica (registered once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = Path(FONT_DIR, "DejaVuSans.ttf"), Path(FONT_DIR, "DejaVuSans-Bold.ttf")
    if not (regular.exists() and bold.exists()):
        return "Helvetica", "Helvetica-Bold"
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    return "DejaVuSans", "DejaVuSans-Bold"
