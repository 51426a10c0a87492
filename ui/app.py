"""The Gradio chat app: the only module that imports gradio.

``build_app(bot)`` returns the Blocks; ``citebot serve`` launches it. Answers stream
into the chat, then are replaced by the checked answer; the cited passages, with the
supporting quote highlighted and the whole article one click away, sit beside it.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from bot.api import Bot
from bot.errors import CitebotError
from bot.question import clean_question
from bot.queue import Waiting
from bot.schema import Answer
from ui.case_panel import build_case_panel, last_answer
from ui.eval_tab import build_eval_tab
from ui.library_tab import build_library_tab
from ui.render import (
    ASK_MODEL,
    CLICK_JS,
    CSS,
    answer_message,
    draft_message,
    error_message,
    sources_panel,
    waiting_message,
)

log = logging.getLogger(__name__)

EXAMPLES = [
    "Are LLMs a subset of generative AI?",
    "What does RLHF stand for?",
    "What can generative AI create besides text?",
    "What are the ethical concerns of generative AI?",
]
INTERNAL_ERROR = "something went wrong inside citebot (it is logged); please try again"
SHOWN_QUESTION_CHARS = 500
ACTIVE_QUESTIONS = 32
"""Chat questions handled at once: they wait in the model's own line (bot/queue.py), where
each can be told its place and the expected wait, rather than unseen in Gradio's queue."""
Messages = list[dict[str, str]]
Turns = list[tuple[str, str]]
Reply = tuple[Any, Any, Any, Any, Any, Any]  # chat, sources, turns, box, anyway button, redo


def model_choices(bot: Bot) -> list[tuple[str, str]]:
    """Dropdown entries: every backend, the ones that can't run here labelled with why."""
    choices = []
    for name, _, availability in bot.models():
        label = name if availability.ready else f"{name} (unavailable: {availability.detail})"
        choices.append((label, name))
    return choices


def respond(bot: Bot, question: str, messages: Messages, turns: Turns, model: str,
            top_k: int, temperature: float, *, fallback: bool = True,
            on_answer: Callable[[Answer], None] | None = None) -> Iterator[Reply]:
    """Stream one answer into the chat; errors become readable chat messages. While the
    model is busy the message says where the question stands in line; past the setting
    ``fallback_after_s`` (unless ``fallback`` is off) the quick extractive answer comes at
    once, labelled, and the "Ask the model anyway" button appears."""
    messages = [*messages, {"role": "user", "content": shown_question(question)},
                {"role": "assistant", "content": draft_message("")}]
    yield messages, sources_panel(None, {}), turns, "", gr.update(visible=False), None
    try:
        draft = ""
        with bot.stream(question, turns, model=model, top_k=int(top_k),
                        temperature=float(temperature),
                        fallback_after_s=bot.settings.fallback_after_s if fallback else None
                        ) as stream:
            for event in stream:
                if isinstance(event, Waiting):
                    shown = waiting_message(event)
                else:
                    draft += event
                    shown = draft_message(draft)
                messages[-1] = {"role": "assistant", "content": shown}
                yield messages, gr.skip(), turns, "", gr.skip(), gr.skip()
            answer = stream.answer()
        documents = {c.chunk_id: bot.document(c.chunk_id) for c in answer.citations}
        messages[-1] = {"role": "assistant", "content": answer_message(answer)}
        turns = [*turns, ("user", question), ("assistant", answer.text)]
        redo = {"question": question, "model": model} if answer.fallback else None
        if on_answer is not None:
            on_answer(answer)
        yield (messages, sources_panel(answer, documents), turns, "",
               gr.update(visible=redo is not None), redo)
    except CitebotError as exc:
        messages[-1] = {"role": "assistant", "content": error_message(str(exc))}
        yield messages, sources_panel(None, {}), turns, "", gr.skip(), gr.skip()
    except Exception:  # the page must keep working; the traceback goes to the log
        log.exception("answering %r failed", question)
        messages[-1] = {"role": "assistant", "content": error_message(INTERNAL_ERROR)}
        yield messages, sources_panel(None, {}), turns, "", gr.skip(), gr.skip()


