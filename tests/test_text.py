from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.text import content_words, normalise, numbers, sentences, stem


def test_sentences_keep_offsets_and_abbreviations() -> None:
    text = "LLMs are a subset, e.g. GPT-4. They write text!\nGenerative AI makes images. 3.5 x"
    spans = sentences(text)
    assert [s.text for s in spans] == [
        "LLMs are a subset, e.g. GPT-4.", "They write text!", "Generative AI makes images.",
        "3.5 x"]
    assert all(text[s.start:s.end] == s.text for s in spans)


@given(st.text())
def test_sentences_never_raise_and_offsets_hold(text: str) -> None:
    for span in sentences(text):
        assert text[span.start:span.end] == span.text
        assert span.text.strip() == span.text and span.text


def test_content_words_stem_and_stopwords() -> None:
    assert content_words("What are the LLMs' uses?", stem=True) == ["llm", "use"]
    assert stem("studies") == "study" and stem("class") == "class"


def test_numbers_and_normalise() -> None:
    assert numbers("GPT-4 has 1,750 params, 30% more") == {"4", "1750", "30"}
    normalised = normalise("  Reinforcement   Learning’s\nFEEDBACK ")
    assert normalised == "reinforcement learning's feedback"


def test_a_quoted_sentence_must_answer_the_kind_of_question() -> None:
    from bot.text import answers_the_kind

    assert not answers_the_kind("How many parameters does GPT-4 have?", "GPT-4, BERT, Claude.")
    assert answers_the_kind("How many words was GPT-3 trained on?",
                            "GPT-3 was trained on over 300 billion words.")
    assert answers_the_kind("How many tokens are LLMs trained on?", "trillions of tokens")
    assert not answers_the_kind("In which year was the transformer introduced?",
                                "Transformers were introduced by Google.")
    assert not answers_the_kind("What is the projected market size in 2030?",
                                "By 2026, 80% of firms will use it.")
    assert answers_the_kind("Why did Accenture find a 90% boost?", "Accenture reports 20-30%.")


def test_question_words_go_from_questions_only() -> None:
    """'mean', 'article', 'difference' are how a question asks, but a statistics or legal
    document's subject: dropped from a question, kept in a document's text."""
    document = "Article 5: the difference of two means, one sample each"
    assert content_words(document, stem=True) == [
        "article", "5", "difference", "two", "mean", "one", "sample"]
    assert content_words(document, stem=True, question=True) == ["5", "sample"]
    assert content_words("What does the article say about the difference?", question=True) == []
