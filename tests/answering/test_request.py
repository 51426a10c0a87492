"""AskOptions: one value for a question's options, with the Python API's keyword shorthand."""

from __future__ import annotations

import pytest

from bot.answering.request import AskOptions
from bot.errors import InputError


def test_keywords_go_on_top_of_the_options_and_none_keeps_what_was_there() -> None:
    base = AskOptions(model="local", top_k=8)
    merged = AskOptions.of(base, top_k=3, temperature=None, cache=False)
    assert merged == AskOptions(model="local", top_k=3, cache=False)
    assert AskOptions.of(base) is base and AskOptions.of() == AskOptions()


def test_an_unknown_option_names_itself_and_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"'topk'.*fallback_after_s.*top_k"):
        AskOptions.of(topk=3)
