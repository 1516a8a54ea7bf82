"""Which indexed files a question names: by file name ("Summarize notes.pdf"), by the
subject its file name holds ("the Tesla article": Nikola_Tesla.txt, "the V&A doc"), by
title, short name or author ("the GFS paper", "Lamport's paper": `refer`), and the file
names it writes that are not indexed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from rag.ingest.loaders import SUPPORTED
from rag.text import STOPWORDS, fold, words
from rag.understand.phrasings import DOC


def named_files(question: str, sources: list[str]) -> list[str]:
    """Indexed files the question names, by file name or by name without its extension."""
    q = fold(question)
    out = []
    for source in sources:
        path = PurePosixPath(source)
        names = {fold(path.name), fold(path.stem), fold(path.stem.replace("-", " ")),
                 fold(path.stem.replace("_", " "))}
        if any(len(n) >= 3 and re.search(rf"(?<![\w.-]){re.escape(n)}(?!\w)", q)
               for n in names):  # not "notes.md" inside "old-notes.md"
            out.append(source)
    return out


_DOC_NOUN = re.compile(rf"{DOC}")
# a document noun inside a name: "the Google File System", "The Paper Trail" (not "GFS paper")
_IN_A_NAME = re.compile(rf"\b[A-Z][\w-]*\s+((?=[A-Z])(?i:{DOC}))\b")
_DETERMINERS = frozenset({"the", "this", "that", "your", "my", "our"})
_ON = frozenset({"on", "about", "regarding", "concerning", "covering"})
_WORD = re.compile(r"[\w'’-]+")


def _base(word: str) -> str:
    """A word without possessive or plural ending ("tesla's": "tesla"; "engines": "engine")."""
    word = re.sub(r"['’]s?$", "", word)
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


# an abbreviation just before a document noun ("the V&A doc", "the EU law article")
_ACRONYM = re.compile(rf"\b[A-Z](?:&?[A-Z])+\b(?=(?i:(?:\s+[\w'’-]+){{0,2}}\s+{DOC})\b)")


def _runs(seq: list[str], n: int) -> list[list[str]]:
    """Every run of n consecutive items of seq."""
    return [seq[i:i + n] for i in range(len(seq) - n + 1)]


def by_subject(question: str, sources: list[str]) -> tuple[str, list[str]]:
    """Documents a question refers to by their subject, as the file names write it: "the
    Tesla article" (Nikola_Tesla.txt), "the document on the Yuan dynasty", "the china
    digital economy piece". Returns the folded question with each such reference written
    "the document", and the files whose names hold every word of the subject (a subject
    no file name holds, "the article on Ma", is left as it is).

    Args:
        sources: the indexed file names.
    """
    q = fold(question)
    tokens = list(_WORD.finditer(q))
    if not any(_DOC_NOUN.fullmatch(tok.group()) for tok in tokens):
        return q, []  # no "article", "document", ...: nothing to look up
    stems = {src: [w for w in re.split(r"[\W_]+", fold(PurePosixPath(src).stem)) if w]
             for src in sources}
    for m in _ACRONYM.finditer(question):  # "the V&A doc": the words of a file name it
        letters = re.sub(r"[^a-z]", "", m.group().lower())  # abbreviates
        spelled = {" ".join(run) for ws in stems.values()
                   for run in _runs([w for w in ws if w not in STOPWORDS], len(letters))
                   if "".join(w[0] for w in run) == letters}
        if len(spelled) == 1:
            q = re.sub(rf"\b{re.escape(fold(m.group()))}\b", spelled.pop(), q, count=1)
    tokens = list(_WORD.finditer(q))
    named = {src: {_base(w) for w in ws} for src, ws in stems.items()}
    inside = {m.start(1) for m in _IN_A_NAME.finditer(question)} \
        if len(q) == len(question) else set()  # "the Google File System": no document noun
    cuts, files = [], []

    def subject(order: list[int], gaps: int = 0) -> tuple[list[int], set[str]]:
        """The words, in that order, the file names hold (up to `gaps` other words between
        two of them: "China's digital and cyber governance")."""
        took, fits, skipped = [], set(sources), []
        for j in order:
            w = _base(tokens[j].group())
            if w in _DETERMINERS:
                break
            if not any(w in named[f] for f in fits):
                if not took or len([x for x in skipped if x not in STOPWORDS]) >= gaps:
                    break
                skipped.append(w)
                continue
            took += [j]
            skipped = []
            fits = {f for f in fits if w in named[f]}
        return ([j for j in range(min(took), max(took) + 1)] if took else []), fits

    for i, tok in enumerate(tokens):
        if not _DOC_NOUN.fullmatch(tok.group()) or tok.start() in inside:
            continue
        took, fits = subject(list(range(i - 1, -1, -1)))  # "the Tesla article"
        if took and re.search(r"['’]s?$", tokens[i - 1].group()):
            continue  # "the Yuan dynasty's paper money": the dynasty's, not about it
        if took:
            j = min(took)
            start = tokens[j - 1].start() if j and tokens[j - 1].group() in _DETERMINERS \
                else tokens[j].start()
            end = tok.end()
        else:  # "the document on the Yuan dynasty"
            k = i + 1
            if k >= len(tokens) or tokens[k].group() not in _ON:
                continue
            k += 1 + (k + 1 < len(tokens) and tokens[k + 1].group() == "the")
            took, fits = subject(list(range(k, len(tokens))), gaps=1)
            if not took:
                continue
            start = tokens[i - 1].start() if i and tokens[i - 1].group() in _DETERMINERS \
                else tok.start()
            end = tokens[max(took)].end()
        if any(set(words(tokens[j].group())) - STOPWORDS for j in took):
            cuts.append((start, end))
            files += sorted(fits - set(files))
    for start, end in reversed(cuts):
        q = q[:start] + "the document" + q[end:]
    return q, files


FILE_NAME = re.compile(r"(?<![\w/.-])\w[\w.-]*(?:" + "|".join(map(re.escape, SUPPORTED))
                        + r")(?![\w.-])", re.I)


def unknown_files(question: str, sources: list[str]) -> list[str]:
    """File names the question writes out ("Summarize notes.pdf") that no indexed file has."""
    have = {fold(PurePosixPath(s).name) for s in sources}
    return [n for n in dict.fromkeys(FILE_NAME.findall(question)) if fold(n) not in have]



# -- documents by their names: title, short name, author -------------------------------------

@dataclass(frozen=True)
class Named:
    """How an indexed document can be called: its file, its title and its authors (as the
    index recorded them: rag.ingest.titles)."""

    source: str
    title: str | None = None
    authors: tuple[str, ...] = ()

    @property
    def head(self) -> str | None:
        """The title's short name, before a colon ("Dynamo" of "Dynamo: Amazon's ...")."""
        if self.title and ":" in self.title:
            head = self.title.split(":", 1)[0].strip()
            return head if 1 <= len(head.split()) <= 4 else None
        return None

    @cached_property
    def surnames(self) -> list[str]:
        return [fold(a.split()[-1]) for a in self.authors if a.split()]

    @cached_property
    def titles(self) -> set[str]:
        """Its title and short name as compared (`_plain_title`)."""
        return {_plain_title(t) for t in (self.title, self.head) if t}

    @cached_property
    def title_initials(self) -> set[str]:
        """The initials of its title's words ("gfs": The Google File System)."""
        out = set()
        for title in filter(None, (self.title, self.head)):
            initials = "".join(w[0] for w in _WORD.findall(fold(title)) if w not in STOPWORDS)
            if len(initials) >= 2:
                out.add(initials)
        return out

    @cached_property
    def acronyms(self) -> set[str]:
        """Initials that stand for it: of the title's words ("GFS": The Google File
        System) and of its authors' surnames ("FLP": Fischer, Lynch, Paterson)."""
        out = set(self.title_initials)
        if len(self.surnames) >= 2:
            out.add("".join(s[0] for s in self.surnames))
        return out

    @cached_property
    def vocabulary(self) -> set[str]:
        """The words a question may call it by: its title's, its file name's and its
        authors' names (folded, without plural or possessive endings)."""
        stem = PurePosixPath(self.source).stem
        found = _WORD.findall(fold(" ".join([self.title or "", re.sub(r"[\W_]+", " ", stem),
                                             *self.authors])))
        return {_base(w) for w in found} | self.acronyms


