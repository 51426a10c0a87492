"""The OpenAI-compatible API on a launched web app, through the official ``openai`` SDK,
LangChain's ``ChatOpenAI`` and raw HTTP (extractive backend: the protocol is under test; the
real local model answers once, in test_openai_api_local.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.api_helpers import assert_citations_resolve, launched

KEY = "sk-citebot-test-5f3a"
RLHF = "What does RLHF stand for?"


@pytest.fixture(scope="module")
def served(built_index: Settings) -> Iterator[tuple[str, Bot]]:
    # No answer cache: a question asked again would stream as one piece (see the streaming
    # tests, which ask what an earlier call asked).
    settings = built_index.with_overrides(port=free_port(), model="extractive", api_key=KEY,
                                          auth_username="ada", auth_password="lovelace-1843",
                                          answer_cache=False)
    bot = Bot(settings)
    with launched(bot) as url:
        yield url, bot


@pytest.fixture(scope="module")
def client(served: tuple[str, Bot]) -> OpenAI:
    return OpenAI(base_url=served[0] + "/v1", api_key=KEY, max_retries=0)


def ask(client: OpenAI, *messages: dict[str, str], model: str = "citebot") -> Any:
    return client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]


def test_a_non_streamed_answer_carries_markers_sources_and_the_extension(
        client: OpenAI, served: tuple[str, Bot]) -> None:
    reply = ask(client, {"role": "user", "content": RLHF})
    message = reply.choices[0].message
    extra = message.model_extra["citebot"]  # type: ignore[index]
    assert "Reinforcement Learning from Human Feedback" in extra["text"]
    assert "[1]" in message.content and message.content.startswith(extra["text"])
    assert "\n\nSources:\n[1] " in message.content
    assert reply.choices[0].finish_reason == "stop" and reply.model == "citebot"
    assert extra["abstained"] is False and extra["query_used"] == RLHF
    assert extra["version"] == 1 and "passages" not in extra
    assert_citations_resolve(served[1], extra["citations"])


def test_a_streamed_answer_joins_to_the_final_text(client: OpenAI) -> None:
    question = "What can generative AI create besides text?"
    stream = client.chat.completions.create(model="citebot-extractive", stream=True,
                                            messages=[{"role": "user", "content": question}])
    chunks = list(stream)
    joined = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].choices[0]
    extra = final.delta.model_extra["citebot"]  # type: ignore[index]
    assert final.finish_reason == "stop" and extra["text"] and not extra["abstained"]
    assert joined == ask(client, {"role": "user", "content": question}).choices[0].message.content
    assert joined.startswith(extra["text"]) and len(chunks) > 3
    # The draft streams as the backend writes it (sentence by sentence here), not in one
    # piece at the end; the content is then cut from the checked answer whatever happened.
    drafts = [d["citebot_draft"] for c in chunks
              if "citebot_draft" in (d := c.choices[0].delta.model_extra or {})]
    assert len(drafts) > 1 and "".join(drafts) == extra["text"], drafts


def test_a_follow_up_is_rewritten_from_the_messages(client: OpenAI,
                                                    served: tuple[str, Bot]) -> None:
    reply = ask(client, {"role": "system", "content": "Answer in French."},
                {"role": "user", "content": "What is generative AI?"},
                {"role": "assistant", "content": "Generative AI creates new content [1]."},
                {"role": "user", "content": "And what are its applications?"})
    extra = reply.choices[0].message.model_extra["citebot"]  # type: ignore[index]
    assert extra["query_used"] == "What are generative AI's applications?"
    assert "applications" in extra["text"].lower()
    assert_citations_resolve(served[1], extra["citations"])


def test_an_abstention_is_a_normal_reply_with_the_flag(client: OpenAI) -> None:
    reply = ask(client, {"role": "user", "content": "Who won the 2018 football World Cup?"})
    extra = reply.choices[0].message.model_extra["citebot"]  # type: ignore[index]
    assert reply.choices[0].finish_reason == "stop"
    assert extra["abstained"] is True and reply.choices[0].message.content.startswith(NO_ANSWER)


def test_models_lists_every_backend(client: OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"citebot", "citebot-local", "citebot-extractive", "citebot-openai"} <= set(models)
    assert models["citebot"].model_extra["citebot"]["backend"] == "extractive"  # type: ignore
    assert models["citebot-extractive"].model_extra["citebot"]["ready"] is True  # type: ignore


def test_langchain_chat_openai_invokes_and_streams(served: tuple[str, Bot]) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=served[0] + "/v1", api_key=KEY, model="citebot",  # type: ignore
                      max_retries=0)
    answer = chat.invoke(RLHF)
    assert "Reinforcement Learning from Human Feedback" in str(answer.content)
    assert "Sources:" in str(answer.content)
    streamed = "What can generative AI create besides text?"  # three sentences (RLHF: one)
    pieces = [str(piece.content) for piece in chat.stream(streamed)]
    assert len([p for p in pieces if p]) > 1  # in sentence-sized chunks, not one
    assert "".join(pieces) == chat.invoke(streamed).content


# -- raw HTTP: errors are OpenAI-shaped ---------------------------------------------------------
def post(url: str, body: Any, key: str | None = KEY, **extra: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=30,
                      **extra)


def assert_openai_error(reply: httpx.Response, status: int, words: str) -> None:
    assert reply.status_code == status, (reply.status_code, reply.text)
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert words in error["message"], error["message"]


@pytest.mark.parametrize(("messages", "words"), [
    ([{"role": "system", "content": "You are helpful."}], "no user message"),
    ([{"role": "wizard", "content": "What is an LLM?"}], "role 'wizard' is not supported"),
    ([{"role": "user", "content": "   \x00 "}], "the question is empty"),
    ([{"role": "user", "content": "word " * 600}], "the limit is 2,000"),
    ([{"role": "user", "content": RLHF}, {"role": "assistant", "content": "x"}],
     "the last message must be the user's question"),
    ([], "messages"),
])
def test_bad_requests_get_400(served: tuple[str, Bot], messages: list[Any], words: str) -> None:
    assert_openai_error(post(served[0], {"model": "citebot", "messages": messages}), 400, words)


def test_a_body_that_is_not_json_or_has_bad_options_gets_400(served: tuple[str, Bot]) -> None:
    url = served[0]
    reply = httpx.post(url + "/v1/chat/completions", content=b"{not json", timeout=30,
                       headers={"Authorization": f"Bearer {KEY}"})
    assert_openai_error(reply, 400, "not valid JSON")
    question = [{"role": "user", "content": RLHF}]
    assert_openai_error(post(url, {"messages": question, "temperature": 7}), 400, "temperature")
    assert_openai_error(post(url, {"messages": question, "n": 2}), 400, "'n'")


def test_an_unknown_model_gets_404(served: tuple[str, Bot]) -> None:
    reply = post(served[0], {"model": "gpt-9", "messages": [{"role": "user", "content": RLHF}]})
    assert_openai_error(reply, 404, "model 'gpt-9' does not exist")
    assert reply.json()["error"]["code"] == "model_not_found"


# -- auth: the API key and the web login are separate -------------------------------------------
def test_no_key_or_a_wrong_key_gets_401_and_the_right_key_the_answer(
        served: tuple[str, Bot]) -> None:
    url, body = served[0], {"messages": [{"role": "user", "content": RLHF}]}
    assert_openai_error(post(url, body, key=None), 401, "missing API key")
    assert_openai_error(post(url, body, key="sk-wrong"), 401, "wrong API key")
    assert httpx.get(url + "/v1/models", timeout=30).status_code == 401
    reply = post(url, body)
    assert reply.status_code == 200
    assert "Human Feedback" in reply.json()["choices"][0]["message"]["content"]


def test_the_web_login_does_not_open_the_api_nor_the_key_the_web_app(
        served: tuple[str, Bot]) -> None:
    url = served[0]
    with httpx.Client(base_url=url, timeout=30) as browser:
        assert browser.post("/login", data={"username": "ada",
                                            "password": "lovelace-1843"}).status_code == 200
        assert browser.get("/config").status_code == 200
        body = {"messages": [{"role": "user", "content": RLHF}]}
        assert browser.post("/v1/chat/completions", json=body).status_code == 401
    for path in ("/config", "/gradio_api/info"):
        reply = httpx.get(url + path, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        assert reply.status_code == 401, path
