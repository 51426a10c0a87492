"""Hostile upload names (issue 24 item 10): refused with the fix, not a 500."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from starlette.datastructures import UploadFile

from bot.errors import InputError
from ui.documents_api import _save


@pytest.mark.parametrize("name", ["bad\x00name.md", "n" * 300 + ".md"])
def test_a_nul_or_overlong_upload_name_is_an_input_error(tmp_path: Path, name: str) -> None:
    upload = UploadFile(io.BytesIO(b"# Notes\n\ntext"), filename=name)
    with pytest.raises(InputError, match="rename the file to a short name") as refused:
        asyncio.run(_save(upload, tmp_path / "0", 1000))
    assert repr(name[:60])[:-1] in str(refused.value)  # the bad name is quoted
    assert not (tmp_path / "0").exists()
