"""Follow-ups on any corpus (rag.understand.rewrite): a question that stands alone is read as
asked after any turn; each kind of follow-up leans on the conversation, with a paraphrase
of each."""

import pytest

from rag.understand.rewrite import condense, follows_on, refers_inside, things_asked


def after(previous: str, answer: str = "It is explained in the paper.") -> list[dict]:
    return [{"role": "user", "content": previous}, {"role": "assistant", "content": answer}]


UNRELATED = after("What chunk size does GFS use?", "GFS uses 64 MB chunks.")


@pytest.mark.parametrize("question", [
    # its / it after a thing the question names itself
    "When does the primary write its reply to the client?",
    "When does a replica send its acknowledgement to the leader?",
    "If a lease expires, how long does it keep trying?",
    "Which hash function does Bitcoin use for its proof-of-work?",
    "What share of the failures did they trace to its code?",
    # no pronoun at all, names of its own
    "How does Raft elect a leader?",
])
def test_a_question_that_stands_alone_is_read_as_asked_after_an_unrelated_turn(question):
    assert refers_inside(question) or not follows_on(question, question)
    assert condense(question, UNRELATED) == question


@pytest.mark.parametrize("question", [
    "Who built the interim version of it?",   # the thing the pronoun hangs on does not count
    "Is there any downside to it?",
    "What does it use to resynchronize replicas after longer outages?",
    "Why make them that large?",
])
def test_a_pronoun_with_nothing_in_the_question_to_stand_for_follows_on(question):
    assert not refers_inside(question) and follows_on(question, question)


@pytest.mark.parametrize("question, read", [
    ("Who built the interim version of it?", "Who built the interim version of Dynabook?"),
    ("Who designed its interim version?", "Who designed Dynabook's interim version?"),
    ("And who paid for it?", "Who paid for Dynabook?"),
])
def test_it_and_its_stand_for_what_the_previous_question_named(question, read):
    assert condense(question, after("What was the Dynabook?")) == read


@pytest.mark.parametrize("previous, question, read", [
    # they / them / their: the thing the previous question asked about, in the plural
    ("What is a tablet in Bigtable?", "How big do they typically get?",
     "How big do the tablets typically get?"),
    ("What is a tablet in a tablet server?", "And how large can they grow?",
     "How large can the tablets grow?"),
    ("What is a resource offer in Mesos?", "Who decides which of them get used?",
     "Who decides which of the resource offers get used?"),
    ("What does Helland mean by an entity?", "Can one transaction update two of them?",
     "Can one transaction update two of the entities?"),
    ("Which systems did the study examine?", "How many nodes did their failures need?",
     "How many nodes did the systems' failures need?"),
    # it / its: the thing, as written
    ("What is hinted handoff in Dynamo?", "When is it used?",
     "When is the hinted handoff used?"),  # what is asked about, not where
    ("In Dynamo, what is hinted handoff?", "When is it used?",
     "When is Dynamo used?"),  # a name before it goes first
    ("What is root still allowed to do inside a FreeBSD jail?", "Can it create devices?",
     "Can the root create devices?"),  # a name that only places it, however far after
    ("What is the population of Chongqing?", "Who leads it?",
     "Who leads Chongqing?"),  # and the name it belongs to
    ("What is a write-ahead log?", "Why is it flushed so often?",
     "Why is the write-ahead log flushed so often?"),
    ("What does the paper mean by a lease?", "How long does its timeout last?",
     "How long does the lease's timeout last?"),
    # "one": one of the thing
    ("What is a tablet in Bigtable?", "Who decides which server serves each one?",
     "Who decides which server serves each tablet?"),
    ("What is a jail in FreeBSD?", "What can root do inside one?",
     "What can root do inside a jail?"),
    ("What is a jail in FreeBSD?", "Can a process leave one, and how?",
     "Can a process leave one, and how?"),  # a verb's object: not taken
    ("What is a jail in FreeBSD?", "Is one process enough?", "Is one process enough?"),
    # "one" with no thing asked about: the last thing brought in with "a" / "an"
    ("What happens to a process once it is placed in a FreeBSD jail?",
     "What can root do inside one?", "What can root do inside a FreeBSD jail?"),
    ("Where does an order wait before it ships from a regional warehouse?",
     "Who works in one?", "Who works in a regional warehouse?"),
    ("Where does an order go after a customer pays?", "Who ships each one?",
     "Who ships each one?"),  # a subject: its verb would be read into it
])
def test_a_pronoun_stands_for_the_thing_the_previous_question_asked_about(previous, question,
                                                                           read):
    assert condense(question, after(previous)) == read


