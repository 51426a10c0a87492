"""The Library tab: every indexed document, uploads with a progress bar and a result per file,
removal and re-indexing. Everything goes through the Bot's Library methods; with the setting
``allow_uploads`` off the tab only lists."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from bot.api import Bot
from bot.catalog import DocumentEntry, IngestReport
from bot.errors import CitebotError

log = logging.getLogger(__name__)
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf"]
INTERNAL_ERROR = "something went wrong inside citebot (it is logged); please try again"


def documents_html(entries: Sequence[DocumentEntry]) -> str:
    """The documents as a table (every value escaped: titles come from uploaded files)."""
    if not entries:
        return "<p id='library-empty'>The index holds no documents yet.</p>"
    rows = "".join(
        f"<tr data-doc='{html.escape(e.doc_id)}'><td>{html.escape(e.title)}</td>"
        f"<td>{html.escape(e.name)}</td><td>{html.escape(e.type)}</td><td>{e.chunks}</td>"
        f"<td>{_size(e.bytes)}</td><td>{_when(e.added_at)}</td><td>{_when(e.updated_at)}</td>"
        f"<td><code>{html.escape(e.doc_id)}</code></td></tr>" for e in entries)
    total = sum(e.chunks for e in entries)
    return (f"<p id='library-count'>{len(entries)} documents, {total} chunks</p>"
            "<table class='library'><tr><th>Title</th><th>File</th><th>Type</th><th>Chunks</th>"
            "<th>Size</th><th>Added</th><th>Updated</th><th>Id</th></tr>" + rows + "</table>")


def report_html(report: IngestReport) -> str:
    """One line per file: what happened to it and, for a skipped one, why."""
    rows = "".join(
        f"<tr class='result-{r.status}'><td>{r.status}</td><td>{html.escape(r.name)}</td>"
        f"<td>{html.escape(r.reason or (f'{r.doc_id}, {r.chunks} chunks' if r.doc_id else ''))}"
        "</td></tr>" for r in report.files)
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in report.notes)
    summary = html.escape(report.summary()).replace("\n", "<br>")
    return f"<table class='results'>{rows}</table>{notes}<p class='summary'>{summary}</p>"


def problem_html(message: str) -> str:
    return f"<p class='result-error'>{html.escape(message)}</p>"


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds else "-"


def _choices(entries: Sequence[DocumentEntry]) -> list[tuple[str, str]]:
    return [(f"{e.title} ({e.doc_id})", e.doc_id) for e in entries]


def build_library_tab(bot: Bot) -> Any:
    """Add the tab's components to the Blocks being built; returns the event that fills the
    list, for the page's load."""
    listing = gr.HTML(elem_id="library-docs")
    if not bot.settings.allow_uploads:
        gr.Markdown("This Library is read-only here (the setting allow_uploads is off).",
                    elem_id="library-readonly")
        return _Listing(bot, listing, None)
    upload = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, elem_id="library-upload",
                     label="Add documents: drop .txt .md .html .pdf files here, or click to "
                           "choose")
    results = gr.HTML(elem_id="library-results")
    with gr.Row():
        chosen = gr.Dropdown([], label="Document", elem_id="library-doc", scale=4)
        remove = gr.Button("Remove", variant="stop", elem_id="library-remove", scale=1)
        reindex = gr.Button("Re-index", elem_id="library-reindex", scale=1)
    filled = _Listing(bot, listing, chosen)
    outputs = [results, listing, chosen, upload]

    def on_upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()  # noqa: B008
                  ) -> tuple[Any, ...]:
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        try:
            return filled.after(lambda: bot.add_documents(paths, progress=_bar(progress)))
        finally:  # Gradio's copies: the Library keeps its own, so none stays behind in /tmp
            for path in paths:
                path.unlink(missing_ok=True)

    def on_remove(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return (problem_html("choose a document to remove first"), *filled.now(), None)
        return filled.after(lambda: bot.remove_document(doc_id))

    def on_reindex(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        return filled.after(lambda: bot.reindex(progress=_bar(progress)))

    # One Library change at a time (the store's lock would queue them anyway), in its own
    # queue: the chat keeps its places while a big upload embeds.
    events = {"api_visibility": "private", "concurrency_limit": 1,
              "concurrency_id": "library"}
    upload.upload(on_upload, upload, outputs, **events)  # type: ignore[arg-type]
    remove.click(on_remove, chosen, outputs, **events)  # type: ignore[arg-type]
    reindex.click(on_reindex, None, outputs, **events)  # type: ignore[arg-type]
    return filled


def _bar(progress: gr.Progress) -> Any:
    return lambda done, total: progress((done, total), desc=f"embedding {done} of {total} "
                                                            "chunks", unit="chunks")


class _Listing:
    """The document list and the removal choices, as the index holds them now."""

    def __init__(self, bot: Bot, listing: gr.HTML, chosen: gr.Dropdown | None) -> None:
        self.bot, self.listing, self.chosen = bot, listing, chosen

    def now(self) -> tuple[str, Any]:
        try:
            entries = self.bot.documents()
        except CitebotError as exc:
            return problem_html(str(exc)), gr.update(choices=[], value=None)
        return documents_html(entries), gr.update(choices=_choices(entries), value=None)

    def after(self, change: Any) -> tuple[Any, ...]:
        """Run a change; (its result, the new list, the new choices, an emptied upload box)."""
        try:
            shown = report_html(change())
        except CitebotError as exc:
            shown = problem_html(str(exc))
        except Exception:  # the tab must keep working; the traceback goes to the log
            log.exception("a Library change failed")
            shown = problem_html(INTERNAL_ERROR)
        return (shown, *self.now(), None)

    def outputs(self) -> list[Any]:
        return [self.listing] + ([self.chosen] if self.chosen is not None else [])

    def load(self) -> Any:
        listing, choices = self.now()
        return (listing, choices) if self.chosen is not None else listing
