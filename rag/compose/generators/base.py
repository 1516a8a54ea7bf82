"""Generators: the one extension point that turns a question and passages into a draft."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_core.documents import Document

from rag.compose.evidence import Candidate


@dataclass
class Context:
    """What a generator is given: the question, numbered passages, and ranked sentences."""

    question: str
    passages: list[Document]
    ranked: list[Candidate]
    task: str = "answer"  # or "summary": write a few sentences from all the passages


class Generator(ABC):
    """Drafts an answer whose sentences cite passages as [1], [2] (1-based)."""

    name: str = "generator"
    streams_tokens: bool = False  # True: yields tokens; False: yields whole sentences

    @abstractmethod
    def stream(self, ctx: Context) -> Iterator[str]:
        """Yield the draft answer in pieces (tokens or sentences)."""
