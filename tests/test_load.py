"""ingest.load: real files in tmp_path, every kind of bad input, HTML/PDF/Markdown extraction."""

from __future__ import annotations

import io
import json
import os
import time
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, StreamObject

from ingest.load import FileProblem, LoadResult, PdfLimits, load_documents, slugify

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def make_pdf(lines: list[str], title: str = "A Tiny PDF") -> bytes:
    """A real one-page PDF whose text pypdf can extract."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    shown = " ".join(f"({line}) Tj T*" for line in lines)
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td 14 TL {shown} ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def only_problem(result: LoadResult, path: Path) -> FileProblem:
    assert result.documents == ()
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert problem.path == str(path)
    assert str(path) in problem.reason  # the reason names the file ...
    assert ";" in problem.reason  # ... and goes on to say what to do
    return problem


def test_plain_text_file_loads_with_slug_id_first_line_title_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "My Notes (v2).txt", "\n  Why LLMs matter\r\nThey do.\r\n")
    result = load_documents([path])
    (doc,) = result.documents
    assert result.problems == ()
    assert doc.doc_id == "my-notes-v2"
    assert doc.title == "Why LLMs matter"
    assert doc.source == str(path)
    assert doc.text == "\n  Why LLMs matter\nThey do.\n"  # line endings normalised only
    assert doc.metadata["suffix"] == ".txt"
    assert doc.metadata["path"] == str(path)
    assert doc.metadata["bytes"] == path.stat().st_size


def test_long_first_line_is_shortened_for_the_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "word " * 40 + "\nmore")
    (doc,) = load_documents([path]).documents
    assert len(doc.title) <= 81 and doc.title.endswith("…")


def test_markdown_title_is_the_first_level_one_heading(tmp_path: Path) -> None:
    path = write(tmp_path / "guide.md", "Intro line\n\n## Not this\n\n# Real Title #\n\nBody.\n")
    (doc,) = load_documents([path]).documents
    assert doc.title == "Real Title"
    assert doc.text.startswith("Intro line")


def test_html_drops_hidden_text_scripts_and_page_chrome(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><title>The  Page Title</title>
    <style>.x { color: red }</style><script>var secret = "SCRIPT";</script></head>
    <body><nav>Home | About | NAVLINK</nav><header>SITE BANNER</header>
    <article><header><h1>Article Heading</h1></header>
    <p>First <b>para</b> text.<br>Second line.</p>
    <div hidden>HIDDEN-ATTR</div><p style="color: red; DISPLAY : none">HIDDEN-STYLE</p>
    <p style="visibility:hidden">HIDDEN-VIS</p><span aria-hidden="true">ARIA</span>
    <noscript>NOSCRIPT</noscript><template>TEMPLATE</template><!-- COMMENT -->
    <h2>Sub heading</h2>
    <ul><li>One</li><li><p>Two</p></li><li> <img src="x.png"> </li></ul><p>After list.</p>
    <table><tr><th>Name</th><th>Kind</th></tr>
    <tr><td>GPT-4</td><td>LLM <i>text</i></td></tr></table>
    </article><aside>RELATED</aside><footer>FOOTER</footer>
    <form>SUBSCRIBE <input type="email"></form></body></html>"""
    path = write(tmp_path / "page.html", html)
    (doc,) = load_documents([path]).documents
    assert doc.title == "The Page Title"
    for gone in ("SCRIPT", "color", "NAVLINK", "SITE BANNER", "HIDDEN-ATTR", "HIDDEN-STYLE",
                 "HIDDEN-VIS", "ARIA", "NOSCRIPT", "TEMPLATE", "COMMENT", "RELATED", "FOOTER",
                 "SUBSCRIBE"):
        assert gone not in doc.text, gone
    lines = doc.text.split("\n")
    assert "Article Heading" in lines  # a header inside <article> is the article's own
    assert "First para text." in lines and "Second line." in lines
    assert "Sub heading" in lines
    assert "- One" in lines and "- Two" in lines and "After list." in lines
    assert "Name | Kind" in lines and "GPT-4 | LLM text" in lines


def test_deeply_nested_html_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "deep.html", "<div>" * 5000 + "Deep text." + "</div>" * 5000)
    (doc,) = load_documents([path]).documents
    assert doc.text == "Deep text."


def test_html_title_falls_back_to_first_h1(tmp_path: Path) -> None:
    path = write(tmp_path / "p.htm", "<body><p>intro</p><h1>Main <em>Heading</em></h1></body>")
    (doc,) = load_documents([path]).documents
    assert doc.title == "Main Heading"


