"""The shape of a question, decided by the pipeline without a model call.

``fact`` (one statement answers it), ``list`` (the items of a list the sources give),
``comparison`` (two things side by side), ``summary`` (one document's outline and key
statements) or ``cross_document`` (what each source says). Rules read the question's wording;
the words here are ordinary English about questions, never the vocabulary of any corpus.

An embedding vote (the question against prototype questions of each shape) was tried as a
fallback for questions without a cue and left out: on the 137 questions of both question
sets it changed 15 decisions at a margin of 0.12, 13 of them wrongly (0 right, 3 wrong at
0.25). A logistic regression on the MiniLM embedding (benchmarks/shape_accuracy.py) was
measured too: alone it is worse than these rules on every test half (seed 5-fold 0.68 vs
0.82, everyday 0.80 vs 1.00), and fed the rules' decision as well it changes 3 of 245 test
decisions for ~30 ms of embedding per question, so it is left out. The rules read lemmas of
ordinary wording ('sum up', 'rundown', 'stack up', 'which is better', 'overlap'), forgive
one typo in a cue word, and tell a plural noun from a verb with an object ('which firm
builds the engine'). A plan that finds no structure for its shape falls back to a fact
answer anyway, so a missed cue costs completeness, never correctness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

from bot.schema import ShapeKind

SHAPES: tuple[ShapeKind, ...] = get_args(ShapeKind)
BREADTH = frozenset(SHAPES) - {"fact"}

_DOCS = (r"(?:articles|sources|documents|docs|authors|texts|pages|posts|papers|blogs|writers|"
         r"manuals|guides|reports|studies|essays|pieces|chapters)")
_DOC = (r"(?:article|source|document|doc|author|page|post|paper|blog|writer|manual|guide|"
        r"report|study|essay|piece|chapter|howto|tutorial|faq|readme|handbook)")
_CROSS = [
    re.compile(rf"\b(do|does|did|would)\s+(all\s+|both\s+|the\s+)*(\w+\s+)?{_DOCS}\b.*\b("
               r"agree|disagree|differ|contradict|conflict|concur|say the same|align|consistent)",
               re.I),
    re.compile(rf"\b(each|every|all|both|different|multiple|several|various|the other|"
               rf"all (the|four|three|two)|any)\s+(of\s+the\s+)?{_DOCS}\b", re.I),
    re.compile(rf"\bacross\s+(the\s+)?(\w+\s+)?{_DOCS}\b|\bwhich\s+{_DOCS}\b", re.I),
    re.compile(rf"\b(each|every)\s+{_DOC}\b", re.I),
    re.compile(rf"\bcompar\w*\s+(what|how)\b.*\b({_DOC}|{_DOCS})\b", re.I),
    re.compile(r"\band\b.*\beach\s+(say|says|describe|explain|cover|define|mention|claim|see|"
               r"treat|present|recommend)\b", re.I),
    re.compile(rf"\b(are|were)\s+(the\s+)?(\w+\s+)?{_DOCS}\s+(consistent|in agreement|at odds|"
               r"aligned|in line)\b", re.I),
    re.compile(rf"\b(do|did)\s+(the\s+)?(\w+\s+)?{_DOCS}\s+(say|describe|explain|mention|"
               r"define|portray|characteri[sz]e|present|report|raise|point|list|give|name|"
               r"offer|suggest|propose|identify|discuss|predict|claim|see)", re.I),
    re.compile(r"\b(agree|disagree|agreement|disagreement|consensus|contradict\w*)\b", re.I),
]
_ACCORDING = re.compile(rf"\b(according to|in|from)\s+(the\s+)?(\w+\s+)?{_DOCS}\b", re.I)
"""A weaker cross-document cue than those above: a comparison cue beside it wins."""
_COMPARISON = re.compile(
    r"\b(differ|differs|differed|differences?|different from|distinguish\w*(?=\s+\w)|compar\w+|"
    r"contrast\w*|vs\.?|versus|similarit\w+|in common|better than|worse than|rather than|"
    r"unlike|set\s+\w+\s+apart|sets\s+\w+\s+apart|pros and cons|same as|alike|"
    r"(mean|say|do|does|is|are)\s+the\s+same(?!\s+\w)|the\s+same\s+thing|"
    r"^\s*(do|does|did|are|were|can|could)\s+\S.*\band\b.*\bthe\s+same\b|"
    r"stacks?\s+up|weighs?\s+up|measures?\s+up|overlap\w*|"
    r"(is|are|was|were)\s+([\w-]+\s+)?(\w{3,}er|more\s+\w+|less\s+\w+)\s+than|"
    r"which\s+(one\s+|option\s+)?(is|are|would be|makes?|should i \w+)\s+(the\s+)?"
    r"(better|best|worse|preferable|stronger|cheaper|faster|safer|easier)|"
    r"\w+\s+or\s+[\w-]+\s*[,:?]\s*which)\b",
    re.I)
_SUMMARY = re.compile(
    r"\b(summar(y|ies|ise|ize|ised|ized|ising|izing)|overview|outline|recap|gist|tl;?dr|"
    r"main (points|ideas|arguments|takeaways|sections|topics)|key (points|takeaways|ideas)|"
    r"break\s+down|in a nutshell|tl\s?dr)\b", re.I)
_DOC_SUMMARY = re.compile(
    rf"\b(run-?down|sum\s+(it\s+)?up|sums\s+up|walk\s+(me|us)\s+through|fill\s+(me|us)\s+in|"
    rf"brief\s+(me|us)|highlights|what(\s+is|'s)\b.*\b(mainly|mostly|all|really)\s+about)\b"
    rf".*\b{_DOC}s?\b|\b{_DOC}\b.*\b(mainly|mostly|all|really)\s+about\b", re.I)
"""Wordings that ask for an outline when they name a document ('sum up the report'); of a
topic they ask for its items ('a rundown of what a client offers')."""
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
    re.compile(r"^\s*(and\s+)?(what|which)\s+(are|were)\s+(the|some|all|any|its|their)\b", re.I),
    re.compile(r"\b(examples|advantages|disadvantages|drawbacks|downsides|benefits|risks|dangers|"
               r"weaknesses|strengths|features|pros|cons|tips|reasons|options|alternatives|"
               r"highlights|challenges)\b", re.I),
    re.compile(r"^\s*(please\s+)?(tell|show|give)\s+(me|us)\s+(the|all|some|every)\s+"
               r"([\w-]+\s+){0,2}?[\w-]{2,}[^s\W]s\b(?!\s+(is|was)\b)", re.I),
]
_PLURAL_ASK = re.compile(r"^\s*(what|which)\s+(?!(does|is|was|has|are|were|makes|means|causes)\b)"
                         r"(?!of\b)([\w-]+\s+){0,2}?(?!(does|has|was)\b)[\w-]{2,}[^s\W]s\b"
                         r"(?!\s+((is|was|a|an|the|this|that|its|their|it|them|you|me|us|\w+ing|"
                         r"when|if|whenever|unless|after|before|while|because)\b|"
                         r"(?-i:[A-Z])|\d))", re.I)
"""'Which tools are...', 'what challenges and limitations does...': a plural noun right after
the question word (not a verb like 'does' or 'makes', nor one with an object or a clause after
it: 'which firm develops Gemini', 'what happens when ...')."""
_CUE_WORDS = frozenset(
    "difference differences different differ compare compared comparison versus similarities "
    "summary summarise summarize summarised summarized overview outline rundown highlights "
    "article articles source sources document documents authors writers agree disagree "
    "consistent contrast between examples advantages disadvantages drawbacks benefits".split())
"""Cue words a typo should not hide ('diffrence', 'summery', 'artciles')."""
_ENTITY_PATTERNS = [
    re.compile(r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?=\s+(in|for|when|on|regarding|"
               r"according|as|based)\b|[?.!,;]|$)", re.I),
    re.compile(r"(?P<a>[\w()&' -]+?)\s+(vs\.?|versus)\s+(?P<b>[\w()&' -]+?)(?=[?.!,;:]|\s+(in|"
               r"for|when|on)\b|$)", re.I),
    # 'compare on oxidation, temperature and caffeine' lists aspects, not the two things.
    re.compile(r"\b(compar|contrast)\w*\s+(?!(on|in|across|along|regarding|by|for|when)\b)"
               r"(?P<a>.+?)\s+(with|to|and|against)\s+(?P<b>.+?)(?=\s+(in|for|when|on)\b|"
               r"[?.!,;]|$)", re.I),
    re.compile(r"\b(does|do|did|is|are)\s+(?P<a>.+?)\s+differ\w*\s+from\s+(?P<b>.+?)(?=\s+(in|"
               r"for|when|on)\b|[?.!,;]|$)", re.I),
    re.compile(r"\b(do|does|did)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+(differ|compare)", re.I),
    re.compile(r"\b(does|do|did|is|are)\s+(?P<a>.+?)\s+(compare|stack up)\s+(with|to|against)\s+"
               r"(?P<b>.+?)(?=\s+(in|for|when|on)\b|[?.!,;]|$)", re.I),
]
_QUOTED = re.compile(r"[\"“”‘](?=\w)[^\"“”’]{8,}[\"“”’]|(?<!\w)'(?=\w)[^']{8,}'(?!\w)")
_TABLE = re.compile(r"\btables?\b", re.I)
_ITEMS_RUNDOWN = re.compile(
    r"\b(run-?down|walk\s+(me|us)\s+through)\s+(of|on)\s+(the\s+|all\s+)?"
    rf"((?!{_DOC}s?\b)[\w/-]+\s+){{0,3}}?(?!{_DOC}s?\b)[\w-]{{2,}}[^s\W]s\b", re.I)
"""'A rundown of the command line flags': the items, not a document's outline."""
_LEADING_WORDS = re.compile(r"^((the|a|an|main|key|major|core|some|between|what|how)\s+)+",
                            re.I)
