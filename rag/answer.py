"""Answer: the retrieval chain (condense -> retrieve -> assess -> generate -> verify) as a
LangChain Runnable that streams events, plus `ask()` for a single blocking answer."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from rag.citations import Citation, make_citation, verify
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError
from rag.answerability import assess, idf_of
from rag.embeddings import sentence_vectors
from rag.generators import make_generator
from rag.generators.base import Context, Generator
from rag.generators.llm import NOT_FOUND
from rag.text import fold
from rag.retrieval import HybridRetriever, IndexReader

_FOLLOW_UP = re.compile(r"^(and|but|so|also|what about|how about)\b|\b(it|its|they|them|their|"
                        r"this|that|these|those|he|she|his|her|there|then)\b", re.I)
ABSTAIN = "The indexed sources do not answer this question"


@dataclass
class AnswerResult:
    """A finished answer; `to_json()` is what `rag ask --json` prints."""

    question: str
    standalone: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    closest: list[Citation] = field(default_factory=list)  # shown when abstaining
    reason: str = ""
    unsupported: int = 0
    confidence: float = 0.0  # calibrated P(the passages answer the question), 0..1
    generator: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["standalone_question"] = data.pop("standalone")
        return data


def condense(question: str, history: list[dict] | None) -> str:
    """A standalone question: a short follow-up ("And when was it set up?") is joined to the
    previous question so retrieval and answer checking see what "it" refers to."""
    question = question.strip()
    previous = [m["content"] for m in (history or []) if m.get("role") == "user"]
    if previous and len(question.split()) <= 10 and _FOLLOW_UP.search(question):
        return f"{previous[-1].strip()} {question}"
    return question


class Pipeline:
    """Everything needed to answer: the live index, the retriever and a generator."""

    def __init__(self, settings: Settings, generator: str | None = None):
        self.settings = settings
        self.reader = IndexReader(settings)
        self.generator: Generator = make_generator(settings, generator or settings.generator)
        self.vectors = sentence_vectors(settings.embed_batch_size, settings.embed_precision)

    def chain(self, k: int | None = None, sources: list[str] | None = None) -> Runnable:
        """{"question": str, "history": [{"role", "content"}]} -> stream of event dicts."""
        retriever = HybridRetriever(reader=self.reader, k=k or self.settings.top_k,
                                    sources=sources or None)

        def prepare(inp: dict) -> dict:
            standalone = condense(inp["question"], inp.get("history"))
            return {**inp, "standalone": standalone, "started": time.perf_counter()}

        def retrieve(inp: dict) -> dict:
            return {**inp, "passages": retriever.invoke(inp["standalone"])}

        def assess_(inp: dict) -> dict:
            _, kw = self.reader.current()
            ranked, confidence = assess(inp["standalone"], inp["passages"], self.vectors,
                                        idf_of(kw.doc_freq, kw.n_docs))
            return {**inp, "ranked": ranked, "confidence": confidence}

        return (RunnableLambda(prepare) | RunnableLambda(retrieve) | RunnableLambda(assess_)
                | RunnableGenerator(self._generate))

    def _generate(self, inputs: Iterator[dict]) -> Iterator[dict]:
        for inp in inputs:
            yield from self._answer_events(inp)

    def _answer_events(self, inp: dict) -> Iterator[dict]:
        passages: list[Document] = inp["passages"]
        confidence, threshold = inp["confidence"], self.settings.min_confidence
        ok, reason = confidence >= threshold, ""
        if not passages:
            reason = "no passage was retrieved"
        elif not ok:
            reason = (f"confidence {confidence:.2f} that the passages answer it is below "
                      f"RAG_MIN_CONFIDENCE {threshold:.2f}")
        result = AnswerResult(question=inp["question"], standalone=inp["standalone"],
                              answer="", abstained=not ok, confidence=round(confidence, 4),
                              generator=self.generator.name)
        if ok:
            draft = []
            for piece in self.generator.stream(Context(inp["standalone"], passages,
                                                       inp["ranked"])):
                draft.append(piece)
                yield {"type": "token", "text": piece}
            text = "".join(draft)
            if fold(NOT_FOUND) in fold(text):
                ok, reason = False, "the model found no answer in the passages"
                text = ""
            checked = verify(text, passages)
            result.answer, result.citations = checked.text, checked.citations
            result.unsupported = checked.unsupported
            if ok and not checked.text:
                ok, reason = False, "no sentence of the draft answer was supported by a passage"
        if not ok:
            result.abstained, result.reason = True, reason
            result.answer = f"{ABSTAIN} ({reason})."
            result.citations = []
            result.closest = _closest(passages, inp["ranked"])
        result.seconds = time.perf_counter() - inp["started"]
        yield {"type": "final", "result": result}

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
               sources: list[str] | None = None) -> Iterator[dict]:
        """Stream events: {"type": "token", "text"} then {"type": "final", "result"}."""
        if not question or not question.strip():
            raise RagError("The question is empty: type a question about your documents.")
        _, kw = self.reader.current()
        if not kw.ids:
            raise IndexNotFoundError(
                f"The index is empty: add documents to {self.settings.sources_dir} and run "
                "`rag index`.")
        yield from self.chain(k, sources).stream({"question": question, "history": history})

    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None,
            sources: list[str] | None = None) -> AnswerResult:
        """Answer one question (blocking)."""
        for event in self.stream(question, history, k, sources):
            if event["type"] == "final":
                return event["result"]
        raise RuntimeError("the chain ended without a final answer")


def _closest(passages: list[Document], ranked) -> list[Citation]:
    """The retrieved passages, each with its best-matching sentence, for an abstention."""
    best_span = {}
    for cand in ranked:
        best_span.setdefault(cand.passage, cand.span)
    return [make_citation(i + 1, p, best_span.get(i, (0, min(len(p.page_content), 200))))
            for i, p in enumerate(passages[:3])]
