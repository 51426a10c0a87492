"""The way to grow past one machine, on loopback: one Chroma server, the model in its own
OpenAI-compatible server process, and several citebot app processes that share both.

    python -m ui.topology up DIR [--apps 2] [--corpus PATH]...   start it, print the URLs
    python -m ui.topology status DIR                              which processes still run
    python -m ui.topology down DIR                                stop everything it started

Each part is a process of its own, so each can move to a machine of its own: point
``chroma_host`` and ``openai_base_url`` at them. The apps are stateless but for caches, and
every change to the index reaches all of them through the Chroma server (bot/live.py). On a
2-core machine this adds no throughput (both llama.cpp phases are compute-bound); it is the
shape that more machines slot into. Logs and ``topology.json`` (pids, ports) go in DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = "topology.json"


@dataclass
class Part:
    name: str
    pid: int
    url: str


def up(folder: Path, *, apps: int = 2, corpus: list[Path] | None = None,
       timeout: float = 300) -> list[Part]:
    """Start the Chroma server and the model server, ingest the corpus, then the apps.

    The model loads while Chroma starts and the corpus is ingested (the ingest needs only
    Chroma), and the apps start side by side: each part is waited for only when it is needed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    started: list[Starting] = []
    try:
        chroma_port, llm_port = free_port(), free_port()
        chroma = str(Path(sys.executable).with_name("chroma"))
        started.append(_launch(folder, "chroma", [
            chroma, "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1", "--port",
            str(chroma_port)], f"http://127.0.0.1:{chroma_port}", "/api/v2/heartbeat"))
        started.append(_launch(folder, "model", [
            sys.executable, "-m", "bot.backends.llama_server", "--port", str(llm_port)],
            f"http://127.0.0.1:{llm_port}/v1", "/models"))
        _wait(folder, started[0], timeout)
        config = _config(folder, chroma_port, llm_port, corpus or [ROOT / "corpus"])
        subprocess.run([sys.executable, "-m", "ui.cli", "--config", str(config), "ingest"],
                       check=True, cwd=folder, stdout=subprocess.DEVNULL)
        for i in range(1, apps + 1):
            port = free_port()
            started.append(_launch(folder, f"app{i}", [
                sys.executable, "-m", "ui.cli", "--config", str(config), "serve", "--port",
                str(port)], f"http://127.0.0.1:{port}", "/"))
        for starting in started[1:]:
            _wait(folder, starting, timeout)
    except BaseException:
        _stop([s.part for s in started])
        raise
    finally:
        (folder / STATE).write_text(json.dumps([asdict(s.part) for s in started], indent=1))
    return [s.part for s in started]


def down(folder: Path) -> list[str]:
    """Stop what :func:`up` started, apps first; the names of the parts stopped."""
    parts = _read(folder)
    _stop(parts)  # topology.json stays: `status` then shows every part gone
    return [p.name for p in parts]


def status(folder: Path) -> list[tuple[Part, bool]]:
    return [(p, _alive(p.pid)) for p in _read(folder)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(folder: Path, chroma_port: int, llm_port: int, corpus: list[Path]) -> Path:
    config = folder / "citebot.toml"
    roots = ", ".join(json.dumps(str(Path(p).resolve())) for p in corpus)
    config.write_text(
        f'data_dir = "{folder / "data"}"\ncorpus = [{roots}]\n'
        f'chroma_host = "127.0.0.1"\nchroma_port = {chroma_port}\n'
        f'model = "openai"\nopenai_base_url = "http://127.0.0.1:{llm_port}/v1"\n'
        'openai_model = "local"\nopenai_timeout = 300\n'
        # One llama.cpp slot: each app sends the model one question at a time and lets the
        # others wait in its own line, where they see their place (and may fall back).
        'openai_concurrency = 1\n')
    return config


@dataclass
class Starting:
    """A part launched but not yet known to answer: its process and the URL to probe."""
    part: Part
    proc: subprocess.Popen[bytes]
    probe: str


def _launch(folder: Path, name: str, command: list[str], url: str, probe: str) -> Starting:
    log = (folder / "logs" / f"{name}.log").open("w")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                            start_new_session=True)  # Ctrl-C on the caller leaves it be
    return Starting(Part(name, proc.pid, url), proc, url + probe)


def _wait(folder: Path, starting: Starting, timeout: float) -> None:
    """Return once the part answers its probe; kill it if it exits or takes over ``timeout``
    seconds from now."""
    part, proc = starting.part, starting.proc
    deadline = time.monotonic() + timeout
    while not _answers(starting.probe):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{part.name} did not come up at {part.url} (see "
                               f"{folder / 'logs' / (part.name + '.log')})")
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status < 500)
    except OSError:
        return False


def _stop(parts: list[Part]) -> None:
    for part in reversed(parts):
        if _alive(part.pid):
            os.kill(part.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for part in reversed(parts):
        while _alive(part.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(part.pid):
            os.kill(part.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child that exited but was not reaped yet counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def _read(folder: Path) -> list[Part]:
    path = folder / STATE
    return [Part(**p) for p in json.loads(path.read_text())] if path.is_file() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.topology", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument("--corpus", type=Path, action="append")
    args = parser.parse_args(argv)
    if args.action == "up":
        for part in up(args.folder, apps=args.apps, corpus=args.corpus):
            print(f"{part.name:<7} {part.url}  (pid {part.pid})")
    elif args.action == "down":
        print("stopped: " + (", ".join(down(args.folder)) or "nothing"))
    else:
        for part, alive in status(args.folder):
            print(f"{part.name:<7} {part.url}  pid {part.pid} {'up' if alive else 'gone'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
