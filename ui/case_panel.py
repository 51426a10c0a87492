"""Under the chat: "Save as test question" and "Mark wrong" for the last answer. Either opens
a small form with the answer's key terms as key facts, for editing before saving into the
library's question file (and, for "Mark wrong", a note saying what is wrong)."""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr

from bot.api import Bot
from bot.errors import CitebotError
from bot.schema import Answer
from bot.testset.cases import facts_text, from_answer, key_terms

log = logging.getLogger(__name__)
Last = tuple[Answer, list[str]] | None
"""The last answer of this conversation and the user turns before it."""
FACTS_LABEL = "Key facts a right answer states (one a line; alternatives split by |)"


def last_answer(answer: Answer, turns: list[tuple[str, str]]) -> Last:
    return answer, [text for role, text in turns if role == "user"]


def _status(text: str, kind: str = "ok") -> str:
    return f"<p class='case-{kind}'>{html.escape(text)}</p>"


def build_case_panel(bot: Bot, last: gr.State) -> None:
    """Add the two buttons and the form; ``last`` holds the answer they act on."""
    with gr.Row():
        save = gr.Button("Save as test question", size="sm", elem_id="case-save")
        wrong = gr.Button("Mark wrong", size="sm", elem_id="case-wrong")
    mode = gr.State("saved")
    with gr.Group(visible=False, elem_id="case-form") as form:
        asked = gr.Markdown(elem_id="case-question")
        facts = gr.Textbox(label=FACTS_LABEL, lines=4, elem_id="case-facts")
        note = gr.Textbox(label="What is wrong with the answer", visible=False,
                          elem_id="case-note")
        with gr.Row():
            confirm = gr.Button("Save", variant="primary", size="sm", elem_id="case-confirm")
            cancel = gr.Button("Cancel", size="sm", elem_id="case-cancel")
    status = gr.HTML(elem_id="case-status")

    def open_form(chosen: str, held: Last) -> tuple[Any, ...]:
        if held is None:
            return (gr.update(visible=False), "", "", gr.update(visible=False), chosen,
                    _status("ask a question first: the buttons act on the last answer", "error"))
        answer, _ = held
        terms = key_terms(answer, answer.question)
        title = "Mark wrong" if chosen == "wrong" else "Save as test question"
        return (gr.update(visible=True), f"**{title}:** {answer.question}", facts_text(terms),
                gr.update(visible=chosen == "wrong", value=""), chosen, "")

    def save_case(held: Last, chosen: str, edited: str, said: str) -> tuple[Any, str]:
        if held is None:
            return gr.skip(), _status("ask a question first", "error")
        answer, history = held
        try:
            question = from_answer(answer, history, key_facts=edited, wrong=chosen == "wrong",
                                   note=said)
            total = bot.save_questions([question])
        except CitebotError as exc:
            return gr.skip(), _status(str(exc), "error")
        what = "a known failure" if chosen == "wrong" else "a test question"
        return gr.update(visible=False), _status(
            f"Saved as {what} ({question.id}); your questions now number {total}. Run them in "
            "the Evaluation tab.")

    outputs = [form, asked, facts, note, mode, status]
    events = {"api_visibility": "private"}
    save.click(lambda held: open_form("saved", held), last, outputs, **events)  # type: ignore[arg-type]
    wrong.click(lambda held: open_form("wrong", held), last, outputs, **events)  # type: ignore[arg-type]
    confirm.click(save_case, [last, mode, facts, note], [form, status], **events)  # type: ignore[arg-type]
    cancel.click(lambda: (gr.update(visible=False), ""), None, [form, status], **events)  # type: ignore[arg-type]
