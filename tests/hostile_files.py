"""Hostile documents, written for real: shared by tests/test_limits.py and bench/hostile.py.

Each maker writes one file and returns its path. Sizes match what a person could meet: the Word bomb
is the issue's own case (well under a megabyte that unpacks to about 220 MB of one paragraph).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PARAGRAPH = ("The council publishes its spending, its contracts and its plans so residents can see "
              "how decisions are made and who made them. ")


def _word_parts(path: Path) -> dict[str, bytes]:
    """Every part of a real, empty Word document made by python-docx, except its body."""
    from docx import Document

    template = path.with_name(path.stem + "-template.docx")
    Document().save(str(template))
    with zipfile.ZipFile(template) as archive:
        parts = {name: archive.read(name) for name in archive.namelist() if name != "word/document.xml"}
    template.unlink()
    return parts


def _word_with_body(path: Path, paragraphs, chunk_repeat: int = 1) -> Path:
    """A Word file whose body is streamed in, so a huge body never sits in this process's memory."""
    parts = _word_parts(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("word/document.xml", "w") as body:  # sizes in the headers (no zip64)
            body.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       f'<w:document xmlns:w="{_W}"><w:body>'.encode())
            for paragraph in paragraphs:
                body.write(paragraph)
            body.write(b"<w:sectPr/></w:body></w:document>")
    return path


def word_bomb(path: Path, unpacked_mb: int = 220) -> Path:
    """One ordinary paragraph repeated until the body unpacks to `unpacked_mb` (the issue's file)."""
    one = f"<w:p><w:r><w:t>{_PARAGRAPH * 8}</w:t></w:r></w:p>".encode()
    return _word_with_body(path, (one for _ in range(unpacked_mb * 2**20 // len(one))))


def word_one_huge_paragraph(path: Path, chars: int = 12_000_000) -> Path:
    """A single paragraph of `chars` characters: small on disk and under the unpacked limit."""
    piece = _PARAGRAPH.encode()

    def body():
        yield b"<w:p><w:r><w:t>"
        for _ in range(chars // len(piece) + 1):
            yield piece
        yield b"</w:t></w:r></w:p>"

    return _word_with_body(path, body())


def word_entity_bomb(path: Path) -> Path:
    """The classic "billion laughs": entities defined ten times over, expanded in the body."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    parts = _word_parts(path)
    body = (f'<?xml version="1.0"?>\n<!DOCTYPE w:document [{"".join(levels)}]>'
            f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
            "</w:body></w:document>")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        archive.writestr("word/document.xml", body)
    return path


def blank_pdf(path: Path, pages: int = 5000) -> Path:
    """A PDF of `pages` empty pages, as pypdf writes them."""
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def nested_html(path: Path, depth: int = 100_000) -> Path:
    """A page whose divs nest `depth` deep, each holding a word: a few hundred kilobytes."""
    path.write_text("<html><body>" + "<div>word " * depth + "</div>" * depth + "</body></html>",
                    encoding="utf-8")
    return path


def long_markdown(path: Path, chars: int = 12_000_000) -> Path:
    """Ordinary Markdown, a heading every few paragraphs, until it holds `chars` characters."""
    section = "## A section\n\n" + (_PARAGRAPH * 4 + "\n\n") * 5
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# A very long guide\n\n")
        for _ in range(chars // len(section) + 1):
            handle.write(section)
    return path


def pdf_named_docx(path: Path, pdf: Path) -> Path:
    """A real PDF saved under a Word file's name."""
    path.write_bytes(pdf.read_bytes())
    return path


def word_named_pdf(path: Path) -> Path:
    """A real Word document saved under a PDF's name."""
    from docx import Document

    document = Document()
    document.add_heading("Parking", level=1)
    document.add_paragraph("Residents apply for a parking permit online.")
    document.save(str(path))
    return path


def word_bomb_understated(path: Path, unpacked_mb: int = 220) -> Path:
    """The Word bomb with zip headers that claim its body unpacks to one kilobyte."""
    import struct

    word_bomb(path, unpacked_mb)
    with zipfile.ZipFile(path) as archive:
        body = archive.getinfo("word/document.xml")
        directory = archive.start_dir
    data = bytearray(path.read_bytes())
    assert body.file_size < 2**32, "a zip64 body keeps its sizes elsewhere"
    struct.pack_into("<I", data, body.header_offset + 22, 1024)  # the local header's size field
    entry = data.index(b"PK\x01\x02", directory)
    while data[entry + 46:entry + 46 + len(body.filename)] != body.filename.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 1024)  # the central directory's size field
    path.write_bytes(bytes(data))
    return path
