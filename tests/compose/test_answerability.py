"""Answerability: the learned confidence and the fuller extractive answers, on a document no
rule or parameter was tuned on, with the real embedding model and a real index."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, training_script
from langchain_core.documents import Document

from rag.compose.answer import Pipeline
from rag.compose.answerability import MODEL_PATH, QUESTION_FEATURES, Linear, load_model, metadata
from rag.compose.citations import claims, cite, verify
from rag.config import Settings
from rag.evaluation import auc, sweep, unsupported_sentences
from rag.compose.evidence import SENTENCE_FEATURES, is_heading, question_type
from rag.compose.generators.extractive import pick
from rag.index.indexer import sync
from rag.text import names, spell_out, terms

TITLE = "Lagos Harbour Museum: Annual Review"
MUSEUM = f"""{TITLE}

The Lagos Harbour Museum opened to the public in 1994 in a restored customs warehouse on \
Victoria Island. Its founding director, Adaeze Okafor, had previously curated maritime \
collections in Liverpool. In 2011 Okafor became chair of the National Commission for Museums, \
and Tunde Bello succeeded her as director of the museum.

The museum holds more than 4,000 objects, including ship models, navigation instruments and \
trade ledgers. Its oldest object is a brass astrolabe made in Lisbon around 1560. Conservators \
clean the astrolabe every spring because the humid harbour air corrodes brass.

Before any new gallery opens, the curators first trial its displays in a single small room for \
several months. Only after visitors' comments have been gathered is the design extended to the \
other galleries.

