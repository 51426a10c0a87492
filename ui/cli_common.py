"""What every `citebot` command shares: settings from flags, user-facing errors, the common
option groups, a Bot, a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import CitebotError
from bot.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn citebot's own errors into a clean message for the terminal."""
    try:
        yield
    except CitebotError as exc:
        raise click.ClickException(str(exc)) from None


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    with user_errors():
        return load_settings(overrides, config_file=ctx.obj.get("config"))


def store_options(func: F) -> F:
    """Flags that choose where the index lives and what shapes it."""
    options = [
        click.option("--data-dir", type=click.Path(path_type=Path), help="Embedded store folder."),
        click.option("--chroma-host", help="Use the Chroma server on this host."),
        # Ports are checked by the settings (one line naming the range), not by click.
        click.option("--chroma-port", metavar="INTEGER", help="Port of the Chroma server."),
        click.option("--embedder", help="Embedding model name."),
        click.option("--chunk-size", type=int, help="Target chunk length in characters."),
        click.option("--chunk-overlap", type=int, help="Chunk overlap in characters."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


PROBLEMS_SHOWN = 10


def show_problems(problems: Sequence[Any]) -> None:
    """Each skipped file with its fix; past the first few, a count (a folder of thousands of
    empty files must not bury the summary). ``-v`` logs every one of them."""
    for problem in problems[:PROBLEMS_SHOWN]:
        click.echo(f"skipped {problem.path}: {problem.reason}", err=True)
    if len(problems) > PROBLEMS_SHOWN:
        click.echo(f"... and {len(problems) - PROBLEMS_SHOWN:,} more skipped file(s); "
                   "`citebot -v ingest` lists them all", err=True)


@contextmanager
def progress_bar(unit: str = "chunk") -> Iterator[Callable[[int, int], None]]:
    from tqdm import tqdm

    bar: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit=unit, file=sys.stderr,
                            disable=unit == "chunk" and total < 64))
        bar[0].update(done - bar[0].n)

    try:
        yield update
    finally:
        if bar:
            bar[0].close()


def answer_options(func: F) -> F:
    """Flags that choose how questions are answered."""
    options = [
        click.option("--model", help="Backend: local, openai, extractive (see `citebot models`)."),
        click.option("--top-k", type=int, help="Passages given to the model."),
        click.option("--temperature", type=float, help="Sampling temperature."),
    ]
    for option in reversed(options):
        func = option(func)
    return store_options(func)


def make_bot(ctx: click.Context, *, check_model: bool = True, **flags: Any) -> Any:
    """A Bot for these flags. An unknown embedder or model fails here, as one line, before
    anything is printed (both constructors are cheap: models load on first use)."""
    from bot.api import Bot

    settings = settings_from(ctx, **flags)
    with user_errors():
        bot = Bot(settings)
        if check_model:
            bot.generator()
    return bot
