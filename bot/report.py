"""Evaluation reports: a summary table, report.json, a readable report.html with plots,
and a side-by-side comparison of two runs."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.evaluate import LOWER_IS_BETTER, METRICS, Report

_SECONDS = ("_p50", "_p95")


def fmt(metric: str, value: float) -> str:
    if metric.endswith("_tokens"):
        return f"{value:.0f}"
    return f"{value:.2f} s" if metric.endswith(_SECONDS) else f"{value:.3f}"


def summary_table(report: Report) -> str:
    """The headline metrics as an aligned text table."""
    width = max(len(m) for m in METRICS)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{m:<{width}}  {fmt(m, report.metrics.get(m, 0.0))}" for m in METRICS]
    lines.append(f"{len(report.results)} questions, model {report.model}, {report.seconds:.0f} s")
    lines.append(origin_line(report))
    if report.by_kind:
        lines += ["", kind_table(report)]
    return "\n".join(lines)


def origin_line(report: Report) -> str:
    """Where the questions came from (shipped, generated, saved, wrong) and how many were
    flagged: generated questions are a second check, never read as the hand-written set."""
    found: dict[str, int] = {}
    for r in report.results:
        found[r.origin] = found.get(r.origin, 0) + 1
    line = "origin: " + (", ".join(f"{n} {o}" for o, n in sorted(found.items())) or "none")
    return line + (f"; {len(report.flagged)} flagged, not asked (their document was removed)"
                   if report.flagged else "")


KIND_COLUMNS = ("questions", "fact_recall", "support_rate", "abstention_accuracy", "hit@5",
                "first_content_p50", "total_p50", "prompt_new_tokens", "generated_tokens")


def kind_table(report: Report) -> str:
    """Per question kind: how complete, how supported, how fast."""
    head = f"{'kind':<15}" + "".join(f"{c:>{len(c) + 2}}" for c in KIND_COLUMNS)
    lines = [head, "-" * len(head)]
    for kind, values in report.by_kind.items():
        shown = [f"{values.get(c, 0.0):.0f}" if c == "questions" else fmt(c, values.get(c, 0.0))
                 for c in KIND_COLUMNS]
        cells = "".join(f"{v:>{len(c) + 2}}" for c, v in zip(KIND_COLUMNS, shown, strict=True))
        lines.append(f"{kind:<15}{cells}")
    return "\n".join(lines)


def compare_table(a: Report, b: Report, names: Sequence[str] = ("A", "B")) -> str:
    """Two runs side by side, with the change and whether it is better."""
    width = max(len(m) for m in METRICS)
    head = f"{'metric':<{width}}  {names[0]:>12}  {names[1]:>12}  {'change':>9}"
    lines = [head, "-" * len(head)]
    for m in METRICS:
        va, vb = a.metrics.get(m, 0.0), b.metrics.get(m, 0.0)
        delta = vb - va
        better = (delta < 0) if m in LOWER_IS_BETTER else (delta > 0)
        mark = "" if abs(delta) < 1e-9 else (" better" if better else " worse")
        lines.append(f"{m:<{width}}  {fmt(m, va):>12}  {fmt(m, vb):>12}  {delta:+9.3f}{mark}")
    return "\n".join(lines)


def read_report(path: Path) -> Report:
    try:
        return Report.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"'{path}' is not a citebot report.json ({exc})") from None


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html (with plots) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False),
                         encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path


def render_html(report: Report) -> str:
    esc = html.escape
    rows = "\n".join(_question_row(r) for r in report.results)
    metrics = "".join(f"<tr><td>{esc(m)}</td><td>{fmt(m, report.metrics.get(m, 0.0))}</td></tr>"
                      for m in METRICS)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>citebot evaluation</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;}} table{{border-collapse:collapse;}}
td,th{{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;font-size:.9em;}}
.bad{{background:#fee2e2;}} .ok{{background:#dcfce7;}}</style></head><body>
<h1>citebot evaluation</h1>
<p>{len(report.results)} questions · model <b>{esc(report.model)}</b> · {esc(report.started)}
 · {report.seconds:.0f} s · questions: {esc(report.questions_file)}</p>
<h2>Metrics</h2><table>{metrics}</table>
<h2>Plots</h2>{_plots(report)}
<h2>By kind</h2>{_category_table(report.by_kind, "kind", KIND_COLUMNS)}
{_kind_plot(report)}
<h2>By category</h2>{_category_table(report.by_category)}
<h2>Questions</h2>
<table><tr><th>id</th><th>question</th><th>answer</th><th>citations</th><th>support rank</th>
<th>facts missed</th><th>abstained / should</th><th>total s</th></tr>
{rows}</table></body></html>"""