def test_pdf_text_and_title_are_extracted(tmp_path: Path) -> None:
    path = write(tmp_path / "paper.pdf", make_pdf(["Hello PDF world.", "Second line."]))
    (doc,) = load_documents([path]).documents
    assert "Hello PDF world." in doc.text and "Second line." in doc.text
    assert doc.title == "A Tiny PDF"
    assert doc.metadata["pages"] == 1


def test_missing_path_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    assert "does not exist" in only_problem(load_documents([missing]), missing).reason


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    if os.geteuid() != 0:
        write(path, "secret")
        path.chmod(0)
    elif Path("/proc/self/mem").exists():
        path.symlink_to("/proc/self/mem")  # root reads any file, but reading this one fails
    else:
        pytest.skip("no way to make an unreadable file here")
    try:
        assert "cannot be read" in only_problem(load_documents([path]), path).reason
    finally:
        if not path.is_symlink():
            path.chmod(0o600)


@pytest.mark.parametrize(("data", "words"), [
    (b"", "is empty"),
    (b"  \n\t\r\n \n", "no text"),
    (b"GIF89a\x00\x01\x00binary", "is a GIF image by its content"),
    ("Caf\u00e9 cr\u00e8me".encode("latin-1"), "not UTF-8"),
    ("\ufeffUTF-16 text".encode("utf-16"), "NUL bytes"),
])
def test_bad_text_files_are_problems(tmp_path: Path, data: bytes, words: str) -> None:
    path = write(tmp_path / "bad.txt", data)
    assert words in only_problem(load_documents([path]), path).reason


def test_latin1_problem_says_where_the_bad_byte_is(tmp_path: Path) -> None:
    path = write(tmp_path / "old.md", b"abc\xe9")
    reason = only_problem(load_documents([path]), path).reason
    assert "0xe9 at offset 3" in reason and "UTF-8" in reason


def test_file_over_the_size_limit_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "x" * 101)
    assert "over the limit of 100" in only_problem(
        load_documents([path], max_file_bytes=100), path).reason
    assert load_documents([path], max_file_bytes=101).documents


