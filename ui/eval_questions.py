"""The Evaluation tab's question sets (the shipped set, "your questions", both) and its rows:
failures first, each opening onto its answer and sources, the flagged questions apart."""

from __future__ import annotations

import html
from typing import Any

from bot.errors import InputError
from bot.evaluate import QuestionResult, Report, grouped
from bot.question_sets import load_questions

SHIPPED, YOURS, BOTH = "shipped set", "your questions", "both"
SETS = [SHIPPED, YOURS, BOTH]


def chosen_questions(bot: Any, which: str) -> tuple[list[Any], str]:
    """The questions of the set chosen in the tab, and how the report names it."""
    shipped = load_questions(bot.settings.questions_file) if which != YOURS else []
    yours = bot.library_questions() if which != SHIPPED else []
    if which != SHIPPED and not yours:
        raise InputError("you have no test questions yet: use \"Save as test question\" under "
                         "an answer in the chat, or `citebot questions generate --out library`")
    names = {SHIPPED: str(bot.settings.questions_file), YOURS: f"library ({bot.questions_file})",
             BOTH: f"{bot.settings.questions_file} + library ({bot.questions_file})"}
    return [*shipped, *yours], names.get(which, which)


def passed(r: QuestionResult) -> bool:
    """Right about answering, every key fact stated, no error."""
    return (not r.error and r.abstained != r.answerable
            and (r.fact_recall is None or r.fact_recall >= 0.999))


def rows_html(report: Report) -> str:
    """One row a question, failures first; each opens onto its answer and its sources."""
    ordered = sorted(report.results, key=passed)
    rows = "".join(_row(r) for r in ordered)
    table = ("<table><tr><th>id</th><th>question</th><th>answer</th><th></th>"
             f"<th>fact recall</th></tr>{rows}</table>")
    return table


def _row(r: QuestionResult) -> str:
    verdict = "pass" if passed(r) else "fail"
    sources = "".join(f"<li>[{c['number']}] {html.escape(str(c['title']))}: "
                      f"<q>{html.escape(str(c['quote']))}</q></li>" for c in r.citations)
    missed = "; ".join(" / ".join(g) for g in r.missed_facts)
    details = (f"<details><summary>{html.escape(r.answer[:160] or r.error)}</summary>"
               f"<div class='eval-answer'>{html.escape(r.answer or r.error)}</div>"
               f"<ol class='eval-sources'>{sources}</ol>"
               + (f"<p>missed: {html.escape(missed)}</p>" if missed else "") + "</details>")
    recall = "" if r.fact_recall is None else f"{r.fact_recall:.2f}"
    return (f"<tr class='eval-{verdict}' data-id='{html.escape(r.id)}' data-origin="
            f"'{html.escape(r.origin)}'><td>{html.escape(r.id)}<br><small>{html.escape(r.origin)}"
            f" · {html.escape(r.kind)}</small></td><td>{html.escape(r.question)}</td>"
            f"<td>{details}</td><td><b class='verdict'>{verdict}</b>"
            f"{' abstained' if r.abstained else ''}</td><td>{recall}</td></tr>")


def flagged_html(report: Report) -> str:
    if not report.flagged:
        return ""
    items = "".join(f"<li data-id='{html.escape(f['id'])}'><b>flagged</b> "
                    f"{html.escape(f['question'])}: {html.escape(f['flagged'])}</li>"
                    for f in report.flagged)
    return f"<div id='eval-flagged'><p>Not asked:</p><ul>{items}</ul></div>"


def origin_kind_html(report: Report) -> str:
    """Per origin and kind: your questions beside the shipped set (passes, recall, abstention)."""
    def key(r: QuestionResult) -> str:
        return f"{r.origin}\x1f{r.kind or 'fact'}"

    groups = grouped(report.results, key)
    rows = "".join(
        f"<tr><td>{html.escape(k.split(chr(31))[0])}</td><td>{html.escape(k.split(chr(31))[1])}"
        f"</td><td>{v['questions']:.0f}</td>"
        f"<td>{sum(passed(r) for r in report.results if key(r) == k)}</td>"
        f"<td>{v['fact_recall']:.3f}</td><td>{v['abstention_accuracy']:.3f}</td></tr>"
        for k, v in groups.items())
    return ("<table class='origins'><tr><th>origin</th><th>kind</th><th>questions</th>"
            "<th>passed</th><th>fact recall</th><th>abstention accuracy</th></tr>"
            f"{rows}</table>" if rows else "")


def extra_html(report: Report | None) -> str:
    """What sits above the rows: the flagged questions, and the origin-by-kind table."""
    return flagged_html(report) + origin_kind_html(report) if report else ""
