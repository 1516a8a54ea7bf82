"""Which indexed files a question names: by file name ("Summarize notes.pdf"), by the
subject its file name holds ("the Tesla article": Nikola_Tesla.txt, "the V&A doc"), and
the file names it writes that are not indexed."""

from __future__ import annotations

import re
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


FILE_NAME = re.compile(r"(?<![\w/.-])\w[\w.-]*(?:" + "|".join(map(re.escape, SUPPORTED))
                        + r")(?![\w.-])", re.I)


def unknown_files(question: str, sources: list[str]) -> list[str]:
    """File names the question writes out ("Summarize notes.pdf") that no indexed file has."""
    have = {fold(PurePosixPath(s).name) for s in sources}
    return [n for n in dict.fromkeys(FILE_NAME.findall(question)) if fold(n) not in have]

