"""Corpus evaluation (`rag eval FILE --sources DIR`): locating gold quotes, the dev/held split,
and one real run over a tiny corpus (indexed, asked, scored, written to --out)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import write
from rag.serve.cli import app
from rag.corpus_eval import filter_split, load_corpus_items, locate
from rag.errors import RagError

pytestmark = pytest.mark.integration  # each test indexes or serves for real

KESTRELS = ("Kestrels\n\nThe common kestrel hovers over motorway verges while it hunts for "
            "voles. A kestrel can see ultraviolet light, which lets it follow the urine trails "
            "that voles leave in the grass.\n\nKestrels nest in old crow nests, on cliff "
            "ledges and in church towers. A female kestrel usually lays four or five eggs in "
            "late April.\n\nThe kestrel population in Britain fell sharply in the 1960s "
            "because of pesticides such as DDT.\n")
OWLS = ("# Owls\n\nBarn owls hunt by sound alone. They can find a vole under snow from its "
        "rustling, and they swallow their prey whole.\n\nA barn owl coughs up the fur and "
        "bones of its prey\nas a pellet about twice a day.\n\nThe tawny owl is the most "
        "common owl in Britain and calls with the familiar hoot at night.\n")
BRIDGES = ("# Bridges\n\nThe Forth Bridge is a cantilever railway bridge in Scotland. It was "
           "opened in 1890 and is painted a colour called Forth Bridge Red.\n")


def factoid(id_, question, answer, source, quote):
    return {"kind": "factoid", "id": id_, "question": question, "answer": answer,
            "source": source, "quote": quote}


ITEMS = [
    factoid("f1", "How many eggs does a female kestrel usually lay?", "four or five eggs",
            "kestrels.txt", "A female kestrel usually lays four or five eggs in late April."),
    # the file breaks this line after "prey" and has one space where the quote has two
    factoid("f2", "What does a barn owl cough up about twice a day?",
            "a pellet of fur and bones", "owls.md",
            "A barn owl coughs up the fur and  bones of its prey as a pellet about twice a day."),
    factoid("f3", "Why did the kestrel population in Britain fall in the 1960s?",
            "pesticides such as DDT", "kestrels.txt",
            "The kestrel population in Britain fell sharply in the 1960s because of "
            "pesticides such as DDT."),
    factoid("f4", "When was the Forth Bridge opened?", "1890", "bridges.md",
            "It was opened in 1890 and is painted a colour called Forth Bridge Red."),
    {"kind": "unanswerable", "id": "u1", "question": "How long does a barn owl live in the wild?",
     "why": 'NEAR-MISS entity="barn owl" in owls.md | absent: "lifespan"'},
    {"kind": "unanswerable", "id": "u2", "question": "Who designed the Forth Bridge?",
     "why": 'NEAR-MISS entity="Forth Bridge" in bridges.md | absent: "engineer"'},
    {"kind": "whole", "id": "w1", "question": "What is the owls document about?",
     "sources": ["owls.md"],
     "key_points": [{"point": "Barn owls hunt by sound", "phrases": ["sound alone", "barn owls"]},
                    {"point": "They cough up pellets", "phrases": ["pellet"]},
                    {"point": "Tawny owls hoot", "phrases": ["tawny owl", "hoot"]}]},
    {"kind": "chat", "id": "c1", "turns": [
        {"question": "Where do kestrels nest?", "answerable": True, "source": "kestrels.txt",
         "quote": "Kestrels nest in old crow nests, on cliff ledges and in church towers.",
         "standalone": "Where do kestrels nest?"},
        {"question": "How many eggs do they lay?", "answerable": True, "source": "kestrels.txt",
         "quote": "A female kestrel usually lays four or five eggs in late April.",
         "standalone": "How many eggs do kestrels lay?"},
        {"question": "And what is the wingspan of a golden eagle?", "answerable": False,
         "source": None, "quote": None,
         "standalone": "What is the wingspan of a golden eagle?"}]},
]
SPLITS = {"birds": {"dev": ["kestrels.txt", "owls.md"], "held": ["bridges.md"],
                    "unanswerable": {"dev": ["u1"], "held": ["u2"]}}}


@pytest.fixture
def corpus(tmp_path):
    """A folder of three small documents, the question file and a splits file."""
    folder = tmp_path / "birds"
    write(folder / "kestrels.txt", KESTRELS)
    write(folder / "owls.md", OWLS)
    write(folder / "bridges.md", BRIDGES)
    questions = write(tmp_path / "birds.jsonl", "".join(json.dumps(i) + "\n" for i in ITEMS))
    splits = write(tmp_path / "splits.json", json.dumps(SPLITS))
    return folder, questions, splits


def test_locate_across_a_line_end_hyphen_and_white_space():
    page = ("Intro.\nThe scheme is associ-\n   ated with “high  through-\nput” and the ﬁnal "
            "results.")
    quote = 'The scheme is associated with "high throughput" and the final results'
    found = locate(quote, [(1, "another page"), (2, page)], page=1)
    assert found is not None and found[0] == 2
    _, start, end = found
    assert page[start:end].startswith("The scheme") and page[start:end].endswith("results")
    assert page[end] == "."
    # the other way round: a hyphen in the quote, none in the page text
    assert locate("is ASSOCI- ated with", [(None, "It is associated with x")]) == (None, 3, 21)
    assert locate("is associated with nothing", [(None, page)]) is None
    assert locate("a 12-24ms timeout", [(3, "with a 12-\n24ms timeout")]) == (3, 5, 23)


def test_locate_prefers_the_given_page():
    pages = [(1, "The same sentence."), (2, "Then: the same  sentence.")]
    assert locate("the same sentence", pages, page=2) == (2, 6, 24)
    assert locate("the same sentence", pages) == (1, 0, 17)


def test_split_filter_keeps_and_drops_the_right_ids(corpus):
    _, questions, splits = corpus
    items = load_corpus_items(questions)
    ids = lambda split: {i["id"] for i in filter_split(items, splits, "birds", split)}  # noqa
    assert ids("dev") == {"f1", "f2", "f3", "u1", "w1", "c1"}  # c1's null source is ignored
    assert ids("held") == {"f4", "u2"}
    assert ids("all") == {i["id"] for i in ITEMS}
    with pytest.raises(RagError, match="dev, held, all"):
        filter_split(items, splits, "birds", "test")
    with pytest.raises(RagError, match="--corpus"):
        filter_split(items, splits, "papers", "dev")


def test_bad_inputs_say_what_to_do(corpus, tmp_path):
    folder, questions, splits = corpus
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", str(questions), "--sources", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "is not a folder" in missing.stderr
    plain = write(tmp_path / "qa.jsonl", '{"question": "Q?", "answers": ["A"]}\n')
    wrong = runner.invoke(app, ["eval", str(plain), "--sources", str(folder)])
    assert wrong.exit_code == 2 and "not a corpus question" in wrong.stderr
    no_key = runner.invoke(app, ["eval", str(questions), "--sources", str(folder),
                                 "--split", "dev", "--splits", str(splits)])
    assert no_key.exit_code == 2 and "--corpus" in no_key.stderr
    (folder / "owls.md").unlink()
    other = runner.invoke(app, ["eval", str(questions), "--sources", str(folder)])
    assert other.exit_code == 2 and "owls.md" in other.stderr


def test_corpus_eval_end_to_end(corpus, tmp_path):
    folder, questions, splits = corpus
    out = tmp_path / "items.json"
    result = CliRunner().invoke(app, ["eval", str(questions), "--sources", str(folder),
                                      "--split", "dev", "--corpus", "birds", "--splits",
                                      str(splits), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "factoids gold cited" in result.stdout and "threshold" in result.stdout
    assert "kestrels.txt" in result.stdout  # the per-source breakdown
    assert "f1 factoid" in result.stderr  # one progress line per item
    report = json.loads(out.read_text(encoding="utf-8"))
    items = {r["id"]: r for r in report["items"]}
    assert set(items) == {"f1", "f2", "f3", "u1", "w1", "c1"}  # held-aside ones dropped
    f1 = items["f1"]["verdicts"]
    assert f1["answered"] and f1["cited"] and f1["cited_by"] == "passage-overlap"
    assert f1["right"] and f1["right_by"] in ("supporting-sentence", "answer-terms")
    assert items["f2"]["verdicts"]["located"]  # despite the line break and double space
    assert "four or five" in items["f1"]["answer"]
    for record in items.values():
        assert {"id", "kind", "question", "answer", "abstained", "confidence", "citations",
                "verdicts"} <= set(record)
    assert {"declined", "source"} <= set(items["u1"]["verdicts"])
    assert {"key_points", "papers_cited"} <= set(items["w1"]["verdicts"])
    turns = items["c1"]["verdicts"]["turns"]
    assert [t["turn"] for t in turns] == [1, 2, 3] and "declined" in turns[2]
    assert len(items["c1"]["question"]) == 3
    summary = report["summary"]
    assert (summary["factoids"], summary["unanswerables"], summary["whole"],
            summary["chat"]) == (3, 1, 1, 1)
    assert summary["by_source"]["owls.md"]["unanswerables"] == 1
    assert summary["latency_p50_ms"] > 0 and len(summary["sweep"]) == 19


def test_a_key_point_in_the_heading_alone_is_not_covered():
    """The heading echoes the title ("Summary of The Google File System:"): a key point
    counts only when the answer's own sentences hold it."""
    from rag.compose.answer import AnswerResult
    from rag.corpus_eval import _score_whole

    item = {"sources": ["gfs.pdf"], "key_points": [{"phrases": ["google file system"]},
                                                   {"phrases": ["64 MB chunks"]}]}
    result = AnswerResult(question="q", standalone="q", abstained=False, answer=(
        "Summary of The Google File System:\nFiles are divided into 64 MB chunks. [1]"))
    assert _score_whole(item, result)["key_points"] == 0.5
