"""Layout end to end: real PDFs (tests/pdfs.py) loaded by rag.ingest.loaders, cut into units
and sentences (rag.ingest.layout), read clean (rag.ingest.clean), weighed as evidence
(rag.compose.evidence) with the real embedding model, and answered by the real pipeline. Headings,
running heads and the references list never make an answer; hyphens at line ends are joined
without moving the offsets a highlight uses."""

from __future__ import annotations

import os

import pytest

from pdfs import PAPER_HEADER, make_paper_pdf, make_two_column_pdf
from rag.ingest.chunking import chunk_documents
from rag.ingest.clean import clean
from rag.compose.evidence import SENTENCE_FEATURES, antecedent, asks_references, candidates
from rag.ingest.layout import (BODY, FURNITURE, HEADING, ITEM, LEAD, META, REFERENCE, decode,
                               markdown_units, plain, sentence_spans)
from rag.ingest.loaders import load_file

SOURCE = "paper.pdf"
EACH_ENTRY = "Each entry in the records was associated with a storm that damaged the lantern."


def _chunks(docs):
    return list(chunk_documents(docs, 800, 120))


def _sentences(chunk):
    """(raw sentence, kind, absolute start in the page text) of a chunk."""
    base = chunk.metadata["start"]
    return [(chunk.page_content[s:e], k, base + s) for s, e, k in sentence_spans(chunk)]


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """The paper PDF, loaded (one Document per page) and chunked."""
    path = make_paper_pdf(tmp_path_factory.mktemp("paper") / SOURCE)
    docs = load_file(path, SOURCE)
    assert [d.metadata["page"] for d in docs] == [1, 2, 3]
    return path, docs, _chunks(docs)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The paper indexed, and the real pipeline over it, answering at any confidence."""
    from rag.compose.answer import Pipeline
    from rag.config import load_settings
    from rag.index.indexer import sync

    root = tmp_path_factory.mktemp("paper-index")
    make_paper_pdf(root / "sources" / SOURCE)
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("RAG_"):
                mp.delenv(key)
        mp.setenv("RAG_MIN_CONFIDENCE", "0")
        mp.chdir(root)  # no stray .env
        settings = load_settings(sources_dir=root / "sources", index_dir=root / "index")
        assert settings.min_confidence == 0.0
        report = sync(settings)
        assert not report.failed and report.added == [SOURCE]
        yield Pipeline(settings)


@pytest.fixture(scope="module")
def embed():
    from rag.embeddings import sentence_vectors

    return sentence_vectors()


def idf(term: str) -> float:
    return 1.0


def _unit_of(chunk, start: int, end: int) -> str | None:
    """The kind of the chunk's unit holding chunk text [start, end)."""
    for s, e, k in decode(chunk):
        if s <= start and end <= e:
            return k
    return None


# -- 1. a hyphen at a line end ---------------------------------------------------------------


def test_a_hyphen_at_a_line_end_is_joined_and_offsets_still_fit(paper, pipeline):
    _, docs, chunks = paper
    page1 = docs[0].page_content
    found = [(raw, k, start) for c in chunks if c.metadata["page"] == 1
             for raw, k, start in _sentences(c) if "associ" in raw]
    assert found, "no sentence holds 'associ'"
    raw, kind, start = found[0]
    assert kind == BODY
    assert "associ-" in raw  # the stored text is never changed
    assert "associated" in clean(raw) and "associ-" not in clean(raw)
    assert clean(raw) == EACH_ENTRY
    whole = page1[start:start + len(raw)]
    assert whole == raw and whole.startswith("Each entry") and whole.endswith("lantern.")

    result = pipeline.ask("Which storm was each entry in the records associated with?")
    assert not result.abstained, result
    assert "associated" in result.answer and "associ-" not in result.answer, result.answer
    quotes = [c.text[c.quote_start:c.quote_end] for c in result.citations]
    assert any(q == c.quote and "associ-" in q and q.startswith("Each entry")
               and q.endswith("lantern.") for q, c in zip(quotes, result.citations)), quotes
    cited = next(c for c in result.citations if "associ-" in c.quote)
    assert (cited.source, cited.page) == (SOURCE, 1)
    # passage offsets are page offsets: the quote is where the page text has it
    assert page1[cited.start + cited.quote_start:cited.start + cited.quote_end] == cited.quote


# -- 2. a real hyphen stays ------------------------------------------------------------------


def test_a_real_hyphen_stays_in_a_line_and_at_its_end(paper):
    _, _, chunks = paper
    found = [raw for c in chunks for raw, k, _ in _sentences(c)
             if "fault-" in raw and k == BODY]
    assert len(found) == 2, found  # "The fault-tolerant siren ..." and "... the fault-\ntolerant"
    for raw in found:
        assert "fault-tolerant" in clean(raw), raw
    assert clean(found[0]) == "The fault-tolerant siren ran on compressed air."
    assert "praised the fault-tolerant design" in clean(found[1])