def test_truncated_pdf_is_a_problem(tmp_path: Path) -> None:
    data = make_pdf(["Some text that will be cut off."])
    path = write(tmp_path / "cut.pdf", data[: len(data) // 2])
    assert "PDF" in only_problem(load_documents([path]), path).reason


def test_pdf_without_text_and_fake_pdf_are_problems(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    buffer = io.BytesIO()
    writer.write(buffer)
    blank = write(tmp_path / "blank.pdf", buffer.getvalue())
    assert "no extractable text" in only_problem(load_documents([blank]), blank).reason
    fake = write(tmp_path / "fake.pdf", "just text")
    assert "not a PDF" in only_problem(load_documents([fake]), fake).reason


def test_explicit_unsupported_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", "a,b\n")
    assert "unsupported type" in only_problem(load_documents([path]), path).reason


def test_folder_with_mixed_files_loads_the_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder / "b.txt", "Bravo text.")
    write(folder / "a.md", "# Alpha\n\nAlpha text.")
    write(folder / "sub" / "c.html", "<title>Charlie</title><p>Charlie text.</p>")
    write(folder / "sub" / "d.pdf", make_pdf(["Delta text."]))
    write(folder / "empty.txt", "")
    write(folder / "binary.txt", b"\x00\x01\x02")
    write(folder / "latin.txt", b"\xff\xfe caf\xe9")
    write(folder / "cut.pdf", make_pdf(["Echo."])[:300])
    write(folder / ".hidden.txt", "Hidden file.")
    write(folder / ".git" / "notes.txt", "Hidden folder.")
    write(folder / "notes.csv", "not, a, document")
    result = load_documents([folder])
    assert [d.doc_id for d in result.documents] == ["a", "b", "c", "d"]
    assert [d.source for d in result.documents] == [
        str(folder / "a.md"), str(folder / "b.txt"), str(folder / "sub" / "c.html"),
        str(folder / "sub" / "d.pdf")]
    bad = sorted(Path(p.path).name for p in result.problems)
    assert bad == ["binary.txt", "cut.pdf", "empty.txt", "latin.txt"]


def test_metadata_json_supplies_ids_titles_publisher_and_author(tmp_path: Path) -> None:
    write(tmp_path / "one.txt", "First line of one.")
    write(tmp_path / "two.txt", "First line of two.")
    write(tmp_path / "metadata.json", json.dumps({
        "one.txt": {"doc_id": "doc-one", "title": "The One", "publisher": "ACME",
                    "author": "Ann Author"},
    }))
    one, two = load_documents([tmp_path]).documents
    assert (one.doc_id, one.title) == ("doc-one", "The One")
    assert one.metadata["publisher"] == "ACME" and one.metadata["author"] == "Ann Author"
    assert (two.doc_id, two.title) == ("two", "First line of two.")
    assert "publisher" not in two.metadata and "author" not in two.metadata
    # a file given on its own still gets its folder's metadata
    (alone,) = load_documents([tmp_path / "one.txt"]).documents
    assert alone.doc_id == "doc-one"


def test_broken_metadata_json_is_a_problem_and_files_still_load(tmp_path: Path) -> None:
    write(tmp_path / "one.txt", "Text.")
    meta = write(tmp_path / "metadata.json", "{not json")
    result = load_documents([tmp_path])
    assert [d.doc_id for d in result.documents] == ["one"]
    assert [p.path for p in result.problems] == [str(meta)]
    write(meta, json.dumps(["a", "list"]))
    assert "must map each file name" in load_documents([tmp_path]).problems[0].reason


def test_duplicate_doc_id_is_a_problem_for_the_second_file(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "report.txt", "One.")
    second = write(tmp_path / "b" / "report.md", "Two.")
    result = load_documents([tmp_path / "a", tmp_path / "b"])
    assert [d.source for d in result.documents] == [str(first)]
    (problem,) = result.problems
    assert problem.path == str(second)
    assert "'report'" in problem.reason and str(first) in problem.reason


def test_same_file_given_twice_loads_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Text.")
    result = load_documents([tmp_path, path])
    assert len(result.documents) == 1 and result.problems == ()


def test_slugify() -> None:
    assert slugify("LLMs vs. Gen AI — Ünïcode!") == "llms-vs-gen-ai-unicode"
    assert slugify("???").startswith("doc-")


def test_seed_corpus_loads_with_its_metadata() -> None:
    result = load_documents([CORPUS])
    assert result.problems == ()
    by_id = {d.doc_id: d for d in result.documents}
    assert sorted(by_id) == ["aipro-genai-vs-llms", "llms-genai-differences-industries",
                             "llms-vs-genai-key-differences", "revechat-llm-vs-genai"]
    assert by_id["revechat-llm-vs-genai"].metadata["author"] == "Nur-Nabi Siddique"
    assert by_id["aipro-genai-vs-llms"].metadata["publisher"] == "AI-PRO"
    for doc in result.documents:
        assert doc.text == Path(doc.source).read_text(encoding="utf-8")  # verbatim


def amplified_pdf(pages: int = 4, content_bytes: int = 6_000_000) -> bytes:
    """A ~19 KB PDF whose pages share one Flate stream that unpacks to ``content_bytes``."""
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    line = b"(Amplified words fill this page again and again) Tj T* "
    stream = StreamObject()
    stream._data = zlib.compress(b"BT /F1 12 Tf 72 720 Td 14 TL "
                                 + line * (content_bytes // len(line)) + b"ET", 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    shared = writer._add_object(stream)
    for _ in range(pages):
        page = writer.add_blank_page(width=612, height=792)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        page[NameObject("/Contents")] = shared
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_an_amplified_pdf_is_refused_within_seconds(tmp_path: Path) -> None:
    data = amplified_pdf()
    assert len(data) < 25_000  # tiny on disk: the size limit alone lets it through
    path = write(tmp_path / "amplified.pdf", data)
    started = time.monotonic()
    problem = only_problem(load_documents([path]), path)
    assert time.monotonic() - started < 5  # unbounded: ~45 s a page here
    assert "page 1 holds 5,999" in problem.reason and "max_pdf_page_bytes" in problem.reason


def test_pdf_page_count_and_time_budget_are_limits(tmp_path: Path) -> None:
    path = write(tmp_path / "many.pdf", amplified_pdf(pages=5, content_bytes=200_000))
    problem = only_problem(load_documents([path], pdf_limits=PdfLimits(pages=4)), path)
    assert "has 5 pages, over the limit of 4" in problem.reason
    slow = PdfLimits(seconds=0.01)  # 200 KB a page takes about a second to parse
    problem = only_problem(load_documents([path], pdf_limits=slow), path)
    assert "took over 0.01 s to read" in problem.reason and "max_pdf_seconds" in problem.reason


def test_a_file_of_only_zero_width_spaces_has_no_text(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.md", "\u200b\u200c\u200d\ufeff\n\u2060 " * 50)
    assert "has no text in it" in only_problem(load_documents([path]), path).reason
