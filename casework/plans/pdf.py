"""The person's plan as a PDF: the same content as the print page, for e-mail or download."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

# A Unicode TrueType font prints names in any Latin, Cyrillic or Arabic script; the built-in
# Helvetica covers Latin-1 only and is the fallback when no such font is installed.
FONT_CANDIDATES = (
    os.environ.get("CASEWORK_PDF_FONT", ""),
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
REGULAR, BOLD = "CaseworkSans", "CaseworkSans-Bold"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@dataclass(frozen=True)
class PlanLine:
    objective: str
    action: str
    who: str
    due: str
    where: str


def _lines(text: str) -> str:
    """Escaped text whose line breaks print as line breaks."""
    return "<br/>".join(escape(part) for part in text.split("\n"))


def _fonts() -> Fonts:
    """The first usable TrueType font with its bold face, or Helvetica and Helvetica-Bold."""
    for candidate in FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            try:
                return _register(Path(candidate))
            except (TTFError, OSError):
                continue
    return Fonts("Helvetica", "Helvetica-Bold")


def _bold_face_of(regular: Path) -> Path | None:
    """« DejaVuSans.ttf » → « DejaVuSans-Bold.ttf » beside it, or CASEWORK_PDF_FONT_BOLD."""
    for candidate in (
        os.environ.get("CASEWORK_PDF_FONT_BOLD", ""),
        str(regular.with_name(f"{regular.stem}-Bold{regular.suffix}")),
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _register(regular: Path) -> Fonts:
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    bold_path = _bold_face_of(regular)
    bold = REGULAR
    if bold_path is not None:
        try:
            if BOLD not in registered:
                pdfmetrics.registerFont(TTFont(BOLD, str(bold_path)))
            bold = BOLD
        except (TTFError, OSError):
            pass  # without its bold face, the regular one still prints every script
    # <b> in a paragraph looks the bold face up through the family.
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=bold, italic=REGULAR, boldItalic=bold
    )
    return Fonts(REGULAR, bold)


def render_plan(
    title: str,
    header: list[str],
    columns: list[str],
    lines: list[PlanLine],
    footer: str,
) -> bytes:
    """A one-table PDF; every string is already translated by the caller."""
    fonts = _fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontName=fonts.regular, fontSize=9, leading=12
    )
    heading = ParagraphStyle(
        "heading",
        parent=styles["Title"],
        fontName=fonts.bold,
        fontSize=16,
        textColor=colors.HexColor("#223654"),
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=2 * cm, rightMargin=2 * cm, title=title
    )
    story = [Paragraph(escape(title), heading), Spacer(1, 0.3 * cm)]
    for line in header:
        story.append(Paragraph(escape(line), body))
    story.append(Spacer(1, 0.4 * cm))
    on_blue = ParagraphStyle("on_blue", parent=body, fontName=fonts.bold, textColor=colors.white)
    rows = [[Paragraph(escape(c), on_blue) for c in columns]]
    for line in lines:
        rows.append(
            [
                Paragraph(f"<b>{escape(line.objective)}</b><br/>{_lines(line.action)}", body),
                Paragraph(escape(line.who), body),
                Paragraph(escape(line.due), body),
                Paragraph(escape(line.where), body),
            ]
        )
    table = Table(rows, colWidths=[8.5 * cm, 2.5 * cm, 2.5 * cm, 4 * cm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#095797")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c5cad2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 0.4 * cm), Paragraph(escape(footer), body)]
    document.build(story)
    return buffer.getvalue()
