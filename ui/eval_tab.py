"""The Evaluation tab: the latest report, and a button that runs a new one with progress, on
the shipped question set, on "your questions" (saved from the chat and drafted from your
documents), or on both side by side. A site with no login and uploads off shows the report
only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr

from bot.api import Bot
from bot.errors import CitebotError
from bot.evaluate import Report
from bot.report import read_report, summary_table, write_report
from ui.eval_questions import SETS, SHIPPED, chosen_questions, extra_html, rows_html


def report_view(report: Report | None, where: Path | None = None) -> tuple[str, str, str]:
    """The summary as a text table, the per-question rows as HTML (failures first), and the
    flagged questions with the per-origin-and-kind table."""
    if report is None:
        return "No evaluation has been run yet.", "", ""
    note = f"\n(report: {where})" if where else ""
    return ("```\n" + summary_table(report) + note + "\n```", rows_html(report),
            extra_html(report))


def latest(bot: Bot) -> tuple[str, str, str]:
    path = bot.settings.report_dir / "report.json"
    if not path.is_file():
        return report_view(None)
    try:
        return report_view(read_report(path), path)
    except CitebotError as exc:
        return f"The last report could not be read: {exc}", "", ""


READ_ONLY = ("Running an evaluation is off here: this site has no login and uploads are off "
             "(allow_uploads), so it only shows the latest report. Set auth_username and "
             "auth_password (or api_key), or turn allow_uploads on, to run one from this tab.")


def build_eval_tab(bot: Bot, model_dropdown_choices: list[tuple[str, str]], *,
                   may_run: bool = True) -> None:
    """Add the tab's components to the Blocks being built. Without ``may_run`` (a site open
    to anyone and otherwise read-only) there is no run button and no run event: a run costs
    minutes of CPU and writes report files, so Gradio's queue must offer no way to start one
    (issue 24, item 12)."""
    summary_md, rows_html_, extra = latest(bot)
    if not may_run:
        gr.Markdown(READ_ONLY, elem_id="eval-read-only")
    else:
        with gr.Row():
            model = gr.Dropdown(model_dropdown_choices, value="extractive", label="Model",
                                elem_id="eval-model")
            which = gr.Radio(SETS, value=SHIPPED, label="Questions", elem_id="eval-set")
            run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    summary = gr.Markdown(summary_md, elem_id="eval-summary")
    origins = gr.HTML(extra, elem_id="eval-origins")
    rows = gr.HTML(rows_html_, elem_id="eval-rows")
    if may_run:
        run.click(eval_runner(bot), [model, which], [summary, rows, origins],
                  api_visibility="private", concurrency_limit=1)


def eval_runner(bot: Bot) -> Callable[..., tuple[str, str, str]]:
    """The run button's handler: evaluate the chosen set with progress and write the report."""

    def run_eval(model_name: str, chosen: str,
                 progress: gr.Progress = gr.Progress()  # noqa: B008
                 ) -> tuple[str, str, str]:
        try:
            questions, name = chosen_questions(bot, chosen)
            report = bot.evaluate(questions, model=model_name,
                                  progress=lambda done, total, r: progress(
                                      (done, total), desc=f"question {r.id}"))
            report.questions_file = name
            json_path, _ = write_report(report, bot.settings.report_dir)
        except CitebotError as exc:
            return f"Evaluation failed: {exc}", "", ""
        return report_view(report, json_path)

    return run_eval
