"""Overviews and topic summaries, answered over a real index of the sample."""

from __future__ import annotations

import json

import pytest
from conftest import candidates_of, SAMPLE_TITLE, ROOT, SAMPLE

from rag.compose.answer import Pipeline
from rag.compose.citations import claims, is_frame
from rag.compose.drafts import topic_draft
from rag.evaluation import unsupported_sentences
from rag.compose.generators.base import Context, Generator
from rag.understand.documents import unknown_files
from rag.understand.intent import detect
from rag.ingest.sentences import document_sentences
from rag.text import dangles


class Inventing(Generator):
    """An LLM stand-in whose summary no passage supports (to reach the fallback)."""

    name = "inventing"
    streams_tokens = True

    def stream(self, ctx: Context):
        assert ctx.task == "summary" and 3 <= len(ctx.passages) <= 7
        yield "The article is about penguins in Antarctica. [1] "
        yield "Penguins cannot fly. [2]"


def test_a_whole_document_question_naming_a_file_not_indexed_says_so(pipeline):
    assert unknown_files("Summarize notes.pdf and a.txt, not v1.2 or notes.pdf.x",
                         ["a.txt"]) == ["notes.pdf"]
    assert detect("What is notes.pdf about?").kind == "overview"
    result = pipeline.ask("Summarize nonexistent.txt")
    assert result.abstained and not result.citations
    assert result.reason == (f"it names nonexistent.txt, which is not in the index; indexed "
                             f"files: {SAMPLE.name}")
    named = pipeline.ask(f"What is {SAMPLE.name} about?")
    assert named.answer.startswith(f"Summary of {SAMPLE_TITLE}:") and named.citations


def test_every_sentence_of_the_document_once_in_order(sample_settings, pipeline):
    text = SAMPLE.read_text(encoding="utf-8")
    sents = document_sentences(pipeline.reader.chunks_of(SAMPLE.name))
    starts = [s.chunk.metadata["start"] + s.span[0] for s in sents]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for s in sents:  # the file sliced at the sentence's offsets is the sentence
        begin = s.chunk.metadata["start"] + s.span[0]
        assert text[begin:begin + len(s.text)] == s.text
    # none lost at a chunk's edge: as many as the file has
    from rag.text import sentences
    assert len(sents) == len(sentences(text))


@pytest.mark.parametrize("question", [
    "What is this article about?",
    "What is this document about?",
    "Summarize the main points of the document.",
    "Give me a summary",
    "What are the key takeaways of this article?",
])
def test_overview_of_the_sample(pipeline, question):
    result = pipeline.ask(question)
    assert result.kind == "overview" and not result.abstained and result.confidence is None
    assert result.answer.startswith(f"Summary of {SAMPLE_TITLE}:")
    said = [(c, n) for c, n in claims(result.answer) if not is_frame(c)]
    assert 3 <= len(said) <= 7 and all(n for _, n in said)
    assert unsupported_sentences(result) == 0
    text = SAMPLE.read_text(encoding="utf-8")
    where = []
    for claim, (n,) in said:  # each sentence quoted verbatim from its cited passage
        cite = result.citations[n - 1]
        assert claim in cite.text
        where.append(cite.start + cite.text.index(claim))
    assert where == sorted(where), "in document order"
    # the beginning, the middle and the conclusion are all heard, and the key points
    assert min(where) < 0.25 * len(text) and max(where) > 0.75 * len(text)
    paragraphs = {text.count("\n", 0, w) for w in where}
    assert len(paragraphs) >= 3
    assert any("scientist" in claim for claim, _ in said)  # the scientist Politburo members
    assert any("National Data Bureau" in claim for claim, _ in said)  # the NDB
    assert any("National Data Bureau will be responsible" in claim for claim, _ in said)  # role
    assert any("CAC" in claim and "party’s direct control" in claim for claim, _ in said)
    assert any("workable balance" in claim for claim, _ in said)  # the conclusion
    assert not any(dangles(claim) for claim, _ in said)  # each sentence reads on its own
    # key points listed by someone who saw only the article: at least 4 of 5 (the bar)
    key = json.loads((ROOT / "eval" / "data" / "sample_keypoints.json").read_text(encoding="utf-8"))
    covered = [p["point"] for p in key["points"]
               if any(phrase in claim for phrase in p["phrases"] for claim, _ in said)]
    assert len(covered) >= 4, covered


