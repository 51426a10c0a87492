"""llama.cpp's OpenAI-compatible HTTP server, run in-process through ``xllamacpp``.

Any OpenAI client (the ``openai`` SDK, LangChain's ``ChatOpenAI``) can then talk to a local
GGUF model at the URL :meth:`LlamaServer.start` returns. Run it on its own with::

    python -m bot.backends.llama_server [--model PATH] [--port N] [--threads N] [--ctx N]

which prints one line ``listening on http://127.0.0.1:PORT/v1`` when ready and serves until
SIGTERM or SIGINT.

xllamacpp facts this relies on (version 2026.10.11549):

* ``xllamacpp.Server(params)`` blocks until the model is loaded and the HTTP listener is up,
  and it holds the GIL meanwhile (several seconds), so other Python threads stall.
* ``Server.listening_address`` is ``"http://HOST:PORT"``, with the real port when
  ``params.port == 0``.
* There is no stop method: the C++ destructor terminates the loop and joins its threads, so
  stopping means dropping the last reference. A new server can start afterwards in the same
  process. In-flight streams end with a connection error.
* The build uses OpenMP, which reads ``OMP_WAIT_POLICY`` once, when ``libgomp`` loads;
  spinning workers wreck throughput on a shared 2-core machine, hence PASSIVE by default.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import signal
import sys
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MODEL_ALIAS = "local"
_INSTALL_HINT = "pip install xllamacpp==2026.10.11549"


def _import_xllamacpp() -> Any:
    # setdefault before the first import: libgomp reads the variable only when it loads,
    # and an explicit value from the user still wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the local llama.cpp backend needs xllamacpp: install it with `{_INSTALL_HINT}`"
        ) from exc
    return xllamacpp


def _wait_healthy(base: str, timeout: float) -> None:
    """Poll ``/health`` until it answers 200 (it says 503 while a model is loading)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2.0) as reply:
                if reply.status == 200:
                    return
                last = f"HTTP {reply.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    raise ModelUnavailableError(f"llama.cpp server at {base} not healthy after {timeout}s: {last}")