def test_clean_joins_broken_words_keeps_compounds_and_reads_ligatures():
    assert clean("associ-  ated") == "associated"
    assert clean("associ-\nated") == "associated"
    assert clean("fault-  tolerant") == "fault-tolerant"
    assert clean("fault-tolerant") == "fault-tolerant"
    assert clean("\ufb01le") == "file"
    assert clean("the  lantern \n lenses") == "the lantern lenses"


def test_markdown_keeps_a_hyphen_inside_a_line():
    """In Markdown a hyphen inside a line is the writer's own; only one at a line end may
    break a word."""
    assert clean("streaming **φ-quantiles** of events", markup=True) == \
        "streaming φ-quantiles of events"
    assert clean("an associ-\nated label", markup=True) == "an associated label"


# -- 3. a heading never starts an answer -----------------------------------------------------


def test_a_heading_glued_to_its_text_is_a_heading_and_never_an_answer(paper, pipeline):
    _, docs, chunks = paper
    page1 = docs[0].page_content
    # the engine glues the heading to the line under it: only layout tells them apart
    assert "2 Keeper Records  The keepers" in page1
    headings = [page1[s:e] for s, e, k in docs[0].metadata["units"] if k == HEADING]
    assert headings == ["2 Keeper Records"]
    body = [raw for c in chunks for raw, k, _ in _sentences(c) if k == BODY]
    assert any(raw.startswith("The keepers logged") for raw in body)
    for raw in body:
        assert not raw.startswith("2 Keeper") and "Keeper Records" not in raw, raw

    result = pipeline.ask("Where did the keepers log repairs?")
    assert not result.abstained, result
    assert "ledger" in result.answer and "Keeper Records" not in result.answer, result.answer
    for c in result.citations:
        assert "Keeper Records" not in c.quote, c.quote


# -- 4. running heads and feet -----------------------------------------------------------------


def test_a_body_set_in_a_heavy_font_is_body_text_not_headings(tmp_path):
    """Bold is heavier than the body's own font: a paper whose body font reports itself
    bold (Bigtable's: weight 792) keeps its sentences; its headings are still headings."""
    docs = load_file(make_paper_pdf(tmp_path / SOURCE, heavy=True), SOURCE)
    kinds = {}
    for chunk in _chunks(docs):
        for text, kind, _ in _sentences(chunk):
            kinds[" ".join(text.split())] = kind
    body = [k for t, k in kinds.items() if "joined the lighthouse service" in t or
            "certified in 1911" in t or "logged every repair" in t]
    assert body and set(body) == {BODY}
    assert kinds.get("2 Keeper Records") == HEADING
    assert kinds.get("References") == HEADING


def test_a_running_head_or_page_number_is_never_in_a_sentence(paper, embed):
    _, docs, chunks = paper
    for doc in docs:  # each page's header and number are one furniture unit
        furniture = [doc.page_content[s:e] for s, e, k in doc.metadata["units"]
                     if k == FURNITURE]
        assert furniture and PAPER_HEADER in furniture[0], furniture
        assert furniture[-1].endswith(str(doc.metadata["page"]))
    seen = 0
    for chunk in chunks:
        for raw, kind, _ in _sentences(chunk):
            if "Harbour Workshop" in raw:
                assert kind == FURNITURE, (kind, raw)
                seen += 1
        assert "Harbour Workshop" not in plain(chunk)
        assert "Workshop 2026" not in plain(chunk)
        assert not plain(chunk).startswith(str(chunk.metadata["page"]))
    assert seen == 3  # present in the text on every page, as furniture
    for question in ("Which workshop proceedings is this from?",
                     "Which journal is cited for the lens certification?"):
        found = candidates(question, chunks, embed, idf)
        assert found
        for cand in found:
            assert "Harbour Workshop" not in cand.text, cand.text


# -- 5. facts from the body, not the references -----------------------------------------------


def test_a_fact_is_answered_from_the_body_not_the_references(paper, pipeline, embed):
    _, _, chunks = paper
    question = "Who certified the lantern lenses?"
    result = pipeline.ask(question)
    assert not result.abstained, result
    assert "Okonkwo" in result.answer, result.answer
    assert result.citations
    page3 = next(c for c in chunks if c.metadata["page"] == 3)
    base = page3.metadata["start"]
    refs = [(base + s, base + e) for s, e, k in decode(page3) if k == REFERENCE]
    assert refs
    ref_text = " ".join(page3.page_content[s - base:e - base] for s, e in refs)
    assert "Certifying the lantern lenses" in ref_text
    for c in result.citations:
        assert c.page != 3, c
        assert c.quote.strip() and c.quote not in ref_text, c.quote
        if c.page == 3:  # (never, by the line above) offsets inside the references unit
            qs, qe = c.start + c.quote_start, c.start + c.quote_end
            assert not any(rs < qe and qs < re_ for rs, re_ in refs), c.quote
    assert any("certified in 1911" in c.quote and c.page == 2 for c in result.citations)

    asking = "Which journal is cited for the lens certification?"
    assert asks_references(asking) and not asks_references(question)
    # the references list is read only when asked about
    for q, wanted in ((asking, True), (question, False)):
        kinds = [_unit_of(chunks[c.passage], *c.span)
                 for c in candidates(q, chunks, embed, idf)]
        assert (REFERENCE in kinds) is wanted, (q, kinds)
    found = candidates(asking, chunks, embed, idf)
    assert any("Journal of Coastal Optics" in c.text for c in found)