@pytest.mark.parametrize("question, heading, inside, first", [
    ("How does the article begin?", "Opening", lambda at: at < 0.25, "Stemming from his drive"),
    ("How does the article end?", "Conclusion", lambda at: at > 0.8, "China has yet to find"),
])
def test_the_opening_or_conclusion_of_the_sample_quotes_its_own_paragraphs(
        pipeline, question, heading, inside, first):
    result = pipeline.ask(question)
    assert result.answer.startswith(f"{heading} of {SAMPLE_TITLE}:")
    said = [(c, n) for c, n in claims(result.answer) if not is_frame(c)]
    assert 3 <= len(said) <= 7 and all(n for _, n in said)
    assert unsupported_sentences(result) == 0
    size = len(SAMPLE.read_text(encoding="utf-8"))
    assert all(inside(c.start / size) for c in result.citations)
    assert said[0][0].startswith(first)  # in document order, from the part's first paragraph


def test_describe_a_names_career_summarises_its_sentences(pipeline):
    result = pipeline.ask("Describe Ma's career.")  # the search alone gives 0.31
    assert result.kind == "overview" and not result.abstained
    said = [c for c, n in claims(result.answer) if not is_frame(c) and n]
    assert any("Shenzhen" in c for c in said) and unsupported_sentences(result) == 0


def test_tell_me_about_a_names_own_thing_is_a_summary_the_search_must_vouch_for(pipeline):
    assert not detect("Tell me about Xinjiang").vouched  # a name alone: what it says of it
    assert not detect("What does the text say about data governance").vouched  # no name
    texts = ["Tesla was born in Smiljan.", "Tesla studied at Graz."]
    ranked, passage = candidates_of(texts)
    for vouched, confidence in ((True, 0.2), (False, None)):
        draft = topic_draft("Tesla's childhood", ranked, [passage], 0.2, ["a.txt"], vouched)
        assert draft.confidence == confidence and len(draft.groups[0].items) == 2
    budget = pipeline.ask("Tell me about the NDB's budget")  # the search does not vouch
    assert budget.abstained and budget.kind == "factoid"


def test_sentences_naming_both_names_of_a_topic_vouch_for_it(pipeline):
    # the search for "Ma's time in Shenzhen" is not confident (0.22), but sentences name
    # Ma (or "he" after him) and Shenzhen together
    result = pipeline.ask("Tell me about Ma's time in Shenzhen")
    assert result.kind == "overview" and not result.abstained
    said = [c for c, n in claims(result.answer) if not is_frame(c) and n]
    assert sum("Shenzhen" in c for c in said) >= 2 and unsupported_sentences(result) == 0
    assert not any("Zhejiang" in c and "Shenzhen" not in c for c in said)
    assert pipeline.ask("Tell me about Yuan's childhood").abstained  # one name, no vouching


def test_a_topic_summary_quotes_the_sentence_a_quoted_this_leans_on(pipeline):
    result = pipeline.ask("what's the article's take on ChatGPT regulation?")
    said = [c for c, n in claims(result.answer) if not is_frame(c) and n]
    assert said[-1].startswith("This is clearly seen") and len(said) == 2
    assert said[0].startswith("Given the greater emphasis")  # what "This" is
    assert unsupported_sentences(result) == 0
    ma = [c for c, n in claims(pipeline.ask("Summarize Ma's career").answer) if n]
    assert len(ma) == len(set(ma))  # a sentence already quoted is not quoted again


def test_a_topic_summary_quotes_what_the_sources_say_about_it(pipeline):
    result = pipeline.ask("Summarize the career of Ma Xingrui")
    assert result.answer.startswith(
        f"Summary of what {SAMPLE_TITLE} says about the career of Ma Xingrui:")
    said = [c for c, n in claims(result.answer) if not is_frame(c) and n]
    assert len(said) >= 3 and unsupported_sentences(result) == 0
    assert all("Ma" in c or c.startswith("He ") for c in said)  # about him, or leaning on it
    assert any("Shenzhen" in c for c in said) and not any("Yuan Jiajun won" in c for c in said)
    for answer in (result, pipeline.ask("Summarize Yuan's work in Zhejiang")):
        starts = []  # (the second is found in another order than the document's)
        for claim, (n,) in [(c, n) for c, n in claims(answer.answer) if n]:
            cite = answer.citations[n - 1]
            starts.append(cite.start + cite.text.index(claim))
        assert len(starts) >= 3 and starts == sorted(starts), "in document order"
    missing = pipeline.ask("Summarize the history of the Roman Empire")
    assert missing.abstained and not missing.citations


def test_an_overview_has_as_many_sentences_as_asked(pipeline):
    def sentences(question):
        result = pipeline.ask(question)
        assert result.kind == "overview" and unsupported_sentences(result) == 0
        return len([c for c, n in claims(result.answer) if n])

    assert sentences("Summarize it in one sentence") == 1
    assert sentences("Give me three bullet points summarising the article") == 3
    assert 3 <= sentences("Summarize the article") <= 7


