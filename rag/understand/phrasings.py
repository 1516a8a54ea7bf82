"""Phrasings: how people word the questions rag.understand.intent tells apart (an overview of a whole
document, its opening or conclusion, a summary of a topic, a comparison, a list, the
people or organisations it names), as regular expressions over the folded question
(rag.text.fold: lower case, plain quotes). Data, not logic: rag.understand.intent decides with them."""

from __future__ import annotations

import re

from rag.text import terms
from rag.understand.lexicon import (DOC_WORDS, LISTED, MENTIONED, NUMBERS, PERSON_KINDS,
                                    PLACE_NOUNS, alternation, forms, plural)
from rag.understand.lexicon import NOT_A_TOPIC as NOT_A_TOPIC_WORDS

DOC = rf"(?:{'|'.join(DOC_WORDS)})s?"
THIS = (r"(?:(?:this|the|that|these|those|my|our|your|each|every|all(?: the)?|both(?: the)?)"
        r"(?: (?:two|three|four|five|six|seven|eight|nine|ten))?)")  # "all three files"
END = r"\W*$"  # nothing but punctuation after: "the main points of X" asks about X, not this
MAINLY = r"(?:all |mainly |mostly |primarily |basically |generally |really |actually )?"
ASK = r"^(?:please |can you |could you |would you |now )?"
BRIEF = (r"(?:,? (?:briefly|please|pls|plz|in (?:short|brief|a nutshell|plain (?:english|"
         r"words))|in(?:to)? (?:a few|one|two|three|four|five|\d+|a couple of) (?:sentences?|"
         r"words|lines|paragraphs?|points|bullets|bullet points)|in bullet (?:points|form)|as "
         r"(?:a )?(?:list|bullets|bullet points)|for (?:me|us|(?:a |an )?(?:non-?experts?|"
         r"beginners?|lay ?(?:persons?|m[ae]n|readers?|audience)|children|child|kids?|"
         r"newcomers?|(?:busy )?executives?|\w+-year-olds?))))?")
# How many sentences an overview should have, when the question says: "in one sentence",
# "three bullet points", "the 5 key takeaways" (rag.understand.intent.asked_count).
COUNT = re.compile(rf"\b({'|'.join(NUMBERS)}|\d{{1,2}})\s+(?:(?:short|brief|key|main|"
                   r"bullet(?:ed)?|quick|simple)\s+)*(?:sentences?|points?|bullets?|"
                   r"takeaways?|lines?|highlights?|ideas?|things)\b", re.I)