Admission is free for schoolchildren, and the museum runs evening lectures on the history of \
the Atlantic trade.
"""
OTHER = ("Okapi notes: the okapi lives in the Ituri rainforest of the Congo and feeds on the "
         "leaves of more than a hundred plant species.")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("museum")
    (root / "sources").mkdir()
    (root / "sources" / "museum.txt").write_text(MUSEUM, encoding="utf-8")
    (root / "sources" / "okapi.txt").write_text(OTHER, encoding="utf-8")
    settings = Settings(sources_dir=root / "sources", index_dir=root / "index")
    assert not sync(settings).failed
    return Pipeline(settings, "extractive")


def answered(pipeline: Pipeline, question: str, expected: str):
    result = pipeline.ask(question)
    assert not result.abstained, (result.reason, result.closest[:1])
    assert expected.lower() in result.answer.lower(), result.answer
    assert unsupported_sentences(result) == 0
    assert result.confidence >= pipeline.settings.min_confidence
    return result


# -- kinds of question the old rules refused --------------------------------------------------

def test_possessive_name(pipeline):
    assert names("What is Adaeze Okafor's post?") == {"adaeze", "okafor"}
    # the possessive neither hides the name nor costs confidence: both forms find the sentence
    owned = pipeline.ask("What post did Adaeze Okafor's career lead to in 2011?")
    spelled = pipeline.ask("What post did the career of Adaeze Okafor lead to in 2011?")
    for result in (owned, spelled):  # among the 1 to 3 sentences of the answer
        assert any("chair of the National Commission" in c.text[a:b]
                   for c in result.citations or result.closest[:1] for a, b in c.spans)
    assert abs(owned.confidence - spelled.confidence) < 0.1
    answered(pipeline, "Which commission did Adaeze Okafor chair?", "National Commission")


def test_which_year_with_a_year_in_the_text(pipeline):
    answered(pipeline, "In which year did Okafor become chair of the commission?", "2011")


def test_a_year_after_a_month_is_a_date_not_a_count():
    from rag.compose.evidence import has_type, quantities

    assert quantities("It was set up in March 2023 with 40 staff.") == {"40"}
    assert "2013" not in quantities("By May 3, 2013 it was done.")
    assert not has_type("It was set up in March 2023.", "number", "How many staff does it have?")
    assert has_type("It was set up in March 2023.", "date", "When was it set up?")


def test_an_acronym_asked_to_be_spelled_out_wants_the_words_that_spell_it():
    from rag.compose.evidence import Query, expansion_asked, has_type

    assert expansion_asked("What does CAC stand for?") == "CAC"
    assert expansion_asked("what does the acronym 'LEM' stand for") == "LEM"
    assert expansion_asked("What is QED short for?") == "QED"
    assert expansion_asked("What is the full name of the ASER?") == "ASER"
    assert expansion_asked("What does the CAC do?") is None
    asked = "What does CAC stand for?"
    assert has_type("the Cyberspace Administration of China (CAC) was brought", None, asked)
    assert not has_type("The CAC’s function as an enforcer is prominent.", None, asked)
    assert has_type("The CAC’s function as an enforcer is prominent.", None, "Who runs it?")
    # "stand for" is the asking: not a term a sentence should hold
    assert Query.of(asked, lambda t: 1.0).terms == terms("CAC")


def test_which_city_with_a_city_in_the_text(pipeline):
    answered(pipeline, "Which city did Okafor curate maritime collections in?", "Liverpool")


def test_paraphrase(pipeline):
    # the text says "trial its displays in a single small room", not "test"
    answered(pipeline, "How do the curators test a new gallery's design before it opens?",
             "single small room")


@pytest.mark.parametrize("question", [
    pytest.param(  # on-topic, no answer
        "How many visitors did the Lagos Harbour Museum receive last year?",
        marks=pytest.mark.xfail(strict=True, reason=(
            "known weakness at the default threshold, which answers 85% of answerable dev "
            "questions: the passage names visitors and holds counts (4,000 objects), none of "
            "them of visitors, and the model gives 0.62"))),
    # 'restored customs warehouse' is in the first sentence, which names no designer
    "Who designed the restored customs warehouse?",
    "What is the capital of Peru?",                                       # off-topic
])
def test_on_topic_passage_without_the_answer_abstains(pipeline, question):
    result = pipeline.ask(question)
    assert result.abstained, result.answer
    assert result.confidence < pipeline.settings.min_confidence
    assert result.closest and result.citations == []


def test_confidence_orders_answerable_above_unanswerable(pipeline):
    good = pipeline.ask("When did the Lagos Harbour Museum open?").confidence
    bad = pipeline.ask("When did the Lagos Harbour Museum close?").confidence
    assert good > bad


def test_threshold_setting_decides(pipeline):
    question = "When did the Lagos Harbour Museum open?"
    strict = Pipeline(pipeline.settings.model_copy(update={"min_confidence": 1.0}))
    lenient = Pipeline(pipeline.settings.model_copy(update={"min_confidence": 0.0}))
    assert strict.ask(question).abstained
    assert not lenient.ask(question).abstained


# -- fuller extractive answers ------------------------------------------------------------------

def test_descriptive_question_gets_a_fuller_answer_than_a_factoid(pipeline):
    why = answered(pipeline, "Why do conservators clean the astrolabe every spring?",
                   "humid harbour air")
    when = answered(pipeline, "When was the astrolabe made?", "1560")
    # the fact alone, after the sentence its "Its" stands for (the museum)
    assert [c for c, _ in claims(when.answer)] == [
        "The museum holds more than 4,000 objects, including ship models, navigation "
        "instruments and trade ledgers.", "Its oldest object is a brass astrolabe made in "
        "Lisbon around 1560."]
    assert len(claims(why.answer)) >= 1


def test_title_line_is_never_an_answer(pipeline):
    result = pipeline.ask("What is the Lagos Harbour Museum annual review?")
    assert all(claim != TITLE for claim, _ in claims(result.answer))
    assert is_heading(MUSEUM, (0, len(TITLE)), None)
    assert is_heading("x\nSome heading\ny", (2, 14), None)
    assert not is_heading(MUSEUM, (MUSEUM.index("The Lagos"), MUSEUM.index("Island.") + 7),
                          None)


def test_answer_sentences_in_reading_order_without_duplicates(pipeline):
    result = pipeline.ask("Why do the curators trial displays in one room before a gallery "
                          "opens?")
    ranked_by_position = [(c.start + c.quote_start) for c in result.citations]
    texts = [claim for claim, _ in claims(result.answer)]
    assert len(texts) == len(set(texts))
    assert ranked_by_position == sorted(ranked_by_position)


def test_pick_skips_near_duplicates_and_keeps_reading_order():
    from rag.compose.evidence import Candidate

    v = np.array([1.0, 0.0])
    w = np.array([0.0, 1.0])
    ranked = [Candidate(0, (50, 90), "Second.", np.zeros(1), v, 0.9),
              Candidate(1, (0, 10), "Same as second.", np.zeros(1), v, 0.85),
              Candidate(0, (0, 40), "First.", np.zeros(1), w, 0.6)]
    chosen = pick("Why is it so?", ranked)
    assert [c.text for c in chosen] == ["First.", "Second."]
    assert [c.text for c in pick("When was it?", ranked)] == ["Second."]


def test_runners_up_hold_the_kind_asked_and_stop_at_three_or_a_weak_score():
    from rag.compose.evidence import Candidate

    vecs = np.eye(6)
    ranked = [Candidate(0, (0, 30), "The fleet sailed in 1492.", np.zeros(1), vecs[0], 0.9),
              Candidate(1, (0, 30), "The crew was large.", np.zeros(1), vecs[1], 0.8),
              Candidate(2, (0, 30), "It returned in 1493.", np.zeros(1), vecs[2], 0.7),
              Candidate(3, (0, 30), "Was it in 1494?", np.zeros(1), vecs[3], 0.6),
              Candidate(4, (0, 30), "A storm hit in 1495.", np.zeros(1), vecs[4], 0.5),
              Candidate(5, (0, 30), "Ships docked in 1496.", np.zeros(1), vecs[5], 0.2)]
    # a date asked: runners-up must hold one, a question never joins, three at most
    assert [c.text for c in pick("When did the fleet sail?", ranked)] == [
        "The fleet sailed in 1492.", "It returned in 1493.", "A storm hit in 1495."]
    # anything asked: the best three within RATIO of the best score
    assert [c.text for c in pick("Tell me about the fleet.", ranked)] == [
        "The fleet sailed in 1492.", "The crew was large.", "It returned in 1493."]
    ranked[1].score = ranked[2].score = ranked[4].score = 0.25  # below 0.3 of 0.9
    assert [c.text for c in pick("Tell me about the fleet.", ranked)] == [
        "The fleet sailed in 1492."]


def test_an_explanation_keeps_the_sentence_that_leans_on_the_best_one():
    from rag.compose.evidence import Candidate

    vecs = np.eye(4)
    ranked = [Candidate(0, (0, 40), "Beijing differs from Western norms.", np.zeros(1), vecs[0],
                        0.5),
              Candidate(0, (90, 120), "Other things.", np.zeros(1), vecs[1], 0.05),
              Candidate(0, (41, 89), "These differences are rooted in ideology.", np.zeros(1),
                        vecs[2], 0.04),
              Candidate(1, (0, 30), "Unrelated.", np.zeros(1), vecs[3], 0.03)]
    why = [c.text for c in pick("Why does Beijing differ?", ranked)]
    assert why == ["Beijing differs from Western norms.",
                   "These differences are rooted in ideology."]
    # a fact asked is answered by the best sentence alone; a next sentence that reads on its
    # own is not a continuation
    assert [c.text for c in pick("When did Beijing differ?", ranked)] == [why[0]]
    ranked[2].text = "Ideology explains them."
    assert [c.text for c in pick("Why does Beijing differ?", ranked)] == [why[0]]


def test_an_answer_opening_with_a_pronoun_comes_after_the_sentence_it_stands_for():
    from rag.compose.evidence import Candidate

    vecs = np.eye(4)
    ranked = [Candidate(0, (60, 120), "His method is described in the Jade Mirror.", np.zeros(1),
                        vecs[0], 0.8),
              Candidate(1, (0, 30), "Unrelated.", np.zeros(1), vecs[1], 0.1),
              Candidate(0, (30, 59), "Zhu used a method of elimination.", np.zeros(1), vecs[2],
                        0.05),
              Candidate(0, (0, 29), "The era had mathematicians.", np.zeros(1), vecs[3], 0.04)]
    who = [c.text for c in pick("Who wrote the Jade Mirror?", ranked)]
    assert who == ["Zhu used a method of elimination.",  # the one right before, not earlier
                   "His method is described in the Jade Mirror."]
    ranked[0].text = "Zhu's method is described in the Jade Mirror."  # it names him itself
    assert [c.text for c in pick("Who wrote the Jade Mirror?", ranked)] == [ranked[0].text]
    ranked[0].text, ranked[0].passage = "His method is described in the Jade Mirror.", 2
    assert len(pick("Who wrote the Jade Mirror?", ranked)) == 1  # nothing before it in passage 2


# -- markers --------------------------------------------------------------------------------

def test_marker_goes_after_closing_punctuation():
    assert cite([("Is the astrolabe Portuguese?", 1), ("It is brass.", 2)]) == \
        "Is the astrolabe Portuguese? [1] It is brass. [2]"
    assert claims("Is it? [1] It is. [2]") == [("Is it?", [1]), ("It is.", [2])]
    assert claims("Old style [1]. Next [2].") == [("Old style.", [1]), ("Next.", [2])]


def test_sentence_without_closing_punctuation_keeps_its_own_marker():
    text = cite([("A list item", 1), ("A sentence.", 2)])
    assert claims(text) == [("A list item", [1]), ("A sentence.", [2])]


def test_a_part_of_several_sentences_is_cited_after_each_and_verifies():
    block = "Flags: --storage.tsdb.path Base path. Use with server mode only. Valid: agent."
    doc = Document(id="b", page_content=f"Usage.\n\n{block}\n",
                   metadata={"source": "b.md", "page": None, "start": 0, "end": 90})
    text = cite([(block, 1), ("Usage.", 1)])
    assert all(cited == [1] for _, cited in claims(text)), text
    out = verify(text, [doc])
    assert out.unsupported == 0 and "Use with server mode only." in out.text


def test_verify_puts_the_marker_after_a_question_mark():
    doc = Document(id="m", page_content="Why keep the astrolabe? Brass corrodes in humid air.",
                   metadata={"source": "m.txt", "page": None, "start": 0, "end": 52})
    out = verify("Brass corrodes in humid air [1].", [doc])
    assert out.text == "Brass corrodes in humid air. [1]"


# -- the model file and its training ---------------------------------------------------------

def test_model_file_matches_the_code_and_the_default_threshold():
    model = load_model()
    assert model.sentence.features == SENTENCE_FEATURES
    assert model.question.features == QUESTION_FEATURES
    assert Settings.model_fields["min_confidence"].default == model.threshold
    assert metadata()["held_out_articles"]


def test_linear_round_trips_through_json():
    m = Linear(("a", "b"), np.array([0.5, 1.0]), np.array([2.0, 3.0]), np.array([0.25, -1.5]),
               0.125)
    again = Linear.from_json(json.loads(json.dumps(m.to_json())), ("a", "b"))
    x = np.array([1.0, 2.0])
    assert again.logit(x) == pytest.approx(m.logit(x))
    with pytest.raises(ValueError, match="train_abstention"):
        Linear.from_json(m.to_json(), ("a", "c"))


def test_question_kinds():
    assert question_type("In which year did it open?") == "date"
    assert question_type("Which city did she lead?") == "place"
    assert question_type("How many objects are there?") == "number"
    assert question_type("How does it work?") is None


def test_an_acronym_the_sources_never_use_is_spelled_out_as_they_write_it(pipeline):
    texts = ["The National Development and Reform Commission (NDRC) houses the new National "
             "Data Bureau. The Cyberspace Administration of China (CAC) reports to the party."]
    known = {"ndrc", "cac"}.__contains__
    assert spell_out("Where is the NDB housed?", texts, known) == \
        "Where is the National Data Bureau housed?"
    assert spell_out("What does the CAC do?", texts, known) == "What does the CAC do?"  # used
    assert spell_out("Who runs the XYZ?", texts, known) == "Who runs the XYZ?"  # not spelled
    assert spell_out("Is the US involved?", ["The United States is."], known) == \
        "Is the US involved?"  # two letters are too ambiguous
    result = answered(pipeline, "When did the LHM open to the public?", "1994")
    assert result.standalone == "When did the Lagos Harbour Museum open to the public?"


def test_terms_drop_possessives():
    assert terms("Okafor's museum") == terms("Okafor museum")


def test_auc_and_sweep():
    assert auc([0.9, 0.8, 0.3, 0.5], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    rows = sweep([{"confidence": 0.7, "abstention_correct": None},
                  {"confidence": 0.2, "abstention_correct": True}], (0.1, 0.5, 0.8))
    assert [(r["answered"], r["abstained"]) for r in rows] == [(1.0, 0.0), (1.0, 1.0),
                                                               (0.0, 1.0)]


def _training_script():
    return training_script("train_abstention")


def test_natural_questions_are_weighted_as_far_as_squad_affords(monkeypatch):
    train = _training_script()
    aucs = {0: 0.75, 10: 0.748, 20: 0.741, 50: 0.739, 100: 0.70}
    monkeypatch.setattr(train, "out_of_fold", lambda data, natural, w: np.full(len(data), w))
    monkeypatch.setattr(train, "auc", lambda scores, labels: aucs[int(scores[0])])
    data = [{"answerable": True}, {"answerable": False}]
    weight, oof, table = train.choose_weight(data, [{"question": "q"}])
    assert weight == 20 and list(oof) == [20, 20]  # 50 loses 0.011 > MAX_AUC_LOSS
    assert table == aucs
    assert train.choose_weight(data, [])[0] == 0  # no natural questions: SQuAD alone


def test_natural_questions_weigh_in_the_fit():
    """Natural questions whose sentences say the opposite of SQuAD's: weighted 0 they change
    nothing, weighted heavily they turn the sentence model's cosine coefficient around."""
    from rag.compose.evidence import Candidate

    train, rng = _training_script(), np.random.default_rng(0)

    def questions(n, sign):
        out = []
        for i in range(n):
            cands = []
            for j in range(3):
                f = rng.normal(size=len(SENTENCE_FEATURES))
                f[0] = sign * (1.0 if j == 0 else -1.0) + rng.normal(scale=0.3)
                cands.append(Candidate(0, (0, 1), "s", f, np.zeros(0)))
            out.append({"question": f"q{i} what", "answerable": bool(i % 2), "cands": cands,
                        "labels": [bool(i % 2) and j == 0 for j in range(3)]})
        return out

    squad, natural = questions(200, +1), questions(40, -1)
    alone = train.fit(squad).sentence.coef[0]
    assert alone > 0
    assert train.fit(squad, (natural, 0)).sentence.coef[0] == pytest.approx(alone)
    assert train.fit(squad, (natural, 100)).sentence.coef[0] < 0


