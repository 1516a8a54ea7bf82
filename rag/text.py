"""Text helpers shared by answering and citation checking: sentences, terms and claims."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# A sentence ends at . ! ? (optionally followed by a closing quote/bracket) before white
# space and an upper-case letter, digit or opening quote, or at a blank line / line break.
_SENT_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=[A-Z0-9"“‘(\[])|\n+""")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|Prof|St|No|Fig|al|U\.S|Jan|Feb|"
                     r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
_OPEN_BRACKET = re.compile(r"[(\[][^()\[\]]*$")  # opened, not closed yet
_INITIAL = re.compile(r"(?:^|[\s(\[])[A-HJ-Z]\.$")  # a name's initial: "Alfred S. Brown"
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_NAME_WORD = re.compile(r"[^\W_][\w'’\-]*")  # any alphabet: "Temür", not "Tem" and "r"
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# Word lists every stage reads (question understanding's own are in rag/understand/lexicon.py).
NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve twenty thirty "
                "forty fifty hundred thousand million billion trillion dozen half").split()
MONTHS = ("january february march april may june july august september october november "
          "december").split()
_NUMBER_WORDS = {*NUMBER_WORDS, "percent"}
_MONTHS = set(MONTHS)
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
        before = text[start:m.start()]
        bracket = text[max(start, m.end() - 40):m.end()]
        if "\n" not in m.group() and (_ABBREV.search(before) or _INITIAL.search(before)
                                       or _OPEN_BRACKET.search(bracket)):
            continue  # "Dr.", "Alfred S. Brown", "10 July [O.S. 28 June] 1856"
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


def _plain(word: str) -> str:
    """A folded word without surrounding quotes/hyphens or a possessive ("jiajun's" -> "jiajun")."""
    return word.strip("'-").removesuffix("'s").strip("'-")


def words(text: str) -> list[str]:
    """Content words, folded, in order (stop words and one-letter words dropped)."""
    return [w for w in (_plain(m.group()) for m in _WORD.finditer(fold(text)))
            if w and w not in STOPWORDS and len(w) > 1]


# Common irregular verb forms, so "became" and "become" are one term (the stemmer keeps them
# apart): the past tense and participle of each, mapped to the base form.
_IRREGULAR = {form: base for base, forms in (
    ("arise", "arose arisen"), ("become", "became"), ("begin", "began begun"),
    ("bring", "brought"), ("build", "built"), ("buy", "bought"), ("choose", "chose chosen"),
    ("come", "came"), ("draw", "drew drawn"), ("drive", "drove driven"), ("eat", "ate eaten"),
    ("fall", "fell fallen"), ("feel", "felt"), ("fight", "fought"), ("find", "found"),
    ("fly", "flew flown"), ("forget", "forgot forgotten"), ("freeze", "froze frozen"),
    ("get", "got gotten"), ("give", "gave given"), ("go", "went gone"), ("grow", "grew grown"),
    ("hold", "held"), ("keep", "kept"), ("know", "knew known"), ("lay", "laid"),
    ("lead", "led"), ("leave", "left"), ("lend", "lent"), ("lose", "lost"), ("make", "made"),
    ("mean", "meant"), ("meet", "met"), ("pay", "paid"), ("ride", "rode ridden"),
    ("rise", "rose risen"), ("run", "ran"), ("say", "said"), ("see", "saw seen"),
    ("seek", "sought"), ("sell", "sold"), ("send", "sent"), ("shake", "shook shaken"),
    ("shoot", "shot"), ("sing", "sang sung"), ("sink", "sank sunk"), ("sit", "sat"),
    ("speak", "spoke spoken"), ("spend", "spent"), ("stand", "stood"), ("steal", "stole stolen"),
    ("strike", "struck"), ("swim", "swam swum"), ("take", "took taken"), ("teach", "taught"),
    ("tell", "told"), ("think", "thought"), ("throw", "threw thrown"),
    ("understand", "understood"), ("wake", "woke woken"), ("wear", "wore worn"),
    ("win", "won"), ("write", "wrote written"))
    for form in forms.split()}


def terms(text: str) -> list[str]:
    """Stemmed content words (stop words dropped; irregular verbs by their base form)."""
    stem = _stem()
    return [stem(_IRREGULAR.get(w, w)) for w in words(text)]


def numbers(text: str) -> set[str]:
    """Numbers written with digits (commas dropped), plus number words."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    words = {w for w in re.findall(r"[a-z]+", fold(text)) if w in _NUMBER_WORDS}
    return found | words


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of a sentence: names, places, bodies."""
    out = set()
    for s, e in sentences(text):
        words = _NAME_WORD.findall(text[s:e])
        for w in words[1:]:
            name = _plain(fold(w))
            if w[:1].isupper() and name not in STOPWORDS and name not in _MONTHS and name:
                out.add(name)
    return out