OVERVIEW = [
    re.compile(ASK + r"(?:summari[sz]e|sum (?:it |this |that |them |everything )?up|recap|"
               r"outline|skim|digest|eli5|tl;? ?dr|pr[eé]cis)\b"),
    # shorten the whole: "condense it", "boil this article down", "distil the report"
    re.compile(ASK + rf"(?:condense|distil+|boil (?:it|this|that|{THIS} {DOC}) down|boil down "
               rf"(?:it|this|that|{THIS} {DOC}))(?: (?:it|this|that|{THIS} {DOC}))?\b"),
    re.compile(ASK + rf"break (?:(?:it|this|that|{THIS} {DOC}) down|down (?:it|this|that|"
               rf"{THIS} {DOC}))(?: for (?:me|us))?" + BRIEF + END),
    re.compile(ASK + rf"(?:tell (?:me|us) (?:more )?about|walk (?:me|us) through|take (?:me|us) "
               rf"through|go (?:over|through)) (?:it|this|{THIS} {DOC})" + BRIEF + END),
    # a summary asked for in so many words: "What's the summary?", "I want a summary of it"
    re.compile(rf"\b(?:a|an|the|your)\s+(?:(?:brief|short|quick|high-level|general|one-"
               rf"paragraph|executive)\s+)?(?:summary|overview|synopsis|recap|tl;? ?dr|rundown)"
               rf"(?: of (?:it|this|{THIS} {DOC}))?" + BRIEF + END),
    re.compile(rf"\bwhat(?:'?s| is| was| are) the (?:gist|upshot|bottom line|big picture|broad "
               rf"strokes)(?: of (?:it|this|that|(?:{THIS} )?{DOC}))?(?: here)?" + BRIEF + END),
    # the document's own argument, on its own subject: "what argument is the author making
    # about China's digital economy", "what's the big picture on X according to this text"
    re.compile(rf"\bwhat (?:argument|case|point|claim|thesis) (?:is|does) (?:the |this )?(?:"
               rf"authors?|writers?|{DOC}|it) (?:making|make|putting forward|put forward|"
               rf"advancing)\b"),
    re.compile(rf"\bwhat(?:'?s| is) the big picture (?:on|of|about|regarding) .+? (?:according to"
               rf"|in|from) (?:it|{THIS} {DOC})" + END),
    re.compile(ASK + r"give (?:me |us )?(?:a |an |the )?(?:brief |short |quick |high-level |one-"
               r"paragraph |general )?(?:summary|overview|recap|synopsis|gist|rundown|tl;? ?dr|"
               r"idea|picture|sense)\b"),
    re.compile(r"^(?:an? |the )?(?:tl;? ?dr|summary|overview|synopsis|gist|recap|(?:executive|"
               r"short|brief|quick) summary|(?:main|key) (?:points|takeaways|ideas)|in (?:a "
               r"nutshell|short|brief))" + rf"(?: of (?:it|this|{THIS} {DOC}))?" + BRIEF + END),
    re.compile(rf"\b(?:the |its )?(?:main |key )?highlights(?: of (?:it|this|{THIS} {DOC}))?"
               + BRIEF + END),
    re.compile(rf"\b(?:main|key|central|major|core|big|important) (?:points?|ideas?|themes?|"
               rf"topics?|arguments?|messages?|takeaways?|findings?|conclusions?|facts)(?: "
               rf"(?:covered|discussed|raised|made|addressed))?(?: (?:of|in|from|by) (?:{THIS} )?"
               rf"{DOC})?(?: here)?" + BRIEF + END),
    re.compile(r"\b(?:key )?takeaways?" + END),
    # an abstract asked for: "Provide an abstract.", "write an abstract for this paper"
    re.compile(ASK + rf"(?:give|provide|write|produce|draft|prepare)(?: me| us)? (?:a|an|the) "
               rf"(?:short |brief )?abstract(?: (?:of|for) (?:it|this|{THIS} {DOC}))?" + BRIEF
               + END),
    re.compile(rf"\bwhat(?:'?s| is| are| was| were)? (?:{THIS} )?{DOC} (?:is |are |was )?"
               rf"{MAINLY}(?:about|on|saying|covering|concerned with|focused on|getting at|driving "
               r"at)" + END),
    re.compile(rf"\bwhat(?:'?s| is| was) (?:it|this|that) {MAINLY}about" + END),
    re.compile(rf"^who(?:'?s| is| are| was) (?:it|this|that|{THIS} {DOC}) {MAINLY}about" + END),
    re.compile(rf"\bwhat (?:it|this|that) is {MAINLY}about" + END),
    # asked with nothing else: "this" and "it" can only be what was handed over
    re.compile(r"^(?:so,? )?what(?:'?s| is) this" + END),
    re.compile(r"^(?:(?:so|ok|okay|briefly|in short|in brief|basically|quickly),? )?what (?:does|"
               r"do) (?:it|this|they) (?:say|tell (?:me|us))" + END),
    re.compile(rf"^what(?:'?s| is) (?:in|inside) (?:it|{THIS} {DOC})" + END),
    re.compile(rf"^what(?:'?s| is) covered(?: (?:in|by) (?:it|this|{THIS} {DOC}))?" + END),
    re.compile(rf"^what (?:should|do|must|need) (?:i|we) (?:to )?know about (?:it|{THIS} {DOC})"
               + END),
    # the document's purpose or topic ("the purpose of the bureau" is a fact about the bureau)
    re.compile(rf"\bwhat(?:'?s| is| was) the (?:main |central |overall |general )?(?:purpose|"
               rf"point|aim|goal|subject|topic|focus|theme|message|idea|thrust|angle|take|"
               rf"stance|slant) of (?:it|this|{THIS} {DOC})" + END),
    re.compile(rf"\bwhat (?:do|does|did) {THIS} {DOC} (?:say|discuss|cover|describe|argue|"
               r"contain|talk about|deal with|tell (?:me|us))(?: overall| in general| in short| in "
               r"brief| in a nutshell)?" + END),
    re.compile(rf"\b(?:describe|explain|introduce) {THIS} {DOC}" + BRIEF + END),
    re.compile(rf"\bwhat (?:topics|subjects|themes) (?:do|does|are) (?:covered )?(?:in )?"
               rf"(?:{THIS} )?{DOC}" + END),
    re.compile(rf"\bwhat (?:topics|subjects|themes|issues) (?:do|does|did) (?:it|{THIS} {DOC}) "
               r"(?:discuss|cover|address|deal with|touch on|go over)" + END),
    re.compile(rf"^(?:what (?:is|are|was|were) |what's )?(?:the |its )?(?:main |overall |central )?"
               rf"(?:thesis|central argument|overall message)(?: (?:of|in|from) (?:it|{THIS} "
               rf"(?:{DOC}|authors?)))?" + END),
    re.compile(rf"\bwhat (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) argue" + END),
    # its main result: "What does the paper prove, and under what assumptions?", "what do the
    # authors propose?"
    re.compile(rf"^what (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?|study|studies)|the "
               rf"authors? of (?:it|{THIS} {DOC})) (?:prove|"
               r"show|demonstrate|establish|find|propose|contribute|introduce|present)"
               r"(?:,? and [^?]{1,80})?" + END),
    # its stance: "What's this paper's angle?", "what is the author's take?"
    re.compile(rf"^what(?:'?s| is| was) (?:{THIS} (?:{DOC}|authors?)'s?|its|the (?:{DOC}|authors?)"
               rf"'s?) (?:main |overall |basic )?(?:angle|take|stance|position|perspective|"
               rf"viewpoint|point of view|slant)" + END),
]
# Facts about the document as a thing, not what it says: its title, author, date, length.
# A factoid, whatever the learned overview classifier thinks ("What is the title of the
# article?" reads like "What is the subject of the article?" to it).
METADATA = re.compile(rf"\b(?:(?:title|headline|author|authors|writer|publisher|byline|"
                      rf"(?:publication|release) date|date|length|word count|(?:number of )?pages|"
                      rf"language|format|file ?name) of (?:it|this|{THIS} {DOC})|who (?:wrote|"
                      rf"authored|published|edited) (?:it|this|{THIS} {DOC})|when (?:was|were) "
                      rf"(?:it|this|{THIS} {DOC}) (?:written|published|released|updated)|how "
                      rf"(?:long|many pages|many words) (?:is|are|does) (?:it|this|{THIS} {DOC}))"
                      rf"\b")

