"""Documents named by title, short name or author (rag.understand.documents.refer), and how
the intent takes them: the one file it names is "the document"; a name two files fit is a
question back; a comparison's side that names a document is that file."""

import pytest

from rag.understand.documents import Named, named_files, refer, subject_of
from rag.understand.intent import detect
from rag.understand.kinds import Kind

DOCS = [
    Named("the-google-file-system.pdf", "The Google File System",
          ("Sanjay Ghemawat", "Howard Gobioff", "Shun-Tak Leung")),
    Named("bigtable.pdf", "Bigtable: A Distributed Storage System for Structured Data",
          ("Fay Chang", "Jeffrey Dean", "Sanjay Ghemawat")),
    Named("impossibility-of-consensus.pdf", "Impossibility of Distributed Consensus with One Faulty Process",
          ("Michael J. Fischer", "Nancy A. Lynch", "Michael S. Paterson")),
    Named("raft.pdf", "In Search of an Understandable Consensus Algorithm",
          ("Diego Ongaro", "John Ousterhout")),
    Named("snapshots.pdf", "Distributed Snapshots: Determining Global States of Distributed "
          "Systems", ("K. Mani Chandy", "Leslie Lamport")),
    Named("tar.pdf", "Out of the Tar Pit", ("Ben Moseley", "Peter Marks")),
    Named("notes.md", None), Named("old-notes.md", None),
]
FILES = [d.source for d in DOCS]


def prominent(word: str) -> list[str]:
    """As the index would say: "Raft" is written almost only in the Raft paper."""
    return {"raft": ["raft.pdf"], "ongaro": ["raft.pdf"]}.get(word.lower(), [])


@pytest.mark.parametrize("question, file", [
    # words of the title, quoted or not
    ("Summarize 'Out of the Tar Pit'.", "tar.pdf"),
    ("What is 'Impossibility of Distributed Consensus with One Faulty Process' about?",
     "impossibility-of-consensus.pdf"),
    ("Give me an overview of “Out of the Tar Pit”", "tar.pdf"),
    ("What is the Google File System paper about?", "the-google-file-system.pdf"),
    # a short name: the title's head, its initials, the authors' initials
    ("Summarize the Bigtable paper.", "bigtable.pdf"),
    ("What is the GFS paper about?", "the-google-file-system.pdf"),
    ("Summarize the FLP paper.", "impossibility-of-consensus.pdf"),
    # a name the document is about: prominent in it alone
    ("Summarize the Raft paper.", "raft.pdf"),
    ("What is the Raft report about?", "raft.pdf"),
    # an author, or two
    ("What is Lamport's paper about?", "snapshots.pdf"),
    ("Summarize Chandy and Lamport's distributed snapshots paper.", "snapshots.pdf"),
    ("Summarize Ousterhout's paper", "raft.pdf"),
])
def test_a_document_named_by_title_short_name_or_author_resolves(question, file):
    ref = refer(question, DOCS, prominent)
    assert (ref.files, ref.candidates) == ([file], [])
    intent = detect(question, FILES, names=DOCS, prominent=prominent)
    assert intent.kind == Kind.OVERVIEW and intent.files == [file]


@pytest.mark.parametrize("question, files", [
    ("Summarize the consensus paper.", ["impossibility-of-consensus.pdf", "raft.pdf"]),
    ("What is the paper on consensus about?", ["impossibility-of-consensus.pdf", "raft.pdf"]),
    ("What is Ghemawat's paper about?", ["the-google-file-system.pdf", "bigtable.pdf"]),
])
def test_a_name_two_files_fit_is_asked_back_never_guessed(question, files):
    intent = detect(question, FILES, names=DOCS, prominent=prominent)
    assert sorted(intent.choices) == sorted(files) and intent.files == []


def test_a_word_common_to_the_collection_names_no_document():
    """"distributed" is in three titles; where the index says it is in most files, it is the
    collection's subject: "the distributed text format" names no file, and is not asked back."""
    def common(word: str) -> bool:
        return word.lower() == "distributed"

    question = "What does the distributed text format hold?"
    assert len(refer(question, DOCS, prominent).candidates) == 3  # without the index's word
    ref = refer(question, DOCS, prominent, common)
    assert (ref.files, ref.candidates) == ([], [])
    still = refer("Summarize the distributed snapshots paper.", DOCS, prominent, common)
    assert still.files == ["snapshots.pdf"]


