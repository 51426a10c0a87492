"""Bad questions through the Python API and the `citebot` command (a real subprocess): each
gets a clear message or a well-formed answer, never a crash, a traceback or mojibake.

The corpus is English. A question in another language is answered from the sources when
retrieval finds them, or gets the no-answer sentence; either way the text is intact.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.answering.prompt import NO_ANSWER
from bot.api import Bot
from bot.errors import InputError
from bot.schema import Answer
from bot.settings import Settings, load_settings
from tests.conftest import CORPUS, ROOT

RLHF = "What does RLHF stand for?"
RLHF_FACT = "Reinforcement Learning from Human Feedback"
HUGE = "x" * 100_000
OTHER_LANGUAGES = [
    "¿Qué es la IA generativa? 🤖",
    "什么是生成式人工智能？大型语言模型是生成式人工智能的一部分吗？",
    "ما هو الذكاء الاصطناعي التوليدي؟",  # right to left
    "Qu'est-ce qu'un grand modèle de langage (LLM) ?",
    "🤖🤖🤖",
    "¿Los LLM son un subconjunto de la IA generativa? 🤖",
    "LLM 和生成式 AI (generative AI) 有什么区别？",
]
REACH_THE_MODEL = [OTHER_LANGUAGES[3], OTHER_LANGUAGES[5]]  # retrieval finds evidence for these
REFUSED = [  # (question, words the message must contain)
    ("", "the question is empty"),
    ("   \n\t  ", "the question is empty"),
    ("\x00\x07\x1b[0m", "the question is empty"),  # only control characters
    (HUGE, "100,000 characters long; the limit is 2,000"),
    ("[3]", "'[3]' is not a question (only citation markers)"),
    ("[1][2]", "'[1][2]' is not a question (only citation markers)"),
    ("[3] ?", "'[3] ?' is not a question (only citation markers)"),
    ("?!", "'?!' is not a question (no words)"),
]
_MARKER = re.compile(r"\[(\d+)\]")
_MOJIBAKE = re.compile("\ufffd|Ã.|â€|Ø§|ä¸")


@pytest.fixture(scope="module")
def bot(built_index: Settings) -> Bot:
    return Bot(built_index.with_overrides(model="extractive"))


def assert_well_formed(answer: Answer, question: str) -> None:
    """A complete answer with valid citations, or the no-answer sentence; intact text."""
    assert answer.complete and not answer.error, answer.error
    assert answer.question == question and answer.query_used == question
    assert not _MOJIBAKE.search(answer.text), answer.text
    answer.text.encode("utf-8")  # no lone surrogates
    numbers = {c.number for c in answer.citations}
    assert {int(n) for n in _MARKER.findall(answer.text)} <= numbers
    assert all(1 <= n <= len(answer.passages) for n in numbers)
    if answer.abstained:
        assert answer.text.startswith(NO_ANSWER)
    else:
        assert answer.citations and answer.sentences


# -- Python API --------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "words"), REFUSED, ids=lambda v: repr(v)[:20])
def test_api_refuses_with_a_message_that_says_why(bot: Bot, question: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        bot.ask(question)
    message = str(caught.value)
    assert words in message
    assert len(message) < 300 and "\n" not in message  # a huge question is never echoed back


def test_the_oversized_message_names_the_setting_and_the_limit_moves(built_index: Settings,
                                                                     tmp_path: Path) -> None:
    advice = re.escape("max_question_chars (env CITEBOT_MAX_QUESTION_CHARS)")
    with pytest.raises(InputError, match=advice):
        Bot(built_index.with_overrides(model="extractive")).ask(HUGE)
    empty_toml = tmp_path / "citebot.toml"
    empty_toml.write_text("")
    moved = load_settings({"data_dir": built_index.data_dir, "model": "extractive"},
                          environ={"CITEBOT_MAX_QUESTION_CHARS": "5000"}, config_file=empty_toml)
    assert moved.max_question_chars == 5000
    long_question = padded(RLHF, 3000)
    assert_well_formed(Bot(moved).ask(long_question), long_question)


def padded(question: str, length: int) -> str:
    """``question`` followed by filler words, exactly ``length`` characters long."""
    filler = " Please answer briefly and cite the source." * (length // 40 + 1)
    return (question + filler)[:length - 1] + "?"


def test_a_question_of_exactly_the_limit_is_accepted(bot: Bot) -> None:
    limit = bot.settings.max_question_chars
    exact = padded(RLHF, limit)
    assert len(exact) == limit
    assert_well_formed(bot.ask(exact), exact)
    with pytest.raises(InputError, match=f"{limit + 1:,} characters long"):
        bot.ask(padded(RLHF, limit + 1))


@pytest.mark.parametrize("noisy", [
    f"\x00\x07{RLHF}\x1b[31m",  # NUL, bell, a terminal colour code
    f"\udcff{RLHF}\u202e",  # an undecodable byte from argv, a right-to-left override
    f"\x1b]0;title\x07{RLHF}\x9b",  # a terminal title sequence, a C1 control
])
def test_control_characters_are_removed_before_searching(bot: Bot, noisy: str) -> None:
    answer = bot.ask(noisy)
    assert_well_formed(answer, RLHF)
    assert RLHF_FACT.lower() in answer.text.lower()


@pytest.mark.parametrize("question", OTHER_LANGUAGES)
def test_other_languages_answer_or_abstain_intact(bot: Bot, question: str) -> None:
    assert_well_formed(bot.ask(question), question)


@pytest.mark.parametrize("question", REACH_THE_MODEL)
def test_other_languages_with_the_real_local_model(built_index: Settings, local_model: Any,
                                                   question: str) -> None:
    bot = Bot(built_index.with_overrides(model="local"), generators={"local": local_model})
    answer = bot.ask(question)
    assert answer.model == "local" and "first_token" in answer.timings  # the LLM was asked
    assert_well_formed(answer, question)


# -- the `citebot` command, as a real process --------------------------------------------------
def citebot(built_index: Settings, tmp_path: Path, *args: str | bytes,
            stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    config = tmp_path / "citebot.toml"
    config.write_text(f'data_dir = "{built_index.data_dir}"\ncorpus = ["{CORPUS}"]\n'
                      'model = "extractive"\n')
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    result = subprocess.run([sys.executable, "-m", "ui.cli", "--config", str(config), *args],
                            input=stdin.encode(), capture_output=True, cwd=ROOT, timeout=300,
                            env={**clean_env, **(env or {})})
    return (result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8"))


@pytest.mark.parametrize(("question", "words"), [r for r in REFUSED if "\x00" not in r[0]],
                         ids=lambda v: repr(v)[:20])
def test_cli_refuses_in_one_line(built_index: Settings, tmp_path: Path, question: str,
                                 words: str) -> None:
    code, out, err = citebot(built_index, tmp_path, "ask", question)
    assert code == 1 and out == ""
    assert err.startswith("Error: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_answers_noisy_and_foreign_questions(built_index: Settings, tmp_path: Path) -> None:
    code, out, err = citebot(built_index, tmp_path, "ask", b"\xff\x07" + RLHF.encode() + b"\x1b[1m")
    assert code == 0 and "Traceback" not in err, err
    assert RLHF_FACT in out and f"searched for: {RLHF} |" in out
    spanish = OTHER_LANGUAGES[0]
    code, out, err = citebot(built_index, tmp_path, "ask", spanish, env={"LC_ALL": "C"})
    assert code == 0 and "Traceback" not in err, err
    assert f"searched for: {spanish} |" in out and not _MOJIBAKE.search(out)
    assert NO_ANSWER in out or "[1]" in out


def test_cli_chat_keeps_going_after_a_bad_question(built_index: Settings,
                                                   tmp_path: Path) -> None:
    code, out, err = citebot(built_index, tmp_path, "chat", stdin=f"[3]\n{'y' * 5000}\n{RLHF}\n\n")
    assert code == 0 and "Traceback" not in err, err
    assert "error: '[3]' is not a question" in err
    assert "error: the question is 5,000 characters long" in err
    assert RLHF_FACT in out and "bot> bot>" not in out