# "Summarize the career of Ma": a summary of what the sources say about a topic, unless the
# object is the document itself or its points ("summarize the main points of the report").
# ("give me the gist of X", "what is the summary of X", or the noun alone: "overview of X")
SUMMARY_OF = re.compile(ASK + r"(?:summari[sz]e|condense|distil+|sum up|recap|outline|(?:give "
                        r"(?:me |us )?|what(?:'?s| is) |(?=an? |the |brief |short |quick |"
                        r"summary |overview |rundown |synopsis |gist ))(?:a |an |the )?"
                        r"(?:brief |short |quick |one-paragraph )?(?:summary|overview|rundown|"
                        r"recap|synopsis|gist) of) (?P<topic>.+?)" + BRIEF + END)
# "the section on Yuan": the topic is Yuan.
PART_ON = re.compile(r"^(?:the |this |that )?(?:section|part|passage|bit|portion|paragraphs?|"
                     r"chapter)s? (?:on|about|regarding|concerning|covering|dealing with|that "
                     r"(?:deals? with|covers?|discuss(?:es)?|talks? about)) ")
SAYS_ABOUT = re.compile(rf"^(?:what (?:it|they|{THIS} (?:{DOC}|authors?)) (?:says?|said|writes?|"
                        rf"wrote|tells? (?:me|us)|covers?)|everything|all) (?:about|on|regarding|"
                        rf"concerning) ")
# "What does the article say about Yuan?", "What's the article's take on X?", "Tell me about
# the part on Xinjiang": what the document says about a topic (rag.understand.intent: a bare name or a
# topic without one, not "Guangdong's GDP")
DOC_ON = re.compile(rf"^(?:so |and )?(?:what (?:does|do|did) (?:it|{THIS} (?:{DOC}|authors?|"
                    rf"writers?)) (?:say|tell (?:me|us)|write|claim|argue|report|note|have to say)"
                    rf" (?:about|on|regarding|concerning)|what(?:'?s| is| are) (?:its|{THIS} "
                    rf"(?:{DOC}|authors?)'s?) (?P<view>take|view|views|position|stance|angle|line|"
                    rf"perspective) on|(?:please |can you |could you )?tell (?:me|us) (?:more |"
                    rf"everything |all )?about|what(?:'?s| is) the deal with|what(?:'?s| is) "
                    rf"(?:said|written|mentioned|reported) (?:about|on|regarding)|(?:is there )?"
                    rf"anything (?:about|on)|(?:explain|describe|tell (?:me|us)|show (?:me|us)) "
                    rf"what (?:it|{THIS} (?:{DOC}|authors?)) (?:says?|said|writes?|wrote|reports?|"
                    rf"claims?|argues?) (?:about|on|regarding|concerning)|what(?:'?s| is) (?:in|"
                    rf"there in) (?:it|{THIS} {DOC}) (?:about|on|regarding|concerning)|"
                    rf"how (?:does|do|did) (?:it|{THIS} (?:{DOC}|authors?)) "
                    rf"(?:describe|portray|present|depict|characteri[sz]e|cover|treat|explain|"
                    rf"discuss)) "
                    rf"(?P<topic>.+?)" + BRIEF + END)
# "what role does zhejiang play in the story": what the document says about Zhejiang
ROLE_IN = re.compile(rf"^what (?:role|part) (?:does|do|did) (?P<topic>.+?) play in (?:the |this )?"
                     rf"(?:story|narrative|account|{DOC})" + END)
# "explain the Rankine cycle section": the topic is the Rankine cycle ("the first section" is
# the opening: rag.understand.intent tries these after the patterns of parts)
SECTION_NAMED = re.compile(ASK + r"(?:explain|describe|summari[sz]e|recap|walk (?:me|us) "
                           r"through|go (?:over|through)|what(?:'?s| is) in) the (?P<topic>"
                           r"[\w'’ -]+?) (?:section|part|chapter|passage|paragraphs?)" + END)
