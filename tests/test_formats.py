"""Reading each supported format into sections: titles, heading paths, pages and stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from guides import write_plain_pdf, write_plain_text

from assistant.errors import DocumentError
from assistant.ingest.documents import Section, SourceFile, find_files, read_sections
from assistant.ingest.formats.headings import looks_like_title, numbered_level, strip_numbering


def sections_of(path: Path) -> list[Section]:
    return read_sections(SourceFile(path, path.name))


def by_path(sections: list[Section]) -> dict[tuple[str, ...], Section]:
    return {s.path: s for s in sections}


def test_pdf_headings_from_type_size_and_numbers(generated_guides):
    sections = by_path(sections_of(generated_guides["pdf"]))
    assert list(sections) == [
        ("Staying Safe Online",),
        ("1. Leadership",),
        ("1. Leadership", "1.1 The senior information risk owner"),
        ("2. Data",),
        ("2. Data", "2.3 Open data register"),
        ("Play 4: Cyber resilience",),
        # Set in the same size as "1. Leadership", so a sibling of the chapters, not a child.
        ("Working With Suppliers",),
    ]
    assert sections[("1. Leadership",)].paragraphs[1:] == [
        "Appoint a senior information risk owner", "Report incidents to the audit committee"]
    assert sections[("Play 4: Cyber resilience",)].title == "Play 4: Cyber resilience"
    assert "phishing drills every quarter" in sections[("Play 4: Cyber resilience",)].text


def test_pdf_pages_including_a_section_over_a_page_break(generated_guides):
    sections = by_path(sections_of(generated_guides["pdf"]))
    pages = {path[-1]: (s.page_start, s.page_end) for path, s in sections.items()}
    assert pages["Staying Safe Online"] == (1, 1)
    assert pages["1.1 The senior information risk owner"] == (1, 1)
    assert pages["2. Data"] == (2, 2)
    assert pages["2.3 Open data register"] == (2, 3)
    assert pages["Play 4: Cyber resilience"] == (4, 4)
    assert pages["Working With Suppliers"] == (5, 5)
    register = sections[("2. Data", "2.3 Open data register")].text
    assert "Dataset 1 in" in register and "Dataset 80 in" in register


def test_pdf_running_headers_footers_and_page_numbers_are_dropped(tmp_path):
    from fpdf import FPDF

    class Booklet(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 14)
            self.cell(0, 8, "Council Of The Future", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 9)
            self.cell(0, 8, f"Page {self.page_no()} of 4", align="C")

    pdf = Booklet()
    for n, topic in enumerate(["Leadership", "Data", "Skills", "Money"], start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(0, 10, f"{n}. {topic}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, f"Councillors should ask how {topic.lower()} supports residents.")
    pdf.output(str(tmp_path / "booklet.pdf"))
    sections = sections_of(tmp_path / "booklet.pdf")
    assert [(s.path, s.page_start) for s in sections] == [
        (("1. Leadership",), 1), (("2. Data",), 2), (("3. Skills",), 3), (("4. Money",), 4)]
    assert [s.text for s in sections][1] == "Councillors should ask how data supports residents."


def test_docx_heading_styles_and_table(generated_guides):
    sections = by_path(sections_of(generated_guides["docx"]))
    assert list(sections) == [
        ("Buying Technology",),
        ("Buying Technology", "Cloud contracts"),
        ("Buying Technology", "Open standards"),
        ("Skills",),
    ]
    cloud = sections[("Buying Technology", "Cloud contracts")]
    assert "three years" in cloud.text
    # Table rows are read row by row into the section they sit in.
    assert "Exit plan; How data comes back when a contract ends" in cloud.paragraphs
    assert all(s.page_start is None and s.page_end is None for s in sections.values())


def test_docx_without_heading_styles_uses_short_bold_lines(tmp_path):
    import docx

    document = docx.Document()

    def bold_line(text: str) -> None:
        document.add_paragraph().add_run(text).bold = True

    bold_line("2. Data")
    document.add_paragraph("Councils hold a great deal of data.")
    bold_line("2.1 Open data")
    paragraph = document.add_paragraph("Open data is free to reuse, ")
    paragraph.add_run("and this part is bold").bold = True  # emphasis, not a heading
    bold_line("Publish a register of every dataset the council holds.")  # a bold sentence
    bold_line("Working With Suppliers")
    document.add_paragraph("Contracts say who reports a breach.")
    document.save(str(tmp_path / "plain-styles.docx"))
    sections = by_path(sections_of(tmp_path / "plain-styles.docx"))
    assert list(sections) == [("2. Data",), ("2. Data", "2.1 Open data"), ("Working With Suppliers",)]
    assert sections[("2. Data", "2.1 Open data")].paragraphs == [
        "Open data is free to reuse, and this part is bold",
        "Publish a register of every dataset the council holds.",
    ]


def test_utf16_text_files_are_text(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("1. Parking\n\nResidents' permits are renewed every year.\n", encoding="utf-16")
    assert [(s.path, s.text) for s in sections_of(notes)] == [
        (("1. Parking",), "Residents' permits are renewed every year.")
    ]


def test_html_headings_without_scripts_or_styles(generated_guides):
    sections = sections_of(generated_guides["html"])
    assert [s.path for s in sections] == [
        ("Smart Places",),
        ("Street sensors",),
        ("Street sensors", "Air quality monitors"),
        ("Connectivity",),
    ]
    every_text = " ".join(s.text + " " + s.title for s in sections)
    assert "zzqx" not in every_text and "color: black" not in every_text
    assert "ducts" in by_path(sections)[("Connectivity",)].text
    assert all(s.page_start is None for s in sections)


def test_html_text_outside_paragraph_tags_is_kept(tmp_path):
    page = tmp_path / "divs.html"
    page.write_text(
        "<html><body><h1>Guide</h1><div class='intro'>Councils should publish data openly."
        "<!-- draft: remove before publishing --></div><h2>Skills</h2><div><span>Train staff</span> "
        "<b>every year.</b></div><p>Budget for it.</p></body></html>",
        encoding="utf-8",
    )
    sections = by_path(sections_of(page))
    assert sections[("Guide",)].text == "Councils should publish data openly."
    assert sections[("Skills",)].paragraphs == ["Train staff every year.", "Budget for it."]
    assert "draft" not in " ".join(s.text for s in sections.values())


def test_plain_text_numbered_title_case_and_underlined_headings(generated_guides):
    sections = by_path(sections_of(generated_guides["txt"]))
    assert list(sections) == [
        ("1. Waste and Recycling",),
        ("1. Waste and Recycling", "1.1 Recycling rates"),
        ("1. Waste and Recycling", "1.2 Bin collection apps"),
        ("Talking To Residents",),
        ("Social Media",),
    ]
    app = sections[("1. Waste and Recycling", "1.2 Bin collection apps")]
    # Wrapped lines join into one paragraph.
    assert app.paragraphs == [
        "A bin collection app should tell residents which bin goes out on which day, and warn "
        "them about changes over bank holidays."
    ]
    assert "====" not in sections[("Social Media",)].text
    assert all(s.page_start is None for s in sections.values())


def test_markdown_title_is_not_part_of_every_path(generated_guides):
    sections = by_path(sections_of(generated_guides["md"]))
    assert list(sections) == [
        ("Housing Services",),
        ("1 Repairs",),
        ("1 Repairs", "1.1 Reporting a repair online"),
        ("1 Repairs", "1.2 Emergency repairs"),
        ("2 Rent",),
    ]
    assert [s.order for s in sections.values()] == list(range(5))
    assert sections[("1 Repairs", "1.2 Emergency repairs")].level == 2


@pytest.mark.parametrize("kind", ["pdf", "docx", "html", "txt", "md"])
def test_section_ids_are_stable_and_unique(generated_guides, kind):
    first = sections_of(generated_guides[kind])
    second = sections_of(generated_guides[kind])
    assert [s.section_id for s in first] == [s.section_id for s in second]
    assert len({s.section_id for s in first}) == len(first)
    assert all(s.source == generated_guides[kind].name for s in first)


def test_section_id_depends_on_source_and_path_not_on_text(tmp_path):
    one = tmp_path / "one.md"
    one.write_text("# A\n\n## B\n\nFirst wording of the paragraph.\n", encoding="utf-8")
    before = sections_of(one)
    one.write_text("# A\n\n## B\n\nSecond, edited wording of the paragraph.\n", encoding="utf-8")
    after = sections_of(one)
    assert [s.section_id for s in before] == [s.section_id for s in after]
    other = tmp_path / "other.md"
    other.write_text(one.read_text(encoding="utf-8"), encoding="utf-8")
    assert {s.section_id for s in sections_of(other)}.isdisjoint(s.section_id for s in after)


def test_repeated_heading_gets_its_own_id(tmp_path):
    guide = tmp_path / "repeat.md"
    guide.write_text("# Guide\n\n## Summary\n\nOne.\n\n## Detail\n\nTwo.\n\n## Summary\n\nThree.\n",
                     encoding="utf-8")
    sections = sections_of(guide)
    summaries = [s for s in sections if s.title == "Summary"]
    assert len(summaries) == 2 and summaries[0].section_id != summaries[1].section_id


def test_headingless_text_becomes_paragraph_sections(tmp_path):
    sections = sections_of(write_plain_text(tmp_path / "parks-notes.txt"))
    assert [s.path for s in sections] == [("Parks notes", "Part 1")]
    assert sections[0].paragraphs[1].startswith("Residents can adopt a flower bed")


def test_long_headingless_text_is_cut_into_several_parts(tmp_path):
    guide = tmp_path / "long.txt"
    guide.write_text("\n\n".join(f"Paragraph {n} says something plain about parks and bins." * 6
                                 for n in range(12)), encoding="utf-8")
    sections = sections_of(guide)
    assert len(sections) > 1
    assert [s.path[-1] for s in sections] == [f"Part {n}" for n in range(1, len(sections) + 1)]
    assert all(len(s.text) <= 1600 for s in sections)


def test_headingless_pdf_becomes_page_sections(tmp_path):
    sections = sections_of(write_plain_pdf(tmp_path / "laptops.pdf"))
    assert [(s.path, s.page_start, s.page_end) for s in sections] == [
        (("Laptops", "Page 1"), 1, 1),
        (("Laptops", "Page 2"), 2, 2),
    ]
    assert "Volunteers run weekly sessions" in sections[1].text


@pytest.mark.parametrize(
    ("line", "level"),
    [("2. Data", 1), ("2.3 Open data", 2), ("Play 4: Cyber resilience", 1), ("Chapter 3 Money", 1),
     ("3 people came to the meeting.", None), ("2. the minutes were agreed", None)],
)
def test_numbered_heading_levels(line, level):
    assert numbered_level(line) == level


@pytest.mark.parametrize(
    ("heading", "bare"),
    [("2.4 A digital board", "A digital board"), ("2. Data", "Data"), ("B. Glossary", "Glossary"),
     ("iv) Funding", "Funding"), ("A couple tips", "A couple tips"), ("2018 in review", "2018 in review"),
     ("3.", "3.")],
)
def test_strip_numbering_drops_only_a_number(heading, bare):
    assert strip_numbering(heading) == bare


@pytest.mark.parametrize(
    ("line", "expected"),
    [("Talking To Residents", True), ("DIGITAL INCLUSION", True), ("Working with suppliers", False),
     ("This is a sentence.", False), ("- A bullet Point", False)],
)
def test_title_like_lines(line, expected):
    assert looks_like_title(line) is expected


def _picture_only_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")  # a page with a drawing and no text, like a scan
    pdf.output(str(path))


def _encrypted_pdf(path: Path, source: Path, user_password: str = "secret") -> Path:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_pdf_protected_only_against_editing_still_reads(tmp_path, generated_guides):
    protected = _encrypted_pdf(tmp_path / "protected.pdf", generated_guides["pdf"], user_password="")
    assert [s.path for s in sections_of(protected)] == [
        s.path for s in sections_of(generated_guides["pdf"])
    ]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.md", lambda p, g: p.write_text("  \n\n", encoding="utf-8"), "is empty"),
        ("broken.pdf", lambda p, g: p.write_bytes(b"%PDF-1.7\n1 0 obj garbage\n%%EOF"),
         "is not a readable PDF"),
        ("locked.pdf", lambda p, g: _encrypted_pdf(p, g["pdf"]), "is encrypted"),
        ("photo.txt", lambda p, g: p.write_bytes(bytes(range(256)) * 40), "binary file"),
        ("broken.docx", lambda p, g: p.write_bytes(b"PK\x03\x04 not really a zip"),
         "not a readable Word document"),
        ("blank.html", lambda p, g: p.write_text("<html><body><script>x()</script></body></html>",
                                                 encoding="utf-8"), "no text"),
        ("scan.pdf", lambda p, g: _picture_only_pdf(p), "needs text recognition"),
    ],
)
def test_unreadable_files_raise_one_clear_sentence(tmp_path, generated_guides, name, make, message):
    path = tmp_path / name
    make(path, generated_guides)
    with pytest.raises(DocumentError) as caught:
        sections_of(path)
    text = str(caught.value)
    assert name in text and message in text
    assert "\n" not in text and "Traceback" not in text


def test_files_cited_by_the_same_name_are_refused_not_merged(tmp_path):
    first = tmp_path / "a" / "guide.md"
    second = tmp_path / "b" / "guide.md"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(f"# {path.parent.name}\n\nText.\n", encoding="utf-8")
    files, problems = find_files([first, second, first, tmp_path / "a"])
    assert [(f.path, f.source) for f in files] == [(first, "guide.md")]  # the same file twice is one
    assert len(problems) == 1
    assert str(second) in problems[0] and "rename one of them" in problems[0]


def test_folders_skip_hidden_files_and_readmes_but_name_unsupported_ones(tmp_path):
    (tmp_path / "guide.md").write_text("# Guide\n\nText.\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("Notes about this folder.\n", encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "old.md").write_text("# Old\n", encoding="utf-8")
    (tmp_path / "deck.pptx").write_bytes(b"PK")
    files, problems = find_files([tmp_path])
    assert [f.source for f in files] == ["guide.md"]
    assert problems == [
        "deck.pptx: unsupported file type .pptx; use one of docx, htm, html, markdown, md, pdf, text, txt."
    ]
