"""Retrieval: follow-up rewriting, keyword scores, and de-duplication (real index where it
matters)."""

from __future__ import annotations

import pytest

from bot.answering.followup import rewrite_query
from bot.api import Bot
from bot.evaluate import contains_any
from bot.retrieve import KeywordIndex, remove_near_duplicates
from bot.schema import Chunk, Passage, Turn
from bot.settings import Settings


@pytest.mark.parametrize(("question", "previous", "expected"), [
    ("And what are its applications?", "What is generative AI?",
     "What are generative AI's applications?"),
    ("By which year?", "What does Gartner predict about generative AI adoption?",
     "By which year (Gartner predict generative AI adoption)?"),
    ("For what kind of tasks?", "What did Accenture report about generative AI?",
     "For what kind of tasks (Accenture report generative AI)?"),
    ("Tell me more about the fifth one.", "Which challenges are listed?",
     "Tell me more about the fifth one (challenges listed)?"),
    # standalone questions are left alone, history or not
    ("What is RLHF?", "What is generative AI?", "What is RLHF?"),
    ("What is the first step of training?", "What is an LLM?",
     "What is the first step of training?"),
])
def test_follow_ups_borrow_the_previous_topic(question: str, previous: str,
                                              expected: str) -> None:
    assert rewrite_query(question, [Turn("user", previous), Turn("assistant", "…")]) == expected
    assert rewrite_query(question, []) == question


def chunk(cid: str, text: str, doc: str = "d", start: int = 0) -> Chunk:
    return Chunk(cid, doc, "Title", text, start, start + len(text))


def test_keyword_scores_rank_without_building_a_dict_of_every_chunk() -> None:
    index = KeywordIndex([chunk("a", "transformers attention heads"),
                          chunk("b", "diffusion models denoise images"),
                          chunk("c", "attention is what transformers use; attention everywhere")])
    scores = index.scores("attention transformers")
    assert scores.top(5) == ["c", "a"]          # "b" shares no word: not a candidate
    assert scores.get("b") == 0.0 and scores.get("c") > scores.get("a") > 0
    assert scores.get("not-indexed-yet") == 0.0  # a chunk stored after the index was built
    assert index.scores("zebra").top(5) == [] and index.search("diffusion", 1)[0][0].chunk_id == "b"


def test_documents_keep_the_words_questions_are_asked_in() -> None:
    """BM25 indexes a statistics or legal text's 'mean', 'article' and 'difference' (a word
    never indexed gets the highest idf); a question's 'what does the article mean' adds
    nothing to its query."""
    index = KeywordIndex([chunk("a", "The sample mean is the sum divided by the count."),
                          chunk("b", "Article 5 defines the difference of two squares."),
                          chunk("c", "The median is the middle value.")])
    unseen = index.idf("zebra")
    assert all(index.idf(word) < unseen for word in ("mean", "article", "difference", "two"))
    assert index.scores("What does the article say about the median?").top(5) == ["c"]
    assert index.coverage("What does the article mean by median?", index.chunk("c")) == 1.0


def test_near_duplicates_go_and_the_limit_stops_early() -> None:
    text = "Large language models generate text from prompts."
    passages = [Passage(chunk("a", text), 3.0), Passage(chunk("b", text, doc="e"), 2.0),
                Passage(chunk("c", "Diffusion models make images.", start=100), 1.0),
                Passage(chunk("d", "GANs pit two networks against each other.", start=200), 0.5)]
    assert [p.chunk.chunk_id for p in remove_near_duplicates(passages)] == ["a", "c", "d"]
    assert [p.chunk.chunk_id for p in remove_near_duplicates(passages, limit=2)] == ["a", "c"]


@pytest.mark.parametrize(("question", "previous", "support"), [
    ("By which year?", "What does Gartner predict about generative AI adoption?",
     "80% of organizations will use generative AI applications"),
    ("For what kind of tasks?", "What did Accenture report about generative AI?",
     "organizations that leverage generative AI for creative tasks report"),
])
def test_elliptic_follow_up_finds_the_passage(built_index: Settings, question: str,
                                              previous: str, support: str) -> None:
    bot = Bot(built_index.with_overrides(model="extractive"))
    query = rewrite_query(question, [Turn("user", previous)])
    assert any(contains_any(p.text, [support]) for p in bot.retrieve(query))