# "explain the section about Watt": the part of the document on a topic (PART_ON)
EXPLAIN = re.compile(ASK + r"(?:explain|describe|walk (?:me|us) through|go (?:over|through)) "
                     r"(?P<topic>.+?)" + BRIEF + END)
# "Describe Yuan Jiajun's career", "explain the role of the CAC": what the document says
# about a topic, as DOC_ON ("explain how / why ..." asks a fact; rag.understand.intent tries this after
# the overview patterns, so "describe the document" stays the whole document)
DESCRIBE = re.compile(ASK + r"(?:describe|explain|outline|characteri[sz]e|profile) (?!(?:how|"
                      r"why|what|when|where|who|whom|whose|which|whether|if)\b)(?P<topic>.+?)"
                      + BRIEF + END)
# How something works, what it holds, or "explain X" where X is a thing, not a name: the
# part of a document about it (rules._explained; "explain the role of the CAC" stays a topic
# summary, "describe the document" an overview: their rules come first)
EXPLANATION = [
    # "How does hinted handoff work?", "how do tablets get assigned to servers in practice?"
    re.compile(ASK + r"how (?:does|do|did|can|could|would|will|should) (?P<topic>.+?) (?:actually "
               r"|really )?(?:work|operate|function|behave|run|get (?:done|\w+ed))(?: in practice| "
               r"exactly)?" + BRIEF + END),
    # "Explain how Raft elects a leader", "describe how the master assigns chunks"
    re.compile(ASK + r"(?:explain|describe|walk (?:me|us) through|tell (?:me|us)) how "
               r"(?P<topic>.+?)(?: (?:actually |really )?(?:works?|operates?|functions?|"
               r"behaves?))?" + BRIEF + END),
    # "What does a tablet hold?", "what does the log consist of?"
    re.compile(ASK + r"what (?:does|do|did|can|could|will) (?P<topic>.+?) (?:hold|contain|"
               r"consist of|store|include|comprise|keep|record|carry|track)(?: (?:in|within|"
               r"inside) (?!(?:its|their|his|her|the|a|an)\b)[^?\s]+(?: [^?\s]+)?)?" + BRIEF + END),
    # "What is an SSTable made of?"
    re.compile(ASK + r"what (?:is|are|was|were) (?P<topic>.+?) (?:made|composed|built) (?:up )?"
               r"(?:of|from)" + BRIEF + END),
    # "Explain hinted handoff", "describe the two-queue algorithm"
    DESCRIBE,
]
NOT_A_TOPIC = frozenset(terms(" ".join(NOT_A_TOPIC_WORDS)))
# The document itself, then only what the summary is for or how it is to look ("the document
# for my boss", "the article to three bullet points"), not a topic within it ("the report's
# findings", "the paper on X").
THE_DOCUMENT = re.compile(rf"^(?:it|this|that|{THIS} (?:(?:entire|whole|full|complete) )?{DOC}|"
                          r"everything(?: (?:that'?s|that has|that was|you'?ve|i'?ve|we'?ve|"
                          r"you have|i have|we have)(?: been)? (?:uploaded|indexed|added|loaded|"
                          r"stored|got)| here| in (?:the|my|your) (?:index|library|collection))?)"
                          r"(?:$|,|\s*[-–—:;(]|\s+(?:for|to|into|in|as|so|section|paragraph|"
                          r"part)\b)")
# An overview of how the document ends: its conclusion.
_OF_IT = rf"(?: (?:of|in) (?:it|{THIS} {DOC}))?"
_WHOSE = rf"(?:the |its |{THIS} {DOC}'s )?"
_PARTS = r"(?:part|section|paragraphs?|lines?|sentences?|remarks|words|thoughts)"
_CLOSING = (rf"(?:(?:conclusions?|ending|end|final|closing|last|concluding) {_PARTS}|"
            r"conclusions?|ending|end)")
_OPENING = (rf"(?:(?:introduction|intro|opening|first|introductory) {_PARTS}|introduction|"
            r"intro|opening|beginning|start)")
