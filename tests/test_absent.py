"""Names a question uses that no document does (bot/absent.py)."""

from __future__ import annotations

import pytest

from bot.absent import Vocabulary, absent_names, absent_sentence, named_terms


@pytest.mark.parametrize(("question", "names"), [
    ("How do I send requests through a SOCKS5 proxy with httpx?", ["SOCKS5"]),
    ("Does httpx support HTTP/3 over QUIC?", ["HTTP", "QUIC"]),
    ("Which Rust crate does camlidl use?", ["Rust"]),
    ("How do I parse an XML file with ElementTree?", ["XML", "ElementTree"]),
    # A sentence's first word is capitalised for grammar, not because it is a name.
    ("Summarise the sorting guide. Then list its sections.", []),
    ("I'm choosing a database: Which one scales?", []),
    ("tl;dr of the post written by Nur-Nabi Siddique", ["Nur-Nabi", "Siddique"]),
    ("what's new in gpt4", ["gpt4"]),
])
def test_names_are_what_the_user_wrote_as_names(question: str, names: list[str]) -> None:
    assert named_terms(question) == names


def test_a_name_one_typo_away_is_known_and_a_short_one_must_match_exactly() -> None:
    vocabulary = Vocabulary(["chatgpt", "asyncclient", "quic"])
    assert vocabulary.knows("ChatGTP")          # two letters swapped
    assert vocabulary.knows("AsyncClients")     # a plural, stemmed
    assert vocabulary.knows("AsynClient")       # a letter dropped
    assert not vocabulary.knows("QUIX")         # four letters: no typo allowed
    assert not vocabulary.knows("ChatGLM")      # two edits away


def test_absent_names_and_how_the_abstention_says_so() -> None:
    known = [Vocabulary(["httpx", "proxy", "ai", "pro"])]
    assert absent_names("Does HTTPX take a SOCKS5 proxy?", known) == ("SOCKS5",)
    assert absent_names("What does the AI-PRO article say?", known) == ()  # both parts known
    assert absent_sentence(("SOCKS5",)) == "None of them mentions “SOCKS5”."
    assert absent_sentence(("QUIC", "Rust", "DPI")) == \
        "None of them mentions “QUIC”, “Rust” or “DPI”."


def test_a_question_in_another_language_is_no_question_about_a_missing_name() -> None:
    known = [Vocabulary(["llm", "generative", "ai", "subset"])]
    assert absent_names("¿Los LLM son un subconjunto de la IA generativa?", known) == ()
    assert named_terms("¿Los LLM son un subconjunto?") == ["LLM"]  # '¿' starts a sentence
    assert absent_names("Is the LLM a subset of generative AI, per the IA?", known) == ("IA",)
