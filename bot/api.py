"""The Python API: ``Bot`` ties settings, store, retrieval, backends and answering together.

    from bot import Bot
    bot = Bot.from_settings(model="extractive")
    answer = bot.ask("Are LLMs a subset of generative AI?")
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.answering.pipeline import Pipeline
from bot.answering.request import Ask, AskOptions
from bot.answering.stream import AnswerStream
from bot.backends.base import Availability, Generator
from bot.backends.embedders import CachedEmbedder, SentenceTransformerEmbedder, make_embedder
from bot.backends.registry import backends, create_generator
from bot.cache import AnswerCache
from bot.catalog import DocumentEntry, IngestReport, find_ingester
from bot.catalog import Progress as CatalogProgress
from bot.errors import CitebotError, InputError
from bot.evaluate import Progress, Report, evaluate
from bot.live import LiveIndex
from bot.plans import Corpus
from bot.question import HistoryItem, checked_question, normalise_history
from bot.question_sets import Question, load_questions
from bot.queue import ModelQueue
from bot.retrieve import Retriever
from bot.schema import Answer, Document, Passage
from bot.settings import Settings, load_settings
from bot.store import Store, WriterHold, hold
from bot.testset import KINDS, generate
from bot.testset import Progress as DraftProgress
from bot.testset.library import (
    add_questions,
    flag_documents,
    is_library,
    library_file,
    read_questions,
)

log = logging.getLogger(__name__)
HOSTED = "openai"
HOSTED_OFF = ("not configured (no call made): set model = 'openai', openai_base_url or "
              "OPENAI_API_KEY to use a hosted or OpenAI-compatible server")


class Bot:
    """A citebot over one index. Cheap to build: models and the store open on first use."""

    def __init__(self, settings: Settings, *,
                 generators: Mapping[str, Generator] | None = None) -> None:
        """``generators`` lends already-running backends by name (e.g. one loaded model shared
        by several bots); the others are built from the registry on first use."""
        self.settings = settings
        self.embedder: SentenceTransformerEmbedder = make_embedder(settings.embedder)
        self._embed = CachedEmbedder(self.embedder)
        self._live = LiveIndex(settings, self.embedder, self._embed)
        self._writer: WriterHold | None = None
        self._generators: dict[str, Generator] = dict(generators or {})
        self._lock = threading.Lock()
        self._pipeline = Pipeline(self._live, self._embed,
                                    AnswerCache(settings.answer_cache_size), self.generator,
                                    queue_limit=settings.queue_size)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Bot:
        """Build from ``citebot.toml`` / ``CITEBOT_*`` env, with keyword overrides on top."""
        base = settings if settings is not None else load_settings()
        return cls(base.with_overrides(**overrides) if overrides else base)

    # -- parts -------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self._live.current().store

    @property
    def retriever(self) -> Retriever:
        return self._live.current().retriever

    @property
    def corpus(self) -> Corpus:
        """The plans' view of the index: every chunk, the documents' names, retrieval."""
        return self._live.current().corpus

    def generator(self, name: str | None = None) -> Generator:
        """The backend called ``name`` (default: the configured one), built once per Bot."""
        name = name or self.settings.model
        with self._lock:
            if name not in self._generators:
                self._generators[name] = create_generator(name, self.settings)
            return self._generators[name]

    def warm_up(self) -> threading.Thread:
        """Load the configured model in the background and return the thread doing it.

        A cold `citebot ask` spends ~8 s importing and loading the embedder before it can
        retrieve, and the local model then takes ~5 s more to load; overlapped, the second
        wait mostly disappears. A failure here is left for the first question to report."""
        def load() -> None:
            try:
                self.generator().warm_up()
            except CitebotError as exc:
                log.info("warm-up of model %r failed (reported on use): %s",
                         self.settings.model, exc)

        thread = threading.Thread(target=load, name="citebot-warm-up", daemon=True)
        thread.start()
        return thread

    def models(self) -> list[tuple[str, str, Availability]]:
        """Every registered backend: name, description, and whether it can run here."""
        rows = []
        for info in backends():
            try:
                availability = (self.generator(info.name).check() if self._may_check(info.name)
                                else Availability(False, HOSTED_OFF))
            except CitebotError as exc:
                availability = Availability(False, str(exc))
            rows.append((info.name, info.description, availability))
        return rows

    def _may_check(self, name: str) -> bool:
        """The hosted backend's check is an outbound call (to OpenAI's host by default): made
        only when that backend is configured, never just to list the models."""
        if name != HOSTED:
            return True
        s = self.settings
        return (s.model == HOSTED or s.openai_api_key is not None
                or s.openai_base_url != type(s).model_fields["openai_base_url"].default)

    # -- asking ------------------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The best passages for ``query`` (hybrid search, de-duplicated), best first."""
        return self.retriever.retrieve(self.check_question(query), k or self.settings.top_k)

    def stream(self, question: str, history: Sequence[HistoryItem] = (),
               options: AskOptions | None = None, **overrides: Any) -> AnswerStream:
        """The answer as it is made: iterate it for the text pieces (and a :class:`Waiting`
        event about once a second while the question waits for the model: its place in
        line and the expected wait), then call ``.answer()`` for the checked Answer.

        The final Answer is checked: its text may differ from the streamed draft when an
        unsupported sentence was dropped or the bot abstained. ``options`` (or the same
        names as keywords: model, top_k, temperature, max_tokens, cache, fallback_after_s)
        default to the settings. A question asked before with the same conversation,
        index, model and settings comes from the answer cache, marked ``cached``; with
        ``fallback_after_s``, a wait for the model expected to be longer gets the
        extractive answer at once (``Answer.fallback``). Close a stream you stop reading
        (``with bot.stream(q) as stream:``): that frees its place in line at once.
        """
        return AnswerStream(self._pipeline.events(
            self._ask(question, history, AskOptions.of(options, **overrides))))

    def identical_running(self, question: str, history: Sequence[HistoryItem] = (),
                          options: AskOptions | None = None, **overrides: Any) -> bool:
        """Whether the same question (same conversation and settings) is being answered
        now: its answer will come from that one, so a server waits for it before taking one
        of its answering places rather than holding a place while it waits."""
        return self._pipeline.identical_running(
            self._ask(question, history, AskOptions.of(options, **overrides)))

    def _ask(self, question: str, history: Sequence[HistoryItem], options: AskOptions) -> Ask:
        s = self.settings
        return Ask(self.check_question(question), tuple(normalise_history(history)),
                   self.generator(options.model), options.top_k or s.top_k,
                   s.temperature if options.temperature is None else options.temperature,
                   options.max_tokens or s.max_tokens,
                   s.answer_cache if options.cache is None else options.cache,
                   options.fallback_after_s)

    def queue(self, model: str | None = None) -> ModelQueue | None:
        """The line of questions waiting for ``model``, or None for a backend that answers
        any number at once (``extractive``; a hosted server without ``openai_concurrency``)."""
        return self._pipeline.queue(self.generator(model))

    def ask(self, question: str, history: Sequence[HistoryItem] = (),
            options: AskOptions | None = None, **overrides: Any) -> Answer:
        """Answer ``question`` (see :meth:`stream` for the options) and return the Answer."""
        return self.stream(question, history, options, **overrides).answer()

    def as_retriever(self, k: int | None = None) -> Any:
        """A LangChain ``BaseRetriever`` over this bot's hybrid search (see bot/langchain.py)."""
        from bot.langchain import CitebotRetriever

        return CitebotRetriever(bot=self, k=k or self.settings.top_k)

    def as_runnable(self, **options: Any) -> Any:
        """A LangChain ``Runnable``: a question or ``{question, history}`` in, an Answer out."""
        from bot.langchain import answer_runnable

        return answer_runnable(self, **options)

    def evaluate(self, questions: Sequence[Question] | Path | str, *, model: str | None = None,
                 progress: Progress | None = None, cache: bool = False) -> Report:
        """Ask every question of a question set (a list or a JSON Lines file) and score it;
        each is answered afresh unless ``cache`` (a cached answer must not count as fast)."""
        source = ""
        if is_library(questions):
            source, questions = f"library ({self.questions_file})", self.library_questions()
            if not questions:
                raise InputError(f"the library has no test questions yet ({self.questions_file}"
                                 "): save some from the chat or run `citebot questions "
                                 "generate --out library`")
        elif isinstance(questions, str | Path):
            source = str(questions)
            questions = load_questions(Path(questions))
        settings = self.settings.with_overrides(model=model) if model else self.settings
        report = evaluate(self, questions, model=model or self.settings.model,
                          settings=settings.public_dump(), progress=progress, cache=cache)
        report.questions_file = source
        return report

    def document(self, chunk_id: str) -> Document | None:
        """The whole document version a passage was cut from (for showing it in context)."""
        meta = self.store.chunks.get(ids=[chunk_id], include=["metadatas"])  # type: ignore[list-item]
        metadatas = meta.get("metadatas") or []
        if not metadatas or not metadatas[0]:
            return None
        return self.store.get_document(str(metadatas[0].get("doc_key", "")))

    # -- the Library ---------------------------------------------------------------------------
    def documents(self) -> list[DocumentEntry]:
        """Every indexed document: title, file, type, chunks, size, when added and updated."""
        return self._live.current().documents()

    def add_documents(self, paths: Sequence[Path | str] | Path | str, *,
                      progress: CatalogProgress | None = None) -> IngestReport:
        """Copy files into the library folder and index them; one result per file (added,
        updated, unchanged or skipped with the reason). Answers keep coming from the
        previous contents until the new ones are stored."""
        if isinstance(paths, str | Path):  # one path, not a sequence of its characters
            paths = [paths]
        report = find_ingester().add_files(self.settings, [Path(p) for p in paths],
                                           progress=progress)
        self._live.invalidate()
        return report

    def remove_document(self, doc_id: str) -> IngestReport:
        """Delete a document from the index (and its library copy, if it was uploaded)."""
        report = find_ingester().remove_document(self.settings, doc_id)
        self._live.invalidate()
        return self._flag_removed(report)

    def reindex(self, *, progress: CatalogProgress | None = None) -> IngestReport:
        """Bring the index in line with the corpus folders and the library folder."""
        report = find_ingester().reindex(self.settings, progress=progress)
        self._live.invalidate()
        return self._flag_removed(report)

    def _flag_removed(self, report: IngestReport) -> IngestReport:
        """Flag the library's test questions that depended on a document now removed."""
        gone = {f.doc_id for f in report.files if f.status == "removed" and f.doc_id}
        flagged = flag_documents(self.questions_file, gone)
        if flagged:
            log.info("flagged %d test question(s) of removed document(s) %s", len(flagged),
                     ", ".join(sorted(gone)))
        return report

    # -- test questions on the user's documents ------------------------------------------------
    @property
    def questions_file(self) -> Path:
        """The library's own question file (``--questions library``), beside the index."""
        return library_file(self.settings)

    def generate_questions(self, *, docs: Sequence[str] | None = None, per_doc: int = 8,
                           kinds: Sequence[str] = KINDS, progress: DraftProgress | None = None
                           ) -> list[Question]:
        """Draft test questions from each indexed document's recorded structure (no model):
        facts, lists, comparisons, summaries and unanswerable ones (see ``bot.testset``)."""
        return generate(self.corpus, docs=docs, per_doc=per_doc, kinds=kinds,
                        progress=progress)

    def library_questions(self) -> list[Question]:
        """The questions saved from the chat and drafted into the library (flagged ones too)."""
        return read_questions(self.questions_file)

    def save_questions(self, questions: Sequence[Question]) -> int:
        """Add questions to the library's file (the same id replaces); how many it holds."""
        return add_questions(self.questions_file, questions)

    def claim_writes(self) -> None:
        """Hold the store's write lock until :meth:`close`: what a serving process does, so
        that (embedded) no other process writes behind its back. StoreBusyError if one is."""
        if self._writer is None:
            self._writer = hold(self.settings)

    def check_question(self, question: str) -> str:
        """The question cleaned of control characters, or an InputError that says why not."""
        return checked_question(question, self.settings.max_question_chars)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        for generator in self._generators.values():
            generator.close()
