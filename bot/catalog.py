"""What an index holds and what a change to it did: the Library's types, and where the code
that changes the index is found.

``bot`` never imports ``ingest`` (the dependencies point the other way); ``Bot.add_documents``
and friends reach the ingestion pipeline through the ``citebot.ingest`` entry point that
citebot's own package declares, the way simonw/llm finds its plugins. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.settings import Settings

Status = Literal["added", "updated", "unchanged", "skipped", "removed"]
Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed)."""
ENTRY_POINT_GROUP = "citebot.ingest"


@dataclass(frozen=True)
class DocumentEntry:
    """One indexed document, as the Library lists it."""

    doc_id: str
    title: str
    source: str  # the file it was read from
    name: str  # the file's own name (for an upload: the name it was uploaded under)
    type: str  # md, txt, html or pdf
    chunks: int
    bytes: int
    added_at: float  # seconds since the epoch; 0 when indexed before these were recorded
    updated_at: float
    uploaded: bool  # kept in the library folder: removing it deletes that copy too


@dataclass(frozen=True)
class FileResult:
    """What one run did with one file (or, for a removal, one document)."""

    path: str
    status: Status
    doc_id: str = ""
    chunks: int = 0
    reason: str = ""  # why it was skipped, in a sentence that says the fix

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion run did, and, separately, what the index holds afterwards."""

    index: str
    files: tuple[FileResult, ...]
    added: int  # chunks embedded and stored
    updated: int  # chunks that moved within their document
    deleted: int
    unchanged: int
    index_documents: int
    index_chunks: int
    seconds: float
    rebuilt: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def problems(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == "skipped")

    @property
    def documents(self) -> int:
        """Documents this run read (skipped files and removals not counted)."""
        return sum(f.status in ("added", "updated", "unchanged") for f in self.files)

    @property
    def chunks(self) -> int:
        return self.index_chunks

    def count(self, status: Status) -> int:
        return sum(f.status == status for f in self.files)

    def summary(self) -> str:
        """Two lines: what this run did, then what the index holds."""
        statuses: tuple[Status, ...] = ("added", "updated", "unchanged", "skipped", "removed")
        seen = ", ".join(f"{self.count(s)} {s}" for s in statuses if self.count(s) or s in
                         ("added", "updated", "unchanged"))
        run = (f"this run: {len(self.files)} file(s): {seen}; chunks {self.added} embedded, "
               f"{self.updated} moved, {self.deleted} deleted, {self.unchanged} unchanged; "
               f"{self.seconds:.1f} s")
        verb = "rebuilt index" if self.rebuilt else "index"
        return (f"{run}\n{verb} '{self.index}' now holds {self.index_documents} documents, "
                f"{self.index_chunks} chunks")


class Ingester(Protocol):
    """What changes an index: the ``ingest.library`` module implements it."""

    def add_files(self, settings: Settings, paths: Sequence[Path], *,
                  progress: Progress | None = None) -> IngestReport: ...

    def remove_document(self, settings: Settings, doc_id: str) -> IngestReport: ...

    def reindex(self, settings: Settings, *, progress: Progress | None = None
                ) -> IngestReport: ...


def find_ingester() -> Ingester:
    """The installed ingestion pipeline, or a ConfigError that says how to install it."""
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "library"]
    if not found:
        raise ConfigError("citebot's ingestion pipeline is not installed (no 'citebot.ingest' "
                          "entry point): install citebot with `pip install -e .` from the "
                          "checkout, or `bash .ci/setup`")
    return cast(Ingester, found[0].load())
