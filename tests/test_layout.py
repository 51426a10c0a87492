"""Wrapped lines joined back into paragraphs, and printed-page furniture found."""

from __future__ import annotations

from ingest.layout import fix_ligatures, join_wrapped, page_furniture

MD = """You can determine which version of the HTTP protocol was used by examining
the `.http_version` property on the response.

- an item that wraps
  onto a second line
- a second item
# A heading
Text right under it.
A line with a hard break\\
after it.

```
code line one
code line two
```
    indented code
    more code"""


def test_markdown_paragraphs_join_as_commonmark_reads_them() -> None:
    lines = join_wrapped(MD.split("\n"), markdown=True)
    assert lines[0] == ("You can determine which version of the HTTP protocol was used by "
                        "examining the `.http_version` property on the response.")
    assert "- an item that wraps onto a second line" in lines
    assert "- a second item" in lines and "# A heading" in lines
    assert "Text right under it. A line with a hard break\\" in lines
    assert "after it." in lines
    assert lines[lines.index("```") + 1:][:2] == ["code line one", "code line two"]
    assert lines[-2:] == ["    indented code", "    more code"]


PDF = ["A printed page sets its lines to one width, and here the lines of text are as long",
       "as that width allows, so that the last words of a sentence run on onto the next",
       "line, as any printed manual of this kind does it, page after page after page.",
       "The group currently consists of Doug Bates, John Chambers, Peter Dalgaard, Robert",
       "Gentleman, Kurt Hornik, and Ross Ihaka, who all work on the R source code today.",
       "Support ended with R 1.7.1.",
       "2.2 What machines does R run on?",
       "R is developed for the Unix-like, Windows and Mac families of operating systems, and",
       "builds on many platforms, and the web pages of the project say so; its informa-",
       "tion pages list them all in one place for the users who need to find them.",
       "Options:",
       "quiet mode",
       "ptr any pointer type",
       "ref any pointer type"]


def test_printed_text_joins_full_lines_and_lower_case_continuations() -> None:
    lines = join_wrapped(PDF, markdown=False)
    assert lines[1].startswith("The group") and lines[1].endswith("source code today.")
    assert "Support ended with R 1.7.1." in lines and "2.2 What machines does R run on?" in lines
    assert any("its information pages list them" in ln for ln in lines)
    assert lines[-4:] == ["Options:", "quiet mode", "ptr any pointer type", "ref any pointer type"]


def test_paragraph_lines_are_not_wrapping() -> None:
    paragraphs = [f"Paragraph {n} says a great deal " + "in many words " * (4 + 3 * n) + "and more"
                  for n in range(10)]
    paragraphs.insert(5, "Another paragraph that starts in upper case.")
    assert join_wrapped(paragraphs, markdown=False) == paragraphs


def test_page_furniture_is_contents_leaders_page_numbers_and_running_heads() -> None:
    lines = ["1 Introduction . . . . . . . . . 1", "Body text of the page that says things.",
             "12", "Chapter 4: Controlling Axes 15", "Chapter 4: Controlling Axes 16",
             "Chapter 4: Controlling Axes 17", "Version 2.12 was released in 2015.", "iv"]
    assert page_furniture(lines) == {0, 2, 3, 4, 5, 7}


def test_ligatures_are_spelled_out() -> None:
    assert fix_ligatures("the ﬁrst ﬂag") == "the first flag"
