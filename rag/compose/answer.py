"""Answer: the retrieval chain (condense -> retrieve -> assess -> generate -> verify) as a
LangChain Runnable that streams events, plus `ask()` for a single blocking answer.

A question about whole documents (an overview, a comparison, a list; rag.understand.intent) takes its
own path: rag.compose.summarize chooses the documents' own sentences and rag.compose.drafts composes them,
then it is verified like any answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from rag.compose.citations import Citation, claims, make_citation, verify
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError
from rag.compose.answerability import assess, idf_of
from rag.embeddings import QUERY_BATCH, StoredVectors, sentence_vectors
from rag.compose.generators import make_generator
from rag.compose.generators.base import Context, Generator
from rag.compose.generators.llm import NOT_FOUND
from rag.understand.documents import named_files, unknown_files
from rag.understand.intent import asked_count, detect
from rag.understand.kinds import (Comparison, Intent, Kind, Names, Overview, RollCall,
                                  TopicSummary)
from rag.understand.rewrite import condense, searchable
from rag.compose.drafts import (Draft, comparison_draft, list_draft, names_draft,
                                overview_draft, topic_draft)
from rag.ingest.sentences import Sentence, document_sentences
from rag.text import fold, listed, sentences, spell_out, unknown_acronyms, words
from rag.index.indexer import settled
from rag.understand.names import asked_person_kind, asked_place_kind, people, places, usual_form
from rag.retrieve.retrieval import HybridRetriever, IndexReader

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
    # calibrated P(the passages answer the question), 0..1; None for whole-document answers
    confidence: float | None = 0.0
    kind: str = "factoid"  # factoid | overview | comparison | list (rag.understand.intent)
    generator: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["standalone_question"] = data.pop("standalone")
        return data


class Pipeline:
    """Everything needed to answer: the live index, the retriever and a generator."""

    def __init__(self, settings: Settings, generator: str | None = None):
        settings = settled(settings)  # auto: the precision the index was built with
        self.settings = settings
        self.reader = IndexReader(settings)
        self.generator: Generator = make_generator(settings, generator or settings.generator)
        self.vectors = sentence_vectors(QUERY_BATCH, settings.embed_precision)
        self.document_vectors = StoredVectors(settings.index_dir / "sentences", self.vectors)
        self._named_as: dict[tuple, bool] = {}  # (index, name, kind) -> whether it is one

    def chain(self, k: int | None = None, sources: list[str] | None = None) -> Runnable:
        """{"question": str, "history": [{"role", "content"}]} -> stream of event dicts."""
        retriever = HybridRetriever(reader=self.reader, k=k or self.settings.top_k,
                                    sources=sources or None)

        def prepare(inp: dict) -> dict:
            standalone = searchable(self._condense(inp["question"], inp.get("history")))
            return {**inp, "standalone": standalone, "started": time.perf_counter()}

        def retrieve(inp: dict) -> dict:
            question = inp["standalone"]
            passages = retriever.invoke(question)
            # an acronym the sources never use ("NDB"), spelled out as they write it
            _, kw = self.reader.current()
            spelled = spell_out(question, [p.page_content for p in passages],
                                lambda term: kw.doc_freq(term) > 0)
            if spelled != question:
                return {**inp, "standalone": spelled, "passages": retriever.invoke(spelled)}
            return {**inp, "passages": passages}

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
        indexed = list(self.reader.sources())
        intent = detect(question, indexed, embed=self.vectors)
        if history and intent.kind == Kind.FACT and len(question.split()) <= 6:
            # "Tell me more" (a summary of what the last question was about), "And Ma?"
            # after a summary or a comparison: the kind of what it stands for
            intent = detect(self._condense(question, history))
            intent.files = named_files(question, indexed)
        if intent.kind != Kind.FACT:  # only these are scoped by the files a question names
            missing = unknown_files(question, indexed)
            if missing and not intent.files and not sources:
                reason = (f"it names {', '.join(missing)}, which is not in the index; indexed "
                          f"files: {listed(indexed)}")
                yield {"type": "final", "result": AnswerResult(
                    question=question, standalone=question, answer=f"{ABSTAIN} ({reason}).",
                    abstained=True, reason=reason, confidence=None,
                    kind=intent.kind.answered_as,
                    generator=self.generator.name)}
                return
            yield from self._whole(question, history, intent, k, sources)
            return
        yield from self.chain(k, sources).stream({"question": question, "history": history})

    # -- whole documents -----------------------------------------------------------------

    def _search(self, query: str, files: list[str], k: int):
        """(ranked sentences, passages, confidence) of a search within those files."""
        scoped = None if set(files) >= set(self.reader.sources()) else files
        passages = HybridRetriever(reader=self.reader, k=k, sources=scoped).invoke(query)
        _, kw = self.reader.current()
        ranked, confidence = assess(query, passages, self.vectors,
                                    idf_of(kw.doc_freq, kw.n_docs))
        return ranked, passages, confidence

    def _condense(self, question: str, history: list[dict] | None) -> str:
        """The follow-up as a standalone question (rag.understand.rewrite.condense), with what the
        sources say of the names it leans on."""
        return condense(question, history, self._usual, self._is_person, self._is_place)

    def _is_person(self, name: str) -> bool:
        """Whether the sources refer to a name as a person ("he", "his" after it:
        rag.understand.names.people), in the passages a search for it finds; remembered per index."""
        return self._is_a(name, people)

    def _is_place(self, name: str) -> bool:
        """Whether the sources write a name where a place goes ("in Xinjiang", "party
        secretary of Shenzhen": rag.understand.names.places), in the passages a search for it finds."""
        return self._is_a(name, places)

    def _is_a(self, name: str, find: Callable[[list[Sentence]], list[tuple[str, int]]]) -> bool:
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, name, find.__name__)
        if key not in self._named_as:
            passages = HybridRetriever(reader=self.reader, k=self.settings.top_k).invoke(name)
            sents = [Sentence(p, span, False) for p in passages
                     for span in sentences(p.page_content)]
            found = {w for one, _ in find(sents) for w in words(one)}
            self._named_as[key] = bool(set(words(name)) & found)
        return self._named_as[key]

    def _usual(self, name: str) -> str:
        """A person named in full as the sources usually call them ("Ma Xingrui" -> "Ma")."""
        return usual_form(name, self.reader.current()[1].doc_freq)

    def _spelled(self, phrase: str, files: list[str]) -> str:
        """The phrase with an acronym the sources never use spelled out as they write it
        (rag.text.spell_out), from the passages a search for the phrase finds."""
        _, kw = self.reader.current()
        known = lambda term: kw.doc_freq(term) > 0  # noqa: E731
        if not unknown_acronyms(phrase, known):
            return phrase
        passages = self._search(phrase, files, self.settings.top_k)[1]
        return spell_out(phrase, [p.page_content for p in passages], known)

    def prepare_overviews(self, sources: list[str] | None = None,
                          limit: int | None = None) -> int:
        """Embed and store the sentence vectors of indexed files (those given, else all, at
        most `limit`) ahead of their first overview, which then takes milliseconds instead
        of seconds. Returns how many files were embedded (the others were stored already)."""
        live = self.reader.sources()
        files = [s for s in (sources if sources is not None else sorted(live)) if s in live]
        done = 0
        for source in files[:limit]:
            sents = document_sentences(self.reader.chunks_of(source))
            done += self.document_vectors.fill([s.text for s in sents])
        return done

    def draft(self, question: str, intent: Intent, k: int | None = None,
              sources: list[str] | None = None) -> Draft:
        """The extractive draft of a whole-document answer. Its scope: the source filter,
        else the files the question names, else every indexed file."""
        indexed = list(self.reader.sources())
        files = list(sources or intent.files or indexed)
        k = k or self.settings.top_k
        if isinstance(intent, TopicSummary):
            topic = self._spelled(intent.topic, files)
            return topic_draft(topic, *self._search(topic, files, 2 * k), files,
                               vouched=intent.vouched)
        if isinstance(intent, Overview):
            _, kw = self.reader.current()
            return overview_draft(files, self.reader.chunks_of, self.document_vectors,
                                  idf_of(kw.doc_freq, kw.n_docs), intent.part,
                                  asked_count(question))
        if isinstance(intent, Comparison):
            sides = [self._spelled(s, files) for s in intent.sides]  # "NDB" as written
            return comparison_draft(sides, intent.aspect, files,
                                    lambda q, f: self._search(q, f, max(k, 8))[:2], intent.by)
        if isinstance(intent, RollCall) and intent.names != Names.ANY:  # the people,
            # organisations, places or dates named
            return names_draft(files, self.reader.chunks_of, intent.names,
                               self._spelled(intent.topic, files) if intent.topic else "",
                               asked_place_kind(question) if intent.names == Names.PLACES else
                               asked_person_kind(question) if intent.names == Names.PEOPLE
                               else None)
        return list_draft(*self._search(question, files, 2 * k), files, question)

    def _whole(self, question: str, history: list[dict] | None, intent: Intent, k: int | None,
               sources: list[str] | None) -> Iterator[dict]:
        started = time.perf_counter()
        standalone = searchable(self._condense(question, history))
        draft = self.draft(standalone, intent, k, sources)
        if draft.confidence is not None and draft.confidence < self.settings.min_confidence:
            # a list nobody can vouch for is answered like any fact: here, an abstention
            yield from self.chain(k, sources).stream({"question": question,
                                                      "history": history})
            return
        passages = draft.passages()
        result = AnswerResult(question=question, standalone=standalone, answer="",
                              abstained=False, confidence=draft.confidence, kind=draft.kind,
                              generator=self.generator.name)
        checked = None
        if passages and draft.kind == "overview" and self.generator.streams_tokens:
            # an LLM writes the summary from the chosen sentences; it must hold up
            sentences = draft.sentence_passages()
            pieces = []
            for piece in self.generator.stream(Context(standalone, sentences, [], "summary")):
                pieces.append(piece)
                yield {"type": "token", "text": piece}
            written = verify("".join(pieces), sentences)
            kept = len(claims(written.text)) if written.text else 0
            if written.text and kept >= written.unsupported:
                checked = written
                checked.text = f"{draft.heading}\n{written.text}"
            else:
                result.reason = (f"the model's summary did not hold up against the sources "
                                 f"({written.unsupported} of {kept + written.unsupported} "
                                 "sentences unsupported): these are the document's own "
                                 "sentences")
        if checked is None:
            text = draft.text()
            if result.reason:
                text += f"\n_Extractive summary: {result.reason}._"
            yield {"type": "token", "text": text}
            checked = verify(text, passages, frames=True)
        result.answer, result.citations = checked.text, checked.citations
        result.unsupported = checked.unsupported
        if not result.citations:
            result.abstained = True
            notes = [g.note.rstrip(".") for g in draft.groups if g.note]  # "No person is named"
            result.reason = (result.reason or "; ".join(n[:1].lower() + n[1:] for n in notes)
                             or "no sentence of the sources fits this question")
            result.answer = f"{ABSTAIN} ({result.reason})."
        result.seconds = time.perf_counter() - started
        yield {"type": "final", "result": result}

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
