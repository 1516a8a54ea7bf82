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

from rag.loaders import SUPPORTED
from rag.text import fold, terms

MODEL_PATH = Path(__file__).with_name("intent_model.json")  # benchmarks/train_intent.py
_DOC_WORDS = ("document doc article text file paper report piece essay page book source pdf "
              "chapter story post memo note transcript")
DOC = rf"(?:{'|'.join(_DOC_WORDS.split())})s?"
THIS = r"(?:this|the|that|these|those|my|our|your|each|every|all(?: the)?)"
_END = r"\W*$"  # nothing but punctuation after: "the main points of X" asks about X, not this
_MAINLY = r"(?:all |mainly |mostly |primarily |basically |generally |really |actually )?"
_ASK = r"^(?:please |can you |could you |would you |now )?"
_BRIEF = (r"(?: (?:briefly|please|pls|plz|in (?:short|brief|a nutshell|plain (?:english|"
          r"words))|in(?:to)? (?:a few|one|two|three|four|five|\d+|a couple of) (?:sentences?|words|"
          r"lines|paragraphs?|points|bullets|bullet points)|in bullet (?:points|form)|as (?:a )?(?:list|bullets|"
          r"bullet points)|for (?:me|us|(?:a |an )?(?:non-?experts?|beginners?|lay ?(?:persons?|"
          r"m[ae]n|readers?|audience)|children|child|kids?|newcomers?|(?:busy )?executives?|"
          r"\w+-year-olds?))))?")
