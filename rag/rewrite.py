"""Rewrite: the question as it is searched for, without the words about the asking ("List
the agencies mentioned in the article." -> "Which agencies?"); rag.intent decides what kind
of answer it wants."""

from __future__ import annotations

import re

from rag.phrasings import DOC, LIST_TAIL, NUMBERS, THIS
from rag.text import words

# Words about the asking, not about the thing asked ("list ...", "... mentioned in the
# article"): no source sentence holds them, so they are left out of what is searched for.
_IMPERATIVE = re.compile(r"^(?:please |can you |could you |would you )?(?:list|enumerate|itemi[sz]e|"
                         r"give (?:me |us )?(?:an? (?:bullet(?:ed)? |short |full |complete )?list "
                         r"of|all(?: of)?)|show(?: me| us)?|name (?:all|the|"
                         r"all the))\s+(?:all (?:of )?)?(?:the )?", re.I)
_META_TAIL = re.compile(rf"(?:,?\s+(?:that|which) (?:is|are|was|were)|\s+(?:is|are|was|were))?"
                        rf"\s+(?:mentioned|named|listed|discussed|described|cited|covered|"
                        rf"referenced|referred to)\s+(?:in|by)\s+(?:{THIS} )?{DOC}(?=\W*$)"
                        rf"|,?\s+(?:in|from|within|according to)\s+(?:{THIS} )?{DOC}(?=\W*$)"
                        rf"|{LIST_TAIL}(?=\W*$)",
                        re.I)
# "What agencies are mentioned?", "What are the main challenges discussed?", "List the
# risks mentioned": which agencies, challenges, risks ("listed", "named" can be the content:
# "the companies listed")
_ASKED = r"(?:mentioned|discussed|described|covered|raised|highlighted|outlined|cited|referenced)"
_MENTIONED = re.compile(rf"^((?:what|which) [\w\s'-]{{1,40}}?)(?:,?\s+(?:that|which))?"
                        rf"\s+(?:(?:is|are|was|were) "
                        rf"{_ASKED}|(?:does|do|did) (?:it|{THIS} {DOC}) (?:mention|name|list|"
                        rf"describe|discuss|cover|include|outline|talk about|refer to))(?=\W*$)",
                        re.I)
_ASKED_TAIL = re.compile(rf"^((?:(?:what|which) (?:are|were) (?:all )?(?:the )?)?"
                         rf"[\w\s'-]{{0,40}}?\w+s)\s+(?:(?:that|which) (?:are|were) )?"
                         rf"{_ASKED}(?=\W*$)", re.I)
# "What are the main challenges?": in a question that only asks for a list of things, the
# words ranking them are about the asking ("main", "key"): no sentence says "main challenge"
_RANKING = re.compile(rf"^((?:what|which) (?:are|were) (?:all )?(?:the )?"
                      rf"(?:(?:\d+|{'|'.join(NUMBERS)}) )?)"
                      r"(?:(?:main|key|major|principal|primary|chief|biggest|important|central|"
                      r"core|most important)\s+)+(?=(?:[\w'-]+\s+){0,2}[\w'-]+s\W*$)", re.I)
# "What does the article say about X?": the document is the one asked about ("it"); a
# word no sentence holds
_DOC_SAYS = re.compile(rf"^(what (?:does|do|did|is|are|was|were)) (?:{THIS} )?{DOC}(?= (?:say|"
                       r"says|said|mention|tell us|tell me|write|saying|mentioning) (?:about|on|"
                       r"regarding|concerning) )", re.I)
_TELL = re.compile(r"^(?:please |can you |could you )?(?:describe|explain|tell (?:me|us) (?:more )?"
                   r"about|talk about|discuss|elaborate on|give (?:me |us )?(?:details|"
                   r"information|info) (?:on|about))\s+", re.I)
_WH = re.compile(r"^(?:how|why|what|when|where|who|whom|whose|which|whether|if)\b", re.I)
_META_HEAD = re.compile(rf"^(?:according to|in|from|based on)\s+(?:{THIS} )?{DOC},?\s+", re.I)


def searchable(question: str) -> str:
    """The question without the words about the asking: "List the agencies mentioned in the
    article." -> "Which agencies?", "Describe the bureau." -> "What is the bureau?"
    (unchanged if too little would be left)."""
    q = _META_HEAD.sub("", question.strip())
    if (untailed := _META_TAIL.sub("", q)) != q:  # "... champion? Give me a list." -> "...?"
        q = re.sub(r"([?!])[?.!]+$", r"\1", untailed)
    q = _MENTIONED.sub(r"\1", q)
    q = _DOC_SAYS.sub(r"\1 it", q)
    if re.match(r"(?:what|which) (?:are|were) ", q, re.I):  # "What are the risks raised?"
        q = _ASKED_TAIL.sub(r"\1", q)
        unranked = _RANKING.sub(r"\1", q)
        q = unranked if words(unranked) else q  # "the most important things": keep them
    listed, told = _IMPERATIVE.match(q), _TELL.match(q)
    if listed:
        q = "Which " + _ASKED_TAIL.sub(r"\1", q[listed.end():].rstrip(" .!?")) + "?"
    elif told:  # "Describe X." asks what X is; "Explain how X works." asks how
        rest = q[told.end():].rstrip(" .!?")
        q = (rest if _WH.match(rest) else "What is " + rest) + "?"
    if not words(q) or q == question.strip():
        return question.strip()
    q = q[0].upper() + q[1:]
    return q if q.rstrip().endswith(("?", ".")) else q.rstrip() + "?"