@dataclass
class Reference:
    """Documents a question names: `files` those it names unambiguously; `candidates`, for
    a name more than one file answers to ("the consensus paper"), those files; `spans`,
    where the question names them by title or as a document (to read as "the document")."""

    files: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # the ambiguous name, as written
    loose: list[str] = field(default_factory=list)  # files named only by a bare name
    # ("What does Bigtable store?": the system, perhaps not the paper)


_QUOTED = re.compile(r"[\"“‘']([^\"”’']{3,250}?)[\"”’'](?!\w)|(?<!\w)'([^']{3,250}?)'(?!\w)")
_POSSESSIVE = re.compile(r"((?:[A-Z][\w-]+\s+)?[A-Z][\w-]+(?:\s+and\s+(?:[A-Z][\w-]+\s+)?"
                         r"[A-Z][\w-]+)?)['’]s?(?!\w)")
_DETERMINER = re.compile(r"(?:^|\s)(?:the|this|that|a|an)\s+$", re.I)
_ON_SUBJECT = re.compile(r"\s+(?:on|about|regarding|concerning)\s+((?:the\s+)?[\w'’-]+(?:\s+"
                         r"(?!about\b|say|says\b)[\w'’-]+){0,4})", re.I)
# a run of capitalised words joined by a title's small words ("Impossibility of Distributed
# Consensus with One Faulty Process", "Life beyond Distributed Transactions")
_TITLE_RUN = re.compile(r"(?<![\w'])[A-Z][\w-]*(?:[:,]?\s+(?:(?:a|an|and|as|at|beyond|by|for|"
                        r"from|in|of|on|or|the|to|via|vs|with)\s+)*[A-Z][\w'’-]*)+")
