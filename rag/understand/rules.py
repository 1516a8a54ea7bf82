"""The rules that tell the kinds of question apart, as data run by one engine.

Each rule is a row: a name, a priority, a pattern (rag.understand.phrasings), the view of the
question it reads, and a builder that turns a match into a typed intent (rag.understand.kinds)
or declines (None), when the next rule is tried. The lowest priority is tried first; rows of
one priority in table order. A question no rule takes is a Fact.

The views of a question (all folded: rag.text.fold):
    "q":      chat openers dropped ("hey can u list ..." -> "can you list ..."), and each
              document named by its subject written "the document" (rag.understand.documents)
    "asked":  q without lead-ins and scopes ("side by side, ...", "... in the article"): what
              a comparison's sides are read from
    "plain":  q with each file name written "the document" ("what is notes.pdf about?")

Every rule's examples, and its counter-examples, are rows of tests/understand/data/
intents.jsonl; eval/kinds.py diffs the kind of every eval question against a snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from rag.text import fold, name_groups, terms, written_as_name
from rag.understand.comparisons import comparison
from rag.understand.documents import (FILE_NAME, Named, Reference, by_subject, named_files,
                                      refer, the_document)
from rag.understand.kinds import (Comparison, Explanation, Fact, Intent, Names, Overview, Part,
                                  RollCall, TopicSummary)
from rag.understand.lexicon import ABOUT_VERBS, alternation
from rag.understand.phrasings import (BRIEF, BROAD_ASPECT, CHATTY, CLOSING_PART, COMPARE,
                                      COMPARE_TAIL, DATES, DESCRIBE, DOC, DOC_ON,
                                      DOC_ON_SUBJECT, END, ENDING, EXPLAIN, EXPLANATION,
                                      LEAD_IN, LIST,
                                      NOT_A_TOPIC, OPENING, OPENING_PART, ORGANISATIONS,
                                      OVERVIEW, PART_ON, PEOPLE, PLACES, ROLE_IN, SAYS_ABOUT,
                                      WHICH_DOCUMENTS, AUTHORS,
                                      SCOPE, SECTION_NAMED, SUMMARY_OF, THE_DOCUMENT, THIS,
                                      TIMELINE_OF)
from rag.understand.wording import original


@dataclass
class Asked:
    """A question as the rules see it: the words as asked, its views, and its scope."""

    question: str
    sources: list[str]
    views: dict[str, str]
    files: list[str]  # the indexed files it names, by name or by subject
    written: list[str]  # those it names by file name written out
    by_name: list[str] = field(default_factory=list)  # those it names by subject
    said: list[str] = field(default_factory=list)  # the name of the document it reads as
    # "the document" ("Raft" of "the Raft paper")


Builder = Callable[[re.Match, Asked], Intent | None]


@dataclass(frozen=True)
class Rule:
    name: str
    priority: int
    pattern: re.Pattern
    reads: str  # the view: "q", "asked" or "plain"
    build: Builder


def _rows(name: str, priority: int, patterns: list[re.Pattern] | re.Pattern, reads: str,
          build: Builder) -> list[Rule]:
    """One row per pattern of a phrasing list, in its order."""
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return [Rule(name, priority, p, reads, build) for p in patterns]


def _trimmed(phrase: str) -> str:
    return re.sub(r"[\s?.!,;:]+$", "", phrase.strip())


def _a_topic(phrase: str) -> bool:
    """Whether a phrase names something besides "main", "key", "overall" ... ."""
    return bool(set(terms(phrase)) - NOT_A_TOPIC)


def _part_named(phrase: str) -> Part | None:
    """The part of the document a phrase names ("the conclusion", "the first section")."""
    for part, words in ((Part.END, CLOSING_PART), (Part.START, OPENING_PART)):
        if words.match(phrase):
            return part
    return None


# -- topic summaries -----------------------------------------------------------------------

# the document, or what it holds, said another way: "the report like I'm five", "the
# contents of the file", "the gist of the paper", "the main points in simple terms"
_OF_THE_DOCUMENT = re.compile(rf"^(?:(?:the |its )?[\w'’-]+ of )?{THIS} {DOC}\b|^(?:the |its )?"
                              r"(?:contents?|gist|substance|essence|main|key|major|central|"
                              r"core|overall)\b")
_DOC_PART = re.compile(r"^(?:the |its )?(?:intro|introduction|opening|beginning|start|conclusion|"
                       r"ending|end)\b")
_OWNED = re.compile(r"\w['’]s?\b")


def _bare(topic: str) -> bool:
    """A topic that is a name alone ("Yuan", "the National Data Bureau") or holds none ("data
    governance"): what the sources say about it is a summary. "Guangdong's GDP" or "the NDB's
    budget" asks a fact about a name: the factoid path (it can abstain)."""
    plain = re.sub(r"^(?:the|a|an)\s+", "", topic.strip(), flags=re.I)
    return "'" not in plain and "’" not in plain and (
        written_as_name(plain) or not name_groups(f"About {plain}"))


def topic_summary(question: str, topic: str, files: list[str],
                  view: bool = False) -> TopicSummary | None:
    """What the document says about a topic a pattern found (DOC_ON, ROLE_IN, DESCRIBE,
    DOC_ON_SUBJECT), or None when the "topic" is the document itself or a part of it.
    `view`: the document's view on it was asked ("its take on ...")."""
    topic = _trimmed(PART_ON.sub("", SCOPE.sub("", topic)))
    if not _a_topic(topic) or THE_DOCUMENT.match(topic) or \
            _DOC_PART.match(topic) or _OF_THE_DOCUMENT.match(topic):
        return None
    written = original(question, topic)
    broad = BROAD_ASPECT.match(written)
    # the document's view on something is a summary of it, "its take on ChatGPT regulation"
    # too, and so is the career or role of a name; a fact about a name's own thing ("the
    # NDB's budget", "Tesla's childhood") is one only if a search for it vouches (else a fact)
    vouched = not (_bare(written) or (view and not _OWNED.search(topic)) or (
        broad and _bare(broad.group("who") or broad.group("of"))))
    return TopicSummary(files=files, topic=written, vouched=vouched)


# -- builders ------------------------------------------------------------------------------

def _document_on_subject(m: re.Match, asked: Asked) -> Intent | None:
    """"What does the document on NASA's moon program cover?" (no file is about it): what
    the documents say of the subject, when the question read as about "the document" is
    an overview."""
    if asked.by_name:
        return None
    q = asked.views["q"]
    whole = by_patterns(q[:m.start()] + "the document" + q[m.end():], asked.sources)
    if isinstance(whole, Overview) and not whole.part:
        return topic_summary(asked.question, m.group("subject"), asked.files)
    return None


def _comparison(m: re.Match, asked: Asked) -> Intent | None:
    if "yes_no" in m.groupdict() and not any(
            name_groups(f"About {original(asked.question, m.group(side))}") for side in "ab"):
        return None  # "Are prices different from last year?" asks a fact
    # a side may be in another file than the one the words name ("Tesla's turbine with the
    # turbines in the steam engine article"): only file names written out scope a comparison
    return comparison(asked.question, m, asked.written)


def _summary_of(m: re.Match, asked: Asked) -> Intent | None:
    """"Summarize X": the document, a part of it, or a topic."""
    topic = PART_ON.sub("", SAYS_ABOUT.sub("", SCOPE.sub("", m.group("topic"))))
    part = _part_named(topic)
    if part:  # "summarize the conclusion": a part of the document
        return Overview(files=asked.files, part=part)
    if (_a_topic(topic)
            and not re.fullmatch(BRIEF + END, f" {topic}")  # "in 5 bullet points"
            and not THE_DOCUMENT.match(topic)):  # "the document for my boss"
        return TopicSummary(files=asked.files, topic=original(asked.question, _trimmed(topic)))
    return None


def _says_on(m: re.Match, asked: Asked) -> Intent | None:
    """"What does the document say about X?", "What role does X play in ...?"."""
    return topic_summary(asked.question, m.group("topic"), asked.files,
                         bool(m.groupdict().get("view")))


def _described(m: re.Match, asked: Asked) -> Intent | None:
    return topic_summary(asked.question, m.group("topic"), asked.files)


def _section(m: re.Match, asked: Asked) -> Intent | None:
    """"Explain the section on X", "explain the first section" (the opening)."""
    if not _a_topic(m.group("topic")):
        return None
    part = _part_named(m.group()[m.start("topic") - m.start():])
    if part:
        return Overview(files=asked.files, part=part)
    return TopicSummary(files=asked.files, topic=original(asked.question, m.group("topic")))


def _explained_part(m: re.Match, asked: Asked) -> Intent | None:
    """"Walk me through the part about X"."""
    if not PART_ON.match(m.group("topic")):
        return None
    topic = _trimmed(PART_ON.sub("", m.group("topic")))
    return TopicSummary(files=asked.files, topic=original(asked.question, topic)) \
        if _a_topic(topic) else None


# A topic cut before its noun: "How did Tesla finance his work?" ("work" is his work, not
# how something works), "What is the body not composed of?"
_OPEN_END = re.compile(r"(?:\b(?:his|her|their|its|my|our|your|the|a|an|this|that|these|those|"
                       r"of|not)|['’]s?)$", re.I)


def _explained(m: re.Match, asked: Asked) -> Intent | None:
    """"How does hinted handoff work?", "What does a tablet hold?", "Explain quorum reads":
    the part of a document about a thing. Not the document itself or a part of it ("explain
    the conclusion"), and not "explain"/"describe" a name ("Describe Yuan's career": what the
    documents say about it, a topic summary)."""
    topic = _trimmed(SCOPE.sub("", m.group("topic")))
    of_document = bool(asked.said and re.search(r"\bthe document\b", topic))
    if of_document:  # "How does the Raft paper's leader election work?": Raft's, in that file
        topic = re.sub(r"\bthe document\b", lambda _: asked.said[0], topic, count=1)
    if not _a_topic(topic) or THE_DOCUMENT.match(topic) or _DOC_PART.match(topic) or \
            _OF_THE_DOCUMENT.match(topic) or _part_named(topic) or _OPEN_END.search(topic):
        return None
    written = original(asked.question, topic)
    if m.re is DESCRIBE and not of_document and name_groups(f"About {written}"):
        return None  # "Describe Yuan's career"; not "Explain the GFS paper's record appends"
    return Explanation(files=asked.files, topic=written)


def _timeline(m: re.Match, asked: Asked) -> Intent | None:
    """"A timeline of Ma's career" (not "a timeline of the events in the article": DATES)."""
    if not _a_topic(m.group("topic")):
        return None
    return RollCall(files=asked.files, names=Names.DATES,
                    topic=original(asked.question, _trimmed(m.group("topic"))))


def _overview(part: Part) -> Builder:
    return lambda m, asked: Overview(files=asked.files, part=part)


def _roll_call(names: Names) -> Builder:
    return lambda m, asked: RollCall(files=asked.files, names=names)


_ABOUT = re.compile(rf"^(?:{alternation(ABOUT_VERBS)})\s+", re.I)


def _which_documents(m: re.Match, asked: Asked) -> Intent | None:
    """ "Which of these papers deal with consensus?": the documents about "consensus"; only
    when the question says how a document is about it ("deal with", "discuss", ...): "What
    report had the correct date?" asks a fact about a report the sources mention."""
    said = _trimmed(m.group("topic"))
    topic = _ABOUT.sub("", said)
    if topic == said or not _a_topic(topic):
        return None
    return RollCall(files=asked.files, names=Names.DOCUMENTS,
                    topic=original(asked.question, topic))


RULES: list[Rule] = sorted([
    *_rows("document on a subject", 10, DOC_ON_SUBJECT, "q", _document_on_subject),
    *_rows("comparison", 20, COMPARE, "asked", _comparison),
    *_rows("which documents", 25, WHICH_DOCUMENTS, "q", _which_documents),
    *_rows("authors", 45, AUTHORS, "plain", _roll_call(Names.AUTHORS)),
    *_rows("summary of", 30, SUMMARY_OF, "plain", _summary_of),
    *_rows("what it says on", 40, DOC_ON, "plain", _says_on),
    *_rows("role in", 40, ROLE_IN, "plain", _says_on),
    *_rows("ending", 50, ENDING, "plain", _overview(Part.END)),
    *_rows("opening", 50, OPENING, "plain", _overview(Part.START)),
    *_rows("overview", 50, OVERVIEW, "plain", _overview(Part.WHOLE)),
    *_rows("people named", 50, PEOPLE, "plain", _roll_call(Names.PEOPLE)),
    *_rows("organisations named", 50, ORGANISATIONS, "plain", _roll_call(Names.ORGANISATIONS)),
    *_rows("places named", 50, PLACES, "plain", _roll_call(Names.PLACES)),
    *_rows("dates named", 50, DATES, "plain", _roll_call(Names.DATES)),
    *_rows("list", 50, LIST, "plain", _roll_call(Names.ANY)),
    *_rows("section named", 60, SECTION_NAMED, "plain", _section),
    *_rows("explain a part", 70, EXPLAIN, "plain", _explained_part),
    *_rows("explanation", 75, EXPLANATION, "plain", _explained),
    *_rows("describe", 80, DESCRIBE, "plain", _described),
    *_rows("timeline of", 90, TIMELINE_OF, "plain", _timeline),
], key=lambda rule: rule.priority)


_SAID_AS_DOCUMENT = re.compile(rf"^(?:the|a|an)\s+|\s+{DOC}$|['’]s?$", re.I)


def _unchatty(text: str) -> str:
    return re.sub(r"\bu\b", "you", CHATTY.sub("", text.strip()))


def read(question: str, sources: list[str] | None = None, reference: Reference | None = None
         ) -> Asked:
    """The question's views and the files it names (`reference`: those it names by title,
    short name or author, rag.understand.documents.refer; one such file is "the document")."""
    sources = sources or []
    reference = reference or Reference()
    said: list[str] = []
    if len(reference.files) == 1 and reference.spans:  # "Summarize 'Out of the Tar Pit'"
        said = [_SAID_AS_DOCUMENT.sub("", question[s:e]).strip(" '\"‘’“”")
                for s, e in reference.spans]  # "the Raft paper": "Raft"
        question = the_document(question, reference.spans)
    q, by_name = by_subject(question, sources)  # "the Tesla article": the document
    named = named_files(question, sources)
    q = _unchatty(q)  # "hey can u list ...": "can you"
    # "side by side, ... in the article?", "Which began first, A or B? Compare the dates."
    # Two documents named by subject stay as named: "Compare the Quill paper and the Sparrow
    # paper" compares them (not "the document and the document")
    sided = q if len(by_name) < 2 else _unchatty(fold(question))
    asked = SCOPE.sub("", LEAD_IN.sub("", COMPARE_TAIL.sub("", sided)))
    plain = FILE_NAME.sub("the document", q)  # "what is notes.pdf about?": a document
    written = [f for f in named if fold(PurePosixPath(f).name) in fold(question)]
    return Asked(question, sources, {"q": q, "asked": asked, "plain": plain},
                 list(dict.fromkeys([*named, *by_name, *reference.files])), written, by_name,
                 [n for n in said if n])


def _side_document(side: str, sources: list[str], names: list[Named],
                   prominent: Callable[[str], list[str]] | None,
                   common: Callable[[str], bool] | None = None) -> str | None:
    """The file a comparison's side names, by title, short name or author ("the GFS paper")
    or by subject ("Quill paper": quill.md), if one does."""
    found = refer(side, names, prominent, common).files or by_subject(f"the {side}", sources)[1]
    return found[0] if len(found) == 1 else None


def by_patterns(question: str, sources: list[str] | None = None,
                names: list[Named] | None = None,
                prominent: Callable[[str], list[str]] | None = None,
                common: Callable[[str], bool] | None = None) -> Intent:
    """The intent the rules give: the first rule, by priority, whose pattern matches its view
    of the question and whose builder takes the match; else a Fact. With the documents'
    `names` (and `prominent`, `common`), documents named by title, short name or author count too:
    see rag.understand.documents.refer."""
    reference = refer(question, names, prominent, common) if names else Reference()
    asked = read(question, sources, reference)
    intent = next((built for rule in RULES
                   if (m := rule.pattern.search(asked.views[rule.reads]))
                   and (built := rule.build(m, asked)) is not None), None) \
        or Fact(files=asked.files)
    intent.choices, intent.said = reference.candidates, "; ".join(reference.said)
    if intent.choices:  # a name several files fit: none of them is taken for it
        intent.files = [f for f in intent.files if f not in intent.choices]
    if isinstance(intent, Fact):  # a fact about a system the question names by its bare
        # name ("What does Bigtable store?") may be answered by any file
        intent.files = [f for f in intent.files if f not in reference.loose]
    if isinstance(intent, Comparison) and names:  # a side that names a document is that file
        intent.documents = [_side_document(side, sources or [], names, prominent, common)
                            for side in intent.sides]
        intent.files = list(dict.fromkeys([*intent.files,
                                           *(d for d in intent.documents if d)]))
    return intent
