"""Names: the people, organisations, places and dates a document names, for "Who is
mentioned in the article?", "Which organisations are mentioned?", "Which cities are
mentioned?" and "What dates does it mention?" (rag.compose.drafts lists them, each with the sentence
that first names them). Told from the text alone, without a model of names: see `people`,
`organisations`, `places` and `dates`."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.understand import lexicon
from rag.understand.lexicon import (BODIES, MONTHS, NOT_A_PERSON, NOT_A_PLACE, PERSON_KINDS,
                                    PLACE_NAME_ENDS, PLACE_NOUNS, TITLES, alternation,
                                    forms, plural)
from rag.ingest.sentences import Sentence
from rag.text import STOPWORDS, fold, months, terms

# The word lists (BODIES, TITLES, NOT_A_PERSON, ...) are in rag.understand.lexicon.
_RUN = re.compile(r"(?<![\w'’-])[A-Z][a-z]+(?:-[A-Za-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Za-z]+)?)+")
_PRONOUNS = re.compile(r"\b(?:he|she|his|her|him|hers)\b", re.I)


def _lower_case(texts: list[str]) -> set[str]:
    """The words the document writes in lower case ("national" of "national security")."""
    return {w for t in texts for w in re.findall(r"(?<![\w'’-])[a-z][a-z-]*", t)}


def _has_body(words: list[str]) -> bool:
    return any(w.lower() in BODIES for w in words)


def people(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The people a document names, each with the sentence that first names them, in order.

    A person is a run of 2 or 3 capitalised words (after any opening word that is a stop
    word, a title or a word the document also writes in lower case: "The", "In",
    "President"), none of them a word of places, bodies or dates (NOT_A_PERSON), either
    after a title or referred to as a person: "he", "his", "she", "her" right after a
    mention of the name or of its first or last word alone ("Ma" for "Ma Xingrui"), in that
    sentence or at the start of the next ("He became ..."). Without a model of names this
    misses people never referred to by a pronoun ("Cook and Levin proved ...")."""
    texts = [s.text for s in sents]
    lower = _lower_case(texts)
    skip = lower | TITLES | STOPWORDS
    found: dict[str, int] = {}
    for i, text in enumerate(texts):
        for m in _RUN.finditer(text):
            run = m.group(0).split()
            while run and run[0].lower() in skip:
                run = run[1:]
            name = " ".join(run)
            if name in found or not 2 <= len(run) <= 3 or any(
                    w.lower() in NOT_A_PERSON or w.lower() in lower for w in run):
                continue
            dropped = m.group(0).split()[:-len(run)]  # "President" of "President Lula Silva"
            prior = text[:m.start()].split()[-1:]  # "Dr." before "Ada Byron"
            titled = any(w.lower().strip(".") in TITLES for w in prior + dropped)
            if titled or _as_person(run, texts):
                found[name] = i
    return list(found.items())  # found in reading order


def _as_person(run: list[str], texts: list[str]) -> bool:
    """Whether a pronoun for a person follows a mention of the name (whole, or its first or
    last word alone) in the same sentence or at the start of the next."""
    forms = "|".join(re.escape(f) for f in (" ".join(run), run[0], run[-1]))
    mention = re.compile(rf"(?<![\w'’-])(?:{forms})(?![\w-])")
    for i, text in enumerate(texts):
        for m in mention.finditer(text):
            nxt = " ".join(texts[i + 1].split()[:3]) if i + 1 < len(texts) else ""
            if _PRONOUNS.search(text[m.end():]) or _PRONOUNS.search(nxt):
                return True
    return False


# A run of capitalised words that may hold "of", "and", "for", "the" ("Cyberspace
# Administration of China"), and the acronym in brackets after it ("(CAC)").
_BODY_RUN = re.compile(r"(?<![\w'’-])[A-Z][\w'’&.-]*(?:\s+(?:(?:of|and|for|the|on)\s+)*"
                       r"[A-Z][\w'’&.-]*)*(?:\s+\([A-Z][A-Za-z]*[A-Z]\))?")


