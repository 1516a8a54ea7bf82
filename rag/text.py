"""Text helpers shared by answering and citation checking: sentences, terms and claims."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A sentence ends at . ! ? (optionally followed by a closing quote/bracket) before white
# space and an upper-case letter, digit or opening quote, or at a blank line / line break.
_SENT_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=[A-Z0-9"“‘(\[])|\n+""")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|Prof|St|No|Fig|al|U\.S|Jan|Feb|"
                     r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "hundred",
                 "thousand", "million", "billion", "trillion", "dozen", "half", "percent"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"}
STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be
because been before being below between both but by can could did do does doing down during
each few for from further had has have having he her here hers herself him himself his how i if
in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves
according does did said says say tell know kind way ones one thing things like""".split())


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of text, trimmed of surrounding white space."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        if "\n" not in m.group() and _ABBREV.search(text[start:m.start()]):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def fold(text: str) -> str:
    """Lower-case, straight quotes, no accents: for comparing text, never for display."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').lower()


@lru_cache(maxsize=1)
def _stem():
    import Stemmer

    return Stemmer.Stemmer("english").stemWord


def terms(text: str) -> list[str]:
    """Stemmed content words (stop words dropped)."""
    stem = _stem()
    return [stem(w) for w in (m.group().strip("'’-") for m in _WORD.finditer(fold(text)))
            if w and w not in STOPWORDS and len(w) > 1]


def numbers(text: str) -> set[str]:
    """Numbers written with digits (commas dropped), plus number words."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    words = {w for w in re.findall(r"[a-z]+", fold(text)) if w in _NUMBER_WORDS}
    return found | words


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of a sentence: names, places, bodies."""
    out = set()
    for s, e in sentences(text):
        words = _WORD.findall(text[s:e])
        for w in words[1:]:
            if w[:1].isupper() and fold(w) not in STOPWORDS and fold(w) not in _MONTHS:
                out.add(fold(w).strip("'’"))
    return out


def months(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", fold(text)) if w in _MONTHS}
