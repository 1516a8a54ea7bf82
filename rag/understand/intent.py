"""Intent: what kind of answer a question wants (a fact, an overview of whole documents, a
comparison, a list) and which files it is about, from its wording and the indexed names."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

from rag.ingest.loaders import SUPPORTED
from rag.understand.phrasings import (ASPECT, BRIEF, BROAD_ASPECT, CHATTY, CLOSING_PART, COMPARE,
                           COMPARE_TAIL, COUNT, DATES, DESCRIBE, DOC, DOC_ON, DOC_ON_SUBJECT, END,
                           ENDING, EXPLAIN, IN_TERMS, LEAD_IN, LIST, METADATA, NOT_A_TOPIC,
                           NUMBERS, OPENING, OPENING_PART, ORGANISATIONS, OVERVIEW, OWNED, PART_ON,
                           PEOPLE, PLACES, ROLE_IN, SAYS_ABOUT, SCOPE, SECTION_NAMED, SUMMARY_OF,
                           THE_DOCUMENT, THIS, TIMELINE_OF)
from rag.text import (NAME_JOINERS, STOPWORDS, fold, name_groups, terms, words,
                      written_as_name)

MODEL_PATH = Path(__file__).with_name("intent_model.json")  # training/train_intent.py


@dataclass
class Intent:
    """kind: "overview" | "comparison" | "list" | "factoid"; subjects: what is compared;
    aspect: what about them ("careers"); by: how the question puts the aspect ("of": "the
    careers of A and B", "on": "A and B on X", "how": "how A and B approached X", or the
    question it asks: "which is bigger?");
    files: the files the question names; part: "end" or "start" for an overview of the
    conclusion or the opening, "people", "organisations", "places" or "dates" for a list
    of those the documents name."""

    kind: str
    subjects: list[str] = field(default_factory=list)
    aspect: str = ""
    by: str = "of"
    files: list[str] = field(default_factory=list)
    part: str = ""  # "end"/"start": how it ends/opens; "people", "organisations", "places",
    # "dates": what it names
    topic: str = ""  # an overview of what the sources say about this ("Ma's career")
    vouched: bool = False  # the topic's summary only if a search for it is confident (else
    # the question is answered as a fact: "Tell me about the NDB's budget")


_IN_THE_DOCUMENT = re.compile(r"\s+(?:(?:that |as )?(?:is |are )?(?:described|mentioned|"
                              r"discussed|covered|explained|presented)(?: in the document)?|"
                              r"in the document)$")


def _clean(phrase: str) -> str:
    """A side or aspect without its article, end punctuation and where it is written
    ("the steam turbines described in the document": "steam turbines")."""
    phrase = re.sub(r"^(?:the|a|an)\s+|[\s?.!,;:]+$", "", phrase.strip()).strip()
    return _IN_THE_DOCUMENT.sub("", phrase)


def named_files(question: str, sources: list[str]) -> list[str]:
    """Indexed files the question names, by file name or by name without its extension."""
    q = fold(question)
    out = []
    for source in sources:
        path = PurePosixPath(source)
        names = {fold(path.name), fold(path.stem), fold(path.stem.replace("-", " ")),
                 fold(path.stem.replace("_", " "))}
        if any(len(n) >= 3 and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", q) for n in names):
            out.append(source)
    return out


_DOC_NOUN = re.compile(rf"{DOC}")
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
        if not _DOC_NOUN.fullmatch(tok.group()):
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


_FILE_NAME = re.compile(r"(?<![\w/.-])\w[\w.-]*(?:" + "|".join(map(re.escape, SUPPORTED))
                        + r")(?![\w.-])", re.I)


def unknown_files(question: str, sources: list[str]) -> list[str]:
    """File names the question writes out ("Summarize notes.pdf") that no indexed file has."""
    have = {fold(PurePosixPath(s).name) for s in sources}
    return [n for n in dict.fromkeys(_FILE_NAME.findall(question)) if fold(n) not in have]


@lru_cache(maxsize=1)
def _overview_model() -> tuple[np.ndarray, float, float]:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return np.array(data["coef"], dtype=float), float(data["intercept"]), float(data["threshold"])


def overview_probability(vector: np.ndarray) -> float:
    """P(the question asks for an overview), from its normalised MiniLM vector."""
    coef, intercept, _ = _overview_model()
    return 1.0 / (1.0 + math.exp(-(float(vector @ coef) + intercept)))


def detect(question: str, sources: list[str] | None = None,
           embed: Callable[[list[str]], np.ndarray] | None = None) -> Intent:
    """The intent of a question, given the indexed file names (to spot one it names).

    Args:
        embed: normalised vectors of texts. With it, a question the patterns leave as a
            factoid or a list is an overview if the learned classifier is confident of it
            (intent_model.json; "Boil it down for me"), unless it asks about the document
            as a thing (its title, author, date or length: phrasings.METADATA).
    """
    intent = by_patterns(question, sources)
    if embed is not None and intent.kind in ("factoid", "list") and not intent.part and \
            not METADATA.search(fold(question)) and \
            overview_probability(embed([question])[0]) >= _overview_model()[2]:
        return Intent("overview", files=intent.files)
    return intent


# After comparisons and topic summaries, the first of these whose patterns match decides.
_KINDS = [(ENDING, "overview", "end"), (OPENING, "overview", "start"),
          (OVERVIEW, "overview", ""), (PEOPLE, "list", "people"),
          (ORGANISATIONS, "list", "organisations"), (PLACES, "list", "places"),
          (DATES, "list", "dates"), (LIST, "list", "")]


def by_patterns(question: str, sources: list[str] | None = None) -> Intent:
    """The intent the patterns alone give (see `detect`)."""
    q, by_name = by_subject(question, sources or [])  # "the Tesla article": the document
    named = named_files(question, sources or [])
    files = list(dict.fromkeys([*named, *by_name]))
    q = re.sub(r"\bu\b", "you", CHATTY.sub("", q.strip()))  # "hey can u list ...": "can you"
    unknown = None if by_name else DOC_ON_SUBJECT.search(q)
    if unknown:  # "what does the document on NASA's moon program cover?": what it says of
        whole = by_patterns(q[:unknown.start()] + "the document" + q[unknown.end():], sources)
        if whole.kind == "overview" and not whole.topic and not whole.part:
            about = _topic_summary(question, unknown.group("subject"), files)
            if about:
                return about
    asked = SCOPE.sub("", LEAD_IN.sub("", COMPARE_TAIL.sub("", q)))  # "side by side, ... in
    # the article?", "Which began first, A or B? Compare the dates."
    # a side may be in another file than the one the words name ("Tesla's turbine with the
    # turbines in the steam engine article"): only file names written out scope a comparison
    written = [f for f in named if fold(PurePosixPath(f).name) in fold(question)]
    for pattern in COMPARE:
        m = pattern.search(asked)
        if m and "yes_no" in m.groupdict() and not any(
                name_groups(f"About {_original(question, m.group(side))}") for side in "ab"):
            continue  # "Are prices different from last year?" asks a fact
        compared = _comparison(question, m, written) if m else None
        if compared:
            return compared
    q = _FILE_NAME.sub("the document", q)  # "what is notes.pdf about?" asks about a document
    summary_of = SUMMARY_OF.search(q)
    if summary_of:
        topic = PART_ON.sub("", SAYS_ABOUT.sub("", SCOPE.sub("", summary_of.group("topic"))))
        for part, words in (("end", CLOSING_PART), ("start", OPENING_PART)):
            if words.match(topic):  # "summarize the conclusion": a part of the document
                return Intent("overview", files=files, part=part)
        if (set(terms(topic)) - NOT_A_TOPIC
                and not re.fullmatch(BRIEF + END, f" {topic}")  # "in 5 bullet points"
                and not THE_DOCUMENT.match(topic)):  # "the document for my boss"
            topic = re.sub(r"[\s?.!,;:]+$", "", topic.strip())
            return Intent("overview", files=files, topic=_original(question, topic))
    on = DOC_ON.search(q) or ROLE_IN.search(q)
    about = _topic_summary(question, on.group("topic"), files,
                           bool(on.groupdict().get("view"))) if on else None
    if about:
        return about
    for patterns, kind, part in _KINDS:
        if any(p.search(q) for p in patterns):
            return Intent(kind, files=files, part=part)
    section = SECTION_NAMED.search(q)
    if section and set(terms(section.group("topic"))) - NOT_A_TOPIC:
        whole = section.group()[section.start("topic") - section.start():]
        for part, words in (("end", CLOSING_PART), ("start", OPENING_PART)):
            if words.match(whole):  # "explain the first section": the opening
                return Intent("overview", files=files, part=part)
        return Intent("overview", files=files, topic=_original(question, section.group("topic")))
    explained = EXPLAIN.search(q)
    if explained and PART_ON.match(explained.group("topic")):
        topic = re.sub(r"[\s?.!,;:]+$", "", PART_ON.sub("", explained.group("topic")).strip())
        if set(terms(topic)) - NOT_A_TOPIC:
            return Intent("overview", files=files, topic=_original(question, topic))
    described = DESCRIBE.search(q)
    about = _topic_summary(question, described.group("topic"), files) if described else None
    if about:
        return about
    timeline = TIMELINE_OF.search(q)  # not "a timeline of the events in the article" (DATES)
    if timeline and set(terms(timeline.group("topic"))) - NOT_A_TOPIC:
        return Intent("list", files=files, part="dates",
                      topic=_original(question, re.sub(r"[\s?.!,;:]+$", "",
                                                        timeline.group("topic").strip())))
    return Intent("factoid", files=files)


def _topic_summary(question: str, topic: str, files: list[str],
                   view: bool = False) -> Intent | None:
    """What the document says about a topic a pattern found (DOC_ON, ROLE_IN, DESCRIBE,
    DOC_ON_SUBJECT), or None when the "topic" is the document itself or a part of it.
    `view`: the document's view on it was asked ("its take on ...")."""
    topic = re.sub(r"[\s?.!,;:]+$", "", PART_ON.sub("", SCOPE.sub("", topic)).strip())
    if not set(terms(topic)) - NOT_A_TOPIC or THE_DOCUMENT.match(topic) or \
            _DOC_PART.match(topic) or _OF_THE_DOCUMENT.match(topic):
        return None
    written = _original(question, topic)
    broad = BROAD_ASPECT.match(written)
    # the document's view on something is a summary of it, "its take on ChatGPT regulation"
    # too, and so is the career or role of a name; a fact about a name's own thing ("the
    # NDB's budget", "Tesla's childhood") is one only if a search for it vouches (else a fact)
    vouched = not (_bare(written) or (view and not _OWNED.search(topic)) or (
        broad and _bare(broad.group("who") or broad.group("of"))))
    return Intent("overview", files=files, topic=written, vouched=vouched)


