"""The Library over HTTP, beside the OpenAI-compatible API and behind the same key check:

    GET    /v1/documents             every indexed document
    POST   /v1/documents             multipart upload, one or more ``file`` fields
    DELETE /v1/documents/{doc_id}    remove one

Writes are refused (403) when the setting ``allow_uploads`` is off. Uploads go through a
bounded line (ui/upload_intake.py): a full line is a 429 with Retry-After before the body is
read. Each file is read into a private temporary folder under its own file name (never a path
the client chose), no more than the size limit of each file, then handed to
``Bot.add_documents``, one upload at a time, waiting on the event loop rather than in a thread.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api import Bot
from bot.catalog import IngestReport
from ui.api_access import Gate
from ui.openai_api import error_response, refusal_response
from ui.openai_schema import error_body
from ui.shown_paths import ShownPaths
from ui.upload_intake import (
    BodyTooLarge,
    UploadLine,
    body_limit,
    line_full,
    read_files,
    too_large,
)


class DocumentsAPI:
    def __init__(self, bot: Bot, gate: Gate) -> None:
        self.bot = bot
        self.gate = gate
        self.line = UploadLine(bot.settings.upload_queue)

    async def list(self, request: Request) -> Response:
        if refused := self.gate.check(request.headers.get("authorization")):
            return refusal_response(refused)
        try:
            entries = await run_in_threadpool(self.bot.documents)
        except Exception as exc:
            return error_response(exc)
        shown = ShownPaths(self.bot.settings)
        return JSONResponse({"object": "list",
                             "data": [shown.body(dataclasses.asdict(e)) for e in entries]})

    async def upload(self, request: Request) -> Response:
        if refused := self._refuse_write(request):
            return refused
        async with self.line.place() as taken:
            if not taken:  # refused before a byte of the body is read
                return line_full(self.line)
            try:
                with tempfile.TemporaryDirectory(prefix="citebot-upload-") as folder:
                    paths = await read_files(request, self.bot.settings, Path(folder))
                    async with self.line.turn():
                        report = await run_in_threadpool(self.bot.add_documents, paths)
                    shown = ShownPaths(self.bot.settings, Path(folder))
            except BodyTooLarge:
                return too_large(body_limit(self.bot.settings))
            except Exception as exc:
                return error_response(exc)
        return JSONResponse(shown.body(report_body(report)))

    async def remove(self, request: Request) -> Response:
        if refused := self._refuse_write(request):
            return refused
        try:
            report = await run_in_threadpool(self.bot.remove_document,
                                             request.path_params["doc_id"])
        except Exception as exc:
            return error_response(exc)
        return JSONResponse(ShownPaths(self.bot.settings).body(report_body(report)))

    def _refuse_write(self, request: Request) -> Response | None:
        if refused := self.gate.check(request.headers.get("authorization")):
            return refusal_response(refused)
        if not self.bot.settings.allow_uploads:
            return JSONResponse(error_body("this citebot's Library is read-only (the setting "
                                           "allow_uploads is off)", code="read_only"), 403)
        return None


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
