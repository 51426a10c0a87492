"""Remove web-page debris from scraped articles and normalise their whitespace.

Rules work on lines: each rule marks lines as debris, marked lines are kept verbatim
in ``Cleaned.removed`` and the rest is re-joined with normalised whitespace. The rules
describe kinds of debris scrapers leave behind (sign-up calls, share bars, author
boxes, related-post cards, image captions, tables of contents), not particular sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.schema import Document
from ingest.layout import fix_ligatures, join_wrapped, page_furniture

_FLAGS = re.IGNORECASE | re.VERBOSE
_BULLET = re.compile(r"^(?:[-*•·–]\s+|\d{1,3}[.)]\s+)")
# Whole lines that are never article content: teasers ('Read more: ...'), and sign-up, share
# and call-to-action chrome. Calls to action have no full stop ([^.]*): a line that reads
# 'Try to keep prompts short; free-form text works too.' is prose.
_DEBRIS = re.compile(
    r"""^(?:
      (?:read\ the\ full\ story|read\ more|further\ reading|also\ read|related\ reading
        |recommended\ reading|see\ also|you\ may\ also\ like|related\ (?:posts?|articles?|stories))
        \s*[:\-–].*
    | stay\ (?:updated|tuned|informed|in\ the\ loop)\b[^.]*
    | (?:subscribe|sign\ up|signup|join)\b[^.]*\b(?:newsletter|updates|inbox|mailing\ list)\b[^.]*
    | subscribe(?:\ now|\ today)?!?
    | share\ (?:this|the)\ (?:post|article|story|page)\b[^.]*
    | view\ all\ (?:posts|articles|stories)\b[^.]*
    | (?:start|try|book|request|schedule|download)\b[^.]*\b(?:now|today|free)\b[^.]*
    | (?:twitter|linkedin|facebook|reddit|whatsapp|pinterest|instagram|youtube|telegram)
    | (?:articles|posts|stories)\s*:\s*[\d,]+
    )$""",
    _FLAGS,
)
# Debris that marks the start of a page footer (see _footer_leftovers).
_FOOTER = re.compile(r"^(?:share\ |stay\ |view\ all\ |author|about\ the\ author)", _FLAGS)
_AUTHOR = re.compile(r"^(?:author'?s?\ bio|about\ the\ author|(?:written|posted)\ by\b.*)$", _FLAGS)
_STATS = re.compile(r"^(?:articles|posts|stories)\s*:\s*[\d,]+$", re.IGNORECASE)
_TOC = re.compile(
    r"^(?:table\ of\ contents|contents|in\ this\ (?:article|post)|on\ this\ page)\s*:?$", _FLAGS
)
_CAPTION_OPENER = re.compile(
    r"""^(?:(?:an?|the)\ (?:image|picture|photo(?:graph)?|illustration|screenshot|graphic
        |infographic|diagram|example\ of)\b
       | (?:image|photo|figure|source|credit)s?\s*\d*\s*[:|])""",
    _FLAGS,
)
_STOP_WORDS = (
    "a an the and or but nor of in on at to for with by from vs vs. as into via is are be its it "
    "their this that your our per than over under about how what why when who not no so up"
)
_STOP = frozenset(_STOP_WORDS.split())
_MAX_WORDS = 25  # debris lines are short; a long line is prose even if it starts like a CTA


@dataclass(frozen=True)
class Cleaned:
    """A document with page debris removed and the removed lines, verbatim, in order;
    ``removed_at`` holds where each was (its 0-based line number in the loaded text), since a
    page may repeat a line it keeps elsewhere."""

    document: Document
    removed: tuple[str, ...]
    removed_at: tuple[int, ...] = ()


def clean_document(doc: Document) -> Cleaned:
    """Remove page debris (nav, share bars, sign-up calls, captions, author boxes) from a document.

    Args:
        doc: The document as loaded; its ``metadata["suffix"]`` decides whether indentation
            is meaningful (Markdown keeps relative indentation, other text is left-aligned).

    Returns:
        The cleaned document (same id, title, source and metadata) and the removed lines.
    """
    page = _Page(doc.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for rule in (_phrases, _author_box, _cards, _table_of_contents, _title_echo, _captions):
        rule(page)
    _above_title(page, doc.title)
    _footer_leftovers(page)
    suffix = str(doc.metadata.get("suffix", "")).lower()
    if suffix == ".pdf":
        page.dead.update(page_furniture(page.lines))
    markdown = suffix in {".md", ".markdown"}
    kept = [ln for i, ln in enumerate(page.lines) if i not in page.dead]
    # HTML's lines are its blocks already (ingest.html): only its <pre> text has line breaks
    # left, and those are code.
    text = _normalise(kept if suffix in {".html", ".htm"} else join_wrapped(kept, markdown),
                      markdown)
    at = tuple(i for i in sorted(page.dead) if page.text[i])
    return Cleaned(document=replace(doc, text=text), removed=tuple(page.lines[i] for i in at),
                   removed_at=at)


class _Page:
    """Lines of a page plus the set of line indices marked as debris."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.text = [ln.strip() for ln in lines]
        self.dead: set[int] = set()
        blank = sum(1 for t in self.text if not t)
        # Blank-line layout: each block is its own element, so a lone short line can be a caption.
        self.spaced = blank >= 0.3 * (len(lines) - blank) > 0
        self.blocks: list[range] = []
        start = 0
        for i, t in enumerate([*self.text, ""]):
            if not t:
                self.blocks += [range(start, i)] * (i - start) + [range(i, i)]
                start = i + 1
        self.blocks.pop()  # the sentinel's entry

    def step(self, i: int, direction: int) -> int | None:
        """Index of the nearest non-blank line before (-1) or after (+1) ``i``."""
        j = i + direction
        while 0 <= j < len(self.text):
            if self.text[j]:
                return j
            j += direction
        return None

    def block(self, i: int) -> range:
        """The run of consecutive non-blank lines that contains line ``i``."""
        return self.blocks[i]

    def standalone(self, i: int) -> bool:
        return len(self.block(i)) == 1


