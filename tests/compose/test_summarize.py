"""Choosing sentences for whole-document answers (rag.compose.summarize, drafts): the ones that read alone, the opening and the ending, sides, stored vectors."""

from __future__ import annotations


import numpy as np
import pytest
from conftest import candidates_of, sentences_of, index_sample
from langchain_core.documents import Document

from sample_index import OKAPI
from rag.compose.answer import Pipeline
from rag.ingest.sentences import Sentence
from rag.compose.summarize import (abbreviates, ending, opening, overview, side,
                                   summary_length)
from rag.text import dangles, refers_back, sentences


def _two(first: str) -> list[Sentence]:
    body = f"{first} Filler words make up the rest of the plain sentence here."
    chunk = Document(page_content=body, metadata={"start": 0, "end": len(body)})
    return [Sentence(chunk, (0, len(first)), True),
            Sentence(chunk, (len(first) + 1, len(body)), False)]


def doc(leads: str) -> list[Sentence]:
    """Whole sentences, one per character of leads: "1" opens a paragraph."""
    text = "A whole sentence of seven words here."
    chunk = Document(page_content=text, metadata={"start": 0, "end": len(text)})
    return [Sentence(chunk, (0, len(text)), c == "1") for c in leads]


@pytest.mark.parametrize("text, leans", [
    ("These shifts underscore Beijing's determination.", True),
    ("However, Beijing has different approaches.", True),
    ("It was founded in 1990.", True),
    ("“They said so,” he wrote.", True),
    ("The new National Data Bureau will regulate data.", False),
    ("Italy's itinerary started in Rome.", False),  # "It..." inside a word does not count
    ("Thesis writing is hard.", False),
])
def test_a_sentence_leaning_on_the_one_before(text, leans):
    assert dangles(text) is leans


@pytest.mark.parametrize("text, back", [
    ("Digital governance also follows this trend, most notably in the east.", True),
    ("It grew in those years.", True),
    ("Such efforts were rare in the province.", True),
    ("Firms such as Alibaba grew fast in the province.", False),  # examples, not a reference
    ("In the same year, he patented the Tesla coil.", True),
    ("Its output is the same as a horse's.", False),
    ("Thistles and thesis topics grew in the garden.", False),  # inside words does not count
])
def test_a_sentence_pointing_at_what_came_before(text, back):
    assert refers_back(text) is back


def test_the_overview_prefers_a_sentence_that_points_at_nothing_before(monkeypatch):
    import rag.compose.summarize

    monkeypatch.setattr(rag.compose.summarize, "FIRST", 0.0)
    vectors = np.eye(2)
    assert overview(_two("The bureau also follows this trend in the province."), vectors,
                    1) == [1]


def test_a_dense_stretch_gives_a_free_sentence():
    # 6 sentences, 2 stretches of 3: the first stretch's sentences are all central, the
    # second's are not, so the free sentence comes from the first stretch
    body = " ".join(f"Sentence number {w} says something about the bureau." for w in
                    ("one", "two", "three", "four", "five", "six"))
    chunk = Document(page_content=body, metadata={"start": 0, "end": len(body)})
    spans = sentences(body)
    sents = [Sentence(chunk, span, i == 0) for i, span in enumerate(spans)]
    rows = [[0.9, 0.43, 0, 0], [0.9, 0, 0.43, 0], [0.9, 0, 0, 0.43],
            [0.2, 0.98, 0, 0], [0.2, 0, 0.98, 0], [0.2, 0, 0, 0.98]]
    vectors = np.array(rows) / np.linalg.norm(rows, axis=1, keepdims=True)
    picked = overview(sents, vectors, 2, free=1)
    assert len(picked) == 3 and sum(i < 3 for i in picked) == 2 and max(picked) >= 3
    assert len(overview(sents, vectors, 2)) == 2  # no free sentence unless asked
    assert len(overview(sents, vectors, 6, free=1)) == 6  # never more than the sentences


def test_the_overview_prefers_a_sentence_that_reads_alone(monkeypatch):
    import rag.compose.summarize

    monkeypatch.setattr(rag.compose.summarize, "FIRST", 0.0)  # (the document's first is favoured)
    vectors = np.eye(2)  # equally central: only the penalty decides between the two
    assert overview(_two("These shifts show what the bureau will be doing next."), vectors,
                    1) == [1]
    assert overview(_two("The new bureau will show what it will be doing next."), vectors,
                    1) == [0]