def test_natural_training_questions_are_apart_from_the_dev_questions():
    train = _training_script()
    from rag.retrieve.datasets import load_items
    from rag.text import fold

    trained = load_items(train.NATURAL_TRAIN)
    dev = {fold(i["question"]) for path in (train.NATURAL_DEV, ROOT / "eval" / "data" / "sample_fresh.jsonl",
                                            ROOT / "eval" / "data" / "sample_fresh2.jsonl")
           for i in load_items(path)}
    assert not {fold(i["question"]) for i in trained} & dev
    # the shipped model learned from these natural questions and no others
    assert metadata()["trained_on"]["natural_questions"] == len(trained)
    sample = fold(train.SAMPLE.read_text(encoding="utf-8"))
    for item in trained:  # every answer is the sample's own words, so the labels can find it
        assert all(fold(a) in sample for a in item["answers"]), item
    assert sum(bool(i["answers"]) for i in trained) >= 40
    assert sum(not i["answers"] for i in trained) >= 15


@pytest.mark.skipif(not (ROOT.parent / "shared" / "benchmarks" / "squad2").is_dir(),
                    reason="needs ../shared/benchmarks")
def test_training_is_deterministic_on_a_small_slice(tmp_path):
    train = _training_script()
    sets = train.gather(tmp_path, articles=1, per_article=25, corpora=("docs",))
    first = train.dumps(train.train(sets))
    second = train.dumps(train.train(train.gather(tmp_path, articles=1, per_article=25,
                                                  corpora=("docs",))))
    assert first == second
    data = json.loads(first)
    # the corpus dev questions: only dev files indexed, gold sentences found for most
    splits = json.loads((ROOT / "eval" / "data" / "splits.json").read_text(encoding="utf-8"))["docs"]
    indexed = {p.name for p in (tmp_path / "corpus-docs" / "sources").iterdir()}
    assert indexed == set(splits["dev"]) and not indexed & set(splits["held"])
    corpus = sets["corpus"]
    assert {d["article"].split(":", 1)[1] for d in corpus if d["answerable"]} <= indexed
    answerable = [d for d in corpus if d["answerable"]]
    assert sum(any(d["labels"]) for d in answerable) >= 0.6 * len(answerable)
    assert not any(any(d["labels"]) for d in corpus if not d["answerable"])
    assert str(data["corpus_weight"]["chosen"]) in data["corpus_weight"]["corpus_out_of_fold_auc"]
    assert {"docs_out_of_fold", "sample_dev", "squad_out_of_fold"} <= set(data["at_threshold"])
    assert set(data) >= {"threshold", "sentence", "question", "held_out_articles"}
    weights = data["natural_weight"]
    assert str(weights["chosen"]) in weights["squad_out_of_fold_auc"]
    assert data["trained_on"]["natural_questions"] == 25  # the slice's share of them
    Linear.from_json(data["sentence"], SENTENCE_FEATURES)
    Linear.from_json(data["question"], QUESTION_FEATURES)
    assert not set(data["trained_on"]["articles"]) & set(data["held_out_articles"])
    assert MODEL_PATH.read_text(encoding="utf-8").startswith("{\n \"about\"")


