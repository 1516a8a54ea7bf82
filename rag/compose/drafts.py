"""Drafts: whole-document answers composed from the sentences rag.compose.summarize chooses, under a
heading and labels, each sentence cited, before verification (rag.compose.citations.verify)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from rag.compose.citations import cite
from rag.compose.evidence import Candidate
from rag.understand.names import called, dates, described_as, organisations, people, places
from rag.understand.lexicon import plural as plural_of
from rag.ingest.sentences import document_sentences
from rag.compose.summarize import (ABSTRACT_TAKES, FREE, LIST_ITEMS, LIST_RATIO, PART_LEAST,
                                   PART_MOST, PER_SIDE, abstract, about, choosable, eligible,
                                   ending, leads_in, list_items, mentions, naming, opening,
                                   overview, part_about, side, summary_length)
from rag.ingest.layout import ITEM, NOT_TEXT, REFERENCE, sentence_spans
from rag.text import dangles, name_groups, sentences, terms

PER_FILE = 2        # sentences per file in a collection-wide overview
MAX_FILES = 5       # files covered by a collection-wide overview
MAX_NAMES = 12      # people (or organisations) listed per file
_PART_NAMES = {"": ("Summary", "Overview"), "end": ("Conclusion", "Conclusions"),
               "start": ("Opening", "Openings")}  # an overview's heading, one file or several


@dataclass
class Group:
    """One part of a whole-document answer: an optional label line, its sentences (each a
    chunk and the sentence's span in it), and a note when there is nothing to say; `listed`:
    its sentences are items of a list the document makes, one per line."""

    label: str | None
    items: list[tuple[Document, tuple[int, int]]]
    note: str = ""
    listed: bool = False


@dataclass
class Draft:
    """A whole-document answer before verification: its kind, heading and groups."""

    kind: str
    heading: str
    groups: list[Group]
    files: list[str]  # the files it covers
    confidence: float | None = None  # a list's answerability (overviews have none)

    def retitle(self, title: Callable[[str], str]) -> None:
        """Name each file its heading and group labels name by its title ("Summary of The
        Google File System:", not "...of the-google-file-system.pdf:")."""
        for source in sorted(self.files, key=len, reverse=True):
            named = re.compile(rf"(?<![\w./-]){re.escape(source)}(?![\w.-])")
            labels = [g.label for g in self.groups if g.label]
            if named.search(self.heading) or any(named.search(x) for x in labels):
                name = title(source)
                self.heading = named.sub(lambda m: name, self.heading)
                for group in self.groups:
                    if group.label:
                        group.label = named.sub(lambda m: name, group.label)

    def passages(self) -> list[Document]:
        """The chunks it quotes, each once, in the order they first appear."""
        seen: dict[str, Document] = {}
        for group in self.groups:
            for chunk, _ in group.items:
                seen.setdefault(chunk.id or _chunk_key(chunk), chunk)
        return list(seen.values())

    def text(self) -> str:
        """Heading, labels, cited sentences and notes (see rag.compose.citations.cite)."""
        number = {key: n for n, key in enumerate(
            (p.id or _chunk_key(p) for p in self.passages()), 1)}
        parts: list[tuple[str, int | None]] = [(self.heading, None)] if self.heading else []
        for group in self.groups:
            if group.label:
                parts.append((group.label, None))
            bullet = "- " if self.kind == "list" or group.listed else ""
            for chunk, (s, e) in group.items:
                parts.append((bullet + _one_line(chunk.page_content[s:e]),
                              number[chunk.id or _chunk_key(chunk)]))
            if group.note:
                parts.append((f"_{group.note}_", None))
        return cite(parts)

    def sentence_passages(self) -> list[Document]:
        """Each quoted sentence as a passage of its own (offsets into the file kept), for an
        LLM to write from: short context, exact citations."""
        out = []
        for group in self.groups:
            for chunk, (s, e) in group.items:
                meta = {**chunk.metadata, "start": chunk.metadata["start"] + s,
                        "end": chunk.metadata["start"] + e}
                out.append(Document(id=chunk.id, page_content=chunk.page_content[s:e],
                                    metadata=meta))
        return out


def _one_line(sentence: str) -> str:
    """A sentence of prose wrapped over lines ("The coordinator sends the\nwrite to ..."),
    on one line: a line break would end it in the answer. Code and table rows keep theirs."""
    if sentence.lstrip().startswith(("```", "|", "    ")):
        return sentence
    return re.sub(r"[ \t]*(?<!\n)\n(?!\n)[ \t]*", " ", sentence)


def _sources(items: list[tuple[Document, tuple[int, int]]]) -> list[str]:
    """The files the items quote, each once, in order."""
    return list(dict.fromkeys(chunk.metadata["source"] for chunk, _ in items))


def _scope(files: list[str]) -> str:
    """The one file a heading speaks of, or how many files."""
    return files[0] if len(files) == 1 else f"{len(files)} files"


def _chunk_key(chunk: Document) -> str:
    return f"{chunk.metadata['source']}:{chunk.metadata.get('page')}:{chunk.metadata['start']}"


Embed = Callable[[list[str]], np.ndarray]


def _embedded(sents: list, can: list[bool], embed: Embed) -> np.ndarray:
    """The sentences' vectors, one row each: those an overview may choose (`can`:
    summarize.choosable) embedded, the others left zero (it never reads them)."""
    wanted = [s.text for s, c in zip(sents, can) if c]
    if not wanted:
        return np.zeros((len(sents), 1), dtype=np.float32)
    found = embed(wanted)
    vectors = np.zeros((len(sents), found.shape[1]), dtype=found.dtype)
    vectors[np.array(can)] = found
    return vectors


def overview_draft(files: list[str], chunks_of: Callable[[str], list[Document]],
                   embed: Embed, idf: Callable[[str], float], part: str = "",
                   count: int | None = None) -> Draft:
    """An overview of one file (3–7 sentences, or `count` when the question asks for so
    many: "in one sentence") or of several (PER_FILE each, up to MAX_FILES of them); of how
    each ends (its conclusion) with part="end", of how it opens with part="start"."""
    shown = files[:MAX_FILES]
    groups = []
    for source in shown:
        sents = document_sentences(chunks_of(source))
        if not sents:
            groups.append(Group(source if len(shown) > 1 else None, [],
                                f"No complete sentence to quote in {source}."))
            continue
        can = choosable(sents)
        vectors = _embedded(sents, can, embed)
        start = ending(sents) if part == "end" else 0
        stop = opening(sents) if part == "start" else len(sents)
        n = PER_FILE if len(shown) > 1 else count or summary_length(
            sum(eligible(s) for s in sents[start:stop]))
        free = FREE if len(shown) == 1 and not count else 0
        leaned = abstract(sents) if not part and len(shown) == 1 and (
            not count or count >= ABSTRACT_TAKES) else None
        if leaned:  # a paper: its abstract's own points, then what its body says (the rest
            own = overview(sents, vectors, ABSTRACT_TAKES, idf, *leaned, can=can)  # of a
            rest = n - len(own) if count else n  # count asked)
            chosen = own + (overview(sents, vectors, rest, idf, leaned[1], stop, free, can)
                            if rest > 0 else [])
        else:
            chosen = overview(sents, vectors, n, idf, start, stop, free, can)
        picked = [sents[i] for i in sorted(chosen)]
        groups.append(Group(f"{source}:" if len(shown) > 1 else None,
                            [(s.chunk, s.span) for s in picked]))
    if len(shown) == 1:
        heading = f"{_PART_NAMES[part][0]} of {shown[0]}:"
    else:
        more = (f" (the first {len(shown)} of {len(files)}; name a file or filter by source "
                "for the others)") if len(files) > len(shown) else ""
        heading = f"{_PART_NAMES[part][1]} of {len(shown)} files{more}:"
    return Draft("overview", heading, groups, shown)


# kind -> (what finds them, heading, one, many, their order)
ROLL_CALLS = {"people": (people, "People", "person", "people", ""),
              "organisations": (organisations, "Organisations", "organisation", "organisations",
                                ""),
              "places": (places, "Places", "place", "places", ""),
              "dates": (dates, "Dates", "date", "dates", ", earliest first")}


def names_draft(files: list[str], chunks_of: Callable[[str], list[Document]],
                kind: str = "people", topic: str = "", called_as: str | None = None) -> Draft:
    """The people, organisations, places or dates each file names (rag.understand.names), in the order
    it first names them (dates: earliest first), with that sentence cited; those first
    named in the same sentence share it. With a topic ("a timeline of Ma's career"), only
    in the sentences about it (rag.compose.summarize.about). With a kind of place or person ("Which
    provinces are mentioned?", "Which scientists ...?"), only those a file calls that
    (rag.understand.names.described_as, rag.understand.names.called), if any."""
    find, title, one, many, order = ROLL_CALLS[kind]
    shown = files[:MAX_FILES]
    groups = []
    for source in shown:
        sents = document_sentences(chunks_of(source))
        if topic:
            kept = about(topic, sents)
            named = [(name, kept[i]) for name, i in find([sents[i] for i in kept])]
        else:
            named = find(sents)
        others = []
        everyone = ROLL_CALLS[kind][3]  # "people", "places"
        if called_as:
            texts = [s.text for s in sents]
            is_so = described_as if kind == "places" else called
            so_called = [(n, i) for n, i in named if is_so(n, called_as, texts)]
            if so_called:
                others = [n for n, _ in named if (n, _) not in so_called]
                named = so_called
                title, one, many = plural_of(called_as).capitalize(), called_as, plural_of(
                    called_as)
            else:
                nobody = "no place" if kind == "places" else "no one"
                a = "an" if called_as[0] in "aeiou" else "a"
                groups.append(Group(None, [], f"{source} calls {nobody} {a} {called_as}; "
                                              f"these are all the {everyone} it names."))
        where = f" ({source})" if len(shown) > 1 else ""
        by_sentence: dict[int, list[str]] = {}
        for name, i in named[:MAX_NAMES]:
            by_sentence.setdefault(i, []).append(name)
        for i, names in by_sentence.items():
            sentence = sents[i]
            groups.append(Group(f"{', '.join(names)}{where}:", [(sentence.chunk, sentence.span)]))
        if topic and not kept:
            groups.append(Group(None, [], f"Nothing in {source} is about {topic}."))
        elif not named:
            where_named = f" in what {source} says about {topic}" if topic else f" in {source}"
            groups.append(Group(None, [], f"No {one} is named{where_named}."))
        if len(named) > MAX_NAMES:
            groups.append(Group(None, [], f"{len(named) - MAX_NAMES} more {many} are named in "
                                          f"{source}; ask about one by name."))
        if others:  # the document may not call every one of them so ("the hub of Shenzhen")
            more = f" and {len(others) - MAX_NAMES} more" if len(others) > MAX_NAMES else ""
            groups.append(Group(None, [], f"Other {everyone} {source} names, without calling "
                                          f"them {many}: {', '.join(others[:MAX_NAMES])}"
                                          f"{more}."))
    said = f"what {_scope(shown)} says about {topic}" if topic else _scope(shown)
    return Draft("list", f"{title} named in {said}{order}:", groups, shown)


Ranked = Callable[[str, list[str]], tuple[list[Candidate], list[Document]]]
Span = tuple[Document, tuple[int, int]]


def comparison_draft(subjects: list[str], aspect: str, files: list[str],
                     ranked_for: Ranked, by: str = "of",
                     documents: list[str | None] | None = None,
                     overview_of: Callable[[str], list[Span]] | None = None) -> Draft:
    """Each side's own cited sentences, retrieved separately; a side with nothing in the
    sources says so instead of sinking the whole answer.

    Args:
        ranked_for: (query, files) -> (ranked candidate sentences, the passages they index).
        by: how the question put the aspect (intent.Intent.by), for the heading.
        documents: per side, the file it names ("Compare the GFS paper and Bigtable"), or
            None: such a side is that document's best sentences on the aspect, labelled
            with the file (retitled later); without an aspect, its overview (`overview_of`:
            PER_SIDE sentences; else its best sentences on its own words).
    """
    taken: set = set()
    groups = []
    labels = []  # each side as the sources write it ("shenzhen" -> "Shenzhen")
    named_aspect = bool(name_groups(f"About {aspect}"))  # "regarding Xinjiang": a name
    documents = documents or [None] * len(subjects)
    for subject, document in zip(subjects, documents):
        if document and not aspect and overview_of is not None:  # what each paper is about
            items = overview_of(document)
            labels.append(document)
            groups.append(Group(f"{document}:", items,
                                "" if items else f"No complete sentence to quote in {document}."))
            continue
        if document:
            ranked, passages = ranked_for(aspect or subject, [document])
            found = []
            for cand in ranked:
                key = (passages[cand.passage].metadata["source"],
                       passages[cand.passage].metadata["start"] + cand.span[0])
                if key not in taken and len(found) < PER_SIDE:
                    taken.add(key)
                    found.append(cand)
            found.sort(key=lambda c: (c.passage, c.span[0]))
            labels.append(document)
            groups.append(Group(f"{document}:", [(passages[c.passage], c.span) for c in found],
                                "" if found else f"Nothing in {document} is about {aspect}."))
            continue
        others = [o for o in subjects if o != subject]
        ranked, passages = ranked_for(f"{subject} {aspect}".strip(), files)
        subject = _as_written(subject, [p.page_content for p in passages])
        found = side(subject, ranked, passages, taken, others)
        for form in ([] if found else adjectives(subject)):  # "the West": "Western norms"
            found = side(form, ranked, passages, taken, others)
            if found:
                break
        if not found:  # the sentences naming it also name a side shown above: show them again
            found = side(subject, ranked, passages, set(), others)
        labels.append(subject)
        items = [(passages[c.passage], c.span) for c in found]
        note = "" if items else f"Nothing in the sources is about {subject}."
        if items and named_aspect and not any(mentions(aspect, c.text) for c in found):
            note = (f"None of these names {aspect}: nothing in the sources connects {subject} "
                    f"with it.")
        groups.append(Group(f"{subject}:", items, note))
    scope = f" in {files[0]}" if len(files) == 1 else ""
    names = " and ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 2 else labels)
    if not aspect:
        heading = f"Comparison of {names}{scope}:"
    elif by == "of":  # "the careers of A and B"
        heading = f"Comparison of the {aspect} of {names}{scope}:"
    elif by in ("how", "what", "whether"):  # "how A and B approached X"
        heading = f"Comparison of {by} {names} {aspect}{scope}:"
    elif by.startswith("each "):  # "Tesla's dealings with A and with B"
        each = by.removeprefix("each ")
        heading = f"Comparison of {aspect} {each} " + f" and {each} ".join(labels) + f"{scope}:"
    elif by.endswith("?"):  # "Which is bigger, A or B?"
        heading = f"Comparison of {names}{scope} ({by[0].lower()}{by[1:]}):"
    else:  # "A and B regarding X"
        heading = f"Comparison of {names} {by} {aspect}{scope}:"
    return Draft("comparison", heading, groups, files)


def adjectives(subject: str) -> list[str]:
    """The words a one-word place or people name makes as an adjective ("West" ->
    "Western", "Europe" -> "European", "Japan" -> "Japanese", "China" -> "Chinese"), for a
    side the sources only ever describe that way. Forms nobody writes are harmless: a side
    keeps only sentences that name one."""
    if not re.fullmatch(r"[A-Z][a-z]{2,}", subject):
        return []
    stems = [subject, subject[:-1]] if subject[-1] in "aey" else [subject]
    return list(dict.fromkeys(stem + end for stem in stems
                              for end in ("ern", "n", "an", "ese", "ian", "ish")
                              if stem + end != subject))


def _as_written(subject: str, texts: list[str]) -> str:
    """A side as the sources write it inside a sentence: typed in lower case ("shenzhen",
    "western norms") where they capitalise it ("Shenzhen", "Western norms"), or capitalised
    only because it opens the question ("Economic benefits versus ...") where they do not;
    otherwise as typed."""
    found = _inside(subject, texts)
    if found and subject not in found:
        return Counter(found).most_common(1)[0][0]
    if found or subject != subject.lower():
        return subject
    # a phrase typed in lower case, not in the sources as such ("ma's approach to business"):
    # each word they only ever write capitalised is a name ("Ma's approach to business")
    def recased(m: re.Match) -> str:
        forms = set(_inside(m.group(), texts))
        return forms.pop() if len(forms) == 1 and not forms & {m.group()} else m.group()
    return re.sub(r"[^\W\d_]+", recased, subject)


def _inside(phrase: str, texts: list[str]) -> list[str]:
    """Each way the texts write a phrase (any case) inside a sentence, not opening one."""
    return [m.group() for text in texts for m in re.finditer(
        rf"(?<![\w'’-]){re.escape(phrase)}(?![\w-])", text, re.I)
        if not re.search(r"(?:^|[.!?]\s+|\n\s*)$", text[:m.start()])]


def topic_draft(topic: str, ranked: list[Candidate], passages: list[Document],
                confidence: float | None, files: list[str], vouched: bool = False) -> Draft:
    """What the sources say about a topic ("Summarize Ma's career"): the best sentences of a
    wider retrieval, as for a list, in document order as prose. A topic that names something
    ("Ma Xingrui") takes only sentences that name it, and is answered when there are some
    (and, `vouched`, when the search is confident: "Tell me about Tesla's childhood"); else
    its confidence is a factoid's (the caller abstains below the bar)."""
    groups = name_groups(f"About {topic}")
    if groups:  # sentences that name it, or follow one that does
        chosen = side(topic, ranked, passages, set(), [], LIST_ITEMS)
        for form in ([] if chosen else adjectives(re.sub(r"^the\s+", "", topic))):
            chosen = side(form, ranked, passages, set(), [], LIST_ITEMS)  # "Western norms"
            if chosen:
                break
        together = [c for c in side(topic, ranked, passages, set(), [], len(ranked))
                    if _names_all(c, passages, groups)][:LIST_ITEMS] if len(groups) > 1 else []
        if vouched and together:  # "Ma Xingrui's time in Guangdong": the sentences naming
            chosen, confidence = together, None  # both vouch for it
        else:
            confidence = (confidence if vouched else None) if chosen else 0.0
    else:
        chosen = list_items(ranked)
    picked = sorted(chosen, key=lambda c: (
        passages[c.passage].metadata["source"], passages[c.passage].metadata.get("page") or 0,
        passages[c.passage].metadata["start"] + c.span[0]))
    items = _lead_ins([(passages[c.passage], c.span) for c in picked])
    note = "" if items else f"No passage is about {topic}."
    quoted = _sources(items) or files
    says = f"{quoted[0]} says" if len(quoted) == 1 else f"{len(quoted)} files say"
    return Draft("overview", f"Summary of what {says} about {topic}:",
                 [Group(None, items, note)], files, confidence)


def _names_all(cand: Candidate, passages: list[Document],
               groups: list[tuple[str, ...]]) -> bool:
    """Whether a sentence names every one of the names (a pronoun in it may stand for one
    the sentence before names: "In Guangdong, his influence ..." after "Ma's ...")."""
    text = cand.text
    if re.search(r"\b(?:he|his|him|she|her|they|their|them)\b", text, re.I):
        text = passages[cand.passage].page_content[max(0, cand.span[0] - 300):cand.span[1]]
    return all(mentions(" ".join(w.capitalize() for w in group), text) for group in groups)


def _lead_ins(items: list[tuple[Document, tuple[int, int]]]
              ) -> list[tuple[Document, tuple[int, int]]]:
    """The items, each that opens by leaning on the sentence before it ("This is clearly
    seen, for example, with ... ChatGPT") preceded by that sentence, when its passage holds
    it and it is not an item already: a summary should not quote "This" without its "this"."""
    def where(chunk: Document, span: tuple[int, int]) -> tuple:
        meta = chunk.metadata
        return meta.get("source"), meta.get("page") or 0, meta.get("start", 0) + span[0]

    quoted = {where(*item) for item in items}
    out: list[tuple[Document, tuple[int, int]]] = []
    for chunk, span in items:
        text = chunk.page_content
        before = sentences(text[:span[0]])
        if dangles(text[span[0]:span[1]]) and before and where(chunk, before[-1]) not in quoted:
            out.append((chunk, before[-1]))
            quoted.add(where(chunk, before[-1]))
        out.append((chunk, span))
    return out


def authors_draft(files: list[str], authors: Callable[[str], tuple[str, ...]],
                  chunks_of: Callable[[str], list[Document]]) -> Draft:
    """"Who wrote it?": per file (up to MAX_FILES), its byline quoted from its first
    chunks: from the first author the index recorded (rag.ingest.titles) to the last, as
    the page writes them. A file without recorded authors says so; when none has any, the
    draft's confidence is 0 (the caller answers it as a fact)."""
    groups = []
    for source in files[:MAX_FILES]:
        found = None
        for chunk in chunks_of(source)[:5] if authors(source) else []:
            spans = [m.span() for name in authors(source) if (m := re.search(
                r"\s+".join(map(re.escape, name.split())), chunk.page_content, re.I))]
            if spans:
                found = (chunk, (min(s for s, _ in spans), max(e for _, e in spans)))
                break
        groups.append(Group(f"{source}:" if len(files) > 1 else None, [found] if found else [],
                            "" if found else f"No authors are listed at the start of {source}."))
    heading = f"Authors of {files[0]}:" if len(files) == 1 else \
        f"Authors of {min(len(files), MAX_FILES)} files:"
    return Draft("list", heading, groups, files[:MAX_FILES],
                 None if any(g.items for g in groups) else 0.0)


def documents_draft(topic: str, files: list[str],
                    ranked_in: Callable[[str], tuple[list[Candidate], list[Document]]]
                    ) -> Draft:
    """"Which of these papers deal with X?": the files that deal with X (most first, up to
    MAX_FILES; rag.compose.answer.Pipeline.about), each labelled with the file (retitled
    later) and its best 2 sentences on X in reading order.

    Args:
        ranked_in: file -> (its ranked candidate sentences on X, the passages they index).
    """
    groups = []
    for source in files[:MAX_FILES]:
        ranked, passages = ranked_in(source)
        found = sorted(ranked[:2], key=lambda c: (c.passage, c.span[0]))
        groups.append(Group(f"{source}:", [(passages[c.passage], c.span) for c in found],
                            "" if found else f"Nothing in {source} is about {topic}."))
    more = f" (the first {MAX_FILES} of {len(files)})" if len(files) > MAX_FILES else ""
    note = "" if groups else f"No document deals with {topic}."
    return Draft("list", f"Documents on {topic}{more}:", groups or [Group(None, [], note)],
                 files[:MAX_FILES])


def list_draft(ranked: list[Candidate], passages: list[Document], confidence: float,
               files: list[str], question: str = "") -> Draft:
    """The best sentences of a wider retrieval, one item per line, each cited; when the
    question names something ("Which initiatives did Yuan champion?"), only sentences that
    name it or lean on one that does. A list asks for facts: its confidence is a factoid's
    (the caller abstains below the bar)."""
    names = [" ".join(w.capitalize() for w in group) for group in name_groups(question)]
    if names:  # the question's own first word is not a name ("List", "Name", "Which")
        named = {id(c) for name in names for c in naming(name, ranked, passages)}
        ranked = [c for c in ranked if id(c) in named]
    items = [(passages[c.passage], c.span) for c in list_items(ranked)]
    note = "" if items else "No passage lists what the question asks."
    return Draft("list", f"List from {_scope(_sources(items))}:", [Group(None, items, note)],
                 files, confidence)



EXPLAINED = 0.6  # the confidence in a part that holds every term of what is explained


def explanation_draft(topic: str, ranked: list[Candidate], passages: list[Document],
                      confidence: float | None, files: list[str],
                      following: Callable[[Document], Document | None]) -> Draft:
    """The part of a document about a thing ("How does hinted handoff work?"): the best
    sentence of a search and those after it (summarize.part_about), PART_LEAST to PART_MOST,
    read on into the passage that `following` gives when the passage ends first or the part
    holds a lead-in ("... are as follows:"); the items of a list the document makes stay one per
    line. Its confidence is the search's, raised to EXPLAINED when the part holds every
    term of the topic ("What does a tablet hold?" asks about no fact a sentence states: the
    part about tablets answers it); below the bar the caller answers it as a fact."""
    part = [(passages[c.passage], c.span) for c in part_about(ranked)]
    if part and len(part) < PART_MOST and (len(part) < PART_LEAST or
                                           any(_leads_in(item) for item in part)):
        part += _read_on(part[-1], following, PART_MOST - len(part))
    groups: list[Group] = []
    for chunk, span in part:  # consecutive list items form a group of their own
        listed = _kind_of(chunk, span) == ITEM
        if not groups or groups[-1].listed != listed:
            groups.append(Group(None, [], listed=listed))
        groups[-1].items.append((chunk, span))
    if not groups:
        groups = [Group(None, [], f"No passage is about {topic}.")]
    wanted = set(terms(topic))
    if part and wanted and wanted <= set(terms(" ".join(c.page_content[a:b]
                                                        for c, (a, b) in part))):
        confidence = max(confidence or 0.0, EXPLAINED)
    quoted = _sources(part) or files
    return Draft("explanation", f"From {_scope(quoted)}:", groups, files, confidence)


def _kind_of(chunk: Document, span: tuple[int, int]) -> str | None:
    return next((k for s, e, k in sentence_spans(chunk) if s <= span[0] < e), None)


def _leads_in(item: Span) -> bool:
    chunk, (s, e) = item
    return leads_in(chunk.page_content[s:e])


def _read_on(last: Span, following: Callable[[Document], Document | None],
             wanted: int) -> list[Span]:
    """Up to `wanted` sentences of the text after `last`, from the passage that follows its
    own (neighbouring passages of a page overlap: what was quoted already is skipped); none
    past a heading or into the references."""
    chunk, (_, end) = last
    after = following(chunk)
    if after is None or wanted <= 0:
        return []
    same_page = after.metadata.get("page") == chunk.metadata.get("page")
    done = chunk.metadata["start"] + end if same_page else 0  # where the quote ends
    out: list[Span] = []
    for s, e, k in sentence_spans(after):
        if after.metadata["start"] + s < done:
            continue
        if k in NOT_TEXT or k == REFERENCE or len(out) >= wanted:
            break
        out.append((after, (s, e)))
    return out
