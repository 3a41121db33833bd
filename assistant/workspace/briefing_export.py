"""A briefing note written to a file: Word (A4, Word's own heading and list styles, a footer with page
numbers) or Markdown.

Built-in styles (Title, Heading 1/2, List Bullet) rather than direct formatting, so the note drops
into a council's own template and its navigation pane shows the questions.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from assistant.workspace.briefing import Briefing, answer_paragraphs, to_markdown
from assistant.workspace.safe_text import strip_control

FONT = "Arial"  # on every council laptop; LibreOffice draws it with the metric-equal Liberation Sans
_GREY = RGBColor(0x55, 0x55, 0x55)


def to_docx(briefing: Briefing) -> bytes:
    """The note as a Word document on A4."""
    doc = Document()
    _page_setup(doc, strip_control(briefing.title))
    doc.core_properties.title = strip_control(briefing.title)
    doc.core_properties.comments = ""
    doc.add_paragraph(strip_control(briefing.title), style="Title")
    _labelled(doc, "Date: ", briefing.date)
    _labelled(doc, "Purpose: ", briefing.purpose)

    if briefing.answered:
        doc.add_heading("Key points", level=1)
        for item in briefing.answered:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(strip_control(item.question) + " ").bold = True
            paragraph.add_run(strip_control(item.key_point))
        doc.add_heading("Questions and answers", level=1)
    for i, item in enumerate(briefing.answered, 1):
        doc.add_heading(f"{i}. {strip_control(item.question)}", level=2)
        if item.asked_as:
            _small(doc, "Also asked as: " + strip_control("; ".join(item.asked_as)))
        for text, bullet in answer_paragraphs(item.answer):
            doc.add_paragraph(text, style="List Bullet" if bullet else None)

    if briefing.notes:
        doc.add_heading("Officer's notes", level=1)
        for paragraph in strip_control(briefing.notes).split("\n\n"):
            if paragraph.strip():
                doc.add_paragraph(paragraph.strip())
    if briefing.not_covered:
        doc.add_heading("Not covered by the guide", level=1)
        for item in briefing.not_covered:
            doc.add_paragraph(strip_control(item.question), style="List Bullet")
    if briefing.references:
        doc.add_heading("References", level=1)
        for ref in briefing.references:
            paragraph = doc.add_paragraph(f"[{ref.n}] {strip_control(ref.text)}")
            paragraph.paragraph_format.left_indent = Mm(8)
            paragraph.paragraph_format.first_line_indent = Mm(-8)  # numbers hang in the margin
            paragraph.paragraph_format.space_after = Pt(3)
    if briefing.source:
        _small(doc, strip_control(briefing.source)).paragraph_format.space_before = Pt(12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_setup(doc, title: str) -> None:
    """A4 with 25 mm margins; one readable font throughout; title and page number in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(25))
    styles = doc.styles
    styles["Normal"].font.name = FONT
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 24), ("Heading 1", 15), ("Heading 2", 12)):
        styles[name].font.name = FONT
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    # The template's theme fonts would otherwise win over the names set above.
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = styles[name].element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run(f"{title} · page ")
    run.font.size, run.font.color.rgb = Pt(9), _GREY
    _page_number(footer)


def _page_number(paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _labelled(doc, label: str, value: str):
    paragraph = doc.add_paragraph()
    paragraph.add_run(label).bold = True
    paragraph.add_run(strip_control(value))
    paragraph.paragraph_format.space_after = Pt(2)
    return paragraph


def _small(doc, text: str):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.italic, run.font.size, run.font.color.rgb = True, Pt(9), _GREY
    return paragraph


def save(briefing: Briefing, path: Path) -> None:
    """Write the note as .docx or .md (by the path's suffix), all or nothing."""
    path = Path(path)
    data = to_docx(briefing) if path.suffix.lower() == ".docx" else to_markdown(briefing).encode("utf-8")
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
