"""The Chroma store: the only package that imports chromadb.

``Store`` is one index, its operations split by what they do: ``index`` (connecting, opening,
swapping, the contents version), ``reads`` and ``writes``; ``rows`` turns chunks and
documents into Chroma rows, and ``lock`` decides who may write.
"""

from bot.store.index import CHUNKER_VERSION, IndexInfo, IndexState, connect
from bot.store.lock import WriterHold, hold, writing
from bot.store.rows import chunk_metadata
from bot.store.writes import Writes


class Store(Writes):
    """One index (chunks + document versions) in Chroma: open it, read it, write it."""


__all__ = ["CHUNKER_VERSION", "IndexInfo", "IndexState", "Store", "WriterHold", "chunk_metadata",
           "connect", "hold", "writing"]
