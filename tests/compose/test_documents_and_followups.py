"""Documents named by title and conversations over several documents, on a real index:
a name two files fit gets a question back; a quoted title gets that file's overview; "which
of these documents ..." answers per file; a follow-up is searched within the files the
conversation was about first, and a question that stands alone is read as asked whatever
came before it."""

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline

RAFT = ("# Consensus in Practice\n\nRaft elects a leader with RequestVote messages. A "
        "candidate that wins the votes of a majority of the servers becomes the leader for "
        "its term. When the votes are split and no candidate wins, each candidate waits for "
        "a randomized election timeout and then starts a new election, so split votes are "
        "rare and end quickly.\n")
COUNCIL = ("# Consensus at Scale\n\nThe town council of Millbrook elects its chair every "
           "spring by a show of hands. When the votes are split evenly between two "
           "councillors, the chair is chosen by drawing lots in front of the town clerk. The "
           "chair then serves for one year and signs the council's minutes.\n")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("named"),
                            {"raft-notes.md": RAFT, "council.md": COUNCIL})
    return Pipeline(settings, "extractive")


def cited(result) -> set[str]:
    return {c.source for c in result.citations}


@pytest.mark.parametrize("question", ["Summarize the consensus paper.",
                                      "What is the document on consensus about?"])
def test_a_name_two_files_fit_gets_a_question_back_listing_them(pipeline, question):
    result = pipeline.ask(question)
    assert result.kind == "clarify" and result.abstained and not result.citations
    for shown in ("Consensus in Practice (raft-notes.md)", "Consensus at Scale (council.md)"):
        assert shown in result.answer


@pytest.mark.parametrize("question, file", [
    ("Summarize 'Consensus at Scale'.", "council.md"),
    ("What is “Consensus in Practice” about?", "raft-notes.md"),
])
def test_a_quoted_title_gets_that_files_overview(pipeline, question, file):
    result = pipeline.ask(question)
    assert result.kind == "overview" and cited(result) == {file}


@pytest.mark.parametrize("first, file", [
    ("How does Raft elect a leader?", "raft-notes.md"),
    ("How does the town council of Millbrook elect its chair?", "council.md"),
])
@pytest.mark.parametrize("follow_up", ["What if the votes are split?",
                                       "And when the vote is split evenly?"])
def test_a_follow_up_is_answered_from_the_conversations_document(pipeline, first, file,
                                                                   follow_up):
    """The same follow-up after either first turn: only the conversation tells the two
    documents apart (both say what happens when votes split)."""
    answered = pipeline.ask(first)
    assert cited(answered) == {file}
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": answered.answer}]
    result = pipeline.ask(follow_up, history=history)
    assert not result.abstained and cited(result) == {file} and result.scope == [file]
    # over several files, the conversation's files carry its context: the follow-up is not
    # joined to the question before it (on one file it is: tests/serve/test_ui.py)
    assert result.standalone == follow_up


def test_a_question_that_stands_alone_is_read_as_asked_after_any_turn(pipeline):
    first = "How does Raft elect a leader?"
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": pipeline.ask(first).answer}]
    for question in ("Who does the town council of Millbrook choose by drawing lots?",
                     "When does the town clerk watch the council draw its lots?"):
        alone, after = pipeline.ask(question), pipeline.ask(question, history=history)
        assert after.standalone == alone.standalone
        assert cited(after) == cited(alone) == {"council.md"}


def test_which_documents_lists_each_file_that_deals_with_it_citing_each(pipeline):
    result = pipeline.ask("Which of these documents deal with split votes?")
    assert result.kind == "list" and not result.abstained
    assert cited(result) == {"raft-notes.md", "council.md"}  # not the sample
    for title in ("Consensus in Practice:", "Consensus at Scale:"):
        assert title in result.answer  # each file labelled by its title
    assert pipeline.ask("Which documents discuss volcanoes?").abstained


KESTREL = {  # a folder about one system: its name is in every file, and in two titles
    "agent.md": "# Kestrel Agent Mode\n\nThe agent mode of Kestrel forwards samples to a "
                "central server and keeps no local database of its own.\n",
    "exporters.md": "# Writing Exporters\n\nAn exporter serves Kestrel metrics over HTTP. The "
                    "Kestrel text format is served with the content type text/plain and one "
                    "sample per line.\n",
    "zen.md": "# The Zen of Kestrel\n\nKestrel values simple alerts over clever dashboards, "
              "and labels that say where a sample came from.\n",
}


@pytest.fixture(scope="module")
def one_system(tmp_path_factory) -> Pipeline:
    return Pipeline(index_sample(tmp_path_factory.mktemp("system"), KESTREL), "extractive")


def test_a_name_every_file_holds_names_no_document(one_system):
    """"the Kestrel text format" is a format, not "the Kestrel text" (two titles hold
    "Kestrel"): it is answered, not asked back; a name with a word of its own still names."""
    result = one_system.ask("What content type is the Kestrel text format served with?")
    assert result.kind == "factoid" and cited(result) == {"exporters.md"}
    assert "text/plain" in result.answer
    assert one_system.common("Kestrel") and not one_system.common("exporter")
    named = one_system.ask("Summarize the Kestrel agent mode page.")
    assert named.kind == "overview" and cited(named) == {"agent.md"}
