"""Answering: hybrid retrieval, the streaming chain, abstention and the dev-set answers,
with the real embedding model and a real Chroma index of the shipped sample document."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, SAMPLE, index_sample

from rag.compose.answer import Pipeline, condense
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError
from rag.retrieve.datasets import load_items
from rag.evaluation import evaluate, unsupported_sentences
from rag.retrieve.retrieval import HybridRetriever, rrf

DEV = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"
EXTRA = "Okapi notes: the okapi lives in the Ituri rainforest and eats leaves of 100 plants."


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Settings:
    return index_sample(tmp_path_factory.mktemp("answer"), {"okapi.txt": EXTRA})


@pytest.fixture(scope="module")
def pipeline(indexed) -> Pipeline:
    return Pipeline(indexed, "extractive")


def dev_items() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def test_rrf_orders_by_fused_rank():
    fused = rrf([["a", "b", "c"], ["c", "a"]])
    assert [cid for cid, _ in fused] == ["a", "c", "b"]
    assert all(x[1] >= y[1] for x, y in zip(fused, fused[1:]))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("k", [1, 3, 8])
def test_retrieve_at_most_k_ordered_by_score(pipeline, mode, k):
    retriever = HybridRetriever(reader=pipeline.reader, k=k, mode=mode)
    docs = retriever.invoke("National Data Bureau responsibilities")
    assert 0 < len(docs) <= k
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert len({d.id for d in docs}) == len(docs)


def test_retrieve_source_filter(pipeline):
    retriever = HybridRetriever(reader=pipeline.reader, k=5, sources=["okapi.txt"])
    docs = retriever.invoke("National Data Bureau")
    assert docs and {d.metadata["source"] for d in docs} == {"okapi.txt"}


def test_keyword_and_dense_both_find_the_rare_fact(pipeline):
    for mode in ("dense", "bm25"):
        docs = HybridRetriever(reader=pipeline.reader, k=1, mode=mode).invoke(
            "Where does the okapi live?")
        assert docs[0].metadata["source"] == "okapi.txt"


def test_citation_offsets_index_the_source_file(pipeline):
    result = pipeline.ask("When was the National Data Bureau established?")
    text = SAMPLE.read_text(encoding="utf-8")
    assert "March 2023" in result.answer
    for c in result.citations:
        assert text[c.start:c.end] == c.text
        assert c.text[c.quote_start:c.quote_end] == c.quote
        assert f"{c.quote} [{c.n}]" in result.answer


@pytest.mark.parametrize("question", [
    "What is China's GDP?",
    "How many employees does the CAC have?",
    "Who is the mayor of Shanghai?",
    "What is the population of Beijing?",
    "Which company makes the iPhone?",
])
def test_hard_unanswerable_questions_abstain(pipeline, question):
    result = pipeline.ask(question)
    assert result.abstained, result.answer
    assert result.answer.startswith("The indexed sources do not answer")
    assert result.closest and all(c.text for c in result.closest)


def test_stream_yields_sentences_then_final(pipeline):
    events = list(pipeline.stream("What will the National Data Bureau be responsible for?"))
    assert [e["type"] for e in events][-1] == "final"
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert tokens and re.search(r"\[\d+\]", "".join(tokens))
    final = events[-1]["result"]
    assert final.citations and not final.abstained


def test_follow_up_uses_history(pipeline):
    first = "What will the National Data Bureau be responsible for?"
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": pipeline.ask(first).answer}]
    assert condense("And when was it set up?", history) == "When was National Data Bureau set up?"
    result = pipeline.ask("And when was it set up?", history=history)
    assert "March 2023" in result.answer


def _history(*questions: str) -> list[dict]:
    out = []
    for q in questions:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": "An answer. [1]"}]
    return out


def test_a_follow_up_reads_its_pronoun_as_what_the_previous_question_was_about():
    yuan = _history("Who is Yuan Jiajun?")
    assert condense("Where is he now?", yuan) == "Where is Yuan Jiajun now?"
    # the first name is what a question is about; the pronoun before any name of its own
    ma = _history("What did Ma Xingrui do in Shenzhen?")
    assert condense("When did he become governor of Guangdong?", ma) == \
        "When did Ma Xingrui become governor of Guangdong?"
    assert condense("What is his academic background?", ma) == \
        "What is Ma Xingrui's academic background?"
    # resolved through the turns before: "he" is still Yuan two questions later
    chain = _history("Who is Yuan Jiajun?", "Where is he now?")
    assert condense("What did he do in Zhejiang?", chain) == "What did Yuan Jiajun do in Zhejiang?"
    # "And Ma?": the previous question about another; "Tell me more": about the same
    assert condense("And Ma?", chain) == "Where is Ma now?"
    assert condense("What about the CAC?", _history("What does the NDB do?")) == \
        "What does the CAC do?"
    assert condense("and the budget?", _history("What does the NDB do?")) == \
        "What does the NDB do? and the budget?"  # not a name: joined, not swapped in
    assert condense("Tell me more", yuan) == "Summarize what the sources say about Yuan Jiajun"
    assert condense("And in 2017?", chain) == "Where is Yuan Jiajun now? And in 2017?"  # joined
    # nothing to resolve, or nothing named before: the question as asked, or joined
    assert condense("Who leads Xinjiang?", yuan) == "Who leads Xinjiang?"
    assert condense("and when was it set up?", _history("what is the budget?")) == \
        "When was the budget set up?"  # no name: the thing asked about
    assert condense("and when was it set up?", _history("why did they merge?")) == \
        "why did they merge? and when was it set up?"  # nothing asked about: joined
    assert condense("Where is he now?", []) == "Where is he now?"


def test_a_person_is_called_as_the_sources_usually_call_them():
    from rag.understand.names import usual_form

    freq = {"ma": 9, "xingrui": 1, "nation": 5, "data": 8, "bureau": 4}.get
    usual = lambda name: usual_form(name, lambda t: freq(t, 0))  # noqa: E731
    assert usual("Ma Xingrui") == "Ma"
    assert usual("National Data Bureau") == "National Data Bureau"  # a body, not a person
    assert usual("Ma") == "Ma"
    ma = _history("What did Ma Xingrui do in Shenzhen?")
    assert condense("When did he become governor?", ma, usual) == "When did Ma become governor?"
    assert condense("What is his background?", ma, usual) == "What is Ma's background?"
    bureau = _history("What is the National Data Bureau?")
    assert condense("When was it set up?", bureau, usual) == "When was National Data Bureau set up?"


def test_he_is_a_person_and_it_is_not():
    person = {"Ma", "Yuan", "Ma Xingrui"}.__contains__
    chang_e = [{"role": "user", "content": "Who led Chang'e 3?"},
               {"role": "assistant", "content": "Ma, like Yuan, led Chang'e 3. [1]"}]
    # the question names no person: "he" is the first person the answer names
    assert condense("When did he become governor?", chang_e, is_person=person) == \
        "When did Ma become governor?"
    # "it" is the first thing the previous question names that is not a person
    assert condense("What is its population?", _history("What did Ma do in Shenzhen?"),
                    is_person=person) == "What is Shenzhen's population?"
    city = _history("What is the population of Chongqing?")
    assert condense("Who is its party secretary?", city, is_person=person) == \
        "Who is Chongqing's party secretary?"
    city += [{"role": "user", "content": "Who is its party secretary?"},
             {"role": "assistant", "content": "Now, in Chongqing, Yuan will lead. [1]"}]
    assert condense("What was his background?", city, is_person=person) == \
        "What was Yuan's background?"  # not "Chongqing's"


def test_there_is_the_place_the_conversation_was_at():
    place = {"Xinjiang", "Shenzhen", "Chongqing"}.__contains__
    person = {"Ma", "Ma Xingrui", "Yuan"}.__contains__
    where = [{"role": "user", "content": "Where has Ma Xingrui served since 2021?"},
             {"role": "assistant", "content": "Since 2021, Ma has been party secretary of "
                                              "Xinjiang. [1]"}]
    # after a "where" question: the place it was answered with
    assert condense("What does his appointment there suggest?", where, is_person=person,
                    is_place=place) == "What does Ma Xingrui's appointment in Xinjiang suggest?"
    # else the place the previous question is at; never a name that is not a place
    assert condense("Who was party secretary there?", _history("What happened in Shenzhen?"),
                    is_person=person, is_place=place) == "Who was party secretary in Shenzhen?"
    regulation = _history("What does the regulation of ChatGPT require?")
    assert condense("How is it enforced there?", regulation, is_person=person,
                    is_place=place) == "How is ChatGPT enforced there?"
    # "there is", "are there": not a place
    city = _history("What is the population of Chongqing?")
    assert condense("Is there a budget?", city, is_person=person, is_place=place) == \
        "What is the population of Chongqing? Is there a budget?"
    # "that city" is the place too; with none in the question, the answer's first place
    assert condense("What is that city known for?", city, is_person=person,
                    is_place=place) == "What is Chongqing known for?"
    led = [{"role": "user", "content": "Who championed digital currency?"},
           {"role": "assistant", "content": "In Shenzhen, Ma championed it. [1]"}]
    assert condense("What else happened there?", led, is_person=person, is_place=place) == \
        "What else happened in Shenzhen?"


def test_they_are_two_people_and_an_empty_it_is_left_alone():
    person = {"Ma Xingrui", "Yuan Jiajun", "Ma", "Yuan"}.__contains__
    usual = {"Ma Xingrui": "Ma", "Yuan Jiajun": "Yuan"}.get
    both = [{"role": "user", "content": "Which scientists pioneered the digital economy?"},
            {"role": "assistant", "content": "Ma Xingrui and Yuan Jiajun were pioneers. [1]"}]
    assert condense("Which provinces did they lead?", both, lambda n: usual(n, n),
                    is_person=person) == "Which provinces did Ma and Yuan lead?"
    # one thing is never "they": joined instead
    bureau = _history("What does the National Data Bureau regulate?")
    assert condense("what do they want?", bureau, is_person=person) == \
        "What does the National Data Bureau regulate? what do they want?"
    # "it" standing for nothing stays
    assert condense("Why is it inevitable that lines blur in its work?", bureau,
                    is_person=person) == \
        "Why is it inevitable that lines blur in National Data Bureau's work?"
    assert condense("Will it make it past the Politburo?", bureau, is_person=person) == \
        "Will National Data Bureau make it past the Politburo?"  # the idiom "make it" stays


def test_a_bare_question_word_asks_it_of_the_previous_question():
    centre = _history("What centre did Ma Xingrui help establish in Guangdong?")
    assert condense("Why?", centre) == \
        "What centre did Ma Xingrui help establish in Guangdong? Why?"
    assert condense("To do what?", centre).endswith("Guangdong? To do what?")
    assert condense("how so?", centre).endswith("Guangdong? how so?")
    assert condense("Why?", []) == "Why?"
    # a fragment with the question word inside is the previous question's missing part
    assert condense("respect from whom?", centre).endswith("Guangdong? respect from whom?")
    assert condense("After which year?", centre).endswith("Guangdong? After which year?")
    assert condense("Which year was it?", centre) != "Which year was it?"  # "it": resolved
    assert condense("Who founded Tesla?", centre) == "Who founded Tesla?"  # a whole question


def test_tell_me_more_summarizes_what_the_last_question_was_about(pipeline):
    first = "Who is Yuan Jiajun?"
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": pipeline.ask(first).answer}]
    more = pipeline.ask("Tell me more", history=history)
    assert more.kind == "overview" and not more.abstained and unsupported_sentences(more) == 0
    assert more.answer.startswith("Summary of what China Digital Economy Governance says "
                                  "about Yuan Jiajun:")
    assert len(more.citations) >= 1 and more.answer.count("Yuan") >= 3
    history += [{"role": "user", "content": "Tell me more"},
                {"role": "assistant", "content": more.answer}]
    other = pipeline.ask("And Ma?", history=history)  # the same kind, about another
    assert other.kind == "overview" and "says about Ma:" in other.answer.split("\n")[0]


def test_an_acronym_is_spelled_out_by_the_sentence_that_spells_it(pipeline):
    result = pipeline.ask("What does CAC stand for?")
    assert not result.abstained and "Cyberspace Administration of China (CAC)" in result.answer
    assert unsupported_sentences(result) == 0


def test_the_sources_tell_a_person_from_a_place(pipeline):
    assert pipeline._is_person("Ma") and pipeline._is_person("Yuan Jiajun")
    assert not pipeline._is_person("Chongqing") and not pipeline._is_person("Chang'e")
    assert pipeline._is_place("Xinjiang") and pipeline._is_place("Chongqing")
    assert not pipeline._is_place("ChatGPT") and not pipeline._is_place("Ma Xingrui")


def test_a_follow_up_about_a_person_is_answered_as_if_named(pipeline):
    first = "Who is Yuan Jiajun?"
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": pipeline.ask(first).answer}]
    result = pipeline.ask("Where is he now?", history=history)
    assert result.standalone == "Where is Yuan now?"
    assert "Chongqing" in result.answer and not result.abstained


def test_empty_question_is_refused(pipeline):
    with pytest.raises(RagError, match="empty"):
        pipeline.ask("   ")


def test_missing_index_says_what_to_do(tmp_path):
    settings = Settings(sources_dir=tmp_path / "s", index_dir=tmp_path / "i")
    with pytest.raises(IndexNotFoundError, match="rag index"):
        Pipeline(settings).ask("anything?")


def test_evaluate_dev_set_meets_targets(pipeline):
    report = evaluate(pipeline, load_items(DEV))
    assert report["answer_accuracy"] >= 0.9 and report["citation_accuracy"] >= 0.9
    assert report["abstention_accuracy"] >= 0.75 and report["unsupported_sentences"] == 0
    assert len(report["items"]) == len(dev_items())
    assert {"id", "answer", "abstained", "citations"} <= set(report["items"][0])


def test_load_items_rejects_bad_lines(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n')
    with pytest.raises(RagError, match="answers"):
        load_items(bad)


def test_an_explanation_includes_the_sentence_that_carries_it_on(pipeline):
    # "These differences are rooted in ..." leans on the best sentence; it holds the reason
    result = pipeline.ask("Why does Beijing's approach to cyber governance differ from the West's?")
    assert not result.abstained, result.answer
    assert "different approaches" in result.answer and "rooted in political ideology" in \
        result.answer
    assert unsupported_sentences(result) == 0
