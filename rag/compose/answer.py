"""Answer: one loop for every kind of question.

    condense (once) -> understand (rag.understand.intent) -> draft (the drafter of its kind)
        -> write (stream tokens) -> verify (rag.compose.citations) -> answer or abstain

A drafter turns a question of its kind into a Drafted: the passages the answer is checked
against, a confidence, a reason to abstain before writing (if any), and one or more writers.
The fact drafter retrieves, assesses and lets the generator write (retrieval is a LangChain
Runnable: `chain`); the whole-document drafters (overview, topic, comparison, list) compose
the documents' own sentences (rag.compose.summarize chooses them, rag.compose.drafts lays
them out), and an LLM generator may rewrite an overview. Every draft is verified the same
way; `ask()` is the blocking form of `stream()`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda

from rag.compose.citations import Citation, Verified, claims, make_citation, verify
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError
from rag.compose.answerability import assess, idf_of
from rag.embeddings import QUERY_BATCH, StoredVectors, sentence_vectors
from rag.compose.generators import make_generator
from rag.compose.generators.base import Context, Generator
from rag.compose.generators.llm import NOT_FOUND
from rag.understand.documents import Named, named_files, subject_of, unknown_files
from rag.understand.intent import asked_count, defined_term, detect
from rag.understand.kinds import (Comparison, Explanation, Intent, Kind, Names, Overview,
                                  RollCall, TopicSummary)
from rag.understand.rewrite import condense, follows_on, joined, searchable
from rag.compose.drafts import (Draft, authors_draft, comparison_draft, documents_draft,
                                explanation_draft, list_draft, names_draft, overview_draft,
                                topic_draft)
from rag.ingest.sentences import Sentence, document_sentences
from rag.compose.summarize import PER_SIDE, choosable, leads_in
from rag.ingest.titles import from_file_name
from rag.text import fold, listed, sentences, spell_out, unknown_acronyms, words
from rag.index.indexer import settled
from rag.index.keyword import tokenize
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
    kind: str = "factoid"  # factoid | overview | comparison | list (rag.understand.intent),
    # or "clarify": the question names a document more than one file fits; which one?
    generator: str = ""
    seconds: float = 0.0
    # the files a fact was searched within: those the question names, or for a follow-up
    # the ones the conversation was about ([] = every indexed file)
    scope: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["standalone_question"] = data.pop("standalone")
        return data


@dataclass
class Writer:
    """One way to write a draft: `write(note)` streams its text (note: why the writer before
    it was not kept, or ""); `check(text)` verifies it: (verified, "" if it is kept, else
    why not)."""

    write: Callable[[str], Iterator[str]]
    check: Callable[[str], tuple[Verified, str]]


@dataclass
class Drafted:
    """What a drafter hands the answer loop."""

    kind: str  # what the answer reports (AnswerResult.kind)
    standalone: str  # the question as searched
    confidence: float | None
    gate: str  # a reason to abstain before writing ("" to write)
    writers: list[Writer]  # tried in order until one's draft holds up
    closest: list[Citation] = field(default_factory=list)  # shown when abstaining
    empty: str = "no sentence of the draft answer was supported by a passage"  # why, when
    # the kept draft cites nothing
    scope: list[str] = field(default_factory=list)  # AnswerResult.scope
    found_in: list[str] = field(default_factory=list)  # a fact: the files of its best two
    # sentences (what a follow-up to it is about)


LEAD_IN_RANK = 3  # a list is the document's own when one of the best sentences leads in to it
ABOUT_SHARE = 0.3  # a file deals with a topic: this share of the best file's passages on it
PREPARE_MOST_CHUNKS = 2000  # files longer than this (a 1,000-page book) are not prepared
COMMON_SHARE, COMMON_FILES = 0.5, 3  # a word in half the files (3 or more) names none of them

# The drafter of each whole-document kind (a Pipeline method); a fact is drafted by
# Pipeline._fact. A new kind adds its drafter here.
WHOLE_DRAFTERS = {Kind.OVERVIEW: "_overview_draft", Kind.TOPIC: "_topic_draft",
                  Kind.COMPARISON: "_comparison_draft", Kind.LIST: "_roll_call_draft",
                  Kind.EXPLANATION: "_explanation_draft"}


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
        self._titles: dict[tuple, str] = {}  # (index, source) -> its title
        self._names: tuple[tuple, list[Named]] | None = None  # (index, the documents' names)
        self._prominent_in: dict[tuple, list[str]] = {}  # (index, word) -> files
        self._common: dict[tuple, bool] = {}  # (index, word) -> in most files
        self._turn_files: dict[tuple, list[str]] = {}  # (index, conversation) -> its files

    def chain(self, k: int | None = None, sources: list[str] | None = None) -> Runnable:
        """Retrieval for a fact, as a Runnable: {"standalone": the question to search for} ->
        the same with "passages" (hybrid search; an acronym the sources never use spelled
        out as they write it, and searched again), "ranked" sentences and "confidence"."""
        retriever = HybridRetriever(reader=self.reader, k=k or self.settings.top_k,
                                    sources=sources or None)

        def retrieve(inp: dict) -> dict:
            question = inp["standalone"]
            passages = retriever.invoke(question)
            _, kw = self.reader.current()
            spelled = spell_out(question, [p.page_content for p in passages],
                                lambda term: kw.doc_freq(term) > 0)
            if spelled != question:
                question, passages = spelled, retriever.invoke(spelled)
            return {**inp, "standalone": question,
                    "passages": self._introducing(question, passages, sources)}

        def assess_(inp: dict) -> dict:
            _, kw = self.reader.current()
            ranked, confidence = assess(inp["standalone"], inp["passages"], self.vectors,
                                        idf_of(kw.doc_freq, kw.n_docs))
            return {**inp, "ranked": ranked, "confidence": confidence}

        return RunnableLambda(retrieve) | RunnableLambda(assess_)

    def _introducing(self, question: str, passages: list[Document],
                     sources: list[str] | None) -> list[Document]:
        """The passages, led by the one where the file they are from (the first of the
        files searched, else the best passage's) brings in the term a definition question
        asks about ("What is a tablet in Bigtable?"): a paper defines a term where it first
        uses it, often far from the passages that use it most (dev chats' first turns: 1 →
        4 of 11 cite the defining passage)."""
        term = defined_term(question)
        source = sources[0] if sources else passages[0].metadata["source"] if passages else None
        if not term or source is None:
            return passages
        first = self.reader.first_mention(source, term)
        if first is None or any(p.id == first.id for p in passages):
            return passages
        return [first, *passages]

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
        started = time.perf_counter()
        indexed = list(self.reader.sources())
        condensed = self._condense(question, history)  # the follow-up as it stands alone
        if history and joined(question, condensed):
            # joined to the question before: over several files, the files the conversation
            # is about carry its context instead (the previous question's words would pull
            # the search back to the previous answer)
            files = self._conversation_files(history)
            if files and set(files) < set(indexed):
                condensed = question.strip()
        intent = detect(question, indexed, embed=self.vectors, names=self.names(),
                        prominent=self.prominent, common=self.common)
        if intent.choices and not sources:  # "the consensus paper": which one? Never a guess
            listing = "; ".join(f"{self.title(f)} ({f})" for f in intent.choices)
            reason = f"{intent.said!r} fits more than one document: {listing}"
            yield {"type": "final", "result": AnswerResult(
                question=question, standalone=question,
                answer=f"Which document do you mean by {intent.said!r}? {listing}. Ask again "
                       "with its title or file name.",
                abstained=True, reason=reason, confidence=None, kind="clarify",
                generator=self.generator.name, seconds=time.perf_counter() - started)}
            return
        if history and isinstance(intent, RollCall) and intent.names == Names.AUTHORS and \
                not intent.files:  # "Who wrote it?": the paper the conversation is about
            intent.files = [f for f in self._conversation_files(history) if f in indexed]
        if history and intent.kind == Kind.FACT and len(question.split()) <= 6:
            # "Tell me more" (a summary of what the last question was about), "And Ma?"
            # after a summary or a comparison: the kind of what it stands for
            intent = detect(condensed)
            intent.files = named_files(question, indexed)
        if intent.kind != Kind.FACT:  # only these are scoped by the files a question names
            missing = unknown_files(question, indexed)
            if missing and not intent.files and not sources:
                reason = (f"it names {', '.join(missing)}, which is not in the index; indexed "
                          f"files: {listed(indexed)}")
                yield {"type": "final", "result": AnswerResult(
                    question=question, standalone=question, answer=f"{ABSTAIN} ({reason}).",
                    abstained=True, reason=reason, confidence=None,
                    kind=intent.kind.answered_as, generator=self.generator.name)}
                return
        def within() -> list[str] | None:  # where a fact is searched first
            if sources:
                return None
            return intent.files or (self._conversation_files(history) if history and
                                    follows_on(question, condensed) else None)

        drafted = self._drafted(searchable(condensed), intent, k, sources, within)
        yield from self._answer(question, drafted, started)

    def _drafted(self, standalone: str, intent: Intent, k: int | None,
                 sources: list[str] | None,
                 within: Callable[[], list[str] | None] = lambda: None) -> Drafted:
        """The draft of the question's kind; a whole-document draft whose confidence is
        below RAG_MIN_CONFIDENCE (a list nobody can vouch for), or an explanation none of
        whose sentences stands up, is answered as a fact. A fact or an explanation is
        searched `within` the files the question names or the conversation is about, first:
        if those do not answer it, every file is."""
        if intent.kind == Kind.FACT:
            return self._fact_within(standalone, k, sources, within())
        scope = within() if intent.kind == Kind.EXPLANATION and not intent.files else None
        if scope and set(scope) < set(self.reader.sources()):  # "How does it work?"
            draft = self.draft(standalone, intent, k, scope)
            if self._stands(draft):
                drafted = self._whole(standalone, draft)
                drafted.scope = list(scope)
                return drafted
        draft = self.draft(standalone, intent, k, sources)
        if not self._stands(draft):  # (an explanation: its best sentences, as a fact)
            return self._fact_within(standalone, k, sources, within())
        return self._whole(standalone, draft)

    def _stands(self, draft: Draft) -> bool:
        """Whether a whole-document draft may answer: its confidence (a list's or an
        explanation's) is at the bar, and an explanation has a sentence that stands up."""
        if draft.confidence is not None and draft.confidence < self.settings.min_confidence:
            return False
        return draft.kind != Kind.EXPLANATION or bool(
            verify(draft.text(), draft.passages(), frames=True).citations)

    def _fact_within(self, standalone: str, k: int | None, sources: list[str] | None,
                     within: list[str] | None) -> Drafted:
        if within and set(within) < set(self.reader.sources()):
            scoped = self._fact(standalone, k, within)
            scoped.scope = list(within)
            if not scoped.gate:
                return scoped
            free = self._fact(standalone, k, sources)
            return free if not free.gate else scoped
        return self._fact(standalone, k, sources)

    def _conversation_files(self, history: list[dict]) -> list[str]:
        """The files the conversation's last question was answered from: those its best
        two sentences come from, searched as that question was (within the files before
        it, if it followed on too); remembered per conversation."""
        users = [i for i, m in enumerate(history) if m.get("role") == "user"]
        if not users:
            return []
        last = users[-1]
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, tuple(m.get("content", "") for m in history[:last + 1]))
        if key not in self._turn_files:
            asked, before = history[last]["content"], history[:last]
            condensed = self._condense(asked, before)
            intent = detect(asked, list(self.reader.sources()), names=self.names(),
                            prominent=self.prominent, common=self.common)
            within = intent.files or (self._conversation_files(before)
                                      if before and follows_on(asked, condensed) else None)
            found = self._fact_within(searchable(condensed), None, None, within)
            self._turn_files[key] = found.found_in if not found.gate else (within or [])
        return self._turn_files[key]

    def _fact(self, standalone: str, k: int | None, sources: list[str] | None) -> Drafted:
        """A fact: the passages retrieval finds, gated by the confidence that they answer
        it; the generator writes from them."""
        inp = self.chain(k, sources).invoke({"standalone": standalone})
        passages, ranked, confidence = inp["passages"], inp["ranked"], inp["confidence"]
        threshold, gate = self.settings.min_confidence, ""
        if not passages:
            gate = "no passage was retrieved"
        elif confidence < threshold:
            gate = (f"confidence {confidence:.2f} that the passages answer it is below "
                    f"RAG_MIN_CONFIDENCE {threshold:.2f}")
        context = Context(inp["standalone"], passages, ranked)

        def check(text: str) -> tuple[Verified, str]:
            if fold(NOT_FOUND) in fold(text):
                return verify("", passages), "the model found no answer in the passages"
            checked = verify(text, passages)
            return checked, "" if checked.text else \
                "no sentence of the draft answer was supported by a passage"

        return Drafted("factoid", inp["standalone"], round(confidence, 4), gate,
                       [Writer(lambda note: self.generator.stream(context), check)],
                       closest=_closest(passages, ranked),
                       found_in=list(dict.fromkeys(passages[c.passage].metadata["source"]
                                                   for c in ranked[:2])))

    def _whole(self, standalone: str, draft: Draft) -> Drafted:
        """A whole-document answer: the draft's own sentences, cited; an overview may be
        rewritten by an LLM generator first, kept only if it holds up against them."""
        passages = draft.passages()

        def extractive(note: str) -> Iterator[str]:
            yield draft.text() + (f"\n_Extractive summary: {note}._" if note else "")

        def check(text: str) -> tuple[Verified, str]:
            return verify(text, passages, frames=True), ""

        writers = [Writer(extractive, check)]
        if passages and draft.kind == "overview" and self.generator.streams_tokens:
            sentences = draft.sentence_passages()

            def summary(note: str) -> Iterator[str]:
                return self.generator.stream(Context(standalone, sentences, [], "summary"))

            def holds(text: str) -> tuple[Verified, str]:
                written = verify(text, sentences)
                kept = len(claims(written.text)) if written.text else 0
                if written.text and kept >= written.unsupported:
                    written.text = f"{draft.heading}\n{written.text}"
                    return written, ""
                return written, (f"the model's summary did not hold up against the sources "
                                 f"({written.unsupported} of {kept + written.unsupported} "
                                 "sentences unsupported): these are the document's own "
                                 "sentences")

            writers.insert(0, Writer(summary, holds))
        notes = [g.note.rstrip(".") for g in draft.groups if g.note]  # "No person is named"
        empty = "; ".join(n[:1].lower() + n[1:] for n in notes) or \
            "no sentence of the sources fits this question"
        return Drafted(draft.kind, standalone, draft.confidence, "", writers, empty=empty)

    def _answer(self, question: str, drafted: Drafted, started: float) -> Iterator[dict]:
        """The one loop: write (streaming tokens), verify, then answer or abstain. A writer
        whose draft does not hold up hands over to the next, which is told why."""
        result = AnswerResult(question=question, standalone=drafted.standalone, answer="",
                              abstained=False, confidence=drafted.confidence,
                              kind=drafted.kind, generator=self.generator.name)
        reason, checked = drafted.gate, None
        if not reason:
            note = ""
            for writer in drafted.writers:
                pieces = []
                for piece in writer.write(note):
                    pieces.append(piece)
                    yield {"type": "token", "text": piece}
                checked, reason = writer.check("".join(pieces))
                if not reason:
                    break
                note = reason
            result.unsupported = checked.unsupported
            if not reason:
                result.answer, result.citations = checked.text, checked.citations
                result.reason = note  # why an earlier writer's draft was not kept
                if not result.citations:
                    reason = note or drafted.empty
        if reason:
            result.abstained, result.reason = True, reason
            result.answer = f"{ABSTAIN} ({reason})."
            result.citations = []
            result.closest = drafted.closest
        result.scope = drafted.scope
        result.seconds = time.perf_counter() - started
        yield {"type": "final", "result": result}

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

    def prepare_overviews(self, sources: list[str] | None = None, limit: int | None = None,
                          progress: Callable[[], None] | None = None) -> int:
        """Embed and store the sentence vectors of indexed files (those given, else all, at
        most `limit`; none of more than PREPARE_MOST_CHUNKS chunks) ahead of their first
        overview, which then takes milliseconds instead of seconds; `progress` is called
        after each file. Returns how many files were embedded (the others were stored
        already, or too long)."""
        live = self.reader.sources()
        files = [s for s in (sources if sources is not None else sorted(live)) if s in live]
        done = 0
        for source in files[:limit]:
            if live[source] <= PREPARE_MOST_CHUNKS:  # (a 50 MB log would take hours)
                sents = document_sentences(self.reader.chunks_of(source))
                done += self.document_vectors.fill([s.text for s, can in
                                                    zip(sents, choosable(sents)) if can])
            if progress:
                progress()
        return done

    def draft(self, question: str, intent: Intent, k: int | None = None,
              sources: list[str] | None = None) -> Draft:
        """The extractive draft of a whole-document answer, by the drafter of its kind
        (WHOLE_DRAFTERS). Its scope: the source filter, else the files the question names,
        else every indexed file."""
        files = list(sources or intent.files or self.reader.sources())
        drafter = getattr(self, WHOLE_DRAFTERS[intent.kind])
        draft = drafter(question, intent, files, k or self.settings.top_k)
        draft.retitle(self.title)
        return draft

    def names(self) -> list[Named]:
        """The indexed documents' names: file, title and authors, as the manifest keeps them
        (rag.ingest.titles); read once per index generation."""
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, tuple(self.reader.sources()))
        if self._names is None or self._names[0] != key:
            records = self.reader.manifest.files()
            self._names = (key, [Named(s, records[s].title if s in records else None,
                                       tuple(records[s].authors) if s in records else ())
                                 for s in key[2]])
        return self._names[1]

    def prominent(self, word: str) -> list[str]:
        """The file a word is prominent in: the one holding at least 70% of the (up to 60)
        passages a keyword search for it finds, and 5 or more ("Raft" in the paper that
        presents it); else none. Remembered per index generation."""
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, fold(word))
        if key not in self._prominent_in:
            hits = kw.hits(word, 60)
            counts: dict[str, int] = {}
            for _, source, _ in hits:
                counts[source] = counts.get(source, 0) + 1
            top = max(counts, key=counts.get) if counts else None
            self._prominent_in[key] = [top] if top and counts[top] >= max(5, 0.7 * len(hits)) \
                else []
        return self._prominent_in[key]

    def common(self, word: str) -> bool:
        """Whether a word is written in COMMON_SHARE or more of the indexed files, and in
        COMMON_FILES or more: the collection's own subject ("Prometheus" in a folder of
        Prometheus pages), which names none of them. Remembered per index generation."""
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, fold(word))
        if key not in self._common:
            stems, files = tokenize(word), sorted(self.reader.sources())
            need = max(COMMON_FILES, math.ceil(COMMON_SHARE * len(files)))
            found = 0
            for i, source in enumerate(files if stems else []):
                found += kw.holds(stems[0], source)
                if found >= need or found + len(files) - i - 1 < need:  # decided either way
                    break
            self._common[key] = found >= need
        return self._common[key]

    def about(self, topic: str, files: list[str]) -> list[str]:
        """The files that deal with a topic, most first: those holding at least
        ABOUT_SHARE of the passages the best file holds among the (up to 100) a keyword
        search for it finds."""
        _, kw = self.reader.current()
        scoped = None if set(files) >= set(self.reader.sources()) else files
        counts: dict[str, int] = {}
        for _, source, _ in kw.hits(topic, 100, scoped):
            counts[source] = counts.get(source, 0) + 1
        most = max(counts.values(), default=0)
        return [s for s, n in sorted(counts.items(), key=lambda kv: -kv[1])
                if n >= ABOUT_SHARE * most]

    def title(self, source: str) -> str:
        """What an indexed file is called: its title (rag.ingest.titles), else a readable
        form of its name; remembered per index generation."""
        collection, kw = self.reader.current()
        key = (collection, kw.n_docs, source)
        if key not in self._titles:
            chunks = self.reader.chunks_of(source)
            found = chunks[0].metadata.get("title") if chunks else None
            self._titles[key] = " ".join(found.split()) if found else from_file_name(source)
        return self._titles[key]

    def _overview_draft(self, question: str, intent: Overview, files: list[str],
                        k: int) -> Draft:
        _, kw = self.reader.current()
        return overview_draft(files, self.reader.chunks_of, self.document_vectors,
                              idf_of(kw.doc_freq, kw.n_docs), intent.part,
                              asked_count(question))

    def _topic_draft(self, question: str, intent: TopicSummary, files: list[str],
                     k: int) -> Draft:
        topic = self._spelled(intent.topic, files)
        return topic_draft(topic, *self._search(topic, files, 2 * k), files,
                           vouched=intent.vouched)

    def _explanation_draft(self, question: str, intent: Explanation, files: list[str],
                           k: int) -> Draft:
        whole = subject_of(intent.topic, self.names())
        if whole in files:  # "How does GFS work?": what the whole GFS paper explains
            _, kw = self.reader.current()
            return overview_draft([whole], self.reader.chunks_of, self.document_vectors,
                                  idf_of(kw.doc_freq, kw.n_docs))
        ranked, passages, confidence = self._search(question, files, 2 * k)
        return explanation_draft(intent.topic, ranked, passages, confidence, files,
                                 self._following)

    def _following(self, chunk: Document) -> Document | None:
        """The chunk after this one in its file's reading order, if any."""
        chunks = self.reader.chunks_of(chunk.metadata["source"])
        at = next((i for i, c in enumerate(chunks) if c.id == chunk.id), None)
        return chunks[at + 1] if at is not None and at + 1 < len(chunks) else None

    def _comparison_draft(self, question: str, intent: Comparison, files: list[str],
                          k: int) -> Draft:
        sides = [self._spelled(s, files) for s in intent.sides]  # "NDB" as written

        def overview_of(source: str) -> list[tuple[Document, tuple[int, int]]]:
            _, kw = self.reader.current()
            return overview_draft([source], self.reader.chunks_of, self.document_vectors,
                                  idf_of(kw.doc_freq, kw.n_docs), count=PER_SIDE
                                  ).groups[0].items

        return comparison_draft(sides, intent.aspect, files,
                                lambda q, f: self._search(q, f, max(k, 8))[:2], intent.by,
                                intent.documents, overview_of)

    def _roll_call_draft(self, question: str, intent: RollCall, files: list[str],
                         k: int) -> Draft:
        if intent.names == Names.ANY:  # the best sentences of a wider search, or the list
            ranked, passages, confidence = self._search(question, files, 2 * k)
            lead = next((c for c in ranked[:LEAD_IN_RANK] if leads_in(c.text)), None)
            if lead is not None:  # the document's own ("The main components are as follows:")
                return explanation_draft("", [lead, *(c for c in ranked if c is not lead)],
                                         passages, confidence, files, self._following)
            return list_draft(ranked, passages, confidence, files, question)
        if intent.names == Names.AUTHORS:  # "Who wrote the Raft paper?": its byline
            listed = {n.source: n.authors for n in self.names()}
            return authors_draft(files, lambda f: listed.get(f, ()), self.reader.chunks_of)
        if intent.names == Names.DOCUMENTS:  # "Which of these papers ...": per file
            return documents_draft(intent.topic, self.about(intent.topic, files),
                                   lambda f: self._search(intent.topic, [f], k)[:2])
        return names_draft(files, self.reader.chunks_of, intent.names,  # the people,
                           # organisations, places or dates named
                           self._spelled(intent.topic, files) if intent.topic else "",
                           asked_place_kind(question) if intent.names == Names.PLACES else
                           asked_person_kind(question) if intent.names == Names.PEOPLE
                           else None)

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