def _question_row(r: object) -> str:
    esc = html.escape
    get = r.__dict__
    right = get["abstained"] != get["answerable"]
    cites = "<br>".join(f"[{c['number']}] {esc(c['title'])}: “{esc(c['quote'])}”"
                        for c in get["citations"])
    missed = "; ".join(" / ".join(g) for g in get["missed_facts"])
    return (f'<tr class="{"ok" if right else "bad"}"><td>{esc(get["id"])}</td>'
            f'<td>{esc(get["question"])}</td><td>{esc(get["answer"] or get["error"])}</td>'
            f'<td>{cites}</td><td>{get["support_rank"] or "–"}</td><td>{esc(missed)}</td>'
            f'<td>{get["abstained"]} / {not get["answerable"]}</td>'
            f'<td>{get["timings"].get("total", 0.0):.1f}</td></tr>')


def _category_table(categories: Mapping[str, Mapping[str, float]], name: str = "category",
                    keys: Sequence[str] = ("questions", "hit@5", "fact_recall",
                                           "abstention_accuracy", "support_rate")) -> str:
    head = "".join(f"<th>{k}</th>" for k in keys)
    body = "".join(f"<tr><td>{html.escape(group)}</td>" + "".join(
        f"<td>{fmt(k, vals.get(k, 0.0))}</td>" for k in keys) + "</tr>"
        for group, vals in categories.items())
    return f"<table><tr><th>{name}</th>{head}</tr>{body}</table>"


def _kind_plot(report: Report) -> str:
    """Fact recall and support per kind, and first-content / total p50 per kind."""
    if not report.by_kind:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(report.by_kind)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.5))
    for offset, metric, colour in ((-0.2, "fact_recall", "#1e3a8a"), (0.2, "support_rate",
                                                                       "#16a34a")):
        ax1.barh([i + offset for i in range(len(kinds))],
                 [report.by_kind[k].get(metric, 0.0) for k in kinds], height=0.4,
                 label=metric, color=colour)
    for offset, metric, colour in ((-0.2, "first_content_p50", "#d97706"),
                                   (0.2, "total_p50", "#1e3a8a")):
        ax2.barh([i + offset for i in range(len(kinds))],
                 [report.by_kind[k].get(metric, 0.0) for k in kinds], height=0.4,
                 label=metric, color=colour)
    for ax, title in ((ax1, "Quality by kind (0-1)"), (ax2, "Latency by kind (s)")):
        ax.set_yticks(range(len(kinds)), kinds)
        ax.set_title(title)
        ax.legend()
    ax1.set_xlim(0, 1)
    return _png(fig, plt, "quality and latency by kind")


def _plots(report: Report) -> str:
    """Quality metrics as bars and the latency distribution, as inline PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quality = [m for m in METRICS if not m.endswith((*_SECONDS, "_tokens"))]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    ax1.barh(quality, [report.metrics.get(m, 0.0) for m in quality], color="#1e3a8a")
    ax1.set_xlim(0, 1)
    ax1.set_title("Quality (0-1)")
    for key, colour in (("retrieval", "#16a34a"), ("first_token", "#d97706"),
                        ("total", "#1e3a8a")):
        values = [r.timings[key] for r in report.results if key in r.timings]
        if values:
            ax2.hist(values, bins=20, alpha=0.6, label=key, color=colour)
    ax2.set_xlabel("seconds")
    ax2.set_title("Latency per question")
    if ax2.has_data():  # a run whose questions were all flagged has no latencies to label
        ax2.legend()
    return _png(fig, plt, "metrics and latency")


def _png(fig: Any, plt: Any, alt: str) -> str:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'