# the document, or what it holds, said another way: "the report like I'm five", "the
# contents of the file", "the gist of the paper", "the main points in simple terms"
_OF_THE_DOCUMENT = re.compile(rf"^(?:(?:the |its )?[\w'’-]+ of )?{THIS} {DOC}\b|^(?:the |its )?"
                              r"(?:contents?|gist|substance|essence|main|key|major|central|"
                              r"core|overall)\b")
_DOC_PART = re.compile(r"^(?:the |its )?(?:intro|introduction|opening|beginning|start|conclusion|"
                       r"ending|end)\b")


_OWNED = re.compile(r"\w['’]s?\b")


def _bare(topic: str) -> bool:
    """A topic that is a name alone ("Yuan", "the National Data Bureau") or holds none ("data
    governance"): what the sources say about it is a summary. "Guangdong's GDP" or "the NDB's
    budget" asks a fact about a name: the factoid path (it can abstain)."""
    plain = re.sub(r"^(?:the|a|an)\s+", "", topic.strip(), flags=re.I)
    return "'" not in plain and "’" not in plain and (
        written_as_name(plain) or not name_groups(f"About {plain}"))


def _comparison_as(question: str, a: str, b: str, role: str, files: list[str]) -> Intent | None:
    """A comparison of two sides in a role ("Temür Khan vs Buyantu Khan as emperors")."""
    sides = [_original(question, a), _original(question, b)]
    if fold(sides[0]) == fold(sides[1]):
        return None
    return Intent("comparison", subjects=sides, aspect=_original(question, role), by="as",
                  files=files)