_OVERVIEW = [
    re.compile(_ASK + r"(?:summari[sz]e|sum (?:it |this |that |them |everything )?up|recap|"
               r"outline|skim|digest|eli5|tl;? ?dr|pr[eé]cis)\b"),
    # shorten the whole: "condense it", "boil this article down", "distil the report"
    re.compile(_ASK + rf"(?:condense|distil+|boil (?:it|this|that|{THIS} {DOC}) down|boil down "
               rf"(?:it|this|that|{THIS} {DOC}))(?: (?:it|this|that|{THIS} {DOC}))?\b"),
    re.compile(_ASK + rf"break (?:(?:it|this|that|{THIS} {DOC}) down|down (?:it|this|that|"
               rf"{THIS} {DOC}))(?: for (?:me|us))?" + _BRIEF + _END),
    re.compile(_ASK + rf"(?:tell (?:me|us) (?:more )?about|walk (?:me|us) through|take (?:me|us) "
               rf"through|go (?:over|through)) (?:it|this|{THIS} {DOC})" + _BRIEF + _END),
    # a summary asked for in so many words: "What's the summary?", "I want a summary of it"
    re.compile(rf"\b(?:a|an|the|your)\s+(?:(?:brief|short|quick|high-level|general|one-"
               rf"paragraph|executive)\s+)?(?:summary|overview|synopsis|recap|tl;? ?dr|rundown)"
               rf"(?: of (?:it|this|{THIS} {DOC}))?" + _BRIEF + _END),
    re.compile(rf"\bwhat(?:'?s| is| was| are) the (?:gist|upshot|bottom line|big picture|broad "
               rf"strokes)(?: of (?:it|this|that|(?:{THIS} )?{DOC}))?(?: here)?" + _BRIEF + _END),
    re.compile(_ASK + r"give (?:me |us )?(?:a |an |the )?(?:brief |short |quick |high-level |one-"
               r"paragraph |general )?(?:summary|overview|recap|synopsis|gist|rundown|tl;? ?dr|"
               r"idea|picture|sense)\b"),
    re.compile(r"^(?:an? |the )?(?:tl;? ?dr|summary|overview|synopsis|gist|recap|(?:executive|"
               r"short|brief|quick) summary|(?:main|key) (?:points|takeaways|ideas)|in (?:a "
               r"nutshell|short|brief))" + rf"(?: of (?:it|this|{THIS} {DOC}))?" + _BRIEF + _END),
    re.compile(rf"\b(?:the |its )?(?:main |key )?highlights(?: of (?:it|this|{THIS} {DOC}))?"
               + _BRIEF + _END),
    re.compile(rf"\b(?:main|key|central|major|core|big|important) (?:points?|ideas?|themes?|"
               rf"topics?|arguments?|messages?|takeaways?|findings?|conclusions?|facts)(?: "
               rf"(?:covered|discussed|raised|made|addressed))?(?: (?:of|in|from|by) (?:{THIS} )?"
               rf"{DOC})?" + _BRIEF + _END),
    re.compile(r"\b(?:key )?takeaways?" + _END),
    re.compile(rf"\bwhat(?:'?s| is| are| was| were)? (?:{THIS} )?{DOC} (?:is |are |was )?"
               rf"{_MAINLY}(?:about|on|saying|covering|concerned with|focused on|getting at|driving "
               r"at)" + _END),
    re.compile(rf"\bwhat(?:'?s| is| was) (?:it|this|that) {_MAINLY}about" + _END),
    re.compile(rf"^who(?:'?s| is| are| was) (?:it|this|that|{THIS} {DOC}) {_MAINLY}about" + _END),
    re.compile(rf"\bwhat (?:it|this|that) is {_MAINLY}about" + _END),
    # asked with nothing else: "this" and "it" can only be what was handed over
    re.compile(r"^(?:so,? )?what(?:'?s| is) this" + _END),
    re.compile(r"^(?:(?:so|ok|okay|briefly|in short|in brief|basically|quickly),? )?what (?:does|"
               r"do) (?:it|this|they) (?:say|tell (?:me|us))" + _END),
    re.compile(rf"^what(?:'?s| is) (?:in|inside) (?:it|{THIS} {DOC})" + _END),
    re.compile(rf"^what(?:'?s| is) covered(?: (?:in|by) (?:it|this|{THIS} {DOC}))?" + _END),
    re.compile(rf"^what (?:should|do|must|need) (?:i|we) (?:to )?know about (?:it|{THIS} {DOC})"
               + _END),
    # the document's purpose or topic ("the purpose of the bureau" is a fact about the bureau)
    re.compile(rf"\bwhat(?:'?s| is| was) the (?:main |central |overall |general )?(?:purpose|"
               rf"point|aim|goal|subject|topic|focus|theme|message|idea) of (?:it|this|"
               rf"{THIS} {DOC})" + _END),
    re.compile(rf"\bwhat (?:do|does|did) {THIS} {DOC} (?:say|discuss|cover|describe|argue|"
               r"contain|talk about|deal with|tell (?:me|us))(?: overall| in general| in short| in "
               r"brief| in a nutshell)?" + _END),
    re.compile(rf"\b(?:describe|explain|introduce) {THIS} {DOC}" + _BRIEF + _END),
    re.compile(rf"\bwhat (?:topics|subjects|themes) (?:do|does|are) (?:covered )?(?:in )?"
               rf"(?:{THIS} )?{DOC}" + _END),
    re.compile(rf"\bwhat (?:topics|subjects|themes|issues) (?:do|does|did) (?:it|{THIS} {DOC}) "
               r"(?:discuss|cover|address|deal with|touch on|go over)" + _END),
    re.compile(rf"^(?:what (?:is|are|was|were) |what's )?(?:the |its )?(?:main |overall |central )?"
               rf"(?:thesis|central argument|overall message)(?: (?:of|in|from) (?:it|{THIS} "
               rf"(?:{DOC}|authors?)))?" + _END),
    re.compile(rf"\bwhat (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) argue" + _END),
    # its stance: "What's this paper's angle?", "what is the author's take?"
    re.compile(rf"^what(?:'?s| is| was) (?:{THIS} (?:{DOC}|authors?)'s?|its|the (?:{DOC}|authors?)"
               rf"'s?) (?:main |overall |basic )?(?:angle|take|stance|position|perspective|"
               rf"viewpoint|point of view|slant)" + _END),
]
# "Summarize the career of Ma": a summary of what the sources say about a topic, unless the
# object is the document itself or its points ("summarize the main points of the report").
_SUMMARY_OF = re.compile(_ASK + r"(?:summari[sz]e|condense|distil+|sum up|recap|outline|give (?:me |us )?(?:a |an "
                         r"|the )?(?:brief |short |quick |one-paragraph )?(?:summary|overview|"
                         r"rundown|recap|synopsis) of) (?P<topic>.+?)" + _BRIEF + _END)
_SAYS_ABOUT = re.compile(rf"^what (?:it|they|{THIS} (?:{DOC}|authors?)) (?:says?|said|writes?|"
                         rf"wrote|tells? (?:me|us)|covers?) (?:about|on|regarding|concerning) ")
