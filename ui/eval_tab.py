"""The Evaluation tab: the latest report, and a button that runs a new one with progress."""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from bot.api import Bot
from bot.errors import CitebotError
from bot.evaluate import Report
from bot.report import read_report, summary_table, write_report


def report_view(report: Report | None, where: Path | None = None) -> tuple[str, str]:
    """The summary as a text table, and the per-question rows as HTML."""
    if report is None:
        return "No evaluation has been run yet.", ""
    rows = "".join(
        f"<tr><td>{html.escape(r.id)}</td><td>{html.escape(r.question)}</td>"
        f"<td>{html.escape(r.answer or r.error)}</td>"
        f"<td>{'abstained' if r.abstained else ''}</td>"
        f"<td>{'' if r.fact_recall is None else f'{r.fact_recall:.2f}'}</td></tr>"
        for r in report.results)
    note = f"\n(report: {where})" if where else ""
    table = ("<table><tr><th>id</th><th>question</th><th>answer</th><th></th>"
             f"<th>fact recall</th></tr>{rows}</table>")
    return "```\n" + summary_table(report) + note + "\n```", table


def latest(bot: Bot) -> tuple[str, str]:
    path = bot.settings.report_dir / "report.json"
    if not path.is_file():
        return report_view(None)
    try:
        return report_view(read_report(path), path)
    except CitebotError as exc:
        return f"The last report could not be read: {exc}", ""


def build_eval_tab(bot: Bot, model_dropdown_choices: list[tuple[str, str]]) -> None:
    """Add the tab's components to the Blocks being built."""
    summary_md, rows_html = latest(bot)
    with gr.Row():
        model = gr.Dropdown(model_dropdown_choices, value="extractive", label="Model",
                            elem_id="eval-model")
        run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    summary = gr.Markdown(summary_md, elem_id="eval-summary")
    rows = gr.HTML(rows_html, elem_id="eval-rows")

    def run_eval(model_name: str, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        try:
            report = bot.evaluate(bot.settings.questions_file, model=model_name,
                                  progress=lambda done, total, r: progress(
                                      (done, total), desc=f"question {r.id}"))
            json_path, _ = write_report(report, bot.settings.report_dir)
        except CitebotError as exc:
            return f"Evaluation failed: {exc}", ""
        return report_view(report, json_path)

    run.click(run_eval, model, [summary, rows], api_visibility="private", concurrency_limit=1)
