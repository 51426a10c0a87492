"""HTML for the web app: answers, their sources and the articles they quote.

Pure functions over the core types. Every piece of text from a document or a model is
escaped here, so a document containing markup can never run in the reader's browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from bot.queue import Waiting, ordinal
from bot.schema import Answer, Block, Cell, Citation, Document

_MARKER = re.compile(r"\[(\d{1,3})\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")

CSS = """
.cite { display:inline-block; padding:0 .35em; margin:0 .1em; border-radius:.6em;
        background:#dbeafe; color:#1e3a8a; font-weight:600; font-size:.85em; }
.meta { color:#555; font-size:.85em; margin-top:.4em; }
.abstained { border-left:4px solid #d97706; padding-left:.6em; }
.fallback { border-left:4px solid #0891b2; padding-left:.6em; color:#155e75; font-size:.9em; }
.waiting { color:#155e75; }
.error { border-left:4px solid #dc2626; padding-left:.6em; color:#991b1b; }
.source { border:1px solid #ddd; border-radius:8px; padding:.6em; margin-bottom:.6em; }
.source h4 { margin:.1em 0 .3em 0; }
.source .path { color:#666; font-size:.85em; }
.source mark, .article mark { background:#fde68a; }
.source .passage { white-space:pre-wrap; font-size:.9em; }
.article { white-space:pre-wrap; max-height:24em; overflow:auto; font-size:.85em;
           border-top:1px dashed #ccc; margin-top:.4em; padding-top:.4em; }
#chat .cite { cursor:pointer; }
.answer-table { border-collapse:collapse; margin:.4em 0; font-size:.92em; }
.answer-table th, .answer-table td { border:1px solid #cbd5e1; padding:.25em .45em;
                                     vertical-align:top; text-align:left; }
.answer-table th { background:#f1f5f9; }
.source mark sup { font-size:.7em; color:#92400e; margin-left:.15em; }
.source mark.active { background:#f59e0b; outline:2px solid #b45309; }
.badge { display:inline-block; min-width:1.6em; text-align:center; border-radius:.6em;
         background:#1e3a8a; color:white; font-weight:700; margin-right:.3em; }
"""


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def markers(text: str) -> str:
    """Escaped answer text with each ``[n]`` shown as a citation badge."""
    return _MARKER.sub(r'<span class="cite">[\1]</span>', escape(text))


def answer_message(answer: Answer) -> str:
    """The assistant's chat message: the checked answer and how it was found."""
    if answer.error and not answer.text:
        return error_message(answer.error)
    body = blocks_html(answer.blocks) if answer.blocks else markers(answer.text)
    if answer.abstained:
        body = f'<div class="abstained"><strong>Not in the sources.</strong> {body}</div>'
    if not answer.complete:
        body += f'<div class="error">Incomplete: {escape(answer.error)}</div>'
    if answer.fallback:
        body = (f'<div class="fallback"><strong>{FALLBACK_LABEL}</strong> '
                f'({escape(answer.fallback)}): “{ASK_MODEL}” below waits for it.</div>' + body)
    return body + meta_line(answer)


FALLBACK_LABEL = "Quick answer from the sources; the model is busy"
ASK_MODEL = "Ask the model anyway"


def waiting_message(status: Waiting) -> str:
    """Where a question stands while it waits for the model, in words."""
    if status.estimate_s is None:
        wait = "the wait is estimated once the first answer has been timed"
    else:
        wait = f"about {status.estimate_s:.0f} s to wait"
        if status.typical_s is not None:
            wait += f" (answers are taking about {status.typical_s:.0f} s each)"
    return (f'<div class="waiting">⏳ Waiting for the model: you are '
            f'<strong>{ordinal(status.position)} in line</strong>, {wait}.</div>')


def badges(numbers: Sequence[int]) -> str:
    """Citation badges that, clicked, highlight their span in the sources panel (CLICK_JS)."""
    # The chat's HTML sanitiser drops data-* attributes and unknown classes: the click
    # handler reads the number from the badge's own text.
    return "".join(f'<span class="cite">[{n}]</span>' for n in numbers)


def cell_html(cell: Cell) -> str:
    """A piece of a structured answer: its text (Markdown bold kept), then its badges."""
    text = _BOLD.sub(r"<strong>\1</strong>", escape(cell.text))
    return f"{text} {badges(cell.citations)}" if cell.citations else text


def blocks_html(blocks: Sequence[Block]) -> str:
    """A structured answer as HTML: a real table with a badge in every cell, real bullets."""
    out = []
    for block in blocks:
        if block.title.text:
            out.append(f'<p class="block-title"><strong>{escape(block.title.text)}</strong> '
                       f"{badges(block.title.citations)}</p>")
        if block.kind == "bullets":
            out.append("<ul>" + "".join(f"<li>{cell_html(c)}</li>" for c in block.items)
                       + "</ul>")
        elif block.kind == "table":
            head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
            rows = "".join("<tr>" + "".join(f"<td>{cell_html(c)}</td>" for c in row) + "</tr>"
                           for row in block.rows)
            out.append(f'<table class="answer-table"><thead><tr>{head}</tr></thead>'
                       f"<tbody>{rows}</tbody></table>")
        elif block.items:
            out.append("<p>" + " ".join(cell_html(c) for c in block.items) + "</p>")
    return "\n".join(out)


def meta_line(answer: Answer) -> str:
    parts = [f"searched for: <em>{escape(answer.query_used)}</em>"]
    if answer.shape != "fact":
        parts.append(f"answered as: {escape(answer.shape.replace('_', ' '))}")
    if answer.abstained:
        parts.append("abstained: the sources don't answer this")
    elif answer.verified:
        parts.append("✓ verified: every sentence is supported by its source")
    else:
        parts.append("⚠ not verified")
    timings = answer.timings
    if answer.cached:
        parts.append(f"from cache in {timings.get('total', 0.0):.2f} s (first answered in "
                     f"{timings.get('first_total', 0.0):.1f} s)")
    else:
        parts.append(f"{timings.get('total', 0.0):.1f} s (first token "
                     f"{timings.get('first_token', timings.get('total', 0.0)):.1f} s)")
    parts.append(f"model: {escape(answer.model)}")
    return f'<div class="meta">{" · ".join(parts)}</div>'


def draft_message(text: str) -> str:
    """A streaming draft, before it is checked (a structured answer's Markdown as HTML)."""
    return markdown_html(text) + ' <span class="meta">▌ checking sources…</span>'


def markdown_html(text: str) -> str:
    """The Markdown citebot writes (bold, '- ' bullets, '|' tables, [n] markers) as HTML,
    everything escaped; other text as it is, with badges."""
    out: list[str] = []
    rows: list[list[str]] = []
    items: list[str] = []

    def flush() -> None:
        if rows:
            head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= {"-"} for c in r)]
            out.append('<table class="answer-table"><thead><tr>' + "".join(
                f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>" + "".join(
                "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
                + "</tbody></table>")
            rows.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.split("\n"):
        inline = _BOLD.sub(r"<strong>\1</strong>", markers(line.strip()))
        if line.startswith("|"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", inline.strip())[1:-1]])
        elif line.startswith("- "):
            items.append(inline[2:])
        else:
            flush()
            if inline:
                out.append(f"<p>{inline}</p>")
    flush()
    return "".join(out)


def error_message(message: str) -> str:
    return f'<div class="error"><strong>Error:</strong> {escape(message)}</div>'


def sources_panel(answer: Answer | None, documents: Mapping[str, Document | None]) -> str:
    """The cited passages with their quotes highlighted, each with its whole article. A
    structured answer cites many spans of few passages: one card per passage, every span
    it lends marked and numbered."""
    if answer is None or not answer.citations:
        return '<p class="meta">Sources of the current answer appear here.</p>'
    if answer.blocks:
        groups: dict[str, list[Citation]] = {}
        for c in answer.citations:
            groups.setdefault(c.chunk_id, []).append(c)
        return "\n".join(passage_card(cs, documents.get(cs[0].chunk_id))
                         for cs in groups.values())
    return "\n".join(source_card(c, documents.get(c.chunk_id)) for c in answer.citations)


def passage_card(citations: Sequence[Citation], document: Document | None) -> str:
    """One passage with each of its cited spans marked (``id="cite-N"``), in text order."""
    text = citations[0].passage_text
    placed = sorted(((text.find(c.quote), c) for c in citations if c.quote), key=lambda x: x[0])
    html_parts, pos, anchors = [], 0, []
    for at, c in placed:
        if at < pos:  # not found, or inside a span already marked: an anchor still leads there
            anchors.append(f'<span class="span-ref" id="cite-{c.number}"></span>')
            continue
        html_parts.append(escape(text[pos:at]))
        html_parts.append(f'<mark id="cite-{c.number}">'
                          f"{escape(c.quote)}<sup>{c.number}</sup></mark>")
        pos = at + len(c.quote)
    html_parts.append(escape(text[pos:]))
    return _card(citations, "".join(anchors) + "".join(html_parts), document)


def source_card(citation: Citation, document: Document | None) -> str:
    return _card([citation], highlight(citation.passage_text, citation.quote), document)


def _card(citations: Sequence[Citation], passage_html: str, document: Document | None) -> str:
    """A source card: the citations' badges, title, heading path, the passage (already
    marked up) and the whole article opened at the first citation's span."""
    first = citations[0]
    numbers = "".join(f'<span class="badge">{c.number}</span>' for c in citations)
    card = [f'<div class="source" id="source-{first.number}">',
            f"<h4>{numbers}{escape(first.title)}</h4>",
            f'<div class="path">{escape(" › ".join(first.heading_path))}</div>',
            f'<div class="passage">{passage_html}</div>']
    if document is not None:
        article = article_view(document.text, first.start, first.end)
        card.append('<details><summary>Open the whole article</summary>'
                    f'<div class="article">{article}</div></details>')
    card.append("</div>")
    return "\n".join(card)


def highlight(text: str, quote: str) -> str:
    """Escaped text with the first occurrence of ``quote`` marked."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return escape(text)
    return highlight_span(text, at, at + len(quote))


def highlight_span(text: str, start: int, end: int) -> str:
    start, end = max(0, start), min(len(text), end)
    return (escape(text[:start]) + f"<mark>{escape(text[start:end])}</mark>"
            + escape(text[end:]))


def article_view(text: str, start: int, end: int) -> str:
    """The whole article opened at the cited span: what comes before it folds away, so the
    highlight is the first thing the reader sees (the page runs no script to scroll)."""
    start, end = max(0, start), min(len(text), end)
    before = (f"<details><summary>… {start:,} characters before</summary>"
              f"{escape(text[:start])}</details>" if start else "")
    return before + f"<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


CLICK_JS = r"""
() => {
  // A citation badge, clicked, lights up the span it cites in the sources panel.
  document.addEventListener('click', (event) => {
    const badge = event.target.closest('#chat .cite');
    const found = badge && /^\[(\d+)\]$/.exec(badge.textContent.trim());
    if (!found) return;
    const target = document.getElementById('cite-' + found[1]);
    if (!target) return;
    document.querySelectorAll('#sources mark.active').forEach((m) => m.classList.remove('active'));
    const mark = target.tagName === 'MARK' ? target
      : target.closest('.passage')?.querySelector('mark');
    if (mark) { mark.classList.add('active'); mark.scrollIntoView({block: 'center'}); }
  });
}
"""
