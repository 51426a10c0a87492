"""Gradio's upload cache, private to each `citebot serve` (issue 24, item 13).

Gradio keeps uploaded files in ``GRADIO_TEMP_DIR``, by default ``/tmp/gradio``, shared by
every Gradio app on the machine, and serves any file in it through ``/gradio_api/file=``: a
file another app (or user) left there was readable through citebot. The serving process gets
a folder of its own (mode 0700, removed at exit) before Gradio is imported, since Gradio reads
the variable at import and at start; the shared folder is then refused outright."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

SHARED = Path(tempfile.gettempdir()) / "gradio"
"""Gradio's machine-wide default, which no citebot server serves files from."""


def use_private_cache() -> Path:
    """Point Gradio at a fresh private folder, unless the operator chose one."""
    if chosen := os.environ.get("GRADIO_TEMP_DIR"):
        return Path(chosen)
    folder = Path(tempfile.mkdtemp(prefix="citebot-gradio-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def blocked_paths(cache: str | Path) -> list[str]:
    """The shared folder, when the app's own cache is elsewhere (else it could not upload)."""
    own = Path(cache).resolve()
    shared = SHARED.resolve()
    return [] if own == shared or shared in own.parents else [str(shared)]
