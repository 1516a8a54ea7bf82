"""Comparisons: the sides, the aspect and how the question puts it, from a match of one of
the comparison phrasings (rag.understand.phrasings.COMPARE)."""

from __future__ import annotations

import re

from rag.text import NAME_JOINERS, STOPWORDS, fold
from rag.understand.kinds import Comparison
from rag.understand.phrasings import ASPECT, IN_TERMS, OWNED
from rag.understand.wording import clean, is_name, original


def _comparison_as(question: str, a: str, b: str, role: str, files: list[str]) -> Comparison | None:
    """A comparison of two sides in a role ("Temür Khan vs Buyantu Khan as emperors")."""
    sides = [original(question, a), original(question, b)]
    if fold(sides[0]) == fold(sides[1]):
        return None
    return Comparison(sides=sides, aspect=original(question, role), by="as", files=files)


def comparison(question: str, m: re.Match, files: list[str]) -> Comparison | None:
    """The sides, aspect and wording of a comparison pattern's match (None if the sides
    are not distinct): the aspect may come before the sides ("the careers of A and B"),
    after them ("A and B regarding X"), inside a possessive ("A's and B's careers", "A's
    approach ... B's") or after the last side's name ("the A and B roles")."""
    a, b = clean(m.group("a")), clean(m.group("b"))
    aspect = clean(m.groupdict().get("aspect") or m.groupdict().get("short") or "")
    if m.groupdict().get("each"):  # "Tesla's dealings with A and with B"
        if fold(a) == fold(b):
            return None
        return Comparison(sides=[original(question, a), original(question, b)],
                          aspect=original(question, m.group("aspect")),
                          by=f"each {m.group('each')}", files=files)
    if not aspect and m.groupdict().get("role"):  # "A vs B as emperors"
        return _comparison_as(question, a, b, clean(m.group("role")), files)
    after = bool(aspect and m.groupdict().get("by"))  # "how do A and B differ in X"
    if after:
        by = m.group("by")
    elif aspect and m.groupdict().get("ask"):  # "Which is bigger, A or B?"
        by = original(question, m.group("ask")) + "?"
    else:
        by = "of"
    terms_of = None if aspect else IN_TERMS.match(b)
    if terms_of:
        b = clean(terms_of.group("who") or terms_of.group("name"))
        aspect = clean(terms_of.group("aspect") or terms_of.group("topic"))
        by = terms_of.group("by") or terms_of.group("on")
    found = ASPECT.match(a)
    if found and (not aspect or terms_of or after):  # "the views of A and B on X"
        a = clean(found.group("who"))
        aspect = " ".join(x for x in (found.group("aspect").strip(), aspect and by, aspect)
                          if x)
        by = "of"
    owned = OWNED.match(b)
    if not aspect and a.endswith(("'s", "s'")) and owned:  # "A's and B's careers"
        a, b, aspect = a.removesuffix("'s").removesuffix("'"), owned.group("who"), \
            owned.group("aspect").strip()
    elif not aspect and owned and "'s " in b and is_name(question, a):  # "A and B's X"
        b, aspect = owned.group("who"), owned.group("aspect").strip()
    elif not aspect and a.endswith("'s") and " " in b:  # "A's and Western approaches"
        b, aspect = _named_head(question, b)
        a = a.removesuffix("'s")
    if not aspect and b.endswith("'s") and (own := OWNED.match(a)):  # "A's X ... B's"
        a, b, aspect = own.group("who"), b.removesuffix("'s"), own.group("aspect").strip()
    elif not aspect and "'s" not in b and (own := OWNED.match(a)) and \
            is_name(question, own.group("who")):  # "A's approach to X with Western ones"
        a, aspect = own.group("who"), own.group("aspect").strip()
    elif not aspect and " " in b and is_name(question, a):  # "the A and B roles"
        head, rest = _named_head(question, b)
        if rest and is_name(question, head) and not is_name(question, rest):
            b, aspect = head, rest
    if aspect and m.groupdict().get("wh"):  # "compare how A and B approached X"
        by = m.group("wh")
    a = _shared_head(question, a, b)  # "urban and rural areas": "urban areas"
    sides = [*_listed(a), b]  # "A, B and C": three sides
    if not all(sides) or len(set(sides)) < len(sides):
        return None
    return Comparison(sides=[original(question, x) for x in sides],
                      aspect=original(question, aspect), by=by, files=files)


def _shared_head(question: str, a: str, b: str) -> str:
    """A first side that is one describing word takes the noun of the second ("urban and
    rural areas" -> "urban areas"; "central and provincial governments in X" -> "central
    governments"); a name ("Ma and Yuan careers"), a plural ("cats and small dogs") or a
    side of several words stays as it is."""
    rest = b.split()
    first = question.lstrip()[:len(a)].lower() == a  # capitalised only as the first word
    if (len(a.split()) != 1 or len(rest) < 2 or a.endswith("s") or rest[1] in STOPWORDS
            or (is_name(question, a) and not first) or is_name(question, rest[0])
            or is_name(question, rest[1])):  # "Xinjiang vs southern China"
        return a
    return f"{a} {rest[1]}"



def _listed(phrase: str) -> list[str]:
    """The items of "A, B" (the start of "A, B and C"), when each is a short name; else the
    phrase whole."""
    parts = [clean(p) for p in re.split(r",\s*", phrase)]
    return parts if len(parts) > 1 and all(0 < len(p.split()) <= 4 for p in parts) else [phrase]



def _named_head(question: str, phrase: str) -> tuple[str, str]:
    """(the name that opens a phrase, the rest): its capitalised words (with "of", "and",
    "for", "the" between two of them: "Cyberspace Administration of China") as the question
    wrote them, else its first word ("Western approaches to X" -> ("western", "approaches
    to X"))."""
    written = original(question, phrase).split()
    n = next((i for i, w in enumerate(written) if not w[:1].isupper() and not (
        w in NAME_JOINERS and 0 < i < len(written) - 1 and written[i + 1][:1].isupper())),
        len(written))
    n = n if 0 < n < len(written) else 1
    folded = phrase.split()
    return " ".join(folded[:n]), " ".join(folded[n:])

