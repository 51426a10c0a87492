"""``citebot eval``: score answers against a question set, write the report, check bars.

Heavy libraries are imported inside the command so `citebot --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ui.cli_common import answer_options, make_bot, progress_bar, user_errors


@click.command("eval")
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
    from bot.question_sets import load_questions, sample_questions

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
