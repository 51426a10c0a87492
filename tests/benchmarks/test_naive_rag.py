"""The naive tutorial baseline of benchmarks/baseline.py: its retrieval half with the real
MiniLM and a real Chroma in a temp dir, plus the scoring rules both pipelines share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import baseline_scoring
import naive_rag
import pytest

from bot.answering.prompt import NO_ANSWER
from bot.backends.embedders import make_embedder
from bot.question_sets import load_questions
from bot.text import cosine
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def naive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[naive_rag.NaiveRag]:
    yield naive_rag.NaiveRag(CORPUS, tmp_path_factory.mktemp("naive") / "chroma").build()


def test_loads_raw_files_and_splits_like_the_tutorial(naive: naive_rag.NaiveRag) -> None:
    documents = naive_rag.load_corpus(CORPUS)
    assert sorted(Path(d.metadata["source"]).name for d in documents) == sorted(
        p.name for p in CORPUS.glob("*.txt"))  # no metadata.json, no questions.jsonl
    raw = {d.metadata["source"]: d.page_content for d in documents}
    assert all(raw[c.metadata["source"]].find(c.page_content) >= 0 for c in naive.chunks)
    assert max(len(c.page_content) for c in naive.chunks) <= naive_rag.CHUNK_SIZE
    assert len(naive.chunks) > len(documents)
    # Neighbouring pieces of one file overlap (by up to 200 characters, at word boundaries).
    pairs = [(a, b) for a, b in zip(naive.chunks, naive.chunks[1:], strict=False)
             if a.metadata["source"] == b.metadata["source"]]
    assert sum(b.page_content[:40] in a.page_content for a, b in pairs) > len(pairs) / 2


def test_top_four_by_similarity_with_citebots_embedder(naive: naive_rag.NaiveRag) -> None:
    question = "What does RLHF stand for?"
    found = naive.retrieve(question)
    assert len(found) == naive_rag.TOP_K == 4
    assert [d.page_content for d in naive.retrieve(question, k=5)][:4] == [
        d.page_content for d in found]
    ours = make_embedder("minilm").embed_query(question)
    assert cosine(naive.embedding.embed_query(question), ours) > 0.999
    texts = [d.page_content for d in naive.retrieve(question, k=len(naive.chunks))]
    assert baseline_scoring.support_rank(texts, ["Reinforcement Learning from Human Feedback"])


def test_stuff_prompt_holds_every_chunk_and_the_question(naive: naive_rag.NaiveRag) -> None:
    found = naive.retrieve("What is generative AI?")
    text = naive_rag.prompt("What is generative AI?", found)
    assert text.startswith("Use the following pieces of context")
    assert text.endswith("Question: What is generative AI?\nHelpful Answer:")
    assert all(d.page_content in text for d in found)


@pytest.mark.parametrize(("answer", "declines"), [
    (NO_ANSWER + " What they do cover nearby: LLMs are models [1].", True),
    ("I don't know.", True),
    ("The provided context does not mention the capital of France.", True),
    ("There is no information about that in the context.", True),
    ("", True),
    ("RLHF stands for Reinforcement Learning from Human Feedback [1].", False),
    ("LLMs are a subset of generative AI. The context does not mention Gemini.", False),
])
def test_one_abstention_detector_for_both(answer: str, declines: bool) -> None:
    assert baseline_scoring.abstains(answer) is declines


def test_support_checker_accepts_quotes_and_rejects_inventions() -> None:
    checker = baseline_scoring.SupportChecker(make_embedder("minilm").embed_documents)
    passage = ("Reinforcement Learning from Human Feedback (RLHF) tunes a model with human "
               "ratings. It was used for ChatGPT in 2022.")
    answer = ("RLHF tunes a model with human ratings [1]. "
              "Paris has been the capital of France since 1999.")
    assert checker.supported(answer, [passage]) == (1, 2)
    assert checker.supported(answer, []) == (0, 2)


def test_stratified_sample_keeps_the_mix_and_is_seeded() -> None:
    questions = load_questions(CORPUS / "questions.jsonl")
    sample = baseline_scoring.stratified_sample(questions, 30, seed=7)
    kinds: dict[str, Any] = {}
    for q in sample:
        kinds[baseline_scoring.kind(q)] = kinds.get(baseline_scoring.kind(q), 0) + 1
    assert len(sample) == 30 and set(kinds) == {"answerable", "follow-up", "unanswerable"}
    assert kinds["unanswerable"] == round(30 * sum(not q.answerable for q in questions)
                                          / len(questions))
    assert [q.id for q in sample] == [q.id for q in
                                      baseline_scoring.stratified_sample(questions, 30, seed=7)]
    assert [q.id for q in baseline_scoring.stratified_sample(questions, 4, seed=7)] != []
    assert len({baseline_scoring.kind(q) for q in
                baseline_scoring.stratified_sample(questions, 4, seed=7)}) == 3
