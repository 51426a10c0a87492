"""The `citebot` command: a thin layer over the same API the web app uses.

Heavy libraries are imported inside commands so `citebot --help` stays instant.
Every CitebotError becomes a one-line message and exit code 1; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from bot.errors import CitebotError
from ui.cli_common import (
    F,
    answer_options,
    make_bot,
    progress_bar,
    settings_from,
    show_problems,
    store_options,
    user_errors,
)
from ui.cli_docs import docs
from ui.cli_eval import eval_
from ui.cli_questions import questions as questions_group


@click.group()
@click.option("--config", type=click.Path(path_type=Path), help="TOML file (default citebot.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """citebot: answers from your documents, with a source for every sentence."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


main.add_command(docs)
main.add_command(eval_)
main.add_command(questions_group)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Build the index from scratch.")
@store_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, **flags: Any) -> None:
    """Load, clean, chunk and embed PATHS (default: the corpus) into the index."""
    from ingest.pipeline import ingest_corpus

    settings = settings_from(ctx, **flags)
    with user_errors(), progress_bar() as progress:
        report = ingest_corpus(settings, list(paths) or None, rebuild=rebuild, progress=progress)
    show_problems(report.problems)
    click.echo(report.summary())
    if report.added == 0:
        click.echo("nothing new to embed: the index was already up to date")


@main.command()
@click.argument("question")
@answer_options
@click.pass_context
def ask(ctx: click.Context, question: str, **flags: Any) -> None:
    """Answer QUESTION from the articles, with numbered sources."""
    bot = make_bot(ctx, **flags)
    with user_errors():
        question = bot.check_question(question)
    warming = bot.warm_up()
    try:
        with user_errors():
            show_answer(stream_answer(bot, question, []))
    finally:
        warming.join()  # never leave while the model is half loaded
        bot.close()


@main.command()
@answer_options
@click.pass_context
def chat(ctx: click.Context, **flags: Any) -> None:
    """A conversation in the terminal; follow-up questions keep their context."""
    bot = make_bot(ctx, **flags)
    warming = bot.warm_up()  # loads while the user types the first question
    history: list[tuple[str, str]] = []
    click.echo("Ask about the indexed documents. An empty line or Ctrl-D ends the chat.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = stream_answer(bot, question, history)
        except CitebotError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        show_answer(answer)
        history += [("user", question), ("assistant", answer.text)]
    warming.join()
    bot.close()


def stream_answer(bot: Any, question: str, history: list[tuple[str, str]]) -> Any:
    """Print the draft as it streams, then return the final Answer."""
    question = bot.check_question(question)  # a refused question prints no dangling "bot> "
    click.echo("bot> ", nl=False)
    with bot.stream(question, history) as stream:
        for piece in stream.text():
            click.echo(piece, nl=False)
        click.echo()
        return stream.answer()


def show_answer(answer: Any) -> None:
    """The checked answer, its sources with quotes, and how it was found."""
    click.echo()
    if answer.error:
        click.secho(f"error: {answer.error}", fg="red", err=True)
    if answer.text:
        label = "ABSTAINED" if answer.abstained else ("VERIFIED" if answer.verified else "ANSWER")
        click.secho(f"[{label}] ", bold=True, nl=False)
        click.echo(answer.text + ("" if answer.complete else " (incomplete)"))
    for c in answer.citations:
        where = " > ".join((c.title, *c.heading_path))
        click.echo(f"  [{c.number}] {where}  (chars {c.start}-{c.end} of {c.doc_id})")
        click.echo(f'      "{c.quote}"')
    t = answer.timings
    click.secho(f"  searched for: {answer.query_used} | model {answer.model} | retrieval "
                f"{t.get('retrieval', 0):.2f} s, first token {t.get('first_token', 0):.2f} s, "
                f"total {t.get('total', 0):.2f} s"
                + (f" (from cache; first answered in {t.get('first_total', 0):.1f} s)"
                   if answer.cached else ""), dim=True)


@main.command()
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the model backends and whether each can run here."""
    bot = make_bot(ctx, check_model=False)
    for name, description, availability in bot.models():
        mark = "ready" if availability.ready else "not ready"
        default = " (default)" if name == bot.settings.model else ""
        click.echo(f"{name}{default}: {mark} - {description}\n    {availability.detail}")


@main.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the whole set-up and say what to fix."""
    from ui.doctor import run_checks

    problems = 0
    for ok, line in run_checks(settings_from(ctx)):
        click.echo(("ok    " if ok else "FIX   ") + line)
        problems += not ok
    if problems:
        raise click.ClickException(f"{problems} problem(s) found")


def serve_options(func: F) -> F:
    func = click.option("--port", metavar="INTEGER", help="Port (default 7860).")(func)
    func = click.option("--host", help="Address to bind (default 127.0.0.1: this machine only).")(
        func)
    return answer_options(func)


@main.command()
@serve_options
@click.pass_context
def serve(ctx: click.Context, **flags: Any) -> None:
    """Start the web chat (http://127.0.0.1:7860 by default)."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.gradio_cache import use_private_cache

    use_private_cache()  # before Gradio is imported: it reads the folder at import
    from ui.app import build_app, launch

    bot = make_bot(ctx, **flags)
    bot.warm_up()  # the first visitor should not wait for the model to load
    with user_errors():
        bot.claim_writes()  # uploads go through this process; an outside writer is refused
        bot.retrieve("warm up")  # fail here, with the fix, rather than on the first question
        app = build_app(bot)
    url = f"http://{bot.settings.host}:{bot.settings.port}"
    click.echo(f"citebot is at {url} (Ctrl-C stops it); OpenAI-compatible API at {url}/v1"
               + (f", MCP at {url}/mcp" if bot.settings.mcp else ""))
    launch(app, bot)


@main.command()
@serve_options
@click.pass_context
def api(ctx: click.Context, **flags: Any) -> None:
    """Serve only the OpenAI-compatible API (/v1) and the MCP tools (/mcp), no web page."""
    import uvicorn

    from ui.endpoints import endpoints
    from ui.openai_api import build_api_app

    bot = make_bot(ctx, **flags)
    bot.warm_up()
    with user_errors():
        bot.claim_writes()
        bot.retrieve("warm up")
    routes, lifespan = endpoints(bot)
    url = f"http://{bot.settings.host}:{bot.settings.port}"
    click.echo(f"citebot API at {url}/v1" + (f", MCP at {url}/mcp" if bot.settings.mcp else "")
               + " (Ctrl-C stops it)")
    uvicorn.run(build_api_app(routes, lifespan), host=bot.settings.host,
                port=bot.settings.port, log_level="warning")


@main.command()
@serve_options
@click.pass_context
def run(ctx: click.Context, **flags: Any) -> None:
    """Bring the index up to date with the corpus, then start the web chat."""
    ctx.invoke(ingest, paths=(), rebuild=False, **_store_flags(flags))
    ctx.invoke(serve, **flags)


def _store_flags(flags: dict[str, Any]) -> dict[str, Any]:
    keys = ("data_dir", "chroma_host", "chroma_port", "embedder", "chunk_size", "chunk_overlap")
    return {k: flags.get(k) for k in keys}


@main.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the settings in force (secrets masked)."""
    settings = settings_from(ctx)
    click.echo(json.dumps(settings.public_dump(), indent=2))


if __name__ == "__main__":
    main()