def _words(line: str) -> int:
    return len(line.split())


def _plain(line: str) -> str:
    return _BULLET.sub("", line.replace("’", "'")).strip()


def _is_label(line: str, max_words: int = 5) -> bool:
    """A short line without sentence punctuation: a name, a site label, a heading."""
    return 0 < _words(line) <= max_words and line[-1] not in ".!?:;,"


def _phrases(page: _Page) -> None:
    for i, line in enumerate(page.text):
        if line and _words(line) <= _MAX_WORDS and _DEBRIS.match(_plain(line)):
            page.dead.add(i)


def _author_box(page: _Page) -> None:
    """Author boxes: 'AUTHOR'S BIO' with the name above and the bio below, or a name block,
    a bio paragraph and an 'Articles: 123' counter (the box layout of many blogs)."""
    for i, line in enumerate(page.text):
        if _is_label(line, 8) and _AUTHOR.match(_plain(line)):
            page.dead.add(i)
            if i > 0 and _is_label(page.text[i - 1]):
                page.dead.add(i - 1)  # the author's name, printed just above the marker
            nxt = page.step(i, 1)
            if nxt is not None and _words(" ".join(page.text[j] for j in page.block(nxt))) <= 120:
                page.dead.update(page.block(nxt))
        elif _STATS.match(line):
            bio = page.step(i, -1)
            name = page.step(bio, -1) if bio is not None else None
            if bio is not None and name is not None:
                names = page.block(name)
                if bio not in names and all(_is_label(page.text[j]) for j in names):
                    page.dead.update([*page.block(bio), *names])


def _cards(page: _Page) -> None:
    """Related-post cards: a title printed twice (link + heading) and an excerpt ending '...'."""
    for i, line in enumerate(page.text):
        twin = page.step(i, 1) if line else None
        if twin is None or page.text[twin] != line or _words(line) > 20:
            continue
        excerpt = page.step(twin, 1)
        if excerpt is not None and page.text[excerpt].endswith(("...", "…")):
            page.dead.update([i, twin, *page.block(excerpt)])


