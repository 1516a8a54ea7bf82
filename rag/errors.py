"""Errors: the library's own exceptions; only cli.py / ui.py turn them into user messages."""


class RagError(Exception):
    """Base class. The message says what went wrong and what to do next."""


class ConfigError(RagError, ValueError):
    """A setting is invalid or two settings conflict."""


class LoadError(RagError):
    """One source file could not be loaded (the message names the file and the reason)."""


class IndexNotFoundError(RagError):
    """There is no index yet."""


class IndexMismatchError(RagError):
    """The index was built with other embedding or chunk settings."""


class IndexBusyError(RagError):
    """Another `rag index` holds the index lock."""


class GeneratorUnavailableError(RagError):
    """The chosen generator cannot run here (missing package, model or server)."""