def test_the_overview_favours_the_documents_first_sentence():
    # the first sentence leans on nothing before it in a document; even one that seems to
    # ("These shifts ...", penalised 0.1) is kept by the first sentence's bonus (0.15)
    assert overview(_two("These shifts show what the bureau will be doing next."), np.eye(2),
                    1) == [0]


def test_summary_length_follows_the_document():
    assert [summary_length(n) for n in (1, 10, 30, 41, 64, 1000)] == [3, 3, 5, 6, 8, 9]


def test_a_sentence_that_spells_out_a_term_the_text_abbreviates_again_is_favoured():
    sents = sentences_of(
        "The Cyberspace Administration of China (CAC) was brought under party control.",
        "The National Development and Reform Commission (NDRC) plans the economy.",
        "Rain fell on the coast (USA) of the Pacific Ocean (PO) that year.",
        "The CAC enforces the rules on data in the USA.")
    # CAC is used again; NDRC and PO never are; the words before "(USA)" do not spell it
    assert abbreviates(sents).tolist() == [1.0, 0.0, 0.0, 0.0]
    again = sentences_of("Rules came from the Cyberspace Administration of China (CAC), and "
                       "the CAC enforces them.", "Nothing else here is said twice.")
    assert abbreviates(again).tolist() == [1.0, 0.0]  # used again in the same sentence


def test_the_conclusion_starts_at_the_first_paragraph_of_the_last_fifth():
    assert ending(doc("1000" "1000" "1000" "1000" "1001")) == 16  # 0.8 * 20 = 16
    assert ending(doc("1000" "1000" "1000" "1000" "0000")) == 12  # none after: the last one
    assert ending(doc("1000000000")) == 0
    assert ending(doc("1000" "1000" "1000" "1000" "0011")) == 17  # 3 sentences at least


def test_the_opening_ends_at_the_first_paragraph_after_the_first_fifth():
    assert opening(doc("1000" "1000" "1000" "1000" "1000")) == 4  # 0.2 * 20 = 4
    assert opening(doc("1000" "0100" "0000" "0000" "0000")) == 5  # first one from 4 on
    assert opening(doc("1000000000")) == 10  # no other paragraph: all of it
    assert opening(doc("11111")) == 3  # the paragraph from 1 on, but 3 sentences at least


def test_a_sentence_with_only_the_word_both_sides_share_is_on_neither_side():
    texts = ["Coastal areas flooded.", "Urban areas grew fast.", "Rural areas shrank."]
    ranked, passage = candidates_of(texts)
    urban = side("urban areas", ranked, [passage], set(), ["rural areas"])
    assert [c.text for c in urban] == ["Urban areas grew fast."]


def test_a_sentence_opening_with_he_belongs_to_the_side_named_first_before_it():
    texts = ["Ma, like Yuan, is a space scientist.", "He became governor of Guangdong.",
             "Yuan led Zhejiang.", "He then moved to Chongqing."]
    ranked, passage = candidates_of(texts)
    ma = side("Ma", ranked, [passage], set(), ["Yuan"])
    yuan = side("Yuan", ranked, [passage], set(), ["Ma"])
    assert "He became governor of Guangdong." in [c.text for c in ma]
    assert "He became governor of Guangdong." not in [c.text for c in yuan]
    assert "He then moved to Chongqing." in [c.text for c in yuan]


def test_a_name_holding_of_is_not_found_by_its_last_word():
    texts = ["China's economy grew.", "The CAC enforces data rules.", "The bureau was set up."]
    ranked, passage = candidates_of(texts)
    # "of" is shared by no side, so it is not dropped: the name stays whole ("CAC", not "China")
    cac = side("Cyberspace Administration of China", ranked, [passage], set(),
               ["National Data Bureau"])
    assert [c.text for c in cac] == ["The CAC enforces data rules."]


def test_a_side_named_in_full_comes_before_a_shared_part_of_its_name():
    texts = ["Tugh Temür wrote poems.", "Yesün Temür ruled briefly.",
             "Temür Khan kept the reforms.", "Buyantu Khan restored the examinations."]
    ranked, passage = candidates_of(texts)
    # "Khan" is shared by both sides, so "Temür" finds the side; "Temür Khan" in full first
    temur = side("Temür Khan", ranked, [passage], set(), ["Buyantu Khan"], limit=1)
    assert [c.text for c in temur] == ["Temür Khan kept the reforms."]