ENDING = [
    re.compile(rf"^(?:what (?:is|are|was|were) |what's )?(?:the |its |{THIS} {DOC}'s )?(?:main |"
               rf"overall |final )?(?:conclusions?|verdict)(?: (?:of|in|from) (?:it|{THIS} "
               rf"(?:{DOC}|authors?)))?" + END),
    re.compile(rf"\bwhat (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) conclude" + END),
    re.compile(rf"^how (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) (?:end|conclude|finish|"
               r"wrap up|close)" + END),
    re.compile(rf"^what (?:does|do|did) {_WHOSE}{_CLOSING}{_OF_IT} (?:say|argue|conclude|tell "
               r"(?:me|us)|contain|cover)" + END),
    re.compile(rf"^(?:what (?:is|was) |what's )(?:in )?{_WHOSE}{_CLOSING}{_OF_IT}(?: (?:about|"
               r"saying))?" + END),
    # "What closing remarks does the author make?", "What note does the text end on?"
    re.compile(rf"^what (?:closing|concluding|final|parting) (?:remarks|words|thoughts|points?|"
               rf"observations?) (?:does|do|did) (?:it|{THIS} (?:{DOC}|authors?)) (?:make|offer|"
               r"give|have|leave (?:me|us|the reader) with)" + END),
    re.compile(rf"^(?:on )?what (?:note|point) (?:does|do|did) (?:it|{THIS} (?:{DOC}|authors?)) "
               r"(?:end|finish|close|conclude|wrap up)(?: on)?" + END),
    re.compile(rf"^what(?:'s| is| was) the (?:last|final) thing (?:it|{THIS} (?:{DOC}|authors?)) "
               r"(?:says?|talks? about|discuss(?:es)?|covers?|mentions?)" + END),
]
# An overview of how the document opens: its introduction ("How does the article begin?").
OPENING = [
    re.compile(rf"^how (?:do|does|did) (?:it|{THIS} (?:{DOC}|authors?)) (?:begin|start|open)"
               + END),
    re.compile(rf"^what (?:does|do|did) {_WHOSE}{_OPENING}{_OF_IT} (?:say|argue|cover|discuss|"
               r"tell (?:me|us)|contain)" + END),
    re.compile(rf"^(?:what (?:is|was) |what's )(?:in )?{_WHOSE}{_OPENING}{_OF_IT}(?: (?:about|"
               r"saying))?" + END),
    re.compile(rf"^what(?:'s| is| was) the first thing (?:it|{THIS} (?:{DOC}|authors?)) "
               r"(?:says?|talks? about|discuss(?:es)?|covers?|mentions?)" + END),
]
# "Summarize the conclusion", "Recap the introduction of the report": a part, not a topic.
CLOSING_PART = re.compile(rf"^{_WHOSE}{_CLOSING}{_OF_IT}" + END)
OPENING_PART = re.compile(rf"^{_WHOSE}{_OPENING}{_OF_IT}" + END)
SHORT = r"(?:[^\s,:?]+ ){0,3}[^\s,:?]+"  # a name or a short phrase: up to 4 words
# what a comparison is about, after the verb: "how do A and B compare in their approaches to
# X", "... differ in terms of X", "... have in common, and where do they differ, on X"
_AFTER = (r"(?:,? (?P<by>in terms of|when it comes to|with (?:respect|regard) to|regarding|in|on|"
          r"for|over|as) (?P<aspect>.+?))?")