@pytest.mark.parametrize("earlier, previous, question, read", [
    ("What is a tablet in Bigtable?", "How big do they typically get?",
     "Who decides which server serves each one?", "Who decides which server serves each tablet?"),
    ("What does Helland mean by an entity?", "Can one transaction update two of them?",
     "Then how do they reach agreement?", "Then how do the entities reach agreement?"),
    ("What chunk size does GFS use?", "Why make them that large?",
     "Is there any downside to it?", "Is there any downside to the chunk size?"),
    # the previous question names something: that, not the earlier thing
    ("What is a tablet in Bigtable?", "Who designed Bigtable?", "When was it released?",
     "When was Bigtable released?"),
    ("What is a tablet in Bigtable?", "How does Spanner shard its data?",
     "Which server holds each one?", "Which server holds each one?"),  # not the tablet
])
def test_with_nothing_named_or_asked_before_a_pronoun_is_an_earlier_questions_thing(
        earlier, previous, question, read):
    assert condense(question, after(earlier) + after(previous)) == read


def test_he_is_the_one_name_before_when_no_person_is_known():
    """Einstein's own paper never calls him "he": the one single name of the previous
    question (not a place) is who "he" is; with an "it" as well, nothing is guessed."""
    history = after("How does Einstein define a common time for two clocks?") + \
        after("Does that make simultaneity absolute?")
    not_known = {"is_person": lambda name: False, "is_place": lambda name: False}
    assert condense("What did he say about speeds above light's?", history, **not_known) == \
        "What did Einstein say about speeds above light's?"
    assert condense("And what did she find?", after("What did Curie measure?"),
                    **not_known) == "What did Curie find?"
    assert "Raft say" not in condense("What did he say about it?", after("What is Raft?"),
                                      **not_known)
    assert condense("What did he say?", after("How do Raft and Paxos differ?"),
                    **not_known) != "What did Raft say?"  # two names: no guess


@pytest.mark.parametrize("question, things", [
    ("What is a tablet in Bigtable?", ["tablet"]),
    ("What is hinted handoff in Dynamo?", ["hinted handoff"]),
    ("Which systems did the study examine?", ["systems"]),
    ("How many nodes did the failures need?", ["nodes"]),
    ("What chunk size does GFS use?", ["chunk size"]),
    ("What does Helland mean by an entity?", ["entity"]),
    ("What is root still allowed to do?", ["root"]),  # no adverb, no verb after it
    ("What happens to a process in a jail?", []),  # "happens" is no thing
    ("How do the governments split the work?", []),  # an object is not what is asked
    ("Who is Ma Xingrui?", []),
])
def test_the_things_a_question_asks_about(question, things):
    assert things_asked(question) == things


@pytest.mark.parametrize("question", ["What if the votes are split?",
                                      "And when the votes are tied?",
                                      "What happens after a timeout?"])
def test_a_follow_up_naming_nothing_leans_on_the_conversation(question):
    """Read as asked (nothing to replace), but searched within the conversation's files
    first (rag.compose.answer.Pipeline._conversation_files)."""
    assert follows_on(question, condense(question, after("How does Raft elect a leader?")))


def test_a_chain_of_follow_ups_joins_only_the_question_before():
    history = after("What is hinted handoff in Dynamo?") + after("How often are they scanned?")
    read = condense("Why that often?", history)
    assert read.endswith("Why that often?") and "in Dynamo" not in read
