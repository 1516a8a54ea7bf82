"""Rewrite: the question as it is searched for: a follow-up read with the conversation
("Where is he now?" after "Who is Yuan Jiajun?" -> "Where is Yuan Jiajun now?"), without
the words about the asking ("List the agencies mentioned in the article." -> "Which
agencies?"); rag.understand.intent decides what kind of answer it wants."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.understand.lexicon import (DOC_WORDS, LISTED, MENTIONED, NUMBERS, PLACE_NOUNS,
                                    alternation, forms)
from rag.understand.phrasings import DOC, LIST_TAIL, THIS
from rag.text import words

# Words about the asking, not about the thing asked ("list ...", "... mentioned in the
# article"): no source sentence holds them, so they are left out of what is searched for.
_IMPERATIVE = re.compile(r"^(?:please |can you |could you |would you )?(?:list|enumerate|itemi[sz]e|"
                         r"give (?:me |us )?(?:an? (?:bullet(?:ed)? |short |full |complete )?list "
                         r"of|all(?: of)?)|show(?: me| us)?|name (?:all|the|"
                         r"all the))\s+(?:(?:all|every) (?:of )?)?(?:the )?", re.I)
_META_TAIL = re.compile(rf"(?:,?\s+(?:that|which) (?:is|are|was|were)|\s+(?:is|are|was|were))?"
                        rf"\s+{alternation([*MENTIONED, *LISTED, 'referred to'])}\s+(?:in|by)\s+"
                        rf"(?:{THIS} )?{DOC}(?=\W*$)"
                        rf"|,?\s+(?:in|from|within|according to)\s+(?:{THIS} )?{DOC}(?=\W*$)"
                        rf"|{LIST_TAIL}(?=\W*$)",
                        re.I)
# "What agencies are mentioned?", "What are the main challenges discussed?", "List the
# risks mentioned": which agencies, challenges, risks ("listed", "named" can be the content:
# "the companies listed")
_ASKED = alternation(MENTIONED)
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


# Follow-ups: a pronoun stands for what the previous question was about, the first name it
# holds ("What did Ma Xingrui do in Shenzhen?" is about Ma Xingrui); "And Ma?" asks the
# previous question again about another; "Tell me more" asks for a summary about the same.
_FOLLOW_UP = re.compile(r"^(and|but|so|also|what about|how about)\b|\b(it|its|they|them|their|"
                        r"this|that|these|those|he|she|his|her|there|then)\b", re.I)
_NAME = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’-]*)*")
_SUBJECT = re.compile(r"\b(?:he|she|it|they|him|them)\b", re.I)
_OWNER = re.compile(r"\b(?:his|its|their)\b|\bher\b(?=\s+(?!(?:in|on|at|to|for|with|by|from|"
                    r"and|or|as|about)\b)[a-z])", re.I)
_HER = re.compile(r"\bher\b", re.I)
_HE = re.compile(r"\b(?:he|she|him|his|her)\b", re.I)
_ANOTHER = re.compile(r"^(?:(?:and|but|also),?\s+)?(?:(?:what|how) about\s+(?P<x>.+?)|(?<=and )"
                      r"(?P<y>[^?,]{1,40}?))\W*$", re.I)
_LEAD = re.compile(r"^(?:and|but|so|also),?\s+", re.I)
# A follow-up that is only a question word ("Why?", "How so?", "To do what?") asks it of the
# previous question.
_BARE = re.compile(r"^(?:(?:and|but|so),?\s+)?(?:why(?: not| so)?|how(?: so| come)?|when|where|"
                   r"(?:to|in order to) do what|for what|what for|in what way|like what)\W*$", re.I)
# "there" as a place, not "there is", "are there"
_THERE = re.compile(r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )\bthere\b(?!\s+(?:is|are|was|"
                    r"were|be|been|will|would|has|have|had|seems?|remains?|exists?)\b)", re.I)
_PLACE_NOUN = alternation(forms(PLACE_NOUNS + ("place",)))
_WHERE = re.compile(rf"^\W*(?:(?:and|but|so),?\s+)?(?:where|(?:in )?(?:which|what) (?:area|"
                    rf"{_PLACE_NOUN})s?)\b", re.I)
# "that region", "this city": the place, as "there" is ("that area" is often a field)
_THAT_PLACE = re.compile(rf"\b(?:that|this|the same)\s+(?:megacity|{_PLACE_NOUN})\b", re.I)
# "it" that stands for nothing: "why is it inevitable that ...", "it's hard to ..."
_EXPLETIVE_AFTER = re.compile(r"(?:'s|\s+(?:is|was|seems|seemed|would be|will be|has been))?\s+"
                              r"(?:\w+\s+){0,2}?(?:that|to|whether)\b", re.I)
# "made it onto the Politburo": the idiom, no "it" of a thing
_MAKE = re.compile(r"\b(?:make|makes|made|making)\s+$", re.I)
# A fragment, the question word inside ("Respect from whom?", "After which year?", "since
# when?"): the previous question's missing part
_ASKING = r"(?:who|whom|whose|what|which|when|where|why|how)"
_FRAGMENT = re.compile(rf"^(?!\W*{_ASKING}\b)[^?.!]{{0,40}}\b{_ASKING}\b[^?.!]*\?\W*$", re.I)
# A thing the question itself names before its "it", "its", "they": "When does the primary
# write its reply?" (its: the primary's), "If a lease expires, how long does it wait?"; not
# the thing the pronoun belongs to ("the interim version of it")
_THING = re.compile(r"\b(?:the|a|an|each|every|any)\s+[\w-]+(?:\s+(?!(?:of|to|for|about|on|in|"
                    r"with|from|at|by|into|over|it|its|they|them|their)\b)[\w-]+){0,3}", re.I)
_IT = re.compile(r"\b(?:it|its|they|them|their)\b", re.I)
_ATTACHED = re.compile(r"^\s+(?:of|to|for|about|on|in|with|from|at|by|into|over)\s+$", re.I)


def refers_inside(question: str) -> bool:
    """Whether every "it", "its", "they", "them", "their" of a question can stand for a thing
    it names itself, before the pronoun ("When does the primary write its reply to the
    client?", "Which hash does Bitcoin use for its proofs?"): such a question stands alone
    after any turn. Not the thing the pronoun hangs on ("the interim version of it", "any
    downside to it")."""
    pronouns = list(_IT.finditer(question))

    names = [question.find(n) for n in named(question)]  # "does Bitcoin use for its ..."

    def inside(p: re.Match) -> bool:
        things = list(_THING.finditer(question, 0, p.start()))
        if things and _ATTACHED.match(question[things[-1].end():p.start()]):
            things.pop()
        return bool(things) or any(0 <= at < p.start() for at in names)

    return bool(pronouns) and all(inside(p) for p in pronouns)


def joined(question: str, condensed: str) -> bool:
    """Whether `condense` read a follow-up by joining it to the question before it."""
    return condensed != question.strip() and condensed.endswith(" " + question.strip())


def follows_on(question: str, condensed: str) -> bool:
    """Whether a question leans on the conversation before it: the conversation rewrote it,
    or it holds a pronoun or "that"/"there" with nothing in it to stand for ("Why make them
    that large?"), or it names nothing in a few words ("What if the votes are split?").
    Such a question is searched first within the files the conversation was about."""
    if condensed != question:
        return True
    if _FOLLOW_UP.search(question) and not refers_inside(question):
        return True
    return not named(question) and len(question.split()) <= 12


_MORE = re.compile(r"^(?:(?:can you |please |could you )?tell (?:me|us) more|more|go on|"
                   r"elaborate|what else)\W*$", re.I)


def asks_for_more(question: str) -> bool:
    """ "Tell me more", "go on", "what else?": more about what the last question was about."""
    return bool(_MORE.match(question.strip()))


def named(text: str, openers: bool = False) -> list[str]:
    """The names a question holds, as written, in order: runs of capitalised words ("Ma
    Xingrui", "National Data Bureau", "Cyberspace Administration of China"), not the
    question's first word ("Who", "Compare"); with `openers`, a sentence's first word too
    (in an answer: "Ma, like Yuan, ...")."""
    out = []
    for m in _NAME.finditer(text):
        run = m.group()
        if not openers and (m.start() == 0 or re.search(r"[.?!]\s*$", text[:m.start()])):
            run = run.split(None, 1)[1] if " " in run else ""
        if run[:1].isupper():
            out.append(re.sub(r"['’]s$", "", run))
    return out


def condense(question: str, history: list[dict] | None,
             usual: Callable[[str], str] = lambda name: name,
             is_person: Callable[[str], bool] = lambda name: True,
             is_place: Callable[[str], bool] = lambda name: True) -> str:
    """A standalone question from a follow-up and the conversation so far.

    A pronoun becomes what the previous question was about: "it"/"its" the first name it
    holds that is not a person ("And when was it set up?" after "What is the National Data
    Bureau?" -> "When was National Data Bureau set up?"); "he", "she", "his", "her" the
    first person it names, else the first the previous answer names (after "Who led
    Chang'e 3?"), called as the sources usually call them (`usual`: "Ma"). A pronoun after
    a name of the follow-up's own is left alone ("Did Ma say he ..."). "And Ma?" / "What
    about the CAC?" is the previous question about that instead; "Tell me more" asks for a
    summary of what the sources say about the same. "They", "them", "their" are the first two
    people the previous question (else its answer) names ("Ma and Yuan"), never one thing;
    an "it" that stands for nothing stays ("why is it inevitable that ..."). "There" and
    "that city" are a place (`_place`). Without a name to go on, a short follow-up is joined
    to the previous question, so retrieval sees what it refers to; so is a bare question word
    ("Why?") or a fragment with one inside ("Respect from whom?").

    Args:
        usual: a person's name as the sources usually write it (rag.understand.names.usual_form).
        is_person: whether the sources refer to a name as a person (he, his, ...).
        is_place: whether the sources write a name where a place goes ("in Xinjiang").
    """
    question = question.strip()
    users = [i for i, m in enumerate(history or []) if m.get("role") == "user"]
    if not users or refers_inside(question) and not re.search(
            r"\b(?:he|she|him|his|her|there)\b|^(?:and|but|so|also|what about|how about)\b",
            question, re.I):
        return question
    last = users[-1]
    previous = condense(history[last]["content"], history[:last], usual, is_person, is_place)
    about = named(previous)
    answered = history[last + 1]["content"] if last + 1 < len(history) else ""
    people = [n for n in about if is_person(n)] or [
        n for n in named(answered, openers=True) if is_person(n)]
    things = [n for n in about if n not in people] or about
    asked_about = things_asked(previous) or ([] if about else _asked_before(history, users))
    # ("a tablet", "resource offers": not names; else what an earlier question asked about)
    indefinite = _INDEFINITE.findall(previous)  # what "one" may stand for: "a FreeBSD jail"
    if about:
        topic = about[0]
        another = _ANOTHER.match(question)
        if another and not _SUBJECT.search(question) and not _OWNER.search(question):
            other = (another.group("x") or another.group("y")).strip()
            # a name ("And Ma?", "What about the CAC?"), not "And in 2017?"
            if len(other.split()) <= 5 and re.match(r"(?:(?:[Tt]he|[Aa]n?)\s+)?[A-Z]", other):
                at = previous.find(topic)
                if re.search(r"\b(?:the|a|an)\s+$", previous[:at], re.I):  # "the NDB"
                    other = re.sub(r"^(?:the|a|an)\s+", "", other, flags=re.I)
                return previous[:at] + other + previous[at + len(topic):]
        if asks_for_more(question):  # a summary of it, not the same answer again
            return f"Summarize what the sources say about {topic}"
    placed = _THERE.search(question) or _THAT_PLACE.search(question)
    where = _place(previous, answered, is_place) if placed else None
    if about or people or where or asked_about or indefinite and _ONE.search(question):
        own = [question.find(n) for n in named(question)]
        before = min(own, default=len(question))  # "Did Ma say he ...": he is Ma
        person = usual(people[0]) if people else None
        if person is None and _HE.search(question) and not _IT.search(question):
            # "What did he say ...?" after a question about Einstein, whom his own paper
            # never calls "he": the previous question's one name, if a single word, no place
            single = [n for n in about if " " not in n and not is_place(n)]
            person = single[0] if len(about) == 1 and single else None
        singular = [t for t in asked_about if not _is_plural(t)]
        thing = things[0] if things else None
        if singular and (thing is None or _WITHIN.search(_between(previous, singular[0],
                                                                  thing))):
            thing = f"the {singular[0]}"  # "What is a tablet in Bigtable?": it is the tablet
            # (but "What is the population of Chongqing?": its, Chongqing's)
        plural = re.search(r"\b(?:they|them|their)\b", question, re.I)
        group = _two_people(about, answered, is_person, usual) if plural else None
        if plural and group is None and asked_about:  # "they" after "What is a tablet?"
            many = [t for t in asked_about if _is_plural(t)]
            group = f"the {many[0] if many else _plural_of(asked_about[0])}"

        def referent(pronoun: str) -> str | None:
            if pronoun.lower() in ("he", "she", "him", "his", "her"):
                return person
            if pronoun.lower() in ("they", "them", "their"):  # two people, or the things
                return group
            return thing

        def replace(pattern: re.Pattern, q: str, owner: bool = False) -> str:
            def one(m: re.Match) -> str:
                who = referent(m.group())
                if who is None or m.start() >= before or m.group().lower() == "it" and (
                        _EXPLETIVE_AFTER.match(q, m.end()) or _MAKE.search(q, 0, m.start())):
                    return m.group()
                if owner:
                    return f"{who}'" if who.endswith("s") and who.startswith("the ") \
                        else f"{who}'s"
                return who
            return pattern.sub(one, q)

        resolved = replace(_HER, replace(_SUBJECT, replace(_OWNER, question, owner=True)))
        one = singular[0] if singular else indefinite[-1].strip() if indefinite else None
        if one:  # "each one", "inside one": one of the thing asked about, else of the last
            # thing the previous question brought in with "a"/"an"
            resolved = _ONE.sub(lambda m: f"{m.group(1)} {_A_ONE.get(m.group(1).lower(), '')}"
                                          f"{one}", resolved)
        if where:
            resolved = _THAT_PLACE.sub(where, _THERE.sub(f"in {where}", resolved))
        if resolved != question:
            resolved = _LEAD.sub("", resolved)
            return resolved[0].upper() + resolved[1:]
    if len(question.split()) <= 10 and (_FOLLOW_UP.search(question) or _BARE.match(question)) \
            or len(question.split()) <= 6 and _FRAGMENT.match(question):
        asked = history[last]["content"].strip()
        return f"{asked if previous.endswith(asked) else previous} {question}"
    return question


# The thing a question asks about, when it is no name: what a definition asks for ("What
# is a tablet in Bigtable?", "What is hinted handoff?", "What does Helland mean by an
# entity?") or the things a "which"/"how many" question counts ("Which systems did the study
# examine?", "How many nodes ..."); a phrase ends before a preposition, a verb of the
# question or its end. Not any phrase of the question: "they" after "How do the governments
# split the work?" is not "the works".
_STOP = (r"(?:in|of|on|for|to|at|by|with|from|into|over|about|under|between|and|or|does|do|"
         r"did|is|are|was|were|has|have|had|can|could|would|will|should|may|might|must|once|"
         r"when|while|that|which|who|whom|whose|where|if|than|as|so|its|their|his|her)")
_PHRASE = (rf"((?:(?!{_STOP}\b)[a-z][\w-]*\s+){{0,2}}(?!{_STOP}\b)[a-z][\w-]*)"
           rf"(?=\s+{_STOP}\b|\W*$|[?,.;:])")
_AUX = r"(?:does|do|did|is|are|was|were|has|have|had|can|could|would|will|should)"
_ASKED_THINGS = re.compile(rf"^(?:what|who) (?:is|are|was|were)\s+(?:the |an? )?{_PHRASE}"
                           rf"|\bmeant? by\s+(?:the |an? )?{_PHRASE}"
                           rf"|^(?:which|what|how many)\s+{_PHRASE}(?=\s+{_AUX}\b)", re.I)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)


def things_asked(question: str) -> list[str]:
    """The things a question asks about (_ASKED_THINGS), without their article: "What is a
    tablet in Bigtable?" -> ["tablet"], "Which systems did the study examine?" -> ["systems"]
    (what "they" or "it" stands for after it, when no name does)."""
    found = []
    for m in _ASKED_THINGS.finditer(question):
        phrase = _ARTICLE.sub("", next((g for g in m.groups() if g), "")).strip()
        kept = []
        for word in phrase.split():  # "root still allowed", "entities atomically"
            if kept and _ADVERB.match(word):  # "highly available store" keeps it
                break
            kept.append(word)
        phrase = " ".join(kept)
        last = phrase.split()[-1].lower() if phrase else ""
        if last and last not in _NOT_THINGS and last[:-1] not in _NOT_THINGS \
                and phrase.split()[-1][0].islower() and phrase not in found:  # no name
            found.append(phrase)
    return found


def _asked_before(history: list[dict], users: list[int]) -> list[str]:
    """The things the latest earlier question that asked about some asked about (before the
    last question, which asked about none): "each one" two turns after "What is a tablet?"."""
    for i in reversed(users[:-1]):
        found = things_asked(history[i].get("content", ""))
        if found:
            return found
    return []


# A thing brought in with an indefinite article after a preposition, as written: "(placed
# in) a FreeBSD jail", "(by) an entity"; not a subject, whose verb would be read into it
# ("after a customer pays")
_INDEFINITE = re.compile(rf"\b(?:in|into|inside|within|on|onto|to|from|at|of|for|with|by|"
                         rf"about|under|over|through)\s+(?:a|an)\s+((?:(?!{_STOP}\b)[\w-]+\s+){{0,2}}(?!{_STOP}\b)"
                         rf"[\w-]+)(?=\s+{_STOP}\b|\W*$|[?,.;:])", re.I)
# "one" standing for a thing, at the end of a clause: "Who decides which server serves each
# one?", "What can root do inside one?" (not "in one sentence", "one of them")
_ONE = re.compile(r"\b(each|every|any|which|that|this|inside|in|into|within|on|from|for|to|"
                  r"with|of) one\b(?=\s*(?:[?.!,;]|$)|\s+(?:and|or|but|then|too)\b)", re.I)
_A_ONE = {w: "a " for w in ("inside", "in", "into", "within", "on", "from", "for", "to",
                            "with", "of")}
_ADVERB = re.compile(r"(?i)(?:\w+ly|still|also|just|even|ever|never|already|yet|always|often|"
                     r"really|now|then|too|very|most|more|less|least)$")
_NOT_THINGS = frozenset(["it", "this", "that", "these", "those", "they", *DOC_WORDS])


def _is_plural(phrase: str) -> bool:
    last = phrase.split()[-1].lower()
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _plural_of(phrase: str) -> str:
    """ "tablet" -> "tablets", "entity" -> "entities", "process" -> "processes"."""
    head, _, last = phrase.rpartition(" ")
    if re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    elif re.search(r"(?:s|x|z|ch|sh)$", last):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


# The name after the thing only places it: the object of a place preposition ("a tablet in
# Bigtable", "root still allowed to do inside a FreeBSD jail"; not "the population of X")
_WITHIN = re.compile(r"\s(?:in|within|inside|at|on|for|from|under)\s+(?:(?:the|a|an)\s+)?$",
                     re.I)


def _between(text: str, first: str, then: str) -> str:
    """The text between `first` and the `then` after it ("" when either is missing)."""
    at = text.find(first)
    end = text.find(then, at + len(first)) if at >= 0 else -1
    return text[at + len(first):end] if end >= 0 else ""


def _two_people(about: list[str], answered: str, is_person: Callable[[str], bool],
                usual: Callable[[str], str]) -> str | None:
    """What "they" stands for: the first two people the previous question names, else the
    first two its answer names ("Ma and Yuan"), or None."""
    for names in (about, named(answered, openers=True)):
        found = list(dict.fromkeys(usual(n) for n in names if is_person(n)))
        if len(found) >= 2:
            return f"{found[0]} and {found[1]}"
    return None


def _place(previous: str, answered: str, is_place: Callable[[str], bool]) -> str | None:
    """What "there" stands for: the place a "where" question was answered with (the answer's
    first place the question does not name), else the first place the previous question
    names, else the first its answer names."""
    if _WHERE.match(previous):
        asked = set(named(previous))
        found = [n for n in named(answered) if n not in asked and is_place(n)]
        if found:
            return found[0]
    return next((n for n in named(previous) + named(answered) if is_place(n)), None)
