"""One real answer from the local LLM through the API: streamed with the openai SDK, the
fact is there, the joined stream is the final reply, and the citations resolve."""

from __future__ import annotations

from typing import Any

import pytest
from openai import OpenAI

from bot.api import Bot
from bot.settings import Settings
from tests.conftest import free_port
from tests.ui.api_helpers import assert_citations_resolve, launched


@pytest.mark.slow
def test_the_local_model_answers_through_the_api(built_index: Settings, model_memo: Any) -> None:
    settings = built_index.with_overrides(port=free_port(), model="local")
    bot = Bot(settings, generators={"local": model_memo})
    with launched(bot) as url:
        client = OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=300)
        stream = client.chat.completions.create(
            model="citebot-local", stream=True, temperature=0.0, max_tokens=120,
            messages=[{"role": "user", "content": "What does RLHF stand for?"}])
        chunks = list(stream)
    joined = "".join(c.choices[0].delta.content or "" for c in chunks)
    extra = chunks[-1].choices[0].delta.model_extra["citebot"]  # type: ignore[index]
    assert extra["model"] == model_memo.name and not extra["abstained"], extra["text"]
    assert "human feedback" in extra["text"].lower(), extra["text"]
    assert joined.startswith(extra["text"]) and "\n\nSources:\n" in joined
    assert_citations_resolve(bot, extra["citations"])
    assert any("Human Feedback" in c["quote"] for c in extra["citations"]), extra["citations"]
