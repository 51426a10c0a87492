"""`citebot docs`: list, add and remove the documents of the index (the Library, from a
terminal). Each command goes through the same Bot methods as the web app and the API."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import click

from ui.cli_common import make_bot, progress_bar, show_problems, store_options, user_errors


@click.group()
def docs() -> None:
    """List, add and remove the indexed documents."""


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@store_options
@click.pass_context
def list_(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Every indexed document: id, title, type, chunks, size, last change, file."""
    bot = make_bot(ctx, check_model=False, **flags)
    with user_errors():
        entries = bot.documents()
    if as_json:
        for entry in entries:
            click.echo(json.dumps(dataclasses.asdict(entry), ensure_ascii=False))
        return
    click.echo(f"{'DOC_ID':<36} {'TYPE':<4} {'CHUNKS':>6} {'SIZE':>9}  {'UPDATED':<16}  TITLE")
    for e in entries:
        click.echo(f"{e.doc_id[:36]:<36} {e.type:<4} {e.chunks:>6} {size(e.bytes):>9}  "
                   f"{when(e.updated_at):<16}  {e.title[:60]}")
    click.echo(f"{len(entries)} documents, {sum(e.chunks for e in entries)} chunks")


@docs.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_options
@click.pass_context
def add(ctx: click.Context, files: tuple[Path, ...], **flags: Any) -> None:
    """Copy FILES into the library folder and index them (like an upload in the web app)."""
    bot = make_bot(ctx, check_model=False, **flags)
    with user_errors(), progress_bar() as progress:
        report = bot.add_documents(list(files), progress=progress)
    for result in report.files:
        if result.status != "skipped":
            click.echo(f"{result.status:<9} {result.name} ({result.doc_id}, "
                       f"{result.chunks} chunks)")
    show_problems(report.problems)
    click.echo(report.summary())


@docs.command("remove")
@click.argument("doc_id")
@store_options
@click.pass_context
def remove(ctx: click.Context, doc_id: str, **flags: Any) -> None:
    """Delete the document DOC_ID from the index (`citebot docs list` shows the ids)."""
    bot = make_bot(ctx, check_model=False, **flags)
    with user_errors():
        report = bot.remove_document(doc_id)
    for note in report.notes:
        click.echo(note, err=True)
    click.echo(report.summary())


def size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds else "-"