def ask_model_anyway(bot: Bot, redo: dict[str, str] | None, messages: Messages, turns: Turns,
                     top_k: int, temperature: float,
                     on_answer: Callable[[Answer], None] | None = None) -> Iterator[Reply]:
    """Replace the last quick answer with the model's own, waiting in line for it."""
    if not redo:
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.update(visible=False), None
        return
    yield from respond(bot, redo["question"], messages[:-2], turns[:-2], redo["model"], top_k,
                       temperature, fallback=False, on_answer=on_answer)


def shown_question(question: str) -> str:
    """The question as the chat echoes it: without control characters, and a huge one cut
    short (the error beneath it gives the real length and the limit)."""
    text = clean_question(question)
    if len(text) <= SHOWN_QUESTION_CHARS:
        return text
    return f"{text[:SHOWN_QUESTION_CHARS]}… ({len(text):,} characters in all)"


def ask_api(bot: Bot, question: str, model: str = "", top_k: int = 0) -> dict[str, Any]:
    """The programmatic endpoint: the same Answer the chat shows, as JSON; a failure is an
    ``{"error": message}`` reply, never a stack trace."""
    try:
        answer = bot.ask(question, model=model or None, top_k=int(top_k) or None,
                         fallback_after_s=bot.settings.fallback_after_s)
    except CitebotError as exc:
        return {"error": str(exc)}
    except Exception:  # the caller gets a message, the log gets the traceback
        log.exception("answering %r through the API failed", str(question)[:200])
        return {"error": INTERNAL_ERROR}
    return dataclasses.asdict(answer)


def build_app(bot: Bot) -> gr.Blocks:
    """The chat page for ``bot``; launch it with :func:`launch`."""
    choices = model_choices(bot)
    # Gradio keeps every file its upload route receives (anonymous ones too) until told not
    # to: files older than upload_cache_s are deleted, checked every minute or sooner.
    keep = bot.settings.upload_cache_s
    with gr.Blocks(title="citebot", delete_cache=(min(60, keep), keep)) as app:
        gr.Markdown("## citebot · LLMs vs generative AI, with a source for every sentence")
        turns = gr.State([])
        redo = gr.State(None)  # the question a quick answer was given for
        with gr.Tabs():
            with gr.Tab("Chat"), gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        label="Conversation", height=520, elem_id="chat",
                        examples=[{"text": q} for q in EXAMPLES],
                        placeholder="Ask about large language models and generative AI.")
                    with gr.Row():
                        box = gr.Textbox(placeholder="Type a question and press Enter", scale=5,
                                         show_label=False, elem_id="question", max_lines=4)
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    with gr.Row():
                        anyway = gr.Button(ASK_MODEL, elem_id="ask-model", size="sm",
                                           visible=False)
                        clear = gr.Button("Clear conversation", elem_id="clear", size="sm")
                    last = gr.State(None)  # the last answer, for saving it as a test question
                    if may_run_evaluations(bot.settings):  # it writes the question file
                        build_case_panel(bot, last)
                    with gr.Accordion("Settings", open=False, elem_id="settings"):
                        model = gr.Dropdown(choices, value=bot.settings.model, label="Model",
                                            elem_id="model")
                        top_k = gr.Slider(1, 10, value=bot.settings.top_k, step=1,
                                          label="Passages")
                        temperature = gr.Slider(0.0, 1.0, value=bot.settings.temperature,
                                                step=0.05, label="Temperature")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_panel(None, {}), elem_id="sources")
            with gr.Tab("Library", elem_id="library-tab") as library_tab:
                library = build_library_tab(bot)
            with gr.Tab("Evaluation"):
                build_eval_tab(bot, choices, may_run=may_run_evaluations(bot.settings))
        # The list is read when the page opens and whenever the tab is shown: another
        # process (or person) may have changed the index meanwhile.
        app.load(library.load, None, library.outputs(), api_visibility="private")
        library_tab.select(library.load, None, library.outputs(), api_visibility="private")

        def on_ask(question: str, messages: Messages, turns_: Turns, model_: str, k: int,
                   temp: float) -> Iterator[tuple[Any, ...]]:
            got: list[Answer] = []
            for reply in respond(bot, question, messages, turns_, model_, k, temp,
                                 on_answer=got.append):
                yield (*reply, last_answer(got[-1], turns_) if got else gr.skip())

        def on_anyway(redo_: dict[str, str] | None, messages: Messages, turns_: Turns, k: int,
                      temp: float) -> Iterator[tuple[Any, ...]]:
            got: list[Answer] = []
            for reply in ask_model_anyway(bot, redo_, messages, turns_, k, temp,
                                          on_answer=got.append):
                yield (*reply, last_answer(got[-1], turns_[:-2]) if got else gr.skip())

        inputs = [box, chat, turns, model, top_k, temperature]
        outputs = [chat, sources, turns, box, anyway, redo, last]
        chat_events = {"api_visibility": "private", "concurrency_limit": ACTIVE_QUESTIONS,
                       "concurrency_id": "chat"}
        box.submit(on_ask, inputs, outputs, **chat_events)  # type: ignore[arg-type]
        send.click(on_ask, inputs, outputs, **chat_events)  # type: ignore[arg-type]
        anyway.click(on_anyway, [redo, chat, turns, top_k, temperature], outputs,
                     **chat_events)  # type: ignore[arg-type]

        def pick(evt: gr.SelectData) -> str:
            return str(evt.value["text"])

        chat.example_select(pick, None, box, api_visibility="private").then(
            on_ask, inputs, outputs, **chat_events)  # type: ignore[arg-type]
        clear.click(lambda: ([], sources_panel(None, {}), [], "", gr.update(visible=False), None,
                             None), None, outputs, api_visibility="private")

        def ask(question: str, model: str = "", top_k: int = 0) -> dict[str, Any]:
            return ask_api(bot, question, model, top_k)

        gr.api(ask, api_name="ask", concurrency_limit=ACTIVE_QUESTIONS, concurrency_id="chat")
    return app