_NOT_A_TOPIC = frozenset(terms("""main key major important central core overall general whole
entire essential essence point idea finding takeaway argument theme message highlight conclusion content thing
everything all what says said about cover discuss study research result summary overview
""" + _DOC_WORDS))
# An overview of how the document ends: its conclusion.
_ENDING = [
    re.compile(rf"^(?:what (?:is|are|was|were) |what's )?(?:the |its |{THIS} {DOC}'s )?(?:main |"
               rf"overall |final )?(?:conclusions?|verdict)(?: (?:of|in|from) (?:it|{THIS} "
               rf"(?:{DOC}|authors?)))?" + _END),
    re.compile(rf"\bwhat (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) conclude" + _END),
    re.compile(rf"^how (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) (?:end|conclude|finish|"
               r"wrap up|close)" + _END),
]
_SHORT = r"(?:[^\s,:?]+ ){0,3}[^\s,:?]+"  # a name or a short phrase: up to 4 words
# A comparison is the question's whole point: it opens with it (or is just "A vs B").
_COMPARE = [
    re.compile(_ASK + r"(?:compare|contrast)(?: and (?:compare|contrast))? (?:(?P<wh>how|what|whether) )?"
               r"(?P<a>.+?) (?:and|with|"
               r"to|against|vs\.?|versus) (?P<b>.+)"),
    re.compile(r"^what (?:distinguishes|differentiates|separates|sets apart) (?P<a>.+?) from "
               r"(?P<b>.+)"),
    re.compile(r"^what (?:sets|marks|singles) (?P<a>.+?) (?:apart|out) from (?P<b>.+)"),
    re.compile(r"^(?:tell (?:me|us)|explain|describe|show (?:me|us)) how (?P<a>.+?) (?:differs?|"
               r"compares?|contrasts?|stacks? up) (?:from|to|with|against) (?P<b>.+)"),
    re.compile(r"^(?:what (?:are|is|were|was) |what's )?(?:the )?(?:main |key |major |biggest )?"
               r"(?:differences?|similarit(?:y|ies)|contrasts?|distinctions?)(?: and "
               r"(?:differences?|similarit(?:y|ies)))? between "
               r"(?P<a>.+?) and (?P<b>.+)"),
    re.compile(r"^how (?:does|do|did|is|are|was|were) (?P<a>.+?) (?:differ|different|compare|"
               r"contrast|similar)(?: \w+)? (?:from|to|with) (?P<b>.+)"),
    re.compile(r"^(?:how|in what ways?) (?:do|did|does) (?P<a>.+?) and (?P<b>.+?) (?:differ|"
               r"compare|contrast|stack up|measure up)" + _END),
    re.compile(r"^what (?:do|did|does) (?P<a>.+?) and (?P<b>.+?) have in common" + _END),
    re.compile(r"^(?:how|in (?:what|which) ways?) (?:are|were|is|was) (?P<a>.+?) and (?P<b>.+?) "
               r"(?:alike|similar|different|related)" + _END),
    re.compile(rf"^(?P<a>{_SHORT}) and (?P<b>{_SHORT})\s*[:,-]+\s*(?:(?:the |their |any )?"
               r"(?:similarit(?:y|ies)|differences?|contrasts?)|compared?|contrasted|vs\.?|how do "
               r"they (?:differ|compare)|what do they have in common)" + _END),
    # "Which is bigger, A or B?", "A or B: who led a lunar mission?" (the rest is the aspect)
    re.compile(rf"^(?P<ask>(?:which|who|what)(?: \w+)? (?P<aspect>(?:[^\s,:]+ ){{0,3}}[^\s,:]+))"
               rf"\s*[,:]\s*(?P<a>{_SHORT}(?:, {_SHORT})*),? or (?P<b>{_SHORT})" + _END),
    re.compile(rf"^(?P<a>{_SHORT}(?:, {_SHORT})*),? or (?P<b>{_SHORT})\s*[,:?]\s*(?P<ask>(?:which|"
               r"who)(?: one)? (?P<aspect>.+?))" + _END),
    re.compile(r"^(?!(?:what|who|how|why|when|where|which|whose|whom|did|does|do|is|are)\b)"
               r"(?P<a>(?:[^\s,?]+ ){0,3}[^\s,?]+) (?:vs\.?|versus|compared (?:to|with)) "
               r"(?P<b>(?:[^\s,?:]+ ){0,3}[^\s,?:]+?)(?:\s*[:,?]\s*(?P<ask>(?:which|who|what)"
               r"(?: one)? (?P<aspect>.+?)))?" + _END),
]
_LIST = re.compile(r"^(?:please )?(?:list|name|enumerate|itemi[sz]e|give (?:me |us )?(?:a list "
                   r"of|all|the)|what (?:are|were) (?:the|all the|some of the|some)|(?:which|what) "
                   r"\w+ (?:are|were) (?:there|mentioned|listed|named)|(?:which|what) \w+s (?:does|"
                   rf"do|did) (?:it|{THIS} {DOC}) (?:mention|name|list|talk about|discuss|cover|"
                   r"refer to))\b")