def _comparison(question: str, m: re.Match, files: list[str]) -> Intent | None:
    """The sides, aspect and wording of a comparison pattern's match (None if the sides
    are not distinct): the aspect may come before the sides ("the careers of A and B"),
    after them ("A and B regarding X"), inside a possessive ("A's and B's careers", "A's
    approach ... B's") or after the last side's name ("the A and B roles")."""
    a, b = _clean(m.group("a")), _clean(m.group("b"))
    aspect = _clean(m.groupdict().get("aspect") or m.groupdict().get("short") or "")
    if m.groupdict().get("each"):  # "Tesla's dealings with A and with B"
        if fold(a) == fold(b):
            return None
        return Intent("comparison", [_original(question, a), _original(question, b)],
                      _original(question, m.group("aspect")), f"each {m.group('each')}", files)
    if not aspect and m.groupdict().get("role"):  # "A vs B as emperors"
        return _comparison_as(question, a, b, _clean(m.group("role")), files)
    after = bool(aspect and m.groupdict().get("by"))  # "how do A and B differ in X"
    if after:
        by = m.group("by")
    elif aspect and m.groupdict().get("ask"):  # "Which is bigger, A or B?"
        by = _original(question, m.group("ask")) + "?"
    else:
        by = "of"
    terms_of = None if aspect else IN_TERMS.match(b)
    if terms_of:
        b = _clean(terms_of.group("who") or terms_of.group("name"))
        aspect = _clean(terms_of.group("aspect") or terms_of.group("topic"))
        by = terms_of.group("by") or terms_of.group("on")
    found = ASPECT.match(a)
    if found and (not aspect or terms_of or after):  # "the views of A and B on X"
        a = _clean(found.group("who"))
        aspect = " ".join(x for x in (found.group("aspect").strip(), aspect and by, aspect)
                          if x)
        by = "of"
    owned = OWNED.match(b)
    if not aspect and a.endswith(("'s", "s'")) and owned:  # "A's and B's careers"
        a, b, aspect = a.removesuffix("'s").removesuffix("'"), owned.group("who"), \
            owned.group("aspect").strip()
    elif not aspect and owned and "'s " in b and _is_name(question, a):  # "A and B's X"
        b, aspect = owned.group("who"), owned.group("aspect").strip()
    elif not aspect and a.endswith("'s") and " " in b:  # "A's and Western approaches"
        b, aspect = _named_head(question, b)
        a = a.removesuffix("'s")
    if not aspect and b.endswith("'s") and (own := OWNED.match(a)):  # "A's X ... B's"
        a, b, aspect = own.group("who"), b.removesuffix("'s"), own.group("aspect").strip()
    elif not aspect and "'s" not in b and (own := OWNED.match(a)) and \
            _is_name(question, own.group("who")):  # "A's approach to X with Western ones"
        a, aspect = own.group("who"), own.group("aspect").strip()
    elif not aspect and " " in b and _is_name(question, a):  # "the A and B roles"
        head, rest = _named_head(question, b)
        if rest and _is_name(question, head) and not _is_name(question, rest):
            b, aspect = head, rest
    if aspect and m.groupdict().get("wh"):  # "compare how A and B approached X"
        by = m.group("wh")
    a = _shared_head(question, a, b)  # "urban and rural areas": "urban areas"
    sides = [*_listed(a), b]  # "A, B and C": three sides
    if not all(sides) or len(set(sides)) < len(sides):
        return None
    return Intent("comparison", [_original(question, x) for x in sides],
                  _original(question, aspect), by, files)


