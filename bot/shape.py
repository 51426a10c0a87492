"""The shape of a question, decided by the pipeline without a model call.

``fact`` (one statement answers it), ``list`` (the items of a list the sources give),
``comparison`` (two things side by side), ``summary`` (one document's outline and key
statements) or ``cross_document`` (what each source says). Rules read the question's wording;
the words here are ordinary English about questions, never the vocabulary of any corpus.

An embedding vote (the question against prototype questions of each shape) was tried as a
fallback for questions without a cue and left out: on the 137 questions of both question
sets it changed 15 decisions at a margin of 0.12, 13 of them wrongly (0 right, 3 wrong at
0.25). A plan that finds no structure for its shape falls back to a fact answer anyway, so a
missed cue costs completeness, never correctness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHAPES = ("fact", "list", "comparison", "summary", "cross_document")
BREADTH = frozenset(SHAPES) - {"fact"}

_DOCS = r"(?:articles|sources|documents|authors|texts|pages|posts|papers|blogs|writers)"
_CROSS = [
    re.compile(rf"\b(do|does|did|would)\s+(all\s+|both\s+|the\s+)*(\w+\s+)?{_DOCS}\b.*\b("
               r"agree|disagree|differ|contradict|conflict|concur|say the same|align|consistent)",
               re.I),
    re.compile(rf"\b(each|every|all|both|different|multiple|several|various|the other|"
               rf"all (the|four|three|two)|any)\s+(of\s+the\s+)?{_DOCS}\b", re.I),
    re.compile(rf"\bacross\s+(the\s+)?(\w+\s+)?{_DOCS}\b|\bwhich\s+{_DOCS}\b", re.I),
    re.compile(r"\b(each|every)\s+(article|source|document|author|text|page|post|paper|blog|"
               r"writer)\b", re.I),
    re.compile(rf"\b(do|did)\s+(the\s+)?(\w+\s+)?{_DOCS}\s+(say|describe|explain|mention|"
               r"define|portray|characteri[sz]e|present|report|raise|point|list|give|name|"
               r"offer|suggest|propose|identify|discuss|predict|claim|see)", re.I),
    re.compile(r"\b(agree|disagree|agreement|disagreement|consensus|contradict\w*)\b", re.I),
]
_ACCORDING = re.compile(rf"\b(according to|in|from)\s+(the\s+)?(\w+\s+)?{_DOCS}\b", re.I)
"""A weaker cross-document cue than those above: a comparison cue beside it wins."""
_COMPARISON = re.compile(
    r"\b(differ|differs|differed|differences?|different from|distinguish\w*|compar\w+|"
    r"contrast\w*|vs\.?|versus|similarit\w+|in common|better than|worse than|rather than|"
    r"unlike|set\s+\w+\s+apart|sets\s+\w+\s+apart|pros and cons|the same|same as|alike)\b",
    re.I)
_SUMMARY = re.compile(
    r"\b(summar(y|ies|ise|ize|ised|ized|ising|izing)|overview|outline|recap|gist|tl;?dr|"
    r"main (points|ideas|arguments|takeaways|sections|topics)|key (points|takeaways|ideas)|"
    r"break\s+down)\b", re.I)
_DOC_TOPIC = re.compile(
    r"\b(article|post|blog|page|piece|document|paper|guide|source)\b[^?]*\b(cover|covers|"
    r"discuss|discusses|about|say|says|contain|contains|explain|explains)\s*[?.!]*\s*$", re.I)
_LIST = [
    re.compile(r"^\s*(please\s+)?(list|name|enumerate|itemi[sz]e)\b", re.I),
    re.compile(r"\b(give|show|tell)\s+(me\s+)?(a\s+|the\s+)?(full\s+|complete\s+)?list\b", re.I),
    re.compile(r"\b(are|were)\s+([\w-]+\s+){0,6}?(listed|enumerated|named|mentioned|given|"
               r"outlined|described|cited|identified|included)\b", re.I),
    re.compile(r"\b(list|lists|enumerates?)\b", re.I),
    re.compile(r"\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
               r"([\w-]+\s+)?[\w-]+s\b", re.I),
    re.compile(r"\b(types|kinds|sorts|categories|examples|ways|steps|stages|uses|list)\s+of\b",
               re.I),
    re.compile(r"^\s*(what|which)\s+(are|were)\s+(the|some|all|any)\b", re.I),
    re.compile(r"^\s*(please\s+)?(tell|show|give)\s+(me|us)\s+(the|all|some|every)\s+"
               r"([\w-]+\s+){0,2}?[\w-]{2,}[^s\W]s\b(?!\s+(is|was)\b)", re.I),
]
_PLURAL_ASK = re.compile(r"^\s*(what|which)\s+(?!(does|is|was|has|are|were|makes|means|causes)\b)"
                         r"([\w-]+\s+){0,2}?[\w-]{2,}[^s\W]s\b(?!\s+(is|was)\b)", re.I)
"""'Which tools are...', 'what challenges and limitations does...': a plural noun right after
the question word (not a verb like 'does' or 'makes')."""
_ENTITY_PATTERNS = [
    re.compile(r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?=\s+(in|for|when|on|regarding|"
               r"according|as|based)\b|[?.!,;]|$)", re.I),
    re.compile(r"(?P<a>[\w()&' -]+?)\s+(vs\.?|versus)\s+(?P<b>[\w()&' -]+?)(?=[?.!,;:]|\s+(in|"
               r"for|when|on)\b|$)", re.I),
    re.compile(r"\b(compar|contrast)\w*\s+(?P<a>.+?)\s+(with|to|and|against)\s+(?P<b>.+?)(?=\s+(in|for|"
               r"when|on)\b|[?.!,;]|$)", re.I),
    re.compile(r"\b(does|do|did|is|are)\s+(?P<a>.+?)\s+differ\w*\s+from\s+(?P<b>.+?)(?=\s+(in|"
               r"for|when|on)\b|[?.!,;]|$)", re.I),
    re.compile(r"\b(do|does|did)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+(differ|compare)", re.I),
    re.compile(r"\b(does|do|did|is|are)\s+(?P<a>.+?)\s+(compare|stack up)\s+(with|to|against)\s+"
               r"(?P<b>.+?)(?=\s+(in|for|when|on)\b|[?.!,;]|$)", re.I),
]
_QUOTED = re.compile(r"[\"“”‘](?=\w)[^\"“”’]{8,}[\"“”’]|(?<!\w)'(?=\w)[^']{8,}'(?!\w)")
_TABLE = re.compile(r"\btables?\b", re.I)
_LEADING_WORDS = re.compile(r"^((the|a|an|main|key|major|core|some|between|what|how)\s+)+",
                            re.I)
@dataclass(frozen=True)
class Shape:
    """The decided shape, the two things compared (for a comparison) and why."""

    kind: str
    entities: tuple[str, ...] = ()
    reason: str = ""


def classify(question: str) -> Shape:
    """The shape of ``question`` (see the module docstring)."""
    text = " ".join(question.split())
    # A quoted title ('Overview of "X vs Y: Key differences"') names a document: its words
    # are no cue to the shape.
    unquoted = _QUOTED.sub(" document ", text)
    if unquoted != text and (_SUMMARY.search(unquoted) or _DOC_TOPIC.search(unquoted)):
        return Shape("summary", (), "asks for an overview of a named document")
    text = unquoted
    entities = comparison_entities(text)
    if any(p.search(text) for p in _CROSS) and not _names_one_document(text):
        return Shape("cross_document", entities, "asks what several sources say")
    if _TABLE.search(text) and len(entities) < 2:
        return Shape("list", (), "asks for rows of a table")
    if _COMPARISON.search(text) or len(entities) == 2:
        return Shape("comparison", entities, "asks how things differ")
    if _ACCORDING.search(text):
        return Shape("cross_document", (), "asks what the sources say")
    if _SUMMARY.search(text) or _DOC_TOPIC.search(text):
        return Shape("summary", (), "asks for an overview")
    if any(p.search(text) for p in _LIST) or _PLURAL_ASK.search(text):
        return Shape("list", (), "asks for several items")
    return Shape("fact", (), "asks for one fact")


def comparison_entities(question: str) -> tuple[str, ...]:
    """The two things a question compares ('LLMs vs generative AI' -> both), else ()."""
    for pattern in _ENTITY_PATTERNS:
        match = pattern.search(question)
        if match:
            pair = tuple(_LEADING_WORDS.sub("", match.group(g).strip(" ?.,'\"")).strip()
                         for g in ("a", "b"))
            if all(0 < len(p.split()) <= 6 for p in pair):
                return pair
    return ()


def _names_one_document(text: str) -> bool:
    return bool(re.search(r"\b(the|this|that)\s+([\w-]+\s+){0,3}(article|post|blog|page|paper|"
                          r"document|guide)\b", text, re.I)) and not re.search(
        rf"\b{_DOCS}\b", text, re.I)
