"""What a file is by its content, whatever its name says: a renamed image, archive or program
must not be read as text."""

from __future__ import annotations

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel/OpenDocument file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a Linux program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word/Excel file"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg media file"),
    (b"RIFF", "a RIFF media file (WAV, AVI or WebP)"),
)


def content_kind(data: bytes) -> str | None:
    """A description of the binary format ``data`` starts with, or None for anything else."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "an MP4/MOV video"
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        return "a Windows program"
    return None
