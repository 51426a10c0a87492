"""How an upload comes in (issue 24, items 5, 6, 10): bounded before it costs anything.

- ``BodyLimit``, an ASGI middleware on the upload routes (``/v1/documents`` and Gradio's
  ``/gradio_api/upload``): a Content-Length over the limit is a 413 before a byte is read, and
  a body without one is counted as it streams in and cut off at the limit.
- ``read_files``: the multipart body parsed as it streams, each file kept to at most the
  per-file limit + 1 byte (enough for the Library to say it is too large), no more files than
  the limit (a 400 that says so), names checked.
- ``UploadLine``: uploads taken at once are bounded; those taken wait their turn on the event
  loop, not in a worker thread, so a crowd of uploads cannot starve the chat of threads.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePath
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import InputError
from bot.settings import Settings
from ui.openai_schema import error_body

READ_CHUNK = 1 << 20
FORM_OVERHEAD = 1 << 20
"""Room in a body for the multipart framing and a few form fields, beyond the files."""


class BodyTooLarge(InputError):
    """A request body past its limit (a 413)."""


def body_limit(settings: Settings) -> int:
    """The most bytes an upload request may send: every file at its limit, and framing."""
    return settings.max_upload_files * settings.max_upload_bytes + FORM_OVERHEAD


UPLOAD_ADVICE = ("the upload is larger than {limit:,} bytes in all (max_upload_files x "
                 "max_upload_bytes); send fewer or smaller files")


def too_large(limit: int, advice: str = UPLOAD_ADVICE) -> JSONResponse:
    return JSONResponse(error_body(advice.format(limit=limit), code="too_large"), 413)


class BodyLimit:
    """Refuse a POST body on ``paths`` at ``limit`` bytes while it streams in; ``advice``
    (with ``{limit}``) is the 413's message."""

    def __init__(self, app: ASGIApp, *, limit: int, paths: tuple[str, ...],
                 advice: str = UPLOAD_ADVICE) -> None:
        self.app, self.limit, self.paths, self.advice = app, limit, paths, advice

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or not str(scope.get("path", "")).endswith(self.paths)):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await too_large(self.limit, self.advice)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.advice.format(limit=self.limit))
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await too_large(self.limit, self.advice)(scope, receive, send)


class _BoundedParser(MultiPartParser):
    """Starlette's multipart parser, keeping at most ``keep`` bytes of each file and
    refusing the file after the ``files``-th with the fix."""

    def __init__(self, request: Request, *, files: int, keep: int) -> None:
        super().__init__(request.headers, request.stream(), max_files=math.inf,
                         max_fields=100, max_part_size=64 * 1024)
        self.files_allowed, self.keep = files, keep
        self._kept: dict[UploadFile, int] = {}  # keyed by the file, alive for the parse

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_part.file is not None and self._current_files > self.files_allowed:
            raise InputError(f"more than {self.files_allowed} files in one upload; the limit "
                             f"is {self.files_allowed}: send them in smaller groups, or raise "
                             "the setting max_upload_files")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None:
            super().on_part_data(data, start, end)
            return
        kept = self._kept.get(part.file, 0)
        room = max(0, self.keep - kept)
        if room:
            piece = data[start:min(end, start + room)]
            self._kept[part.file] = kept + len(piece)
            self._file_parts_to_write.append((part, piece))


async def read_files(request: Request, settings: Settings, folder: Path) -> list[Path]:
    """The request's ``file`` fields saved under ``folder``, one sub-folder each."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InputError("send the upload as multipart/form-data with one or more 'file' "
                         "fields")
    parser = _BoundedParser(request, files=settings.max_upload_files,
                            keep=settings.max_upload_bytes + 1)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InputError(f"the upload is not usable multipart/form-data ({exc.message}); "
                         "send one or more 'file' fields") from exc
    try:
        files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if not files:
            raise InputError("no files in the upload: send multipart/form-data with one "
                             "or more 'file' fields")
        return [await save(f, folder / str(i), settings.max_upload_bytes)
                for i, f in enumerate(files)]
    finally:
        await form.close()


async def save(upload: UploadFile, folder: Path, limit: int) -> Path:
    """The upload on disk under its own base name; a file past ``limit`` is cut at limit + 1
    bytes, enough for the Library to say it is too large without holding it all."""
    name = PurePath((upload.filename or "").replace("\\", "/")).name
    if not name or name.startswith("."):
        raise InputError(f"an uploaded file has no usable name ({upload.filename!r}); give "
                         "each file a name like notes.md")
    if "\x00" in name or len(name.encode()) > 255:
        raise InputError(f"an uploaded file name is not usable ({name[:60]!r}"
                         f"{'...' if len(name) > 60 else ''}): it has a NUL byte or is over "
                         "255 bytes; rename the file to a short name like notes.md")
    folder.mkdir()
    path = folder / name
    written = 0
    with path.open("wb") as out:
        while written <= limit and (piece := await upload.read(READ_CHUNK)):
            out.write(piece[: limit + 1 - written])
            written += len(piece)
    return path


class UploadLine:
    """At most ``places`` uploads taken at once; one at a time indexed, the others waiting
    on the event loop (never in a worker thread)."""

    def __init__(self, places: int) -> None:
        self.places = places
        self.taken = 0
        self._turn = asyncio.Lock()
        self._seconds = 5.0  # the last upload's time, for the Retry-After hint

    def retry_after(self) -> int:
        return max(1, min(600, math.ceil(self._seconds * self.taken)))

    @asynccontextmanager
    async def place(self) -> AsyncIterator[bool]:
        """Yields False (and holds nothing) when every place is taken."""
        if self.taken >= self.places:
            yield False
            return
        self.taken += 1
        try:
            yield True
        finally:
            self.taken -= 1

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._turn:
            started = time.monotonic()
            try:
                yield
            finally:
                self._seconds = time.monotonic() - started


def line_full(line: UploadLine) -> JSONResponse:
    seconds = line.retry_after()
    return JSONResponse(error_body(
        f"{line.places} uploads are already being indexed or waiting; try again in about "
        f"{seconds} s", "server_error", "upload_queue_full"), 429,
        headers={"Retry-After": str(seconds)})


def upload_middleware(settings: Settings) -> list[Any]:
    """The body limit on both upload routes, for the server's ``middleware`` list."""
    from starlette.middleware import Middleware

    gradio_limit = settings.max_upload_files * gradio_file_limit(settings) + FORM_OVERHEAD
    return [Middleware(BodyLimit, limit=body_limit(settings), paths=("/v1/documents",)),
            Middleware(BodyLimit, limit=gradio_limit, paths=("/gradio_api/upload",))]


def gradio_file_limit(settings: Settings) -> int:
    """Gradio's own per-file limit: a little over the Library's, so a file just past it
    reaches the Library, which says what is wrong and keeps the index as it was."""
    return 2 * settings.max_upload_bytes
