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


@main.command("eval")
@click.option("--questions", type=click.Path(path_type=Path),
              help="JSON Lines file (default: corpus/questions.jsonl), or 'library': the "
                   "questions saved from the chat and drafted from your documents.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for report.json and report.html (default: eval-report).")
@click.option("--fail-under", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC is below VALUE (repeatable).")
@click.option("--fail-over", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC (a rate or latency) is above VALUE.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path, exists=True),
              metavar="A.json B.json", help="Show two reports side by side instead.")
@click.option("--sample", type=click.IntRange(min=1),
              help="Score a sample of about N questions, stratified by category.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--cache", "use_cache", is_flag=True,
              help="Let repeated questions come from the answer cache (off: each is answered).")
@answer_options
@click.pass_context
def eval_(ctx: click.Context, questions: Path | None, out: Path | None,
          fail_under: tuple[str, ...], fail_over: tuple[str, ...],
          compare: tuple[Path, Path] | None, sample: int | None, seed: int, use_cache: bool,
          **flags: Any) -> None:
    """Score answers against a question set and write a report."""
    from bot.report import compare_table, read_report, summary_table, write_report

    with user_errors():
        bars = parse_bars(fail_under, "under") + parse_bars(fail_over, "over")
        if compare:
            first, second = (read_report(p) for p in compare)
            click.echo(compare_table(first, second,
                                     names=[p.parent.name or str(p) for p in compare]))
            return
        bot = make_bot(ctx, questions_file=questions, report_dir=out, **flags)
        chosen = question_set(bot.settings.questions_file, sample, seed)
        with progress_bar("questions") as progress:
            report = bot.evaluate(chosen, cache=use_cache,
                                  progress=lambda done, total, _: progress(done, total))
        report.questions_file = str(bot.settings.questions_file) + (
            f" (sample {sample}, seed {seed})" if sample else "")
        json_path, html_path = write_report(report, bot.settings.report_dir)
    click.echo(summary_table(report))
    click.echo(f"wrote {json_path} and {html_path}")
    failures = [failure for bar in bars if (failure := missed_bar(report, *bar))]
    if failures:
        raise click.ClickException("; ".join(failures))


def missed_bar(report: Any, metric: str, side: str, bar: float) -> str:
    """Why ``metric`` misses its bar, or "" when it clears it (a figure the report lacks,
    e.g. a kind with no questions, misses every bar)."""
    value = report.metric(metric)
    if value is None:
        return f"{metric} is not in the report (no questions of that group?)"
    if (value < bar) if side == "under" else (value > bar):
        return f"{metric} = {value:.3f} is {side} the bar {bar}"
    return ""


def question_set(path: Path, sample: int | None, seed: int) -> Any:
    """The questions file, or a stratified sample of it (see ``sample_questions``)."""
    from bot.evaluate import load_questions, sample_questions

    if str(path) == "library":
        return "library"  # the Bot reads it (and knows where it is)
    return sample_questions(load_questions(path), sample, seed) if sample else path


def parse_bars(specs: tuple[str, ...], side: str) -> list[tuple[str, str, float]]:
    """METRIC=VALUE pairs, checked against the known metrics."""
    from bot.errors import InputError
    from bot.evaluate import METRICS

    bars = []
    for spec in specs:
        metric, _, value = spec.partition("=")
        group, _, name = metric.rpartition("/")
        if name not in METRICS or (group and not group.startswith(("kind:", "category:"))):
            raise InputError(f"unknown metric '{metric}' in --fail-{side}; choose from: "
                             + ", ".join(METRICS) + " (or one of a group: kind:K/METRIC, "
                             "category:C/METRIC)")
        try:
            bars.append((metric, side, float(value)))
        except ValueError:
            raise InputError(f"--fail-{side} {spec}: '{value}' is not a number") from None
    return bars


@main.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the settings in force (secrets masked)."""
    settings = settings_from(ctx)
    click.echo(json.dumps(settings.public_dump(), indent=2))


if __name__ == "__main__":
    main()