KEY_LOGIN = ("This citebot is protected by its API key: sign in with any name and the key "
             "(CITEBOT_API_KEY) as the password.")


def web_login(settings: Any) -> tuple[Any, str | None]:
    """Gradio's login, which guards every route of the web app (its queue, uploads, /ask
    and the Evaluation tab included): the configured name and password; with only an API
    key set, the key as the password (issue 24, item 4: the key must protect the Library
    too, not only /v1); with neither, none (the loopback default)."""
    if settings.auth_username and settings.auth_password:
        return (settings.auth_username, settings.auth_password.get_secret_value()), None
    if settings.api_key:
        key = settings.api_key.get_secret_value().encode()

        def key_as_password(_username: str, password: str) -> bool:
            return hmac.compare_digest(password.encode(), key)

        return key_as_password, KEY_LOGIN
    return None, None


def may_run_evaluations(settings: Any) -> bool:
    """Whether the Evaluation tab may start runs (issue 24, item 12): a run costs minutes of
    CPU and writes report files, so a site with no login and uploads off (nothing else a
    visitor can change) shows the latest report only."""
    return bool(settings.allow_uploads) or web_login(settings)[0] is not None


def launch(app: gr.Blocks, bot: Bot, *, block: bool = True, quiet: bool = False) -> Any:
    """Serve with a queue (several users at once; a full queue says so) on the configured
    address, with a login when a username and password are set. The /v1 API and the MCP
    tools (ui/endpoints.py) are routes of the same FastAPI server, behind their own key."""
    from ui.endpoints import endpoints
    from ui.gradio_cache import blocked_paths
    from ui.guards import api_guards
    from ui.login_throttle import login_throttle
    from ui.upload_intake import gradio_file_limit, upload_middleware

    settings = bot.settings
    routes, lifespan = endpoints(bot)
    auth, auth_message = web_login(settings)
    app.queue(default_concurrency_limit=2, max_size=settings.queue_size)
    theme = gr.themes.Default(font=["system-ui", "sans-serif"],  # no web fonts: nothing leaves
                              font_mono=["ui-monospace", "monospace"])
    return app.launch(server_name=settings.host, server_port=settings.port, auth=auth,
                      auth_message=auth_message,
                      share=False, prevent_thread_lock=not block, quiet=quiet, theme=theme,
                      css=CSS, js=CLICK_JS, footer_links=["api"],
                      max_file_size=gradio_file_limit(settings),
                      blocked_paths=blocked_paths(app.GRADIO_CACHE),
                      app_kwargs={"routes": routes, "lifespan": lifespan,
                                  # the API schema is not published: it maps the routes
                                  "openapi_url": None,
                                  "middleware": login_throttle(settings)
                                  + api_guards(settings) + upload_middleware(settings)})