# A comparison is the question's whole point: it opens with it (or is just "A vs B").
COMPARE = [
    # "Contrast Tesla's dealings with Westinghouse and with Morgan", "compare life under
    # Kublai and under Toghun": the repeated word marks the sides; before it, the aspect
    re.compile(ASK + r"(?:compare|contrast) (?P<aspect>(?:[^\s,]+ ){0,4}?[^\s,]+) (?P<each>with|"
               r"in|under|during|for|at|on|from|by|to|between|among|across) (?P<a>[^,]+?),? and "
               r"(?P=each) (?P<b>.+)"),
    re.compile(ASK + r"(?:compare|contrast)(?: and (?:compare|contrast))? (?P<a>[^,]+? to .+?) "
               r"(?:with(?! re(?:spect|gard))|against) (?P<b>.+)"),
    re.compile(ASK + r"(?:compare|contrast)(?: and (?:compare|contrast))? (?:(?P<wh>how|what|"
               r"whether) )?(?P<a>.+?) (?:and|with|"
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
    re.compile(r"^(?:how|in (?:what|which) ways?) (?:does|do|did|is|are|was|were) (?P<a>.+?) "
               r"(?:differ|different|compare|contrast|similar)(?: \w+)? (?:from|to|with) (?P<b>.+)"),
    re.compile(r"^how (?:similar|different|alike|comparable) (?:are|were|is|was) (?P<a>.+?) "
               r"(?:and|to|from|with) (?P<b>.+)"),
    # "Is Ma's path similar to Yuan's?" (rag.understand.intent: only when a side holds a name)
    re.compile(r"^(?:is|are|was|were) (?!(?:it|this|that|they|these|those|he|she)\b)(?P<yes_no>"
               r"(?P<a>.+?)) (?:similar|comparable|alike|different) (?:to|from|with) (?P<b>.+)"),
    re.compile(r"^(?:how|in what ways?) (?:do|did|does) (?P<a>.+?) and (?P<b>.+?) (?:differ|"
               r"compare|contrast|stack up|measure up)" + _AFTER + END),
    re.compile(r"^what (?:do|did|does) (?P<a>.+?) and (?P<b>.+?) have in common(?:,? and (?:where|"
               r"how) (?:do|did|does) (?:they|the two) differ)?" + _AFTER + r"(?: here)?" + END),
    re.compile(r"^(?:how|in (?:what|which) ways?) (?:are|were|is|was) (?P<a>.+?) and (?P<b>.+?) "
               r"(?:alike|similar|different|related)" + END),
    re.compile(rf"^(?P<a>{SHORT}) and (?P<b>{SHORT})\s*[:,\-–—]+\s*(?:(?:the |their |any )?"
               r"(?:similarit(?:y|ies)|differences?|contrasts?)|compared?|contrasted|vs\.?|how do "
               r"they (?:differ|compare)|how (?:are|were) they (?:similar|different|alike)(?: and "
               r"(?:similar|different))?(?: .+)?|what do they have in common)" + END),
    # "Which is bigger, A or B?", "A or B: who led a lunar mission?" (the rest is the aspect)
    re.compile(rf"^(?P<ask>(?:which|who|what)(?: \w+)? (?P<aspect>(?:[^\s,:]+ ){{0,3}}[^\s,:]+))"
               rf"\s*[,:]\s*(?P<a>{SHORT}(?:, {SHORT})*),? or (?P<b>{SHORT})" + END),
    re.compile(rf"^(?P<a>{SHORT}(?:, {SHORT})*),? or (?P<b>{SHORT})\s*[,:?]\s*(?P<ask>(?:which|"
               r"who)(?: one)? (?P<aspect>.+?))" + END),
    re.compile(r"^(?!(?:what|who|how|why|when|where|which|whose|whom|did|does|do|is|are)\b)"
               r"(?P<a>(?:[^\s,?]+ ){0,3}[^\s,?]+) (?:vs\.?|versus|compared (?:to|with)) "
               r"(?P<b>(?:[^\s,?:]+ ){0,3}?[^\s,?:]+?)(?: as (?P<role>(?:[^\s,?:]+ )?[^\s,?:]+))?"
               r"(?:\s*(?:[:,?]|\s[-–—]+)\s*(?:(?:what(?:'s| is| are) the (?:main |key )?"
               r"differences?|what sets them apart)(?: between (?:them|the two))?|(?P<ask>"
               r"(?:which|who|what)(?: one)? (?P<aspect>.+?))|(?:how|where|why|in what ways?) "
               r"(?:are|were|do|does|did|is|has|have|had) .+?|(?P<short>(?:[^\s?]+ ){0,2}"
               r"[^\s?]+)))?" + END),
]
# a list asked for after the question: "..., list them", "...? Enumerate them.", "...? Give
# me a list." (rag.understand.rewrite leaves it out of what is searched for)
LIST_TAIL = (r"(?:\s*[,;:-]|(?<=[?.!]))\s*(?:please )?(?:(?:list|enumerate|name) them(?: all)?|"
             r"give (?:me |us )?(?:a |the )?(?:full |complete |short |bullet(?:ed)? )?list|"
             r"(?:as |in )?(?:a )?bullet(?:ed)? list(?: please)?)")
LIST = [
    re.compile(ASK + r"(?:list|name|enumerate|itemi[sz]e|give (?:me |us )?(?:an? (?:bullet(?:ed)? "
               r"|short |full |complete )?list of|all|the)|what (?:are|were) (?:the|all the|some "
               r"of the|some)|(?:which|what) \w+ (?:are|were) "
               + alternation(["there", "mentioned", *LISTED]) + "|"
               rf"which of .+? (?:does|do|did) (?:it|{THIS} {DOC}) (?:mention|name|list|cite|"
               r"identify)|"
               rf"(?:which|what) \w+s (?:does|do|did) (?:it|{THIS} {DOC}) (?:mention|name|list|"
               r"talk about|discuss|cover|refer to|describe|include|outline|identify|highlight|"
               r"cite))\b"),
    re.compile(LIST_TAIL + END),
    # "What types of steam engine are described?", "which emperors of the dynasty are named?"
    re.compile(r"^(?:which|what) (?:(?:types?|kinds?|sorts?|forms?|varieties) of [\w' -]+?|\w+s"
               r"(?: of (?:the )?[\w' -]+?)?) (?:are|were) "
               + alternation(["there", *MENTIONED, *LISTED])
               + rf"(?: (?:in|by) (?:it|{THIS} (?:{DOC}|authors?)))?" + END),
    re.compile(rf"^(?:which|what) (?:types?|kinds?|sorts?|forms?|varieties) of .+? (?:does|do|"
               rf"did) (?:it|{THIS} {DOC}) (?:mention|name|list|describe|discuss|cover)" + END),
    # "What challenges are identified?" (not "Which Doctors were highlighted on ...")
    re.compile(rf"^(?:which|what) \w+ (?:are|were) {alternation(MENTIONED)}"
               rf"(?: (?:in|by) (?:it|{THIS} (?:{DOC}|authors?)))?" + END),
]
# The people a document names: "Who is mentioned in the article?", "List the people discussed"
# ("Which officials regulate ChatGPT?" asks a fact: only "mentioned", "named", ... or "in
# the article" make it a roll call).
# Kinds of person a roll call may ask for ("Which scientists are mentioned?"): rag.understand.names.called
_KINDS_OF_PERSON = "|".join(plural(k) for k in PERSON_KINDS)
_WHO = (r"(?:people|persons|individuals|(?:main )?characters|names of (?:the )?people|"
        rf"(?:[a-z-]+ )?(?:{_KINDS_OF_PERSON}))")
_NAMED = (r"(?:(?:that|who|which) (?:are |were |is |get )?)?(?:"
          + alternation([*MENTIONED, *LISTED, "featured", "quoted", "referred to", "talked about"])
          + rf"|appears? in (?:it|{THIS} "
          rf"{DOC})|appearing in (?:it|{THIS} {DOC})|in (?:it|{THIS} {DOC})|(?:it|{THIS} {DOC}) "
          rf"(?:mentions|names|discusses|talks about|refers to|covers))(?: (?:in|by) (?:it|"
          rf"{THIS} {DOC}))?")
_EVERY = (r"(?:an? (?:bullet(?:ed)? |full |complete |short )?list of |all |every |each )?(?:of )?"
          r"(?:the )?")
# where they are ("the emperors of the Yuan dynasty", "the inventors in the early history of
# the steam engine"): the roll call is of the document, so this is not kept
_OF_WHAT = r"(?: (?:of|in|from|during|under|at) [\w' -]+?)?"
PEOPLE = [
    re.compile(rf"^who (?:is|are|was|were|gets?) {_NAMED}" + END),
    re.compile(rf"^who (?:appears?|features?|is involved|are involved) in (?:it|{THIS} {DOC})"
               + END),
    re.compile(rf"^(?:which|what) {_WHO}{_OF_WHAT} (?:are|were|is|get|appear|does|do|did)(?: "
               rf"(?:it|{THIS} {DOC}))? (?:{_NAMED}|mention|name|discuss|talk about|feature)"
               + END),
    re.compile(ASK + rf"(?:(?:list|name|enumerate) |(?:give|show|tell) (?:me |us )?){_EVERY}"
               rf"{_WHO}{_OF_WHAT}(?: {_NAMED})?" + BRIEF + END),
    re.compile(rf"^who are (?:the|all the) (?:(?:key|main|important|principal|central|major|"
               rf"notable|prominent|leading) )?(?:{_WHO}|figures)(?: {_NAMED})?" + END),
    re.compile(r"\bwho(?:'?s| is) who\b"),
]
# The organisations a document names: "Which organisations are mentioned?", "What agencies
# does the article name?" ("Which agencies regulate data?" asks a fact).
_BODY = (r"(?:(?:government |state |public )?(?:organi[sz]ations?|agenc(?:y|ies)|institutions?|"
         r"bod(?:y|ies)|compan(?:y|ies)|firms?|departments?|ministr(?:y|ies)|authorit(?:y|ies)|"
         r"universit(?:y|ies)))")


def _roll_call(noun: str) -> list[re.Pattern]:
    """The ways to ask for every thing of a kind a document names, the kind being one noun
    or several ("institutions and organizations"): "Which Xs are mentioned?", "What Xs does
    the article name?", "List the Xs", "What are all the Xs mentioned?"."""
    nouns = rf"{noun}(?:,? (?:and |or )?{noun})*"
    return [
        re.compile(rf"^(?:which|what) {nouns} (?:are|were|is|get|appears?|does|do|did)(?: (?:it|"
                   rf"{THIS} {DOC}))? (?:{_NAMED}|mention|name|discuss|talk about|feature|"
                   r"refer to|cite)" + BRIEF + END),
        re.compile(ASK + rf"(?:(?:list|name|enumerate) |(?:give|show|tell) (?:me |us )?)"
                   rf"{_EVERY}{nouns}(?: {_NAMED})?" + BRIEF + END),
        re.compile(rf"^what (?:are|were) (?:all )?(?:the )?{nouns} {_NAMED}" + BRIEF + END),
    ]


ORGANISATIONS = _roll_call(_BODY)
# The places and the dates a document names: "Which cities are mentioned?", "List the
# years the article mentions" ("What year does the article mention?" asks for one).
PLACES = _roll_call(alternation(forms(PLACE_NOUNS + ("place", "location", "territory",
                                                 "nation", "place name"))
                                + ["geographic locations", "geographical locations",
                                   "geographic names", "geographical names"]))
# the dates of one topic: "Give me a timeline of Ma's career", "chronology of the reforms"
TIMELINE_OF = re.compile(ASK + r"(?:(?:give|show|make|build|create|draw up) (?:me |us )?)?(?:a |"
                         r"the )?(?:timeline|chronology) (?:of|for) (?P<topic>.+?)" + BRIEF + END)
DATES = _roll_call(r"(?:(?:every |each )(?:date|year)(?: (?:or|and) (?:date|year))?|dates|years|"
                   r"time ?periods|periods|decades|centuries)") + [
    re.compile(ASK + rf"(?:(?:give|show|make|build|create|draw up) (?:me |us )?)?(?:a |the )?"
               rf"(?:timeline|chronology)(?: of (?:the )?(?:events|dates)?(?: in)?(?: (?:it|"
               rf"{THIS} {DOC}))?)?" + BRIEF + END),
]
# "Which started earlier, A or B? Compare when each began.": the question before it says it
COMPARE_TAIL = re.compile(r"(?<=\?)\s+(?:please |now )?(?:compare|contrast)\b[^?]*$")
# a document named by a subject ("the document on NASA's moon program"), when no file name
# holds it (rag.understand.intent.by_subject): the question is about that subject
DOC_ON_SUBJECT = re.compile(rf"\b(?:the|this|that) {DOC} (?:on|about|regarding|concerning|"
                            r"covering) (?P<subject>[^?.!,;:()]+?)(?=\s+(?:covers?|says?|"
                            r"discuss(?:es)?|argues?|about|mean|tells?)\b|"
                            r"\s*[-–—?.!,;:(]|\s*$)")
# what a chat opens with before the question: "hey, tldr pls", "ok so what's the deal with X"
CHATTY = re.compile(r"^(?:(?:hey|hi|hello|ok|okay|so|um+|uh+|well|right|alright|quick question)"
                    r"\b[,!.:]?\s*)+")
# Words around a comparison that only set its scope: "Side by side, how do A and B stack up?",
# "How do A and B differ according to the article?"
LEAD_IN = re.compile(rf"^(?:side by side|overall|in short|briefly|according to {THIS} {DOC}|in "
                      rf"{THIS} {DOC}),\s*")
SCOPE = re.compile(rf",?\s+(?:according to|in|as (?:described|portrayed|discussed|presented|"
                   rf"depicted|shown|covered|explained|characteri[sz]ed) (?:in|by)|based on|as per) "
                   rf"{THIS} {DOC}" + END)
# "B in terms of X", "B regarding X"; "B on X" where B is a short name
IN_TERMS = re.compile(r"^(?P<who>.+?),? (?P<by>in terms of|regarding|concerning|with (?:respect|"
                       r"regard) to|in (?:regard|relation) to|when it comes to|as regards) "
                       r"(?P<aspect>.+)$|^(?!(?:those|these|that|this|it|them|ones?)\b)"
                       r"(?P<name>(?:[^\s']+ ){0,2}[^\s']+) (?P<on>on|about) (?P<topic>.+)$")
# What a summary of everything said about someone or something answers: "Ma's career",
# "the role of the CAC", "Yuan's career and policies"; not "the NDB's budget", a fact, nor
# "Yuan's childhood", which needs sentences on it (rag.understand.intent: the search must vouch)
_BROAD = (r"(?:careers?|roles?|work|record|activities|tenure|policies|path|story|history|"
          r"achievements?|contributions?|influence|impact|significance|importance|functions?|"
          r"responsibilities|duties|purpose)")
BROAD_ASPECT = re.compile(rf"^(?:the )?(?P<who>.+?)['’]s? {_BROAD}(?:,? (?:and )?{_BROAD})*$|"
                          rf"^(?:the )?{_BROAD}(?:,? (?:and )?{_BROAD})* of (?P<of>.+)$", re.I)
ASPECT = re.compile(r"^(?:the |their |his |her |its )?(?P<aspect>[\w\s-]+?) of (?P<who>.+)$")
OWNED = re.compile(r"^(?P<who>.+?)'s? (?P<aspect>[\w\s-]+)$")  # "yuan jiajun's careers"

# "Which of these papers deal with consensus?", "Which documents discuss caching?", "Which
# of the reports mention Tesla?": the documents, each with what it says (topic: the rest)
WHICH_DOCUMENTS = re.compile(rf"^(?:which|what) (?:of (?:{THIS}|the) )?(?:{DOC})\b,?\s+"
                             r"(?:(?:is|are|was|were|do|does|did)\s+)?"
                             r"(?!(?:it|this|that|they|he|she|you|i)\b)(?P<topic>.+?)\W*$")

# "Who wrote the Raft paper?" (read as "Who wrote the document?"), "Who are the authors of
# this report?": the document's authors, as its first page lists them
AUTHORS = re.compile(rf"^(?:who (?:wrote|authored|is the author of|are the authors of|was the "
                     rf"author of|were the authors of)|(?:what|which) (?:is|are) the "
                     rf"(?:authors?|authors' names) of|by whom (?:was|were) (?:it|{THIS} {DOC}) "
                     rf"written) ?(?:it|{THIS} {DOC})?" + END)
