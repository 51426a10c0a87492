"""The Evaluation tab only runs where a visitor is trusted to (issue 24, item 12): on a site
with no web login and uploads off it shows the latest report, with no run button and no run
event, so Gradio's queue offers no way to start a run (minutes of CPU, report files
written). A login (name and password, or the API key) or uploads on keeps the button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.api import Bot
from bot.report import write_report
from bot.settings import Settings
from tests.ui.conftest import few_shipped_questions

READ_ONLY: dict[str, Any] = {"allow_uploads": False}
ALLOWED: dict[str, dict[str, Any]] = {
    "uploads on": {"allow_uploads": True},
    "name and password": {"allow_uploads": False, "auth_username": "ada",
                          "auth_password": "lovelace-1843"},
    "api key only": {"allow_uploads": False, "api_key": "sk-evaltab-7d21"},
}


def eval_parts(settings: Settings) -> tuple[list[str], list[str], Any]:
    """Build the real Blocks for ``settings`` and return the elem_ids of its components, the
    names of the functions its events run, and its config."""
    from ui.app import build_app

    app = build_app(Bot(settings))
    try:
        config = app.get_config_file()
        ids = [c.get("props", {}).get("elem_id") or "" for c in config["components"]]
        fns = [getattr(block_fn.fn, "__name__", "") for block_fn in app.fns.values()]
        return ids, fns, config
    finally:
        app.close()


def test_read_only_site_shows_the_report_but_cannot_run_one(built_index: Settings) -> None:
    settings = built_index.with_overrides(model="extractive", **READ_ONLY)
    assert settings.auth_username is None and settings.api_key is None  # no login at all
    ids, fns, config = eval_parts(settings)
    assert "eval-run" not in ids and "eval-model" not in ids and "eval-set" not in ids
    assert "run_eval" not in fns
    assert "case-save" not in ids and "save_case" not in fns  # no question file written either
    assert "eval-summary" in ids and "eval-read-only" in ids  # the report is still shown
    note = next(c for c in config["components"] if c["props"].get("elem_id") == "eval-read-only")
    assert "allow_uploads" in note["props"]["value"]


def test_read_only_site_still_shows_the_latest_report(built_index: Settings,
                                                      tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    bot = Bot(built_index.with_overrides(model="extractive", report_dir=reports, **READ_ONLY))
    questions = few_shipped_questions(tmp_path, count=2)
    write_report(bot.evaluate(questions, model="extractive"), reports)  # as `citebot eval` does
    _, _, config = eval_parts(bot.settings)
    summary = next(c for c in config["components"] if c["props"].get("elem_id") == "eval-summary")
    assert "hit@5" in summary["props"]["value"]


@pytest.mark.parametrize("overrides", ALLOWED.values(), ids=ALLOWED.keys())
def test_with_a_login_or_uploads_on_the_tab_runs(built_index: Settings,
                                                 overrides: dict[str, Any]) -> None:
    ids, fns, _ = eval_parts(built_index.with_overrides(model="extractive", **overrides))
    assert "eval-run" in ids and "eval-model" in ids and "eval-set" in ids
    assert fns.count("run_eval") == 1
    assert "case-save" in ids and fns.count("save_case") == 1
    assert "eval-read-only" not in ids
