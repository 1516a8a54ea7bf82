"""Generators package: the backend named by RAG_GENERATOR, from the registry (the
"rag.generators" entry points in pyproject.toml, read by rag.plugins)."""

from __future__ import annotations

from rag import plugins
from rag.compose.generators.base import Context, Generator
from rag.config import Settings
from rag.errors import ConfigError, GeneratorUnavailableError

NAMES = plugins.names(plugins.GENERATORS)


def make_generator(settings: Settings, name: str) -> Generator:
    """The generator called `name`.

    Raises:
        GeneratorUnavailableError: unknown name, or its package/model/server is missing.
    """
    if name not in NAMES:
        raise GeneratorUnavailableError(
            f"Unknown generator {name!r}: choose one of {', '.join(NAMES)} (RAG_GENERATOR).")
    try:
        factory = plugins.load(plugins.GENERATORS, name)
    except ConfigError as exc:
        raise GeneratorUnavailableError(str(exc)) from exc
    return factory(settings, name)


__all__ = ["Context", "Generator", "make_generator", "NAMES"]