_CAPITALISED = re.compile(r"(?<![\w'])[A-Z][\w-]*(?:\s+(?:(?:of|the|for|and|to|in|on|a|an)\s+)*"
                          r"[A-Z][\w-]*)*")


def subject_of(topic: str, docs: list[Named]) -> str | None:
    """The one document whose title, short name or title initials a topic is ("GFS", "the
    Google File System", "Dynamo"): what that whole document is about; else None."""
    plain = _plain_title(topic)
    found = [d.source for d in docs if plain and (plain in d.titles or plain in
                                                   d.title_initials)]
    return found[0] if len(found) == 1 else None


def _plain_title(text: str) -> str:
    """A title as compared: folded words, without a leading article."""
    return re.sub(r"^(?:the|a|an) ", "", " ".join(_WORD.findall(fold(text))))


def _content(text: str, common: Callable[[str], bool] | None = None) -> list[str]:
    """Its words that may name a document (not the collection's `common` ones), as compared."""
    return [_base(w) for w in _WORD.findall(fold(text))
            if w not in STOPWORDS and not _DOC_NOUN.fullmatch(w) and not (common and common(w))]


def _matches(text: str, docs: list[Named], prominent: Callable[[str], list[str]] | None,
             common: Callable[[str], bool] | None = None) -> list[Named]:
    """The documents a name fits: its title (or short name) exactly; else every content
    word of it among the document's names (title, file name, authors, initials); else,
    with `prominent`, its other words each prominent in that document alone ("Raft").
    Words `common` to the whole collection pick out no document ("the Prometheus text
    format" in a folder of Prometheus pages): a name of only such words fits none."""
    said = _plain_title(text)
    exact = [d for d in docs if said and said in d.titles]
    if exact:
        return exact
    wanted = _content(text)
    if not _content(text, common):
        return []
    fits = [d for d in docs if all(w in d.vocabulary for w in wanted)]
    if fits or prominent is None:
        return fits
    out = []
    for d in docs:
        missing = [w for w in wanted if w not in d.vocabulary]
        if len(missing) < len(wanted) or len(wanted) == 1:  # part of the name is its own
            if all(prominent(w) == [d.source] for w in missing):
                out.append(d)
    return out


