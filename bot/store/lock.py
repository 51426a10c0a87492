"""Who may write a store, and when.

Embedded Chroma is not safe for two writing processes: measured here with chromadb 1.5.9, rows
that a second process adds are counted by the first but never returned by its searches (each
process keeps its own copy of the vector index in memory and saves it back), and Chroma's
maintainers point multi-process use to client/server mode (chroma-core/chroma#421). So a
process that writes an embedded store holds an exclusive lock on ``<store>/citebot-writer.lock``;
another process that tries is refused with a message naming the holder and the ways out. A
running ``citebot serve`` holds it for its whole life: every upload goes through it, and an
outside ``citebot ingest`` could otherwise hide documents from it.

With a Chroma server the server orders the writes, and every row id is derived from content, so
the same document written by two processes ends up stored once.

Within one process, writes queue behind each other (the same lock object, whichever Bot).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import StoreBusyError

if TYPE_CHECKING:
    from bot.settings import Settings

LOCK_FILE = "citebot-writer.lock"


@dataclass
class _Holder:
    """This process's claim on one store: the file lock (embedded only), how many users hold
    it, and the lock that serialises this process's writes."""

    fd: int | None
    users: int = 0
    serial: threading.RLock = field(default_factory=threading.RLock)


# Process-wide on purpose: flock belongs to an open file, so two Bots of one process must share
# one claim, and the writes of every Bot of this process must queue on one lock.
_HOLDERS: dict[str, _Holder] = {}
_GUARD = threading.Lock()


class WriterHold:
    """A claim on the right to write, until :meth:`release` (or the process ends)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._released = False

    @property
    def serial(self) -> threading.RLock:
        return _HOLDERS[self.key].serial

    def release(self) -> None:
        with _GUARD:
            if self._released:
                return
            self._released = True
            holder = _HOLDERS[self.key]
            holder.users -= 1
            if holder.users == 0:
                del _HOLDERS[self.key]
                if holder.fd is not None:
                    os.close(holder.fd)  # closing the file releases the flock


def hold(settings: Settings) -> WriterHold:
    """Claim the right to write the configured store; StoreBusyError when another process
    has it (embedded mode only)."""
    key = (f"server:{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host
           else str(settings.chroma_path.resolve()))
    with _GUARD:
        holder = _HOLDERS.get(key)
        if holder is None:
            fd = None if settings.chroma_host else _lock_file(settings.chroma_path)
            holder = _HOLDERS[key] = _Holder(fd)
        holder.users += 1
    return WriterHold(key)


@contextmanager
def writing(settings: Settings) -> Iterator[None]:
    """Hold the right to write for the block, after this process's earlier writes finish."""
    claim = hold(settings)
    try:
        with claim.serial:
            yield
    finally:
        claim.release()


def _lock_file(store: Path) -> int:
    store.mkdir(parents=True, exist_ok=True)
    path = store / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise StoreBusyError(_busy_message(store, holder)) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": _command()[:200],
                              "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode(), 0)
    return fd


def _command() -> str:
    return " ".join([Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]])


def _read_holder(fd: int) -> dict[str, str]:
    try:
        return dict(json.loads(os.pread(fd, 4096, 0).decode() or "{}"))
    except (OSError, ValueError):
        return {}


def _busy_message(store: Path, holder: dict[str, str]) -> str:
    who = (f"citebot process {holder.get('pid', '?')} (`{holder.get('command', '?')}`, since "
           f"{holder.get('since', '?')})" if holder else "another citebot process")
    return (f"the embedded Chroma store in '{store}' is being written by {who}, and embedded "
            "Chroma is not safe for two writing processes. Add or remove documents through "
            "that process (the web app's Library tab, or POST /v1/documents), stop it first, or "
            f"serve the store to every process with `chroma run --path {store}` and set "
            "chroma_host")