def _table_of_contents(page: _Page) -> None:
    """A 'Table of Contents' header and the short entries after it that repeat later lines."""
    last = {_plain(t).lower(): i for i, t in enumerate(page.text)}
    for i, line in enumerate(page.text):
        if not _TOC.match(line):
            continue
        page.dead.add(i)
        j = page.step(i, 1)
        while (j is not None and _is_label(page.text[j], 12)
               and last[_plain(page.text[j]).lower()] > j):
            page.dead.add(j)
            j = page.step(j, 1)


def _above_title(page: _Page, title: str) -> None:
    """Short label lines printed above the document's own title near the top of a page (a
    banner, a site tagline, a breadcrumb): page chrome whatever they say. Prose above the
    title (a line ending in a full stop, or a long one) stays."""
    wanted = _same_words(title)
    head = [i for i, t in enumerate(page.text) if t][:6]
    at = next((pos for pos, i in enumerate(head) if _same_words(page.text[i]) == wanted), None)
    if not wanted or not at:
        return
    above = head[:at]
    if all(_is_label(page.text[i], 12) for i in above):
        page.dead.update(above)


def _same_words(line: str) -> str:
    return " ".join(line.lstrip("#").replace("’", "'").casefold().split())


def _title_echo(page: _Page) -> None:
    """A shortened repeat of the title near the top (breadcrumb or banner-image alt text),
    told from a section heading of the same words by what follows: debris, not prose."""
    head = [i for i, t in enumerate(page.text) if t][:6]
    for pos, i in enumerate(head):
        line, nxt = page.text[i].lower(), page.step(i, 1)
        echo = any(page.text[p].lower().startswith(line) and len(page.text[p]) > len(line)
                   for p in head[:pos])
        before_no_prose = nxt is None or nxt in page.dead or _is_label(page.text[nxt], 12)
        if echo and _words(line) <= 8 and before_no_prose:
            page.dead.add(i)


def _case_words(line: str) -> list[str]:
    """Content words after the first word: their case tells title case from sentence case."""
    words = [w.strip("()[]\"'“”‘’,:") for w in _plain(line).split()[1:]]
    return [w for w in words if w and w[0].isalpha() and w.lower() not in _STOP]


def _sentence_case(line: str) -> bool:
    words = _case_words(line)
    return bool(words) and sum(w[0].islower() for w in words) * 2 >= len(words)


def _captions(page: _Page) -> None:
    """Image alt texts / captions left as lone lines.

    Any lone short line opening like 'An image of ...'; and, on blank-line pages whose
    headings are in Title Case, lone short lines in sentence case, which there can only be
    captions (a heading would be in Title Case and prose would end in punctuation).
    """
    lone = [
        i
        for i, t in enumerate(page.text)
        if t and i not in page.dead and _is_label(t, 12) and not t.startswith(("-", "*", "•"))
        and (page.standalone(i) or not page.spaced)
    ]
    for i in lone:
        if _CAPTION_OPENER.match(page.text[i]):
            page.dead.add(i)
    cased = [i for i in lone if page.standalone(i) and _case_words(page.text[i])]
    sentence = [i for i in cased if _sentence_case(page.text[i])]
    if page.spaced and len(cased) >= 5 and len(sentence) * 10 <= len(cased) * 4:
        page.dead.update(sentence)


def _footer_leftovers(page: _Page) -> None:
    """In the page footer, short labels between two pieces of debris are debris too
    (e.g. a 'Company Blog' label between an author box and a newsletter box)."""
    starts = [i for i in page.dead if _FOOTER.match(_plain(page.text[i]))]
    if not starts:
        return
    # One pass suffices: a label only goes when both neighbours already went.
    for i in range(min(starts) + 1, len(page.text)):
        if i not in page.dead and _is_label(page.text[i], 8):
            before, after = page.step(i, -1), page.step(i, 1)
            if before in page.dead and (after is None or after in page.dead):
                page.dead.add(i)


def _normalise(lines: list[str], markdown: bool) -> str:
    """Strip trailing space and (outside Markdown) indentation; one blank line at most;
    ligatures spelled out."""
    lines = [fix_ligatures(ln.rstrip() if markdown else ln.strip()) for ln in lines]
    if markdown:
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln]
        cut = min(indents, default=0)
        lines = [ln[cut:] for ln in lines]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