def test_what_the_article_says_about_a_thing_is_searched_as_what_it_says(pipeline):
    """"the article" in "What does the article say about ChatGPT's rules?" is the document
    asked about, a word no sentence holds: searched as "What does it say about ...?". A
    name's own thing ("ChatGPT's regulation") is a topic summary the search vouches for
    (else a fact); the name alone is a topic summary."""
    result = pipeline.ask("What does the article say about ChatGPT's regulation?")
    assert result.kind == "overview" and not result.abstained
    assert result.standalone == "What does it say about ChatGPT's regulation?"
    assert "regulation of ChatGPT" in result.answer and unsupported_sentences(result) == 0
    result = pipeline.ask("What does the article say about ChatGPT?")
    assert result.kind == "overview" and not result.abstained
    assert "regulation of ChatGPT" in result.answer and unsupported_sentences(result) == 0


def test_source_filter_and_named_file_scope_the_overview(two_files):
    scoped = two_files.ask("What is this document about?", sources=["okapi-notes.txt"])
    assert scoped.answer.startswith("Summary of Okapi Notes:")
    assert {c.source for c in scoped.citations} == {"okapi-notes.txt"}
    named = two_files.ask("Summarize okapi-notes.txt")
    assert {c.source for c in named.citations} == {"okapi-notes.txt"}


def test_a_file_named_by_its_subject_scopes_the_answer(two_files):
    for question in ("Summarize the okapi article", "what's the okapi doc about?",
                     "Give me a brief summary of the notes on the okapi"):
        result = two_files.ask(question)
        assert result.answer.startswith("Summary of Okapi Notes:"), question
        assert {c.source for c in result.citations} == {"okapi-notes.txt"}
    topic = two_files.ask("What does the china digital economy article say about the CAC?")
    assert topic.answer.startswith(f"Summary of what {SAMPLE_TITLE} says about the CAC:")


def test_a_topic_summary_over_two_files_names_the_one_it_quotes(two_files):
    result = two_files.ask("Summarize the career of Ma Xingrui")
    assert result.answer.startswith(
        f"Summary of what {SAMPLE_TITLE} says about the career of Ma Xingrui:")
    assert {c.source for c in result.citations} == {SAMPLE.name}


@pytest.mark.parametrize("question", [
    "What are these documents about?",
    "give me a quick overview of everything that's been uploaded"])
def test_collection_overview_says_which_files_it_covers(two_files, question):
    result = two_files.ask(question)
    assert result.answer.startswith("Overview of 2 files:")
    for name in (SAMPLE_TITLE, "Okapi Notes"):  # each file's group, labelled by its title
        assert f"\n{name}:\n" in result.answer
    assert {c.source for c in result.citations} == {SAMPLE.name, "okapi-notes.txt"}
    assert unsupported_sentences(result) == 0


def test_a_summary_that_does_not_hold_up_falls_back_to_the_extractive_one(sample_settings):
    pipeline = Pipeline(sample_settings, "extractive")
    pipeline.generator = Inventing()
    result = pipeline.ask("What is this article about?")
    assert not result.abstained and "penguin" not in result.answer.lower()
    assert "_Extractive summary: the model's summary did not hold up" in result.answer
    assert result.answer.startswith(f"Summary of {SAMPLE_TITLE}:") and result.citations


def test_the_local_model_writes_a_verified_summary_or_falls_back(sample_settings):
    pytest.importorskip("llama_cpp", reason="the [local] extra is not installed")
    pipeline = Pipeline(sample_settings.model_copy(update={"llm_max_tokens": 96}), "local")
    result = pipeline.ask("What is this article about?")
    assert result.kind == "overview" and not result.abstained
    assert result.answer.startswith(f"Summary of {SAMPLE_TITLE}:")
    assert result.citations and unsupported_sentences(result) == 0


def test_headings_name_a_file_by_its_title_and_only_that_file(tmp_path):
    """A heading names a file by its title (Markdown: its first heading); a file whose name
    holds another file's name keeps its own."""
    from conftest import write
    from rag.config import Settings
    from rag.index.indexer import sync

    sources = tmp_path / "sources"
    write(sources / "notes.md", "# Field Notes on Owls\n\nThe barn owl hunts at night over "
          "open fields. It swallows its prey whole and coughs up pellets.\n")
    write(sources / "old-notes.md", "The tawny owl calls at dusk from the old oak wood. It "
          "nests in hollow trees and hunts voles.\n")
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index")
    assert not sync(settings).failed
    pipeline = Pipeline(settings, "extractive")
    answer = pipeline.ask("What are these documents about?").answer
    assert answer.startswith("Overview of 2 files:")
    assert "\nField Notes on Owls:\n" in answer and "\nOld Notes:\n" in answer  # not
    # "old-Field Notes on Owls"
    assert pipeline.ask("What is this document about?", sources=["notes.md"]).answer \
        .startswith("Summary of Field Notes on Owls:")
