"""Undo print layout: lines wrapped to a page width, and the furniture a page repeats.

Markdown sources, PDF text and plain-text exports break sentences at a fixed width; a sentence
split over two lines cannot be found, quoted or cited whole. These rules know formats (CommonMark
paragraphs, printed pages), never a particular document's words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

# Typographic ligatures PDF text extraction keeps as single characters ('ﬁle' for 'file').
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
                            "ﬅ": "st", "ﬆ": "st"})
# Lines that start a Markdown block of their own, so they never continue a paragraph: headings,
# quotes, list items, table rows, fences, HTML, thematic breaks and setext underlines.
_MD_BLOCK = re.compile(r"^\s*(?:#{1,6}(?:\s|$)|>|[-*+]\s|\d{1,9}[.)]\s|\||```|~~~|<|"
                       r"(?:[-*_]\s*){3,}$|=+\s*$|-+\s*$)")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
# A table-of-contents entry of a printed document: a title, dot leaders, a page number.
_DOT_LEADERS = re.compile(r"(?:\.\s?){4,}\s*[0-9ivxlc]+$", re.IGNORECASE)
# A page number printed alone on its line: '12', 'iv', '- 3 -', 'Page 7'.
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–]?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
RUNNING_HEAD_PAGES = 3
"""A short line that recurs, numbers aside, this many times in one document is a running head
or foot ('Chapter 4: Axes 15', 'Page 3 of 40'), printed on every page, not said by the text."""
_RUNNING_HEAD_WORDS = 12
_MIN_WRAPPED_LINES = 8  # fewer lines say nothing of a page width


def fix_ligatures(text: str) -> str:
    return text.translate(_LIGATURES)


def page_furniture(lines: Sequence[str]) -> set[int]:
    """Indices of lines a printed page adds: dot-leader contents entries, page numbers alone
    on their line, and running heads (short numbered lines repeated page after page)."""
    stripped = [ln.strip() for ln in lines]
    forms = Counter(_DIGITS.sub("#", s) for s in stripped if _running_head_shape(s))
    dead = set()
    for i, s in enumerate(stripped):
        if not s:
            continue
        if (_DOT_LEADERS.search(s) or _PAGE_NUMBER.match(s)
                or (_running_head_shape(s) and forms[_DIGITS.sub("#", s)] >= RUNNING_HEAD_PAGES)):
            dead.add(i)
    return dead


def _running_head_shape(line: str) -> bool:
    return bool(_DIGITS.search(line)) and 0 < len(line.split()) <= _RUNNING_HEAD_WORDS


def join_wrapped(lines: Sequence[str], markdown: bool) -> list[str]:
    """Join the lines of one paragraph that a fixed width broke apart. Markdown follows
    CommonMark: a non-blank line continues the paragraph above unless it starts a block, and a
    line ending in two spaces or a backslash is a hard break. In a hard-wrapped text (PDF, plain
    text set to a width) a line that fills the width runs on unless it ends a sentence before a
    capital; in other plain text a line runs on only into one that starts in lower case."""
    out: list[str] = []
    fenced = False
    width = 0 if markdown else _wrap_width(lines)
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        if not fenced and out and _continues(out[-1], line, markdown, width):
            out[-1] = _glue(out[-1], line, markdown)
        else:
            out.append(line)
    return out


def _wrap_width(lines: Sequence[str]) -> int:
    """The width a hard-wrapped text was set to (the 90th percentile of its line lengths), or 0
    when its lines are paragraphs (a text whose lines run past 110 characters is not wrapped)."""
    lengths = sorted(len(ln.strip()) for ln in lines if ln.strip())
    if len(lengths) < _MIN_WRAPPED_LINES:
        return 0
    width = lengths[int(0.9 * (len(lengths) - 1))]
    overlong = sum(n > 1.25 * width for n in lengths) / len(lengths)
    return width if 40 <= width <= 110 and overlong <= 0.05 else 0


def _continues(previous: str, line: str, markdown: bool, width: int) -> bool:
    text, before = line.strip(), previous.rstrip()
    if not text or not before or _FENCE.match(previous) or "|" in before or "\t" in before:
        return False
    if markdown:
        hard_break = previous.endswith(("  ", "\\"))
        return not (hard_break or _MD_BLOCK.match(line) or before.lstrip().startswith("#")
                    or (line.startswith(("    ", "\t")) and not _in_paragraph(previous)))
    if before.endswith(":") or len(before.split()) < 3:
        return False
    if width:  # a line that stops short of the width ended its paragraph (or is a table row)
        return len(before.strip()) >= 0.75 * width and (before[-1] not in ".!?"
                                                         or text[0].islower())
    return text[0].islower()


def _in_paragraph(previous: str) -> bool:
    """An indented line after paragraph text is a continuation (indented code cannot interrupt a
    paragraph); after an indented code line it is more code."""
    return not previous.startswith(("    ", "\t")) or bool(_MD_BLOCK.match(previous))


def _glue(previous: str, line: str, markdown: bool) -> str:
    head = previous.rstrip()
    if (not markdown and head.endswith("-") and head[-2:-1].isalpha()
            and line.strip()[:1].islower()):
        return head[:-1] + line.strip()  # a word a typesetter hyphenated at the line's end
    return f"{head} {line.strip()}"
