"""The Library over HTTP, beside the OpenAI-compatible API and behind the same key check:

    GET    /v1/documents             every indexed document
    POST   /v1/documents             multipart upload, one or more ``file`` fields
    DELETE /v1/documents/{doc_id}    remove one

Writes are refused (403) when the setting ``allow_uploads`` is off. Each upload is read into a
private temporary folder under its own file name (never a path the client chose), no more than
the size limit of each file, then handed to ``Bot.add_documents``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path, PurePath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api import Bot
from bot.catalog import IngestReport
from bot.errors import InputError
from ui.api_access import Gate
from ui.openai_api import error_response, refusal_response
from ui.openai_schema import error_body

READ_CHUNK = 1 << 20


class DocumentsAPI:
    def __init__(self, bot: Bot, gate: Gate) -> None:
        self.bot = bot
        self.gate = gate

    async def list(self, request: Request) -> Response:
        if refused := self.gate.check(request.headers.get("authorization")):
            return refusal_response(refused)
        try:
            entries = await run_in_threadpool(self.bot.documents)
        except Exception as exc:
            return error_response(exc)
        return JSONResponse({"object": "list",
                             "data": [dataclasses.asdict(e) for e in entries]})

    async def upload(self, request: Request) -> Response:
        if refused := self._refuse_write(request):
            return refused
        settings = self.bot.settings
        try:
            form = await request.form(max_files=settings.max_upload_files + 1)
            files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
            if not files:
                raise InputError("no files in the upload: send multipart/form-data with one "
                                 "or more 'file' fields")
            if len(files) > settings.max_upload_files:
                raise InputError(f"{len(files)} files in one upload; the limit is "
                                 f"{settings.max_upload_files}: send them in smaller groups")
            with tempfile.TemporaryDirectory(prefix="citebot-upload-") as folder:
                paths = [await _save(f, Path(folder) / str(i), settings.max_upload_bytes)
                         for i, f in enumerate(files)]
                report = await run_in_threadpool(self.bot.add_documents, paths)
        except Exception as exc:
            return error_response(exc)
        return JSONResponse(report_body(report))

    async def remove(self, request: Request) -> Response:
        if refused := self._refuse_write(request):
            return refused
        try:
            report = await run_in_threadpool(self.bot.remove_document,
                                             request.path_params["doc_id"])
        except Exception as exc:
            return error_response(exc)
        return JSONResponse(report_body(report))

    def _refuse_write(self, request: Request) -> Response | None:
        if refused := self.gate.check(request.headers.get("authorization")):
            return refusal_response(refused)
        if not self.bot.settings.allow_uploads:
            return JSONResponse(error_body("this citebot's Library is read-only (the setting "
                                           "allow_uploads is off)", code="read_only"), 403)
        return None


async def _save(upload: UploadFile, folder: Path, limit: int) -> Path:
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


def report_body(report: IngestReport) -> dict[str, Any]:
    return {"files": [dataclasses.asdict(f) for f in report.files],
            "summary": report.summary(), "notes": list(report.notes),
            "index": {"name": report.index, "documents": report.index_documents,
                      "chunks": report.index_chunks}}


def documents_routes(bot: Bot, gate: Gate) -> list[BaseRoute]:
    api = DocumentsAPI(bot, gate)
    return [Route("/v1/documents", api.list, methods=["GET"]),
            Route("/v1/documents", api.upload, methods=["POST"]),
            Route("/v1/documents/{doc_id:str}", api.remove, methods=["DELETE"])]
