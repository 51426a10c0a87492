"""Every relative link and image in README.md and docs/ points at a file that exists, and an
``#anchor`` into a Markdown file at one of its headings (GitHub's slugs). The README's long
sections live in docs/*.md, one folder down, so a moved section whose links were not rewritten
fails here."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+[\"'(][^)]*)?\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.I)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.M)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text (links and images by their text), lowercased,
    punctuation other than '-' and '_' dropped, each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor; a repeated one also as ``-1``, ``-2``... as GitHub numbers them."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def targets(page: Path) -> list[str]:
    text = prose(page.read_text(encoding="utf-8"))
    return [m.strip("<>") for m in
            INLINE.findall(text) + REFERENCE.findall(text) + HTML.findall(text)]


def relative(target: str) -> bool:
    return not SCHEME.match(target) and not target.startswith("//")  # http(s), mailto: no network


def broken(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with each relative link of ``page``, one line each."""
    problems = []
    for target in targets(page):
        if not relative(target):
            continue
        path_part, _, anchor = target.partition("#")
        path = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not path.exists():
            problems.append(f"{page.relative_to(root)}: {target}: no file {path_part}")
        elif anchor and path.suffix == ".md" and unquote(anchor).lower() not in anchors(path):
            problems.append(f"{page.relative_to(root)}: {target}: no heading #{anchor} "
                            f"in {path.relative_to(root)}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_images_point_at_what_exists(page: Path) -> None:
    problems = broken(page)
    assert not problems, "\n".join(problems)


def test_every_docs_page_is_reached_from_the_readme() -> None:
    """A page in docs/ that no chain of links from the README reaches is one no newcomer
    finds."""
    reached, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        for target in targets(page):
            path = (page.parent / unquote(target.partition("#")[0])).resolve()
            if relative(target) and path.suffix == ".md" and path.exists() and path not in reached:
                reached.add(path)
                todo.append(path)
    unreached = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in reached]
    assert unreached == []


def test_the_check_finds_a_broken_link_an_image_and_an_anchor(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## The `citebot` field, exactly\n")
    (tmp_path / "README.md").write_text(
        "# Title\n\n[ok](docs/page.md#the-citebot-field-exactly) [self](#title)\n"
        "[gone](docs/gone.md) ![pic](docs/missing.png) [bad anchor](docs/page.md#nowhere)\n"
        "[web](https://example.com/x.md) `[code](not/a/link.md)`\n\n"
        "```\n[in a fence](fence.md)\n```\n")
    assert broken(tmp_path / "README.md", root=tmp_path) == [
        "README.md: docs/gone.md: no file docs/gone.md",
        "README.md: docs/missing.png: no file docs/missing.png",
        "README.md: docs/page.md#nowhere: no heading #nowhere in docs/page.md"]


def test_the_settings_page_names_every_setting() -> None:
    """docs/settings.md promises every setting; one added to bot/settings.py without a row
    there fails here."""
    from bot.settings import Settings

    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    named = {n.lower() for n in re.findall(r"`(?:CITEBOT_)?([A-Za-z_]+)`", page)}
    assert [name for name in Settings.model_fields if name not in named] == []