# Words around a comparison that only set its scope: "Side by side, how do A and B stack up?",
# "How do A and B differ according to the article?"
_LEAD_IN = re.compile(rf"^(?:side by side|overall|in short|briefly|according to {THIS} {DOC}|in "
                      rf"{THIS} {DOC}),\s*")
_SCOPE = re.compile(rf",?\s+(?:according to|in|as described in|based on|as per) {THIS} {DOC}"
                    + _END)
# "B in terms of X", "B regarding X"; "B on X" where B is a short name
_IN_TERMS = re.compile(r"^(?P<who>.+?),? (?P<by>in terms of|regarding|concerning|with (?:respect|"
                       r"regard) to|in (?:regard|relation) to|when it comes to|as regards) "
                       r"(?P<aspect>.+)$|^(?!(?:those|these|that|this|it|them|ones?)\b)"
                       r"(?P<name>(?:[^\s']+ ){0,2}[^\s']+) (?P<on>on|about) (?P<topic>.+)$")
_ASPECT = re.compile(r"^(?:the |their |his |her |its )?(?P<aspect>[\w\s-]+?) of (?P<who>.+)$")
_OWNED = re.compile(r"^(?P<who>.+?)'s? (?P<aspect>[\w\s-]+)$")  # "yuan jiajun's careers"


@dataclass
class Intent:
    """kind: "overview" | "comparison" | "list" | "factoid"; subjects: what is compared;
    aspect: what about them ("careers"); by: how the question puts the aspect ("of": "the
    careers of A and B", "on": "A and B on X", "how": "how A and B approached X", or the
    question it asks: "which is bigger?");
    files: the files the question names; part: "end" for an overview of the conclusion."""

    kind: str
    subjects: list[str] = field(default_factory=list)
    aspect: str = ""
    by: str = "of"
    files: list[str] = field(default_factory=list)
    part: str = ""  # "end": an overview of how the document ends (its conclusion)
    topic: str = ""  # an overview of what the sources say about this ("Ma's career")