def test_a_fact_question_names_its_document_too():
    intent = detect("Which failures does the FLP paper allow?", FILES, names=DOCS,
                    prominent=prominent)
    assert intent.kind == Kind.FACT and intent.files == ["impossibility-of-consensus.pdf"]


@pytest.mark.parametrize("question, file, topic", [
    ("How does the Raft paper's leader election work?", "raft.pdf", "Raft's leader election"),
    ("Explain the GFS paper's record appends", "the-google-file-system.pdf",
     "GFS's record appends"),
    ("What does the Bigtable paper's tablet hold?", "bigtable.pdf", "Bigtable's tablet"),
])
def test_an_explanation_of_a_thing_in_a_named_paper_is_searched_in_that_file(question, file,
                                                                             topic):
    intent = detect(question, FILES, names=DOCS, prominent=prominent)
    assert intent.kind == Kind.EXPLANATION and intent.files == [file] and intent.topic == topic


def test_what_a_named_paper_proves_is_its_overview():
    intent = detect("What does the FLP paper prove, and under what assumptions?", FILES,
                    names=DOCS, prominent=prominent)
    assert intent.kind == Kind.OVERVIEW and intent.files == ["impossibility-of-consensus.pdf"]


def test_a_fact_naming_a_system_by_its_bare_name_is_not_held_to_its_paper():
    """"How does a tablet server cope with slow writes to GFS?" may be answered by the
    Bigtable paper: only a name written as a document scopes a fact."""
    intent = detect("How does Bigtable cope with slow writes to GFS?", FILES, names=DOCS)
    assert intent.kind == Kind.FACT and intent.files == []


@pytest.mark.parametrize("question, file", [
    ("Which failures does Impossibility of Distributed Consensus with One Faulty Process "
     "allow?", "impossibility-of-consensus.pdf"),
    ("What pitfalls does Out of the Tar Pit list?", "tar.pdf"),
    ("Which messages do Distributed Snapshots record?", "snapshots.pdf"),  # before its colon
])
def test_a_fact_naming_a_document_by_its_whole_title_is_held_to_it(question, file):
    """Unlike a bare short name ("Bigtable": perhaps the system), a whole title of two words
    or more, unquoted, is the document."""
    intent = detect(question, FILES, names=DOCS, prominent=prominent)
    assert intent.files == [file]


def test_a_short_name_after_a_capital_the_is_still_a_bare_name():
    """"The Bigtable" reads as a run of two capitalised words, but it is the short name
    alone: the system, perhaps, not the paper."""
    intent = detect("How does The Bigtable cope with slow writes to GFS?", FILES, names=DOCS)
    assert intent.kind == Kind.FACT and intent.files == []


def test_a_word_in_no_title_and_prominent_nowhere_names_no_document():
    assert refer("Summarize the Paxos paper.", DOCS, prominent).files == []
    assert refer("What does Bigtable store?", DOCS, prominent).spans == []  # a subject


def test_a_comparison_takes_each_side_from_the_document_it_names():
    intent = detect("Compare the Google File System and Bigtable.", FILES, names=DOCS,
                    prominent=prominent)
    assert intent.kind == Kind.COMPARISON
    assert intent.documents == ["the-google-file-system.pdf", "bigtable.pdf"]
    intent = detect("Compare 'Out of the Tar Pit' with the FLP paper.", FILES, names=DOCS)
    assert intent.documents == ["tar.pdf", "impossibility-of-consensus.pdf"]


def test_a_file_name_inside_another_names_only_that_other():
    assert named_files("Summarize old-notes.md", FILES) == ["old-notes.md"]
    assert named_files("Summarize notes.md", FILES) == ["notes.md"]


def test_a_long_title_quoted_whole_resolves():
    long = Named("simple-testing.pdf", "Simple Testing Can Prevent Most Critical Failures: An "
                 "Analysis of Production Failures in Distributed Data-Intensive Systems")
    question = f"What is '{long.title}' about?"
    intent = detect(question, [*FILES, long.source], names=[*DOCS, long])
    assert intent.kind == Kind.OVERVIEW and intent.files == ["simple-testing.pdf"]


@pytest.mark.parametrize("topic, file", [
    ("GFS", "the-google-file-system.pdf"),  # the title's initials
    ("the Google File System", "the-google-file-system.pdf"),
    ("Bigtable", "bigtable.pdf"),  # the short name before the colon
    ("FLP", None),  # the authors' initials name the paper, not its subject
    ("hinted handoff", None), ("the master", None),
])
def test_a_topic_that_is_a_documents_own_subject(topic, file):
    assert subject_of(topic, DOCS) == file
