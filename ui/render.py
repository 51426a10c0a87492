"""HTML for the web app: answers, their sources and the articles they quote.

Pure functions over the core types. Every piece of text from a document or a model is
escaped here, so a document containing markup can never run in the reader's browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from bot.schema import Answer, Citation, Document

_MARKER = re.compile(r"\[(\d{1,3})\]")

CSS = """
.cite { display:inline-block; padding:0 .35em; margin:0 .1em; border-radius:.6em;
        background:#dbeafe; color:#1e3a8a; font-weight:600; font-size:.85em; }
.meta { color:#555; font-size:.85em; margin-top:.4em; }
.abstained { border-left:4px solid #d97706; padding-left:.6em; }
.error { border-left:4px solid #dc2626; padding-left:.6em; color:#991b1b; }
.source { border:1px solid #ddd; border-radius:8px; padding:.6em; margin-bottom:.6em; }
.source h4 { margin:.1em 0 .3em 0; }
.source .path { color:#666; font-size:.85em; }
.source mark, .article mark { background:#fde68a; }
.source .passage { white-space:pre-wrap; font-size:.9em; }
.article { white-space:pre-wrap; max-height:24em; overflow:auto; font-size:.85em;
           border-top:1px dashed #ccc; margin-top:.4em; padding-top:.4em; }
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
    body = markers(answer.text)
    if answer.abstained:
        body = f'<div class="abstained"><strong>Not in the sources.</strong> {body}</div>'
    if not answer.complete:
        body += f'<div class="error">Incomplete: {escape(answer.error)}</div>'
    return body + meta_line(answer)


def meta_line(answer: Answer) -> str:
    parts = [f"searched for: <em>{escape(answer.query_used)}</em>"]
    if answer.abstained:
        parts.append("abstained: the sources don't answer this")
    elif answer.verified:
        parts.append("✓ verified: every sentence is supported by its source")
    else:
        parts.append("⚠ not verified")
    timings = answer.timings
    parts.append(f"{timings.get('total', 0.0):.1f} s (first token "
                 f"{timings.get('first_token', timings.get('total', 0.0)):.1f} s)")
    parts.append(f"model: {escape(answer.model)}")
    return f'<div class="meta">{" · ".join(parts)}</div>'


def draft_message(text: str) -> str:
    """A streaming draft, before it is checked."""
    return markers(text) + ' <span class="meta">▌ checking sources…</span>'


def error_message(message: str) -> str:
    return f'<div class="error"><strong>Error:</strong> {escape(message)}</div>'


def sources_panel(answer: Answer | None, documents: Mapping[str, Document | None]) -> str:
    """The cited passages with their quotes highlighted, each with its whole article."""
    if answer is None or not answer.citations:
        return '<p class="meta">Sources of the current answer appear here.</p>'
    return "\n".join(source_card(c, documents.get(c.chunk_id)) for c in answer.citations)


def source_card(citation: Citation, document: Document | None) -> str:
    path = " › ".join(citation.heading_path)
    card = [f'<div class="source" id="source-{citation.number}">',
            f'<h4><span class="badge">{citation.number}</span>{escape(citation.title)}</h4>',
            f'<div class="path">{escape(path)}</div>',
            f'<div class="passage">{highlight(citation.passage_text, citation.quote)}</div>']
    if document is not None:
        article = article_view(document.text, citation.start, citation.end)
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
