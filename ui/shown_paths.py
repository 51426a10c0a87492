"""Paths as the API shows them (issue 24, item 13): relative to a folder the user knows
(``corpus/…``, ``library/…``), never the server's absolute paths, which tell a stranger how
the machine is laid out. Applied at the edge, to what /v1/documents sends; what bot/ and
ingest/ record is unchanged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.settings import Settings


class ShownPaths:
    """Rewrites the server's folders inside paths and messages to their short names."""

    def __init__(self, settings: Settings, upload_folder: Path | None = None) -> None:
        roots = [(settings.library_path, "library"), (settings.data_dir, "data")]
        roots += [(corpus, corpus.name or "corpus") for corpus in settings.corpus]
        pairs: list[tuple[str, str]] = []
        for folder, name in roots:
            for form in {str(folder), str(folder.resolve())}:
                pairs.append((re.escape(form.rstrip("/")) + r"(?=/|\b)", name))
        if upload_folder is not None:  # an upload's own copy: <folder>/<n>/<name> -> <name>
            for form in {str(upload_folder), str(upload_folder.resolve())}:
                pairs.append((re.escape(form.rstrip("/")) + r"/\d+/", ""))
        pairs.sort(key=lambda pair: len(pair[0]), reverse=True)  # the deepest folder first
        self._pattern = re.compile("|".join(f"({p})" for p, _ in pairs))
        self._names = [name for _, name in pairs]

    def text(self, value: str) -> str:
        def short(match: re.Match[str]) -> str:
            return self._names[(match.lastindex or 1) - 1]

        return self._pattern.sub(short, value)

    def body(self, value: Any) -> Any:
        """``value`` (a JSON-able body) with every string rewritten."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.body(v) for v in value]
        if isinstance(value, dict):
            return {k: self.body(v) for k, v in value.items()}
        return value
