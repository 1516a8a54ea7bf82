"""The committed kinds snapshot (eval/data/kinds.tsv, written by eval/kinds.py) still holds
for the questions the rules decide, in our sets and ../shared/eval. (The full check, with the
learned classifier and SQuAD, is `eval/kinds.py`; it takes about 40 s.)"""

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("kinds", ROOT / "eval" / "kinds.py")
kinds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kinds)


def _by_rules(lines):
    return [line for line in lines if not line.startswith("#")
            and line.split("\t")[2] == "rules"
            and not line.startswith("shared/benchmarks/")]


def test_no_question_changed_kind_by_the_rules():
    snapshot = kinds.SNAPSHOT.read_text(encoding="utf-8").splitlines()
    decided_by_model = {(line.split("\t")[0], line.split("\t")[-1]) for line in snapshot
                        if not line.startswith("#") and line.split("\t")[2] == "model"}
    now = [line for line in _by_rules(kinds.rows(squad=False, model=False))
           if (line.split("\t")[0], line.split("\t")[-1]) not in decided_by_model]
    assert now == _by_rules(snapshot)


def test_the_snapshot_counts_every_set_it_reads():
    snapshot = kinds.SNAPSHOT.read_text(encoding="utf-8")
    for name, questions, _ in kinds.sets(squad=False):
        assert f"# {name}\t{len(questions)} questions" in snapshot