# Words a name may hold between its capitalised words ("Cyberspace Administration of China").
NAME_JOINERS = frozenset({"of", "and", "for", "the", "de"})


def written_as_name(phrase: str) -> bool:
    """Each word capitalised, or a joiner between two words ("Cyberspace Administration of
    China")."""
    written = phrase.split()
    return all(w[:1].isupper() or (w in NAME_JOINERS and 0 < i < len(written) - 1)
               for i, w in enumerate(written))


_OPENERS = frozenset("""this these that those such it its they their them he she his her
however but also moreover furthermore thus therefore hence instead meanwhile yet still
besides nevertheless likewise similarly then""".split())
_FIRST_WORD = re.compile(r"\W*(\w+)")


def dangles(text: str) -> bool:
    """Opens by leaning on what came before ("These shifts ...", "However, ..."), so it
    reads poorly out of context."""
    first = _FIRST_WORD.match(text)
    return bool(first) and first.group(1).lower() in _OPENERS


_BACK = re.compile(r"\b(?:this|these|those)\b|\b(?:such|the same)\b(?!\s+as\b)",
                   re.IGNORECASE)


def refers_back(text: str) -> bool:
    """Points, somewhere in it, at something said before ("... also follows this trend",
    "such efforts", "In the same year"), so it reads poorly out of context ("such as" and
    "the same as" compare within the sentence)."""
    return bool(_BACK.search(text))


_NEGATION = re.compile(r"\b(?:not|never|no|none|neither|nor|without|cannot|nobody|nothing|"
                       r"nowhere)\b|n't\b")


def negated(text: str) -> bool:
    """Whether text holds a negation word ("not", "never", "no", "n't", ...)."""
    return bool(_NEGATION.search(fold(text)))


def name_groups(text: str) -> list[tuple[str, ...]]:
    """Runs of capitalised words after a sentence's first word, folded: each run is one
    name ("Adaeze Okafor" -> ("adaeze", "okafor")), which a text may shorten to any part."""
    groups = []
    for s, e in sentences(text):
        run: list[str] = []
        for i, m in enumerate(_NAME_WORD.finditer(text[s:e])):
            name = _plain(fold(m.group()))
            if i and m.group()[:1].isupper() and name and name not in STOPWORDS \
                    and name not in _MONTHS:
                run.append(name)
            elif run:
                groups.append(tuple(run))
                run = []
        if run:
            groups.append(tuple(run))
    return list(dict.fromkeys(groups))


def months(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", fold(text)) if w in _MONTHS}


_ACRONYM = re.compile(r"\b([A-Z]{3,6})s?\b")  # two letters ("US", "AI") are too ambiguous
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*")
_JOINERS = frozenset({"of", "and", "for", "the", "on", "in", "to"})


def unknown_acronyms(text: str, known: Callable[[str], bool]) -> list[str]:
    """The acronyms of text ("NDB") that the index never uses."""
    return [a for a in dict.fromkeys(_ACRONYM.findall(text))
            if not known((terms(a) or [a.lower()])[0])]


def spell_out(question: str, texts: list[str], known: Callable[[str], bool]) -> str:
    """The question with each acronym the sources never use ("NDB") replaced by the run of
    capitalised words in texts whose initials spell it ("National Data Bureau"; joining words
    such as "of" and "and" are skipped). Acronyms the sources use, or cannot spell out, stay.

    Args:
        known: whether the index holds a term (as `terms` writes it).
    """
    for acronym in unknown_acronyms(question, known):
        spelled = next(filter(None, (spelling(acronym, t) for t in texts)), None)
        if spelled:
            question = re.sub(rf"\b{acronym}(?=s?\b)", lambda _: spelled, question)
    return question


def spelling(acronym: str, text: str) -> str | None:
    """The run of capitalised words in text whose initials spell the acronym ("Cyberspace
    Administration of China" for "CAC"; joining words such as "of" skipped), or None."""
    tokens = list(_TOKEN.finditer(text))
    for i, first in enumerate(tokens):
        if first.group()[0] != acronym[0]:
            continue
        letters, j = [], i
        while j < len(tokens) and len(letters) < len(acronym):
            word = tokens[j].group()
            if word[0].isupper():
                letters.append(word[0])
            elif word not in _JOINERS:
                break
            j += 1
        if "".join(letters) == acronym:
            return text[first.start():tokens[j - 1].end()]
    return None


def listed(names, limit: int = 10) -> str:
    """Up to `limit` names joined for a message ("a, b, ... (12 in all)"; "none")."""
    names = list(names)
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "none"