def test_a_side_is_searched_as_the_sources_write_it():
    from rag.compose.drafts import _as_written

    texts = ["Economic benefits matter. China weighs economic benefits against control, "
             "unlike Western norms, as in Shenzhen."]
    assert _as_written("Economic benefits", texts) == "economic benefits"  # opened the question
    assert _as_written("western norms", texts) == "Western norms"
    assert _as_written("shenzhen", texts) == "Shenzhen"
    assert _as_written("Ma Xingrui", texts) == "Ma Xingrui"  # not in them: as typed
    # a phrase typed in lower case: the words the sources only write capitalised are names
    texts.append("During Ma’s tenure, business grew; Ma courted private business.")
    assert _as_written("ma's approach to business", texts) == "Ma's approach to business"
    assert _as_written("shenzhen and control", texts) == "Shenzhen and control"


def test_a_list_about_someone_keeps_only_the_sentences_about_them():
    from rag.compose.drafts import list_draft

    texts = ["Yuan backed data markets, unlike Ma.", "He also courted tech firms.",
             "Ma, in Shenzhen, pushed digital payments.", "He then moved to Xinjiang."]
    ranked, passage = candidates_of(texts, (0.9, 0.8, 0.7, 0.6))
    body = passage.page_content
    items = lambda q: [body[s:e] for group in list_draft(  # noqa: E731
        ranked, [passage], 0.9, ["a.txt"], q).groups for _, (s, e) in group.items]
    # "He" after "Yuan ..." is Yuan's; Ma's sentences are not (the first word is no name)
    assert items("Which initiatives did Yuan champion? List them.") == texts[:2]
    assert items("Which initiatives were championed?") == texts  # no name: no filter


def test_document_sentence_vectors_are_stored_and_reused(tmp_path):
    from rag.embeddings import StoredVectors, SentenceVectors, query_embeddings

    texts = ["The okapi lives in the Ituri rainforest.", "It feeds on leaves."]
    first = SentenceVectors(query_embeddings(8))
    made = StoredVectors(tmp_path, first)(texts)
    assert first.stats["texts"] == 2 and len(list(tmp_path.glob("*.npy"))) == 1
    fresh = SentenceVectors(query_embeddings(8))  # a new process, say: nothing in memory
    again = StoredVectors(tmp_path, fresh)(texts)
    assert fresh.stats["texts"] == 0 and np.allclose(made, again)
    changed = StoredVectors(tmp_path, fresh, keep=1)(texts[:1])  # another document version
    assert fresh.stats["texts"] == 1 and changed.shape == (1, made.shape[1])
    assert len(list(tmp_path.glob("*.npy"))) == 1  # the least recently used one went


def test_overviews_are_prepared_ahead_and_then_only_read(tmp_path_factory):
    settings = index_sample(tmp_path_factory.mktemp("prepared"), {"okapi-notes.txt": OKAPI})
    pipeline = Pipeline(settings, "extractive")
    stored = lambda: sorted((settings.index_dir / "sentences").glob("*.npy"))  # noqa: E731
    assert pipeline.prepare_overviews(limit=1) == 1 and len(stored()) == 1
    assert pipeline.prepare_overviews() == 1 and len(stored()) == 2
    assert pipeline.prepare_overviews(["okapi-notes.txt", "not-indexed.txt"]) == 0
    before = stored()
    result = pipeline.ask("Summarize okapi-notes.txt")
    assert result.kind == "overview" and len(result.citations) >= 1
    assert stored() == before  # the overview read what was prepared, embedded nothing new


@pytest.mark.parametrize("sentence, layout", [
    ("Section 7 provides measurements of Bigtable's performance.", True),
    ("Finally, Section 10 describes related work, and Section 11 presents our conclusions.",
     True),
    ("We describe several examples in Section 8, and discuss lessons in Section 9.", True),
    ("Concluding remarks appear in §7, followed by endnotes.", True),
    ("The rest of this paper is organized as follows.", True),
    ("Bigtable is a distributed storage system for managing structured data.", False),
    ("As shown in Section 5, the master assigns tablets to servers.", False),
    ("The 64 MB chunk size is discussed in Section 2.5.", False),
])
def test_a_sentence_about_the_papers_layout_is_no_summary_sentence(sentence, layout):
    from rag.compose.summarize import roadmap

    assert roadmap(sentence) is layout
