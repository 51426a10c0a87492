"""ingest.clean: exactly what is removed from each seed article, and the general rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.schema import Document
from ingest.chunk import chunk_document
from ingest.clean import Cleaned, clean_document
from ingest.layout import fix_ligatures
from ingest.load import load_documents

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

REMOVED = {
    "llms-vs-genai-key-differences": [
        "Read the full story: How is Gen-AI reshaping the retail employee experience?",
        "Further reading: 7 important steps to begin your generative AI journey.",
    ],
    "aipro-genai-vs-llms": [
        "An image depicting AI",
        "Popular large language model, ChatGPT",
        "Datasets on grammar and semantics for large language models",
        "An example of AI-generated art",
        "An image to symbolize AI’s language translation capabilities",
        "An AI machine",
        "AI-PRO Team",
        "AI-PRO Team",
        "AI-PRO is your go-to source for all things AI. We're a group of tech-savvy professionals "
        "passionate about making artificial intelligence accessible to everyone. Visit our website "
        "for resources, tools, and learning guides to help you navigate the exciting world of AI.",
        "Articles:\xa0123",
    ],
    "revechat-llm-vs-genai": [
        "Upgrade your website with cohesive IM and Live Chat strengths",
        "LLM vs Generative AI",
        "Table of Contents",
        "Start using REVE Chat now!",
        "Start a 14-day free trial, no credit card required",
        "Share this post",
        "• Twitter",
        "• LinkedIn",
        "• Facebook",
        "Nur-Nabi Siddique",
        "AUTHOR’S BIO",
        "Nur-Nabi Siddique is the CTO at REVE Chat. He is renowned for his deep proficiency in the "
        "Spring Framework, NLP, and Chatbot Development. He brings a wealth of knowledge and a "
        "forward-thinking approach to technological innovation.",
        "REVE Chat Blog",
        "Stay updated with the latest trends and ideas we share",
        "View all posts",
        "Future of AI Agents: Trends & Predictions for Businesses (2025)",
        "Future of AI Agents: Trends & Predictions for Businesses (2025)",
        "The evolution of AI agents lets us imagine a world where technology provides us with an "
        "end-to-end solution to complex...",
        "LLM vs Generative AI: What's the Difference?",
        "LLM vs Generative AI: What's the Difference?",
        "Generative AI and Large Language Models (LLMs) are both powerful technologies, but "
        "they’re often misunderstood. LLMs are a subset of...",
        "Multilingual Customer Support: Benefits & How to Provide (7 Tips)",
        "Multilingual Customer Support: Benefits & How to Provide (7 Tips)",
        "Imagine Julie, a customer from Spain, ordered a pair of shoes from an international "
        "eCommerce platform. Upon receiving the order,...",
        "Start converting your website visitors into customers today!",
    ],
    "llms-genai-differences-industries": [],
}

# Lines of real content that look a little like debris (short, title-like, CTA-like, at the
# top or bottom of the page, or repeated elsewhere): each must survive, whole, on its own line.
KEPT = {
    "llms-vs-genai-key-differences": [
        "What is generative AI?", "What are large language models (LLM)?",
        "Large language models vs Generative AI: Key differences to understand",
        "- Large Language models (LLMs)", "Aspect | LLM (Large Language Model) | Generative AI |",
    ],
    "aipro-genai-vs-llms": [
        "Understanding the Difference Between LLMs and Generative AI",
        "Understanding the Underlying Difference Between Generative AI and Large Language Models "
        "(LLMs)",
        "We’ll start this off by defining these two AI technologies.",
        "5 Underlying Differences Between Generative AI and LLMs", "1. Scope of Application",
        "7. Resource Intensiveness", "10 Applications of Generative AI", "8 Applications of LLMs",
        "Fully Harness the Power of Tech with Generative AI and LLMs",
    ],
    "revechat-llm-vs-genai": [
        "LLM vs Generative AI: What’s the Difference?", "What is Generative AI?", "Parameter",
        "Generative AI", "Large Language Models (LLMs)", "Definition", "LLMs",
        "Examples in Action", "When to Use LLMs", "Conclusion", "Frequently Asked Questions",
        "• AI Copilots: Assisting with code generation or document analysis, enabling faster "
        "workflows for developers and professionals.",
        "Yes, LLMs can benefit small businesses by streamlining customer support, automating "
        "content creation, and improving communication. Cloud-based solutions make it accessible "
        "without requiring extensive infrastructure.",
    ],
    "llms-genai-differences-industries": [
        "Training Process", "Key Takeaways:", "Conclusion", "---|---|---|",
        "- Fine-tuning for specific tasks",
    ],
}

DEBRIS = ("Stay updated", "Share this post", "Read the full story", "Further reading", "AUTHOR",
          "View all posts", "Start using", "free trial", "Twitter", "LinkedIn", "An image ",
          "Articles:", "Upgrade your website", "Table of Contents", "REVE Chat Blog",
          "go-to source for all things AI", "Visit our website", "Start converting")

@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[Document, Cleaned]]:
    docs = load_documents([CORPUS]).documents
    return {d.doc_id: (d, clean_document(d)) for d in docs}

def doc(text: str, suffix: str = ".txt") -> Document:
    return Document(doc_id="t", title="T", source="t" + suffix, text=text,
                    metadata={"suffix": suffix})

@pytest.mark.parametrize("doc_id", sorted(REMOVED))
def test_exactly_the_known_debris_is_removed(seeds: dict, doc_id: str) -> None:
    original, cleaned = seeds[doc_id]
    assert [r.strip() for r in cleaned.removed] == REMOVED[doc_id]
    source_lines = original.text.split("\n")
    assert all(r in source_lines for r in cleaned.removed)  # verbatim, whole lines

@pytest.mark.parametrize("doc_id", sorted(KEPT))
def test_content_survives(seeds: dict, doc_id: str) -> None:
    original, cleaned = seeds[doc_id]
    lines = cleaned.document.text.split("\n")
    for line in KEPT[doc_id]:
        assert line in lines, line
    # Nothing else went: every non-debris line of the source is still there, in order.
    removed = set(cleaned.removed)
    kept = [ln.strip() for ln in original.text.split("\n") if ln.strip() and ln not in removed]
    assert [ln for ln in lines if ln] == kept

@pytest.mark.parametrize("doc_id", sorted(REMOVED))
def test_no_chunk_of_a_cleaned_seed_carries_debris(seeds: dict, doc_id: str) -> None:
    _, cleaned = seeds[doc_id]
    for chunk in chunk_document(cleaned.document):
        for phrase in DEBRIS:
            assert phrase not in chunk.full_text, (phrase, chunk.index)

@pytest.mark.parametrize("doc_id", sorted(REMOVED))
def test_whitespace_is_normalised_and_cleaning_is_idempotent(seeds: dict, doc_id: str) -> None:
    original, cleaned = seeds[doc_id]
    text = cleaned.document.text
    assert "\n\n\n" not in text and text == text.strip()
    assert all(ln == ln.strip() for ln in text.split("\n"))  # 002's 4-space indent is gone
    again = clean_document(cleaned.document)
    assert again.removed == () and again.document.text == text
    assert cleaned.document.doc_id == original.doc_id
    assert cleaned.document.metadata == original.metadata
    assert clean_document(original) == cleaned  # deterministic

def test_subscribe_share_and_teaser_lines_go_but_look_alike_prose_stays() -> None:
    text = "\n".join([
        "Intro paragraph that matters.",
        "Subscribe to our newsletter for weekly updates",
        "Start with a small dataset and grow it as you learn.",
        "Read more: Ten tips for prompts",
        "Share this article",
        "We share this post's data with partners under a strict agreement that is public.",
        "Try to keep prompts short; free-form text works too.",
        "Stay informed about model risks by reading the papers.",
        "Written by hand, the first notes on the idea were short.",
        "The next paragraph must survive the line above.",
        "Try the model today and you will see that it answers questions about tables, lists, "
        "headings and many other structures found in long and detailed technical documents.",
    ])
    cleaned = clean_document(doc(text))
    assert cleaned.removed == ("Subscribe to our newsletter for weekly updates",
                               "Read more: Ten tips for prompts", "Share this article")
    assert "Start with a small dataset" in cleaned.document.text
    assert "Try the model today" in cleaned.document.text  # too long for a call to action
    assert "free-form text works too." in cleaned.document.text  # a full stop: prose
    assert "The next paragraph must survive" in cleaned.document.text

def test_table_of_contents_with_entries_and_captions() -> None:
    text = "\n\n".join([
        "Guide to Models", "Table of Contents", "- Why Models Matter", "- How to Choose",
        "Why Models Matter", "They matter a lot.", "An illustration of a neural network",
        "How to Choose", "Pick the smallest that works.", "Image: a chart of sizes",
    ])
    cleaned = clean_document(doc(text))
    assert cleaned.removed == ("Table of Contents", "- Why Models Matter", "- How to Choose",
                               "An illustration of a neural network", "Image: a chart of sizes")
    assert cleaned.document.text.split("\n\n") == [
        "Guide to Models", "Why Models Matter", "They matter a lot.", "How to Choose",
        "Pick the smallest that works."]

def test_table_of_contents_header_without_entries_keeps_the_text() -> None:
    text = "Contents\n\nThe first paragraph is real.\n\nSecond one.\n\nThe first paragraph is real."
    cleaned = clean_document(doc(text))
    assert cleaned.removed == ("Contents",)  # entries are short lines; this is a paragraph
    assert cleaned.document.text == text.removeprefix("Contents\n\n")

def test_sentence_case_lone_lines_are_kept_where_headings_are_sentence_case() -> None:
    # Same shape as article 001's captions, but here the page's own headings are in sentence
    # case, so a lone sentence-case line may be a heading and must stay.
    headings = ["Why large models help", "How small models fit", "What the future holds",
                "Where the data comes from", "Which tasks suit them", "Costs of running them"]
    text = "\n\n".join(f"{h}\n\nBody text number {n}." for n, h in enumerate(headings))
    assert clean_document(doc(text)).removed == ()

def test_title_echo_goes_but_a_heading_with_the_title_words_stays() -> None:
    echo = clean_document(doc("Models vs Tools: A Guide\n\nModels vs Tools\n\nContents\n\nText."))
    assert echo.removed == ("Models vs Tools", "Contents")
    heading = "Generative AI Explained\n\nGenerative AI\n\nGenerative AI makes new content."
    assert clean_document(doc(heading)).removed == ()

def test_related_cards_author_box_and_footer_labels() -> None:
    text = "\n\n".join([
        "Real article text.", "About the author", "Jane writes about AI for a living.",
        "Acme Blog", "Stay tuned for more", "Next Post Title", "Next Post Title",
        "A teaser of the next post that stops mid...", "Thanks for reading our article today.",
    ])
    cleaned = clean_document(doc(text))
    assert cleaned.document.text == "Real article text.\n\nThanks for reading our article today."

def test_markdown_keeps_relative_indentation() -> None:
    text = "  # Title\n\n  - item\n      - nested item   \n\n\n\n  Text."
    cleaned = clean_document(doc(text, ".md"))
    assert cleaned.document.text == "# Title\n\n- item\n    - nested item\n\nText."
    assert clean_document(doc(text)).document.text == "# Title\n\n- item\n- nested item\n\nText."

DEBRIS_LINES = st.sampled_from([
    "Share this post", "Read more: Ten tips", "Table of Contents", "AUTHOR'S BIO", "Articles: 12",
    "An image of a robot", "Stay updated", "Jane Doe", "Next Post", "A teaser that stops...",
    "Subscribe to our newsletter", "• Twitter", "Contents", "Image: a chart", "", "   ", "\t",
])
PROSE_LINES = st.sampled_from([
    "LLMs are a subset of generative AI.", "Why Models Matter", "They matter a lot.",
    "- a list item", "Aspect | LLM | GenAI |", "    indented text.", "# Heading",
])
PAGE = st.lists(st.one_of(DEBRIS_LINES, PROSE_LINES, st.text(max_size=30)), max_size=40)

def is_subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(any(x == y for y in rest) for x in part)

def letters(lines: list[str]) -> str:
    """The text's characters without whitespace or hyphens (joins re-space lines and rejoin
    hyphenated words) and with ligatures spelled out."""
    return "".join(fix_ligatures("".join(lines)).replace("-", "").split())

@settings(max_examples=200, deadline=None)
@given(lines=PAGE, suffix=st.sampled_from([".txt", ".md", ".html"]))
# A line the page repeats: the second '0' goes with the author box, the first stays.
@example(lines=["0", "LLMs are a subset of generative AI.", "0", "AUTHOR'S BIO"], suffix=".txt")
def test_cleaning_only_removes_whole_lines_and_reports_each(lines: list[str], suffix: str) -> None:
    text = "\n".join(lines)
    cleaned = clean_document(doc(text, suffix))  # never raises
    source = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source_words = [ln.strip() for ln in source if ln.strip()]
    kept = [ln.strip() for ln in cleaned.document.text.split("\n") if ln.strip()]
    removed = [r.strip() for r in cleaned.removed]
    # No invented text, nothing silently lost: every non-blank source line is either kept (in
    # order, joined to the line above where a paragraph was wrapped) or reported verbatim as
    # removed (in order).
    assert is_subsequence(list(cleaned.removed), source) and all(removed)
    assert [source[i] for i in cleaned.removed_at] == list(cleaned.removed)
    left = [ln.strip() for i, ln in enumerate(source) if ln.strip() and i not in cleaned.removed_at]
    assert letters(kept) == letters(left)
    assert len(kept) + len(removed) <= len(source_words)
    assert "\n\n\n" not in cleaned.document.text
    assert cleaned.document.text == cleaned.document.text.strip("\n")
    assert clean_document(doc(text, suffix)) == cleaned  # deterministic

def test_a_banner_above_the_title_goes_whatever_it_says() -> None:
    """No site's phrase is listed: a short line printed above the document's own title is
    page chrome (banner, tagline, breadcrumb); prose above the title, or no title, keeps it."""
    def titled(text: str) -> Document:
        return Document(doc_id="t", title="Tuning PostgreSQL Autovacuum", source="t.txt",
                        text=text, metadata={"suffix": ".txt"})
    body = "Tuning PostgreSQL Autovacuum\n\nAutovacuum reclaims dead rows in the background.\n"
    for banner in ("Meet the cloud console your whole team will love",
                   "Docs > Administration > Maintenance"):
        cleaned = clean_document(titled(f"{banner}\n\n{body}"))
        assert [r.strip() for r in cleaned.removed] == [banner]
        assert cleaned.document.text.startswith("Tuning PostgreSQL Autovacuum")
    prose = "Autovacuum settings matter on busy servers, as this note explains."
    assert not clean_document(titled(f"{prose}\n\n{body}")).removed
    untitled = "Meet the cloud console your whole team will love\n\nAutovacuum reclaims rows.\n"
    assert not clean_document(titled(untitled)).removed
