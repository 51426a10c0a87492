from __future__ import annotations

from bot.schema import Answer, Citation, Document
from ui.render import answer_message, highlight, markers, sources_panel

HOSTILE = 'Text <script>alert(1)</script> and <img src=x onerror="alert(2)">'


def citation(quote: str, passage: str, start: int = 10) -> Citation:
    return Citation(number=1, doc_id="d", title="T <b>", quote=quote, start=start,
                    end=start + len(quote), passage_text=passage, heading_path=("H",),
                    chunk_id="c1")


def test_markers_become_badges_and_text_is_escaped() -> None:
    out = markers("LLMs <b>are</b> a subset [1][2].")
    assert '<span class="cite">[1]</span><span class="cite">[2]</span>' in out
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_sources_escape_document_text_and_highlight_the_quote() -> None:
    passage = f"Intro. {HOSTILE}. The quote is here."
    doc = Document("d", "T", "s", "0123456789The quote is here. " + HOSTILE)
    answer = Answer(text="x [1].", citations=(citation("The quote is here.", passage),),
                    passages=(), abstained=False, query_used="q")
    html = sources_panel(answer, {"c1": doc})
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>The quote is here.</mark>" in html          # in the passage and the article
    assert html.count("<mark>") == 2 and "Open the whole article" in html
    assert "10 characters before" in html  # the article opens at the quote


def test_abstained_and_incomplete_answers_look_different() -> None:
    abstained = Answer(text="The sources don't cover this.", citations=(), passages=(),
                       abstained=True, query_used="q")
    assert 'class="abstained"' in answer_message(abstained)
    cut = Answer(text="Partial [1].", citations=(), passages=(), abstained=False, query_used="q",
                 complete=False, error="server stopped")
    assert "Incomplete: server stopped" in answer_message(cut)


def test_highlight_without_the_quote_only_escapes() -> None:
    assert highlight("<a>", "zzz") == "&lt;a&gt;"


def test_a_structured_answer_renders_a_table_with_a_badge_in_every_cell() -> None:
    from bot.schema import Block, Cell

    table = Block("table", header=("Aspect", "A", "B"),
                  rows=((Cell("Scope", (1,)), Cell("Text <only>", (2,)), Cell("All", (3,))),))
    bullets = Block("bullets", items=(Cell("**Name**: one thing", (4, 5)),),
                    title=Cell("Things", (6,)))
    answer = Answer(text="", citations=(), passages=(), abstained=False, query_used="q",
                    shape="comparison", blocks=(table, bullets))
    out = answer_message(answer)
    assert '<table class="answer-table">' in out and "<th>Aspect</th>" in out
    assert out.count("<td>") == 3 and 'Text &lt;only&gt; <span class="cite">[2]</span>' in out
    assert "<li><strong>Name</strong>: one thing" in out and "answered as: comparison" in out
    assert '<span class="cite">[4]</span><span class="cite">[5]</span>' in out


def test_the_streaming_draft_renders_the_markdown_it_will_become() -> None:
    from ui.render import markdown_html

    out = markdown_html("From “T”:\n\n| Aspect | A |\n|---|---|\n| Scope [1] | x [2] |\n\n- a [3]")
    assert "<th>Aspect</th>" in out and '<td>Scope <span class="cite">[1]</span></td>' in out
    assert "<li>a " in out and "---" not in out