def _clean(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+|[\s?.!,;:]+$", "", phrase.strip()).strip()


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
            (intent_model.json; "Boil it down for me").
    """
    intent = by_patterns(question, sources)
    if embed is not None and intent.kind in ("factoid", "list") and \
            overview_probability(embed([question])[0]) >= _overview_model()[2]:
        return Intent("overview", files=intent.files)
    return intent


def by_patterns(question: str, sources: list[str] | None = None) -> Intent:
    """The intent the patterns alone give (see `detect`)."""
    files = named_files(question, sources or [])
    q = fold(question).strip()
    asked = _SCOPE.sub("", _LEAD_IN.sub("", q))  # "side by side, ... in the article?"
    for pattern in _COMPARE:
        m = pattern.search(asked)
        compared = _comparison(question, m, files) if m else None
        if compared:
            return compared
    q = _FILE_NAME.sub("the document", q)  # "what is notes.pdf about?" asks about a document
    summary_of = _SUMMARY_OF.search(q)
    if summary_of:
        topic = _SAYS_ABOUT.sub("", summary_of.group("topic"))
        if (set(terms(topic)) - _NOT_A_TOPIC and not _FILE_NAME.search(topic)
                and not re.fullmatch(_BRIEF + _END, f" {topic}")):  # "in 5 bullet points"
            topic = re.sub(r"[\s?.!,;:]+$", "", topic.strip())
            return Intent("overview", files=files, topic=_original(question, topic))
    if any(p.search(q) for p in _ENDING):
        return Intent("overview", files=files, part="end")
    if any(p.search(q) for p in _OVERVIEW):
        return Intent("overview", files=files)
    if _LIST.search(q):
        return Intent("list", files=files)
    return Intent("factoid", files=files)


def _comparison(question: str, m: re.Match, files: list[str]) -> Intent | None:
    """The sides, aspect and wording of a comparison pattern's match (None if the sides
    are not distinct): the aspect may come before the sides ("the careers of A and B"),
    after them ("A and B regarding X"), inside a possessive ("A's and B's careers", "A's
    approach ... B's") or after the last side's name ("the A and B roles")."""
    a, b = _clean(m.group("a")), _clean(m.group("b"))
    aspect = _clean(m.groupdict().get("aspect") or "")
    by = _original(question, m.group("ask")) + "?" if aspect else "of"
    terms_of = None if aspect else _IN_TERMS.match(b)
    if terms_of:
        b = _clean(terms_of.group("who") or terms_of.group("name"))
        aspect = _clean(terms_of.group("aspect") or terms_of.group("topic"))
        by = terms_of.group("by") or terms_of.group("on")
    found = _ASPECT.match(a)
    if found and (not aspect or terms_of):  # "the views of A and B on X"
        a = _clean(found.group("who"))
        aspect = " ".join(x for x in (found.group("aspect").strip(), aspect and by, aspect)
                          if x)
        by = "of"
    owned = _OWNED.match(b)
    if not aspect and a.endswith(("'s", "s'")) and owned:  # "A's and B's careers"
        a, b, aspect = a.removesuffix("'s").removesuffix("'"), owned.group("who"), \
            owned.group("aspect").strip()
    elif not aspect and owned and "'s " in b and _is_name(question, a):  # "A and B's X"
        b, aspect = owned.group("who"), owned.group("aspect").strip()
    elif not aspect and a.endswith("'s") and " " in b:  # "A's and Western approaches"
        b, aspect = _named_head(question, b)
        a = a.removesuffix("'s")
    if not aspect and b.endswith("'s") and (own := _OWNED.match(a)):  # "A's X ... B's"
        a, b, aspect = own.group("who"), b.removesuffix("'s"), own.group("aspect").strip()
    elif not aspect and " " in b and _is_name(question, a):  # "the A and B roles"
        head, rest = _named_head(question, b)
        if rest and _is_name(question, head) and not _is_name(question, rest):
            b, aspect = head, rest
    if aspect and m.groupdict().get("wh"):  # "compare how A and B approached X"
        by = m.group("wh")
    sides = [*_listed(a), b]  # "A, B and C": three sides
    if not all(sides) or len(set(sides)) < len(sides):
        return None
    return Intent("comparison", [_original(question, x) for x in sides],
                  _original(question, aspect), by, files)


def _listed(phrase: str) -> list[str]:
    """The items of "A, B" (the start of "A, B and C"), when each is a short name; else the
    phrase whole."""
    parts = [_clean(p) for p in re.split(r",\s*", phrase)]
    return parts if len(parts) > 1 and all(0 < len(p.split()) <= 4 for p in parts) else [phrase]


def _is_name(question: str, phrase: str) -> bool:
    """Whether the question writes the phrase as a name: each word capitalised."""
    return all(w[:1].isupper() for w in _original(question, phrase).split())


def _named_head(question: str, phrase: str) -> tuple[str, str]:
    """(the name that opens a phrase, the rest): its capitalised words as the question wrote
    them, else its first word ("Western approaches to X" -> ("western", "approaches to X"))."""
    written = _original(question, phrase).split()
    n = next((i for i, w in enumerate(written) if not w[:1].isupper()), len(written))
    n = n if 0 < n < len(written) else 1
    folded = phrase.split()
    return " ".join(folded[:n]), " ".join(folded[n:])


def _original(question: str, folded: str) -> str:
    """The phrase as the question wrote it (case and accents), found by its folded form."""
    q = fold(question)
    whole = re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", q)  # "ma", not summarize's "ma"
    i = whole.start() if whole else q.find(folded)
    return question[i:i + len(folded)] if i >= 0 and len(q) == len(question) else folded
