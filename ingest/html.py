"""HTML to text: the visible text of a page, its blocks on lines of their own, tables one row a
line and one cell a line; scripts, navigation, forms and hidden text dropped."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

_DROP = {"head", "script", "style", "noscript", "template", "nav", "footer", "aside", "form",
         "iframe", "svg", "button"}
_LIST_MARKS = {"li": ("\n- ", ""), "dt": ("\n- ", ":"), "dd": (" ", "")}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "ul", "ol", "dl", "dt", "dd",
           "blockquote", "figure", "figcaption", "address", "details", "summary", "hr",
           "h1", "h2", "h3", "h4", "h5", "h6"}
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|"
    r"(?<![\w-])(font-size|opacity)\s*:\s*0*\.?0+(px|pt|em|rem|%)?\s*(;|!|$)",
    re.IGNORECASE)
"""Text a reader never sees, so a page cannot smuggle instructions to the model in it.
White-on-white text is kept: the colours of the page behind it are not known here."""


def _hidden(tag: Tag) -> bool:
    if tag.name in _DROP or tag.has_attr("hidden"):
        return True
    if tag.name == "header" and tag.find_parent(["article", "main"]) is None:
        return True  # page header; a header inside <article> holds the article's own title
    return (str(tag.get("aria-hidden", "")).lower() == "true"
            or bool(_HIDDEN_STYLE.search(str(tag.get("style", "")))))


def html_text(html: str) -> tuple[str, str]:
    """Readable text of a page (one line per heading, paragraph, list item and table row)
    and its title (<title>, else the first <h1>)."""
    soup = BeautifulSoup(html, "html.parser")
    heading = soup.title or soup.find("h1")
    title = " ".join(heading.get_text(" ").split()) if heading else ""
    stack: list[Tag] = [soup]
    while stack:  # depth-first, skipping what is dropped (pages may nest thousands deep)
        for child in list(stack.pop().contents):
            if isinstance(child, Tag):
                if _hidden(child):
                    child.decompose()
                else:
                    stack.append(child)
    return _tidy(_emit(soup)), title


def _emit(root: Tag) -> str:
    """Text of a tree, line breaks around blocks; an explicit stack, as pages nest deeply."""
    out: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, root)]  # (is literal output, item)
    while stack:
        literal, node = stack.pop()
        if literal:
            out.append(node)
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                out.append(re.sub(r"\s+", " ", str(node)))
        elif node.name == "br":
            out.append("\n")
        elif node.name == "li" and not node.get_text(strip=True):
            continue  # an empty item would lend its '- ' to the next line
        elif node.name == "table":
            out.append("\n\n" + _table_text(node) + "\n\n")
        elif node.name == "pre":
            out.append("\n\n" + node.get_text() + "\n\n")
        else:
            # An item starts a '- ' line (the list's end breaks the last one); blocks get
            # blank lines around them; inline tags nothing.
            # A definition list's term starts an item, its definition goes on after it.
            before, after = _LIST_MARKS.get(node.name) or (
                ("\n\n", "\n\n") if node.name in _BLOCKS else ("", ""))
            out.append(before)
            stack.append((True, after))
            stack.extend((False, child) for child in reversed(node.contents))
    return "".join(out)


def _table_text(table: Tag) -> str:
    rows = []
    for row in table.find_all("tr"):
        cells = [" ".join(cell.get_text(" ").split())
                 for cell in row.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _tidy(text: str) -> str:
    """Strip every line and keep at most one blank line between blocks; a bare '-' (an item
    whose text sits in a nested block) takes the next line's text."""
    out: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if out and out[-1] == "-":
            out[-1] += " " + line if line else ""
        elif line or (out and out[-1]):
            out.append(line)
    return "\n".join(ln for ln in out if ln != "-").strip()