def _shared_head(question: str, a: str, b: str) -> str:
    """A first side that is one describing word takes the noun of the second ("urban and
    rural areas" -> "urban areas"; "central and provincial governments in X" -> "central
    governments"); a name ("Ma and Yuan careers"), a plural ("cats and small dogs") or a
    side of several words stays as it is."""
    rest = b.split()
    first = question.lstrip()[:len(a)].lower() == a  # capitalised only as the first word
    if (len(a.split()) != 1 or len(rest) < 2 or a.endswith("s") or rest[1] in STOPWORDS
            or (_is_name(question, a) and not first) or _is_name(question, rest[0])
            or _is_name(question, rest[1])):  # "Xinjiang vs southern China"
        return a
    return f"{a} {rest[1]}"


def asked_count(question: str) -> int | None:
    """The number of sentences a question asks for ("in one sentence" -> 1, "three bullet
    points" -> 3), 1 to 10; None when it does not say."""
    m = COUNT.search(question)
    if not m:
        return None
    word = m.group(1).lower()
    n = int(word) if word.isdigit() else NUMBERS[word]
    return n if 1 <= n <= 10 else None


def _listed(phrase: str) -> list[str]:
    """The items of "A, B" (the start of "A, B and C"), when each is a short name; else the
    phrase whole."""
    parts = [_clean(p) for p in re.split(r",\s*", phrase)]
    return parts if len(parts) > 1 and all(0 < len(p.split()) <= 4 for p in parts) else [phrase]


def _is_name(question: str, phrase: str) -> bool:
    """Whether the question writes the phrase as a name: each word capitalised, or a joiner
    between two that are ("Cyberspace Administration of China")."""
    return written_as_name(_original(question, phrase))


def _named_head(question: str, phrase: str) -> tuple[str, str]:
    """(the name that opens a phrase, the rest): its capitalised words (with "of", "and",
    "for", "the" between two of them: "Cyberspace Administration of China") as the question
    wrote them, else its first word ("Western approaches to X" -> ("western", "approaches
    to X"))."""
    written = _original(question, phrase).split()
    n = next((i for i, w in enumerate(written) if not w[:1].isupper() and not (
        w in NAME_JOINERS and 0 < i < len(written) - 1 and written[i + 1][:1].isupper())),
        len(written))
    n = n if 0 < n < len(written) else 1
    folded = phrase.split()
    return " ".join(folded[:n]), " ".join(folded[n:])


def _original(question: str, folded: str) -> str:
    """The phrase as the question wrote it (case and accents), found by its folded form."""
    q = fold(question)
    whole = re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", q)  # "ma", not summarize's "ma"
    i = whole.start() if whole else q.find(folded)
    return question[i:i + len(folded)] if i >= 0 and len(q) == len(question) else folded
