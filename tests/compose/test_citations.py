"""Citations: every kept sentence is supported by the passage it cites; inventions are dropped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from langchain_core.documents import Document

from rag.compose.citations import split_markers, support, verify
from rag.text import sentences

CHONGQING = ("Now, as party secretary of Chongqing, a politically critical megacity with a "
             "population of some 32 million, Yuan will continue to advocate for the digital "
             "economy. Shanghai is a financial centre.")
BUREAU = ("A new National Data Bureau was established in March 2023 within the National "
          "Development and Reform Commission. Xi Jinping has prioritised the digital economy.")


def passage(text: str, source: str = "a.txt", start: int = 0) -> Document:
    return Document(id=f"{source}-{start}", page_content=text,
                    metadata={"source": source, "page": None, "start": start,
                              "end": start + len(text), "title": None})


PASSAGES = [passage(CHONGQING), passage(BUREAU, "b.txt")]


@pytest.mark.parametrize("draft", [
    "Chongqing has a population of 3.1 million people [1].",  # wrong number
    "The mayor of Shanghai is Xi Jinping [1].",  # invented office holder
    "The National Data Bureau was established in May 2021 [2].",  # wrong date, right marker
])
def test_unsupported_claim_is_dropped(draft):
    out = verify(draft, PASSAGES)
    assert out.text == "" and out.unsupported == 1


def test_right_number_is_kept_and_cited():
    out = verify("Chongqing has a population of some 32 million [1].", PASSAGES)
    assert out.text == "Chongqing has a population of some 32 million. [1]"
    [c] = out.citations
    assert c.source == "a.txt" and "32 million" in c.quote
    assert c.text[c.quote_start:c.quote_end] == c.quote


def test_uncited_but_supported_sentence_gets_a_citation():
    out = verify("The National Data Bureau was established in March 2023.", PASSAGES)
    assert out.text.endswith(". [1]") and out.citations[0].source == "b.txt"


def test_wrong_marker_is_recited_to_supporting_passage():
    out = verify("The National Data Bureau was established in March 2023 [1].", PASSAGES)
    assert out.citations[0].source == "b.txt" and out.text.endswith(". [1]")


def test_markers_renumbered_by_first_appearance():
    draft = ("The National Data Bureau was established in March 2023 [2]. "
             "Chongqing has a population of some 32 million [1].")
    out = verify(draft, PASSAGES)
    assert [c.source for c in out.citations] == ["b.txt", "a.txt"]
    assert out.text == ("The National Data Bureau was established in March 2023. [1] "
                        "Chongqing has a population of some 32 million. [2]")


@pytest.mark.parametrize("text, expected", [
    ("In 1886 Tesla met Alfred S. Brown, a superintendent. He agreed.", 2),  # an initial
    ("It was J. P. Morgan who paid. Then U.S. troops came.", 2),
    ("Tesla was born on 10 July [O.S. 28 June] 1856 in Smiljan. Next.", 2),  # in brackets
    ("It ended in World War I. Then peace came.", 2),  # "I." is a numeral, not an initial
    ("He gave it (see Fig. 2). Then it ended.", 2),
    ("An unclosed ( bracket long before the end of this sentence. Still one. New.", 3),
])
def test_sentences_do_not_end_at_an_initial_or_inside_brackets(text, expected):
    assert len(sentences(text)) == expected


def test_split_markers():
    assert split_markers("A claim [1, 2]. ") == ("A claim.", [1, 2])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_sentence_spans_slice_back(text):
    for s, e in sentences(text):
        piece = text[s:e]
        assert piece and piece == piece.strip()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([CHONGQING, BUREAU]), st.integers(min_value=0, max_value=2))
def test_every_passage_sentence_supports_itself(text, i):
    spans = sentences(text)
    s, e = spans[min(i, len(spans) - 1)]
    found = support(text[s:e], text)
    assert found is not None and found[0] == 1.0


def test_a_note_may_name_a_file_with_underscores():
    from rag.compose.citations import is_frame

    assert is_frame("_Nothing in my_notes.txt is about Ma._")
    assert is_frame("Southern_California.txt:")
    assert not is_frame("Ma led Chang'e 3.")
    assert not is_frame("_An unfinished note")