def refer(question: str, docs: list[Named],
          prominent: Callable[[str], list[str]] | None = None,
          common: Callable[[str], bool] | None = None) -> Reference:
    """The documents a question names by title, short name or author: "Summarize 'Out of
    the Tar Pit'", "the GFS paper", "the Raft paper" (with `prominent`: the one document a
    word is prominent in), "Lamport's paper", "Compare Dynamo and Spanner".

    Args:
        docs: the indexed documents' names.
        prominent: the files a word is prominent in (mostly written in one file), or None.
        common: whether a word is written in most of the collection's files, or None.
    """
    found: list[tuple[int, int, list[Named], bool]] = []  # (start, end, docs, as a document)
    inside = {m.start(1) for m in _IN_A_NAME.finditer(question)}
    for m in _QUOTED.finditer(question):  # a title, quoted
        inner = m.group(1) or m.group(2)
        fits = _matches(inner, docs, None)
        if fits:
            found.append((m.start(), m.end(), fits, True))
    for m in re.finditer(rf"(?<![\w-])(?:{DOC})(?![\w-])", question, re.I):  # "the X paper"
        if m.start() in inside:
            continue  # "the Google File System": a name, not a file
        before = question[:m.start()]
        words_before = [w for w in re.finditer(r"[\w'’.-]+", before) if w.start() > 0][-6:]
        for w in words_before:  # the longest run that names a document
            start = w.start()
            text = question[start:m.start()]
            if re.search(r"[,;:?!]", text) or not _content(text):
                continue
            det = _DETERMINER.search(before[:start])
            if det or text[:1].isupper() or re.search(r"['’]s\s+$", before[:start]):
                fits = _matches(text, docs, prominent, common)
                if fits:
                    found.append((det.start() + (det.group()[:1].isspace()) if det else start,
                                  m.end(), fits, True))
                    break
        after = _ON_SUBJECT.match(question, m.end())  # "the paper on distributed consensus"
        if after:
            said = after.group(1).split()
            for n in range(len(said), 0, -1):
                fits = _matches(" ".join(said[:n]), docs, None)
                if fits:
                    det = _DETERMINER.search(before)
                    start = det.start() + (det.group()[:1].isspace()) if det else m.start()
                    end = after.start(1) + len(" ".join(said[:n]))
                    found.append((start, end, fits, True))
                    break
    for m in _POSSESSIVE.finditer(question):  # "Lamport's", "Chandy and Lamport's"
        start, said = m.start(), m.group(1)
        if start == 0 and " " in said.split(" and ")[0]:  # "Summarize Ousterhout's": not a name
            first = said.split()[0]
            start, said = start + len(first) + 1, said[len(first) + 1:]
        people = [p for p in re.split(r"\s+and\s+", said)]
        fits = [d for d in docs if all(fold(p.split()[-1]) in d.surnames for p in people)]
        if fits:
            found.append((start, m.end(), fits, True))
    for m in _CAPITALISED.finditer(question):  # "Compare Dynamo and Spanner": by name alone
        for part in re.split(r"\s+and\s+", m.group()):
            start = m.start() + m.group().find(part)
            said = _plain_title(part)
            fits = [d for d in docs if said in d.titles or said in d.acronyms]
            if len(fits) == 1:  # (a short name alone may be the system, not the paper)
                found.append((start, start + len(part), fits, False))
    for m in _TITLE_RUN.finditer(question):  # a whole title (or the part before its colon),
        said = _plain_title(m.group())        # unquoted, of two words or more: the document
        fits = [d for d in docs if said in d.titles]
        if len(fits) == 1 and " " in said:  # ("The Bigtable": a short name, as above)
            found.append((m.start(), m.end(), fits, True))
    found.sort(key=lambda f: (f[0], -f[1]))
    ref = Reference()
    merged: list[tuple[int, int, list[Named], bool]] = []
    for start, end, fits, as_doc in found:  # "Einstein's 'On the Electrodynamics ...'": one
        if merged and start <= merged[-1][1] + 1 and (common := [
                d for d in merged[-1][2] if d in fits]):
            s, e, _, a = merged[-1]
            merged[-1] = (s, max(e, end), common, a or as_doc)
        elif not merged or start >= merged[-1][1]:
            merged.append((start, end, fits, as_doc))
    for start, end, fits, as_doc in merged:
        files = [d.source for d in fits]
        if len(files) == 1:
            ref.files += [f for f in files if f not in ref.files]
        elif as_doc:
            ref.candidates += [f for f in files if f not in ref.candidates]
            ref.said.append(question[start:end].strip())
        if as_doc and len(files) == 1:
            ref.spans.append((start, end))
    named_as_document = {f for start, end, fits, as_doc in merged if as_doc for f in
                         [d.source for d in fits]}
    ref.loose = [f for f in ref.files if f not in named_as_document]
    return ref


def the_document(question: str, spans: list[tuple[int, int]]) -> str:
    """The question with each span naming a document read as "the document"."""
    for start, end in sorted(spans, reverse=True):
        question = question[:start] + "the document" + question[end:]
    return re.sub(r"\bthe the document\b", "the document", question)
