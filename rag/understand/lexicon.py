"""The lexicon: every word list that question understanding and name finding read, once.

Patterns (rag.understand.phrasings, rewrite, names) are built from these lists; a word is
added here, in the list whose role it shares, and every pattern that reads that list sees
it. Lists are plain data; `forms` and `alternation` turn them into regular expressions.
"""

from __future__ import annotations

import re

from rag import text

# -- documents -----------------------------------------------------------------------------

# What people call a document ("the article", "this paper", "the PDF").
DOC_WORDS = ("document doc article text file paper report piece essay page book source pdf "
             "chapter story post memo note transcript").split()

# -- saying that something is in the documents ----------------------------------------------

# Participles that say a thing is in the documents, not what it is: "the agencies
# mentioned", "the risks discussed" (no source sentence holds these words).
MENTIONED = ("mentioned discussed described covered raised highlighted outlined cited "
             "referenced identified").split()
# Two more that can also be the content: "the companies listed", "the people named".
LISTED = ("named", "listed")

# -- numbers -------------------------------------------------------------------------------

# How many sentences an answer should have, when the question says ("three bullet points").
NUMBERS = {"one": 1, "a single": 1, "two": 2, "a couple of": 2, "three": 3, "four": 4,
           "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

# -- topics --------------------------------------------------------------------------------

# Words that name no topic: "summarize the main points", "what is the key takeaway".
NOT_A_TOPIC = ("""main key major important central core overall general whole entire
essential essence point idea finding takeaway argument theme message highlight conclusion
content thing everything all what says said about cover discuss study research result summary
overview here presented raised made contained covered discussed gist""".split() + DOC_WORDS)

# -- people --------------------------------------------------------------------------------

# Kinds of person a roll call may ask for ("Which scientists are mentioned?").
PERSON_KINDS = tuple("""official leader politician scientist researcher engineer inventor emperor
empress king queen ruler president minister secretary governor general author writer artist
poet expert academic mathematician astronomer physicist businessman businesswoman
entrepreneur executive founder khan""".split())
# Words before a name that are not part of it: titles and roles ("Administrator Robert
# Seamans"), and openers a sentence may capitalise ("Upon Kennedy's death").
TITLES = frozenset("""mr mrs ms miss dr prof professor sir dame lord lady king queen prince
princess pope saint st duke duchess emperor empress earl baron bishop archbishop cardinal
sultan tsar president governor secretary minister premier senator general
chairman chairwoman chair mayor judge captain administrator associate deputy vice chief
director ambassador commander officer founder author writer historian economist
sociologist archaeologist archeologist scientist physicist chemist biologist
mathematician philosopher astronaut actor actress producer defense defence upon although
though like unlike despite following whereas""".split())

# -- organisations -------------------------------------------------------------------------

# Words that make a capitalised run a body ("the National Data Bureau", "Zhejiang University").
BODIES = frozenset("""university bureau commission administration council committee party
bank company corporation inc ltd group ministry department agency office institute academy
college school centre center association union organization organisation foundation
society court assembly congress parliament senate authority board service fund
laboratory laboratories""".split())

# -- places --------------------------------------------------------------------------------

# The kinds of place a question asks for ("Which provinces ...?", "in which city"): each with
# the other nouns a text uses for it, and an adjective that, before "in", says the same
# ("provincial party secretaries in Guangdong").
PLACE_KINDS = {"province": (("province",), "provincial"),
               "city": (("city", "megacity"), "municipal"),
               "country": (("country", "nation"), None),
               "region": (("region",), None), "state": (("state",), None),
               "town": (("town", "village"), None),
               "municipality": (("municipality",), "municipal")}
PLACE_NOUNS = tuple(PLACE_KINDS)
# Words that end a place's name after "the" ("the Greater Bay Area", "the United States").
PLACE_NAME_ENDS = frozenset("""area region province city county district bay river valley sea
ocean island islands republic kingdom states emirates mountains desert peninsula coast gulf
lake strait territory territories union basin plain plains""".split())
# Words that make a capitalised run a place or a date rather than a person.
NOT_A_PERSON = BODIES | frozenset("""republic area province city county district region
house street road avenue river mountain mount lake sea ocean island
islands bay valley park north south east west northern southern eastern western central
national international state states kingdom empire dynasty revolution war act treaty law
day church cathedral museum hospital airport station award prize cup league games olympics
monday tuesday wednesday thursday friday saturday sunday""".split()) | frozenset(text.MONTHS)
# Words that make a run an event, a work or a language rather than a place ("World War II",
# "in Latin").
NOT_A_PLACE = frozenset("""war wars revolution act treaty award awards prize cup league games
olympics festival conference summit declaration agreement accord battle bowl series
championship latin greek english french german norse dutch arabic hebrew sanskrit""".split())

# -- dates ---------------------------------------------------------------------------------

MONTHS = [m.capitalize() for m in text.MONTHS]  # as names are written


# -- turning lists into patterns -------------------------------------------------------------

def plural(noun: str) -> str:
    """The plural of a kind of person or place ("secretary" -> "secretaries")."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("man"):
        return noun[:-3] + "men"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def forms(nouns: tuple[str, ...] | list[str]) -> list[str]:
    """Each noun and its plural ("city", "cities")."""
    return [w for noun in nouns for w in (noun, plural(noun))]


def alternation(words: list[str] | tuple[str, ...]) -> str:
    """A non-capturing group matching any of the words (longest first)."""
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", " ")
                            for w in sorted(set(words), key=len, reverse=True)) + ")"

# How "Which papers ... X?" says a paper is about X ("deal with", "discuss"): not X itself
ABOUT_VERBS = ("deal with", "deals with", "dealt with", "discuss", "discusses", "discussed",
               "mention", "mentions", "mentioned", "cover", "covers", "covered", "address",
               "addresses", "addressed", "describe", "describes", "described", "talk about",
               "talks about", "are about", "is about", "were about", "was about", "about",
               "study", "studies", "studied", "present", "presents", "presented", "propose",
               "proposes", "proposed", "introduce", "introduces", "introduced", "focus on",
               "focuses on", "concern", "concerns", "use", "uses", "used", "treat", "treats",
               "look at", "looks at", "explain", "explains", "touch on", "touches on")
