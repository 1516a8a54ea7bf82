"""People: who a document names, for "Who is mentioned in the article?" (rag.drafts lists
them, each with the sentence that first names them). Told from the text alone, without a
model of names: see `people`."""

from __future__ import annotations

import re

from rag.summarize import Sentence
from rag.text import STOPWORDS

# Words that make a capitalised run a place, a body or a date rather than a person.
_NOT_A_PERSON = frozenset("""university bureau commission administration council committee
party republic area province city county district region bank company corporation inc ltd
group ministry department agency office institute academy college school centre center
association union organization organisation foundation society court assembly congress
parliament senate house street road avenue river mountain mount lake sea ocean island
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
    lower = {w for t in texts for w in re.findall(r"(?<![\w'’-])[a-z][a-z-]*", t)}
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
    return sorted(found.items(), key=lambda kv: kv[1])


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
