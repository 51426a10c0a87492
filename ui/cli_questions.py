"""`citebot questions`: draft test questions from the indexed documents, and list the
library's own question file (saved from the chat and drafted). Same Bot methods as the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ui.cli_common import make_bot, progress_bar, store_options, user_errors


@click.group()
def questions() -> None:
    """Test questions on your own documents: draft them, list them."""


@questions.command()
@click.option("--docs", "doc_ids", multiple=True, metavar="DOC_ID",
              help="Only these documents (repeatable; default every indexed one).")
@click.option("--per-doc", type=click.IntRange(min=1), default=8, show_default=True,
              help="At most this many questions a document.")
@click.option("--kinds", default="fact,list,comparison,summary,unanswerable", show_default=True,
              help="Comma-separated kinds to draft.")
@click.option("--out", required=True, metavar="FILE|library",
              help="JSON Lines file to write, or 'library' to add them to the library's "
                   "question file (what the Evaluation tab runs as your questions).")
@store_options
@click.pass_context
def generate(ctx: click.Context, doc_ids: tuple[str, ...], per_doc: int, kinds: str, out: str,
             **flags: Any) -> None:
    """Draft questions (fact, list, comparison, summary, unanswerable) from each document's
    recorded structure, with key facts and verbatim support; no model is used."""
    from bot.testset import counts
    from bot.testset.library import is_library, write_questions

    bot = make_bot(ctx, check_model=False, **flags)
    with user_errors(), progress_bar("documents") as progress:
        drafted = bot.generate_questions(docs=list(doc_ids) or None, per_doc=per_doc,
                                         kinds=kinds.split(","), progress=progress)
        if is_library(out):
            total = bot.save_questions(drafted)
            where = f"the library's question file {bot.questions_file} (now {total})"
        else:
            write_questions(Path(out), drafted)
            where = out
    summary = ", ".join(f"{kind} {n}" for kind, n in counts(drafted).items()) or "none"
    click.echo(f"wrote {len(drafted)} questions to {where}: {summary}")


@questions.command("list")
@store_options
@click.pass_context
def list_(ctx: click.Context, **flags: Any) -> None:
    """The library's questions: id, origin, kind, and a flag where a document was removed."""
    bot = make_bot(ctx, check_model=False, **flags)
    with user_errors():
        found = bot.library_questions()
    for q in found:
        flag = f"  FLAGGED: {q.flagged}" if q.flagged else ""
        click.echo(f"{q.id:<34} {q.origin:<9} {q.kind:<13} {q.question[:70]}{flag}")
    click.echo(f"{len(found)} questions in {bot.questions_file}, "
               f"{sum(bool(q.flagged) for q in found)} flagged")