@dataclass(frozen=True)
class Shape:
    """The decided shape, the two things compared (for a comparison) and why."""

    kind: ShapeKind
    entities: tuple[str, ...] = ()
    reason: str = ""


def classify(question: str) -> Shape:
    """The shape of ``question`` (see the module docstring)."""
    text = " ".join(_spelled(w) for w in question.split())
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
    if _ITEMS_RUNDOWN.search(text):
        return Shape("list", (), "asks for a rundown of several items")
    if _SUMMARY.search(text) or _DOC_TOPIC.search(text) or _DOC_SUMMARY.search(text):
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


def _spelled(word: str) -> str:
    """``word``, or the cue word one edit (or one swap) away from it."""
    core = word.strip("?.,!;:'\"").lower()
    if len(core) < 5 or core in _CUE_WORDS or not core.isalpha():
        return word
    for cue in _CUE_WORDS:
        if (cue[0] == core[0] and abs(len(cue) - len(core)) <= 1 and not cue.startswith(core)
                and not core.startswith(cue) and _one_edit(core, cue)):
            return word.lower().replace(core, cue)
    return word


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


_ONE_DOC = re.compile(r"\b(the|this|that)\s+([\w-]+\s+){0,3}?(article|post|blog|page|paper|"
                      r"document|guide)\b", re.I)


def _names_one_document(text: str) -> bool:
    """'the SSL page' names one document; 'the env page and the SSL page' two, as a plural
    does ('the docs')."""
    return len(_ONE_DOC.findall(text)) == 1 and not re.search(rf"\b{_DOCS}\b", text, re.I)