# -- 6. a pronoun carries the name before it ------------------------------------------------


def test_she_carries_the_name_of_the_sentence_before(paper, embed):
    before = ["Marguerite Okonkwo joined the lighthouse service in 1905."]
    she = "She was promoted to chief engineer of the northern district in 1911."
    who = antecedent(before, she)
    assert who is not None and "Okonkwo" in who, who
    assert antecedent(before, "The lantern was lit.") is None

    _, _, chunks = paper
    holding = [c for c in chunks if "She was promoted" in c.page_content]
    assert len(holding) == 1
    question = "When was Okonkwo promoted to chief engineer?"
    found = candidates(question, holding, embed, idf)
    [cand] = [c for c in found if c.text.startswith("She was promoted")]
    cover = SENTENCE_FEATURES.index("cover_sentence")
    assert cand.features[cover] == pytest.approx(1.0), cand.features
    # the break check: the sentence alone does not name her, so it would not cover "Okonkwo"
    alone = [s for s in holding[0].page_content.split("  ") if s.startswith("She was")]
    assert alone and "Okonkwo" not in alone[0]
    joined = next(c for c in found if c.text.startswith("Marguerite Okonkwo joined"))
    assert joined.features[cover] < 1.0  # no "promoted" there: coverage is real, not a constant


# -- 7. two columns read in order ---------------------------------------------------------------


def test_a_two_column_page_reads_in_column_order(tmp_path):
    path = make_two_column_pdf(tmp_path / "brightwater.pdf")
    docs = load_file(path, "brightwater.pdf")
    chunks = [c for c in _chunks(docs) if c.metadata["page"] == 1]
    sentences = sorted((start, raw) for c in chunks for raw, k, start in _sentences(c)
                       if k == BODY)
    texts = [raw for _, raw in sentences]
    first = next(i for i, t in enumerate(texts) if "Brightwater Island lies four miles off" in t)
    second = next(i for i, t in enumerate(texts) if "Keepers lived on salted cod" in t)
    assert first < second
    left = next(i for i, t in enumerate(texts) if "ever since" in t)
    assert first <= left < second
    for t in texts:
        assert not ("ever since" in t and "Keepers" in t), t
        assert not ("canneries" in t and "Keepers" in t), t


# -- 8. Markdown -------------------------------------------------------------------------------

MARKDOWN = """---
title: Ledger notes
tags: [keepers, ledgers]
---
# Keeping the ledger

The ledger was kept in the watch room
and read aloud every Sunday. Nobody else wrote in it.

Transactions make two important guarantees:

* **Atomicity**: all or nothing.
* **Durability**: kept after a crash.

| Year | Storms |
|------|--------|
| 1903 | 4 |

```
ledger.append(entry)
```

Run the checks before closing a page.

- call `verify()` on every *entry*
"""


def test_markdown_front_matter_lead_ins_items_and_soft_wraps(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    [doc] = load_file(path, "notes.md")
    text = doc.page_content
    units = doc.metadata["units"]
    assert units == markdown_units(text)
    front = text.index("---\n", 4) + 4
    assert (0, front, META) in units
    for s, e, k in units:
        if k != META:
            assert s >= front, (k, text[s:e])

    [lead] = [(s, e) for s, e, k in units if k == LEAD]
    lead_text = clean(text[lead[0]:lead[1]], markup=True)
    assert lead_text.startswith("Transactions make two important guarantees:"), lead_text
    assert "Atomicity: all or nothing." in lead_text
    assert "Durability: kept after a crash." in lead_text
    assert "read aloud" not in lead_text  # the lead-in is the last sentence, not the paragraph

    items = [text[s:e] for s, e, k in units if k == ITEM]
    assert len(items) == 3, items
    for item in items:
        shown = clean(item, markup=True)
        assert "*" not in shown and "`" not in shown, shown
    assert clean(items[2], markup=True) == "call verify() on every entry"

    [chunk] = _chunks([doc])
    spans = sentence_spans(chunk)
    wrapped = [chunk.page_content[s:e] for s, e, k in spans
               if "watch room" in chunk.page_content[s:e]]
    assert wrapped == ["The ledger was kept in the watch room\nand read aloud every Sunday."]
    assert not any(k != META and "title:" in chunk.page_content[s:e] for s, e, k in spans)
    assert "title:" not in plain(chunk) and "Ledger notes" not in plain(chunk)
    assert "**" not in plain(chunk)