def organisations(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The organisations a document names, each with the sentence that first names them, in
    order: a run of 2 or more capitalised words (joined by "of", "and", "for", "the")
    holding a word of bodies (BODIES: "Bureau", "Commission", "University", ...), without
    a sentence's opening word that the document also writes in lower case, with the acronym
    in brackets after it. Without a model of names this misses bodies with no such word
    ("the Politburo", "NASA") and counts a few that are not ("Academy Awards")."""
    texts = [s.text for s in sents]
    lower = _lower_case(texts)
    found: dict[str, int] = {}
    for i, text in enumerate(texts):
        for m in _BODY_RUN.finditer(text):
            run = m.group(0).split()
            if m.start() == 0 and run and run[0].lower() in lower:  # "The", "Funding"
                run = run[1:]
            for part in _bodies_in(run):
                name = " ".join(part)
                if not any(name in known or known in name for known in found):
                    found[name] = i
    return list(found.items())  # found in reading order


def _bodies_in(run: list[str]) -> list[list[str]]:
    """The organisations in a run of capitalised words: split at an "and" that follows a
    word of bodies ("the Bureau and the Greater Bay Area fund"), but not at one inside a
    name ("National Development and Reform Commission"); each part of 2 or more words that
    holds a word of bodies, without what comes before its first "the" (unless a word of
    bodies does), a leading stop word or a trailing possessive."""
    parts, part = [], []
    for word in run:
        if word == "and" and _has_body(part):
            parts.append(part)
            part = []
        else:
            part.append(word)
    parts.append(part)
    out = []
    for part in parts:
        if "the" in part and not _has_body(part[:part.index("the")]):
            part = part[part.index("the") + 1:]  # "Later the U.S. Court", not "Bank of the West"
        while part and part[0].lower() in STOPWORDS:
            part = part[1:]
        if part and not re.fullmatch(r"(?:[A-Z]\.)+", part[-1]):  # "U.S." keeps its dot
            part[-1] = part[-1].rstrip(".,").removesuffix("’s").removesuffix("'s")
        if len(part) >= 2 and _has_body(part):  # not "the Foundation"
            out.append(part)
    return out



# Where a capitalised run is a place: after "in", "from", "across", ... ("in Guangdong"), or
# after a word for places or for who governs one ("the province of Zhejiang", "party
# secretary of Xinjiang", "a region like Xinjiang"); a compass word may come between
# ("in southwest China").
_WHERE = (r"(?:\b(?:[Ii]n|[Ff]rom|[Aa]cross|[Tt]hroughout|[Ww]ithin|[Nn]ear|[Aa]t|[Ii]nto|"
          r"[Aa]round|[Oo]utside|[Ii]nside)|\b"
          + alternation(forms(PLACE_NOUNS) + "capital county district island republic kingdom "
                        "hub governor mayor secretary".split())
          + r" (?:of|like|such as|including))"
          r"\s+(?:(?:north|south|east|west|central|northern|southern|eastern|western|"
          r"north-?east|north-?west|south-?east|south-?west)\s+)?")
# A run ending in an adjective of a people is not a place ("Old Low Franconian").
_PEOPLES = re.compile(r"(?:ish|ese|ian|ic)$")
_NAME = r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}"
_PLACE = re.compile(_WHERE + rf"(?P<the>the\s+)?(?P<run>{_NAME})")
_MORE = re.compile(rf"(?:,\s*|,?\s+(?:and|or)\s+)(?P<run>{_NAME})")  # "in A, B and C"


def places(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The places a document names, each with the sentence that first names them, in order:
    a run of 1 to 3 capitalised words where a place goes (_WHERE: "in Guangdong", "the
    province of Zhejiang", "party secretary of Xinjiang"), or after "the" when it ends with
    a word for places ("in the Greater Bay Area"), and the runs listed after it ("in
    Guangdong and Zhejiang"). Not a place: a run holding a word of bodies, a month, a title
    or a word of a person the document names ("in President Xi's ..."), one followed by a
    lower-case word that is not a stop word ("in Chinese society": an adjective) or by a
    number ("in Super Bowl 50"), an event or a language ("World War II", "in Latin"), one
    ending in an adjective of a people ("Old Low Franconian"), or a single word the
    document also writes in lower case.
    Without a gazetteer, a place never written after such words is missed ("Beijing has
    ...") and a province, a city and a country are not told apart."""
    texts = [s.text for s in sents]
    lower = _lower_case(texts)
    personal = {w for name, _ in people(sents) for w in name.split()}

    def place(text: str, m: re.Match, the: bool = False) -> str | None:
        run = re.sub(r"['’]s$", "", m.group("run")).split()
        words = [w.lower() for w in run]
        after = re.match(r"\s*(\S?)(\w*)", text[m.end("run"):])
        mark, nxt = after.group(1), after.group(1) + after.group(2)
        if the and (words[-1] not in PLACE_NAME_ENDS or len(run) == 1):
            return None  # "in the National ...": a body; "the Kingdom" alone: not a name
        if any(w in BODIES or months(w) or w in TITLES or w in STOPWORDS
               or w in NOT_A_PLACE for w in words) or _PEOPLES.search(words[-1]) \
                or any(w in personal for w in run) or (len(run) == 1 and words[0] in lower) \
                or mark.isdigit() or (mark.islower() and nxt not in STOPWORDS):
            return None
        return ("the " if the else "") + " ".join(run)

    found: dict[str, int] = {}
    for i, text in enumerate(texts):
        for m in _PLACE.finditer(text):
            name = place(text, m, bool(m.group("the")))
            if name:
                found.setdefault(name, i)
                pos = m.end("run")
                while name and (more := _MORE.match(text, pos)):
                    name, pos = place(text, more), more.end("run")
                    if name:
                        found.setdefault(name, i)
    return list(found.items())


# The kinds of place a question may ask for: the nouns a text uses for each, and an
# adjective that, before "in", says the same ("provincial party secretaries in Guangdong").
PLACE_KINDS = {kind: ("|".join(forms(nouns)), adjective)
               for kind, (nouns, adjective) in lexicon.PLACE_KINDS.items()}
# up to 2 words before the noun, in lower case and not ranking it: "the eastern province of
# Zhejiang", not "the largest city of Poland" (Poland holds the city)
_DESCRIBING = r"(?:(?!\w*est\b|most\b|second\b|third\b|only\b)(?-i:[a-z][\w-]*)\s+){0,2}?"


def asked_place_kind(question: str) -> str | None:
    """The kind of place a question asks for ("Which provinces ...?" -> "province"), if any."""
    return next((kind for kind, (nouns, _) in PLACE_KINDS.items()
                 if re.search(rf"\b(?:{nouns})\b", question, re.I)), None)


def asked_person_kind(question: str) -> str | None:
    """The kind of person a question asks for ("Which scientists are mentioned?" ->
    "scientist"), if any ("Which people ...?" asks for everyone)."""
    return next((kind for kind in PERSON_KINDS
                 if re.search(rf"\b(?:{kind}|{plural(kind)})\b", question, re.I)), None)


def called(person: str, kind: str, texts: list[str]) -> bool:
    """Whether the texts call a person a kind of person right beside the name (in full or
    by one of its words): "the astronomer Guo Shoujing", "The fourth Yuan emperor, Buyantu
    Khan", "the new scientist members of the Politburo, Ma Xingrui and Yuan Jiajun", "Ma,
    like Yuan, is another space scientist", "Yuan, a rocket scientist"."""
    noun = rf"(?:{kind}|{plural(kind)})"
    parts = [re.escape(person), *(re.escape(w) for w in person.split() if len(w) > 1)]
    name = rf"(?P<name>(?-i:(?:{'|'.join(parts)})))\b"
    capitalised = r"(?-i:[A-Z][\w'’-]*)"
    forms = [rf"\b{noun}\s+(?:{capitalised}\s+){{0,2}}?{name}",
             rf"\b{noun}\b[^.;:]{{0,60}}?,\s+(?:{capitalised}\s+){{0,3}}(?:and\s+)?{name}",
             rf"\b{name}(?:,[^,.]{{1,40}},)?\s+(?:is|was|became|remains|had been)\s+(?:a|an|"
             rf"the|another)\s+(?:[\w-]+\s+){{0,3}}?{noun}\b",
             rf"\b{name},\s+(?:a|an|the|another)\s+(?:[\w-]+\s+){{0,3}}?{noun}\b"]
    own = set(person.split())
    for form in forms:
        for text in texts:
            for m in re.finditer(form, text, re.I):
                run = {w for w in _run(text, m.start("name"), m.end("name")).split()
                       if w.lower() not in (kind, plural(kind))}  # "Emperor Kublai Khan"
                if run <= own:
                    return True  # not a word of another name ("Khan" of "Buyantu Khan")
    return False


def _run(text: str, start: int, end: int) -> str:
    """The run of capitalised words around text[start:end]."""
    before = re.search(r"(?:(?-i:[A-Z])[\w'’-]*\s+)*$", text[:start])
    after = re.match(r"(?:\s+(?-i:[A-Z])[\w'’-]*)*", text[end:])
    return text[before.start():end + after.end()]


def described_as(place: str, kind: str, texts: list[str]) -> bool:
    """Whether the texts call a place a kind of place right beside it: "the eastern
    province of Zhejiang", "cities like Shenzhen", "Guangdong province", "Chongqing, a
    politically critical megacity", "provincial party secretaries in Guangdong"; not "the
    largest city of Poland" or "Long Beach, the United States"."""
    nouns, adjective = PLACE_KINDS[kind]
    name = re.escape(re.sub(r"^the\s+", "", place))
    forms = [rf"\bthe\s+{_DESCRIBING}(?:{nouns})\s+of\s+(?:the\s+)?{name}\b",
             rf"\b(?:{nouns})\s+(?:like|such as|including)\s+(?:the\s+)?{name}\b",
             rf"\b{name}\s+(?:{nouns})\b",
             rf"\b{name},\s+(?:an?|the)\s+(?:(?!of\b|in\b)(?-i:[a-z][\w-]*)\s+){{0,3}}?"
             rf"(?:{nouns})\b"]
    if adjective:
        forms.append(rf"\b{adjective}(?:\s+\S+){{0,3}}?\s+in\s+(?:the\s+)?{name}\b")
    near = re.compile("|".join(forms), re.I)
    return any(near.search(text) for text in texts)


_MONTH = rf"(?:{'|'.join(MONTHS)})"
# A year where a date goes ("in 2015", "since 2021", "in March 2023", "the 1990s"), or a
# month and a year anywhere ("March 2023", "4 June 1989", "June 4, 1989").
_DATE = re.compile(rf"(?:\b{_MONTH}\s+(?:\d{{1,2}},?\s+)?|\b\d{{1,2}}\s+{_MONTH}\s+|"
                   r"\b(?:[Ii]n|[Ss]ince|[Ff]rom|[Uu]ntil|[Tt]ill|[Bb]y|[Aa]fter|[Bb]efore|"
                   r"[Dd]uring|[Bb]etween|[Aa]nd|[Tt]o|[Aa]round|[Cc]irca|[Ee]arly|[Mm]id|[Ll]ate)"
                   r"[\s-]+(?:the\s+)?(?:(?:early|mid|late)[\s-]+)?)(?P<year>1\d{3}|20\d{2})(?P<s>s)?"
                   r"(?![\d,.]\d)")


def dates(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The dates a document names, each with the sentence that first names it, earliest
    first: a year where a date goes (`_DATE`: "in 2015", "since 2021", "after 1978", "in
    the 1990s") or with a month ("March 2023"), as written, without the word before it."""
    found: dict[str, tuple[int, int, int]] = {}
    for i, sentence in enumerate(sents):
        for m in _DATE.finditer(sentence.text):
            written = m.group(0)
            month = re.search(_MONTH, written)
            start = 0 if written[:1].isdigit() else (  # "4 June 1989" whole
                month.start() if month else m.start("year") - m.start())
            name = written[start:].strip()
            order = (int(m.group("year")), _MONTH_ORDER.get(month.group(0) if month else "", 0))
            found.setdefault(name, (*order, i))
    return [(name, i) for name, (_, _, i) in sorted(found.items(), key=lambda kv: kv[1])]


_MONTH_ORDER = {m: n for n, m in enumerate(MONTHS, 1)}


def usual_form(name: str, doc_freq: Callable[[str], int]) -> str:
    """How the sources usually refer to a person named in full: the word of a 2- or 3-word
    name found in most indexed chunks ("Ma Xingrui" -> "Ma", after the first mention the
    text says "Ma" and "he"); any other name as it is ("National Data Bureau")."""
    words = name.split()
    if not 2 <= len(words) <= 3 or not all(w[:1].isupper() for w in words) or any(
            fold(w) in NOT_A_PERSON for w in words):
        return name
    return max(words, key=lambda w: max((doc_freq(t) for t in terms(w)), default=0))
