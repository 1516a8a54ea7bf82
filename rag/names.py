"""Names: the people and the organisations a document names, for "Who is mentioned in the
article?" and "Which organisations are mentioned?" (rag.drafts lists them, each with the
sentence that first names them). Told from the text alone, without a model of names: see
`people` and `organisations`."""

from __future__ import annotations

import re

from rag.summarize import Sentence
from rag.text import STOPWORDS

# Words that make a capitalised run an organisation ("National Data Bureau").
_BODIES = frozenset("""university bureau commission administration council committee party
bank company corporation inc ltd group ministry department agency office institute academy
college school centre center association union organization organisation foundation
society court assembly congress parliament senate authority board service fund
laboratory laboratories""".split())
# Words that make a capitalised run a place, a body or a date rather than a person.
_NOT_A_PERSON = _BODIES | frozenset("""republic area province city county district region
house street road avenue river mountain mount lake sea ocean island
islands bay valley park north south east west northern southern eastern western central
national international state states kingdom empire dynasty revolution war act treaty law
day church cathedral museum hospital airport station award prize cup league games olympics
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday""".split())
# Words before a name that are not part of it: titles and roles ("Administrator Robert
# Seamans"), and openers a sentence may capitalise ("Upon Kennedy's death").
_TITLES = frozenset("""mr mrs ms miss dr prof professor sir dame lord lady king queen prince
princess pope saint st president governor secretary minister premier senator general
chairman chairwoman chair mayor judge captain administrator associate deputy vice chief
director ambassador commander officer founder author writer historian economist
sociologist archaeologist archeologist scientist physicist chemist biologist
mathematician philosopher astronaut actor actress producer defense defence upon although
though like unlike despite following whereas""".split())
_RUN = re.compile(r"(?<![\w'’-])[A-Z][a-z]+(?:-[A-Za-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Za-z]+)?)+")
_PRONOUNS = re.compile(r"\b(?:he|she|his|her|him|hers)\b", re.I)


def _lower_case(texts: list[str]) -> set[str]:
    """The words the document writes in lower case ("national" of "national security")."""
    return {w for t in texts for w in re.findall(r"(?<![\w'’-])[a-z][a-z-]*", t)}


def _has_body(words: list[str]) -> bool:
    return any(w.lower() in _BODIES for w in words)


def people(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The people a document names, each with the sentence that first names them, in order.

    A person is a run of 2 or 3 capitalised words (after any opening word that is a stop
    word, a title or a word the document also writes in lower case: "The", "In",
    "President"), none of them a word of places, bodies or dates (_NOT_A_PERSON), either
    after a title or referred to as a person: "he", "his", "she", "her" right after a
    mention of the name or of its first or last word alone ("Ma" for "Ma Xingrui"), in that
    sentence or at the start of the next ("He became ..."). Without a model of names this
    misses people never referred to by a pronoun ("Cook and Levin proved ...")."""
    texts = [s.text for s in sents]
    lower = _lower_case(texts)
    skip = lower | _TITLES | STOPWORDS
    found: dict[str, int] = {}
    for i, text in enumerate(texts):
        for m in _RUN.finditer(text):
            run = m.group(0).split()
            while run and run[0].lower() in skip:
                run = run[1:]
            name = " ".join(run)
            if name in found or not 2 <= len(run) <= 3 or any(
                    w.lower() in _NOT_A_PERSON or w.lower() in lower for w in run):
                continue
            dropped = m.group(0).split()[:-len(run)]  # "President" of "President Lula Silva"
            prior = text[:m.start()].split()[-1:]  # "Dr." before "Ada Byron"
            titled = any(w.lower().strip(".") in _TITLES for w in prior + dropped)
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
    holding a word of bodies (_BODIES: "Bureau", "Commission", "University", ...), without
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