_RUNNING: weakref.WeakSet[LlamaServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Stop servers still running at exit while the interpreter is whole: left to
    finalisation, llama.cpp's threads can be torn down out of order and abort the process."""
    for server in list(_RUNNING):
        server.stop()


class LlamaServer:
    """One llama.cpp server for one GGUF model, loaded on :meth:`start`.

    Construction only records settings, so it is cheap; the model loads once in
    :meth:`start`. Use as a context manager to stop it reliably::

        with LlamaServer(path) as server:
            client = OpenAI(base_url=server.base_url, api_key="none")
    """

    def __init__(
        self,
        model_path: Path,
        *,
        port: int = 0,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        n_batch: int = 512,
        n_parallel: int = 1,
        cache_prompt: bool = True,
        cache_ram_mib: int = 1024,
        verbosity: int = 2,
        ready_timeout: float = 60.0,
    ) -> None:
        """Record the settings.

        Args:
            model_path: The GGUF file.
            port: TCP port on 127.0.0.1; 0 picks a free one.
            n_threads: Threads for prompt and generation; default ``os.cpu_count()``.
            n_ctx: Context window in tokens, shared by all slots.
            n_batch: Prompt tokens per decode call (llama.cpp's default 2048 costs RAM).
            n_parallel: Concurrent request slots; 1 keeps the whole context for one chat.
            cache_prompt: Reuse the KV cache of a shared prompt prefix between requests.
            cache_ram_mib: Cap on the host-RAM prompt cache (llama.cpp default is 8 GiB).
            verbosity: llama.cpp log threshold on stderr (2 = warnings, 3 = info).
            ready_timeout: Seconds to wait for ``/health`` after loading.
        """
        self.model_path = Path(model_path)
        self.port = port
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.n_parallel = n_parallel
        self.cache_prompt = cache_prompt
        self.cache_ram_mib = cache_ram_mib
        self.verbosity = verbosity
        self.ready_timeout = ready_timeout
        self._server: Any = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str | None:
        """``http://127.0.0.1:PORT/v1`` while running, else ``None``."""
        return self._base_url

    @property
    def running(self) -> bool:
        return self._server is not None

    def _params(self, xllamacpp: Any) -> Any:
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.model_alias = {MODEL_ALIAS}  # what /v1/models reports; requests may name any
        params.hostnames = [HOST]
        params.port = self.port
        params.n_ctx = self.n_ctx
        params.n_batch = self.n_batch
        params.n_parallel = self.n_parallel
        params.cache_prompt = self.cache_prompt
        params.cache_ram_mib = self.cache_ram_mib
        params.verbosity = self.verbosity
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        return params

    def start(self) -> str:
        """Load the model, serve it, wait until healthy; return the ``/v1`` base URL.

        Calling it again while running returns the same URL without reloading.

        Raises:
            ModelUnavailableError: xllamacpp is missing, the file is missing or cannot be
                loaded, the port is taken, or the server never became healthy.
        """
        if self._base_url is not None:
            return self._base_url
        if not self.model_path.is_file():
            raise ModelUnavailableError(f"model file {str(self.model_path)!r} does not exist")
        xllamacpp = _import_xllamacpp()
        started = time.monotonic()
        try:
            # Straight onto self, no local: a local would keep the server (and its port)
            # alive in the traceback if the health check below fails.
            self._server = xllamacpp.Server(self._params(xllamacpp))
        except RuntimeError as exc:
            raise ModelUnavailableError(
                f"llama.cpp could not serve {str(self.model_path)!r} on {HOST}:{self.port} "
                f"({exc}); check that it is a GGUF file and that the port is free"
            ) from exc
        root = str(self._server.listening_address).rstrip("/")
        try:
            _wait_healthy(root, self.ready_timeout)
        except ModelUnavailableError:
            self.stop()
            raise
        self._base_url = f"{root}/v1"
        _RUNNING.add(self)
        logger.info(
            "llama.cpp serving %s at %s after %.1fs",
            self.model_path.name,
            self._base_url,
            time.monotonic() - started,
        )
        return self._base_url

    def stop(self) -> None:
        """Shut the server down and free the model; safe to call twice.

        xllamacpp has no stop call: dropping our only reference runs the C++ destructor,
        which terminates the task loop, stops the HTTP listener and joins their threads.
        """
        server, self._server, self._base_url = self._server, None, None
        _RUNNING.discard(self)
        if server is not None:
            del server
            logger.info("llama.cpp server for %s stopped", self.model_path.name)

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.backends.llama_server",
        description="Serve a GGUF model over an OpenAI-compatible API on 127.0.0.1.",
    )
    parser.add_argument("--model", type=Path, help="GGUF file (default: the bundled Qwen)")
    parser.add_argument("--cache-dir", type=Path, help="where the bundled model is assembled")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--threads", type=int, default=None, help="default: all CPU cores")
    parser.add_argument("--ctx", type=int, default=4096, help="context window in tokens")
    parser.add_argument("--parallel", type=int, default=1, help="concurrent request slots")
    parser.add_argument("--verbosity", type=int, default=2, help="llama.cpp log level")
    return parser.parse_args(argv)


def _model_path(args: argparse.Namespace) -> Path:
    if args.model is not None:
        return Path(args.model)
    from bot.backends.gguf import QWEN25_CODER_1_5B, default_cache_dir, ensure_model_file

    return ensure_model_file(QWEN25_CODER_1_5B, args.cache_dir or default_cache_dir())


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; the only stdout line is the ready line."""
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    # Block the signals before llama.cpp starts its threads (they inherit the mask), then
    # take them synchronously with sigwait: no handler runs inside a blocking C++ call.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        server = LlamaServer(
            _model_path(args),
            port=args.port,
            n_threads=args.threads,
            n_ctx=args.ctx,
            n_parallel=args.parallel,
            verbosity=args.verbosity,
        )
        base_url = server.start()
    except ModelUnavailableError as exc:
        logger.error("%s", exc)
        return 2
    sys.stdout.write(f"listening on {base_url}\n")
    sys.stdout.flush()
    received = signal.sigwait(stop_signals)
    logger.info("got %s, stopping", signal.Signals(received).name)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