def test_the_threshold_answers_enough_of_every_dev_set():
    """The highest threshold at which each dev set still gets ANSWERED of its answerable
    questions answered: the set that needs the lowest threshold decides."""
    train = _training_script()

    def dev(answerable: list[float], unanswerable: list[float]):
        return (np.array(answerable + unanswerable),
                [{"answerable": True}] * len(answerable)
                + [{"answerable": False}] * len(unanswerable))

    high = dev([0.9] * 17 + [0.6] * 3, [0.2] * 4)  # 85% answered up to 0.9, all up to 0.6
    low = dev([0.5] * 17 + [0.1] * 3, [0.3] * 4)   # 85% answered up to 0.5
    t, shares = train.choose_threshold({"high": high, "low": low})
    assert t == 0.5
    assert shares["low"] == {"answered": 0.85, "abstained": 1.0}
    assert shares["high"] == {"answered": 1.0, "abstained": 1.0}
    assert train.choose_threshold({"high": high})[0] == 0.9


def test_a_sentence_is_gold_when_it_says_what_the_quote_says():
    says = _training_script().says_quote
    quote = "We received a trace file containing 500,000 references to 75514 unique pages."
    assert says(quote, "We received a trace file containing 500,000 references to 75514 unique "
                       "pages. The file was fed to our simulators.")
    assert says("A Chubby service consists of five active replicas. One is the master.",
                "A Chubby service consists of five active replicas.")  # part of the quote
    assert not says(quote, "The trace was collected on a commercial system in 1993.")
    assert not says(quote, "Pages.")  # one shared term is not enough


def test_a_question_left_without_answer_loses_every_passage_that_answers_it():
    """The negatives built from SQuAD 1.1 (and the stand-in for questions nobody's sources
    answer): not only the question's own paragraph but any that holds one of its answers is
    left out, or a question answered twice in its article counts as unanswerable."""
    from langchain_core.documents import Document

    answers_it = _training_script().answers_it
    item = {"source": "Super_Bowl_50-003.txt", "answers": ["Denver Broncos", "L"]}

    def passage(source, text):
        return Document(page_content=text, metadata={"source": source})

    assert answers_it(item, passage("Super_Bowl_50-003.txt", "Anything at all."))
    assert answers_it(item, passage("Super_Bowl_50-007.txt", "The Denver Broncos won."))
    assert answers_it(item, passage("Super_Bowl_50-009.txt", "It was not called Super Bowl L."))
    assert not answers_it(item, passage("Super_Bowl_50-008.txt",
                                        "Levi's Stadium hosted the Broncos."))
