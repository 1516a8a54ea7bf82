"""Generators package: pick the backend named by RAG_GENERATOR."""

from __future__ import annotations

from rag.config import Settings
from rag.errors import GeneratorUnavailableError
from rag.compose.generators.base import Context, Generator

NAMES = ("extractive", "local", "openai")


def make_generator(settings: Settings, name: str) -> Generator:
    """The generator called `name`.

    Raises:
        GeneratorUnavailableError: unknown name, or its package/model/server is missing.
    """
    if name == "extractive":
        from rag.compose.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    if name in ("local", "openai"):
        from rag.compose.generators.llm import make_llm_generator

        return make_llm_generator(settings, name)
    raise GeneratorUnavailableError(
        f"Unknown generator {name!r}: choose one of {', '.join(NAMES)} (RAG_GENERATOR).")


__all__ = ["Context", "Generator", "make_generator", "NAMES"]
