"""Errors citebot raises on purpose. Each message quotes the bad value and says what to do.

CitebotError
├── ConfigError          a setting has a bad value (unknown model, bad port, ...)
├── InputError           a question or file the user gave cannot be used
├── IndexMissingError    no index, or one built with other settings: run ``citebot ingest``
├── StoreError           the Chroma store is unreachable or corrupted
│   └── StoreBusyError   another process is writing the embedded store
├── ModelUnavailableError  a backend cannot run here (missing extra, missing file)
└── GenerationError      the model failed while answering (server down, timeout, bad reply)
"""

from __future__ import annotations


class CitebotError(Exception):
    """Base of every error citebot raises on purpose; the CLI and UI show its message."""


class ConfigError(CitebotError):
    """A setting has a value citebot cannot use."""


class InputError(CitebotError):
    """A question or input file cannot be used."""


class IndexMissingError(CitebotError):
    """There is no usable index for the current settings."""


class StoreError(CitebotError):
    """The vector store is unreachable or damaged."""


class StoreBusyError(StoreError):
    """Another process holds the right to write the embedded store."""


class ModelUnavailableError(CitebotError):
    """A model backend cannot run on this machine as configured."""


class GenerationError(CitebotError):
    """The model failed while producing an answer."""


class QueueFullError(CitebotError):
    """Too many questions already wait for the model: try again later."""
