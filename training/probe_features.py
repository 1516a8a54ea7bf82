"""Try a change to the answerability features in minutes instead of a 20-minute retraining:
retrieval is done once and cached, then each run recomputes the candidates' features with the
code in the working tree (rag/compose/evidence.py, rag/compose/answerability.py), refits both models as
training/train_abstention.py does (natural-question weight fixed, threshold chosen by the
same rule) and reports on every set the issue cares about:
- out-of-fold AUC on the training articles;
- SQuAD 2.0 dev, held-out articles (all their questions, all 1,204 paragraphs indexed);
- the natural-question stand-in: SQuAD 1.1 held-out articles, every second answerable
  question with every passage that answers it left out (eval/eval_answerability.py);
- eval/data/sample_qa.jsonl (dev) and the seed dev questions.

Only the question-sentence cosines are cached with the passages, so a change to how the
cosine is computed needs a new --gather. Retrieval is exact (as in training), so figures can
differ from `rag eval`'s in the last digit. The cache is not part of the repository.

    .venv/bin/python training/probe_features.py --gather   # once, about 30 min
    .venv/bin/python training/probe_features.py --gather sample_fresh  # one set again
    .venv/bin/python training/probe_features.py            # about 4 min per variant
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train_abstention as T  # noqa: E402
from tqdm import tqdm  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.retrieve.datasets import load_items, load_squad, squad_workspace  # noqa: E402
from rag.evaluation import auc  # noqa: E402
from rag.compose.evidence import candidates  # noqa: E402

CACHE = HERE / "results" / "probe_features.pkl"
SEED_DEV = T.ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"
FRESH = T.ROOT / "eval" / "data" / "sample_fresh.jsonl"  # written by someone who never saw the code
FRESH2 = T.ROOT / "eval" / "data" / "sample_fresh2.jsonl"  # paraphrases, by another such helper


def _askers(work: Path) -> dict[str, T.Asker]:
    """One Asker per index (SQuAD 2.0, SQuAD 1.1, the sample); built one after the other."""
    out = {}
    for name, path in (("squad2", T.SQUAD2), ("squad1", T.SQUAD1)):
        paragraphs, _ = load_squad(path)
        out[name] = T.Asker(squad_workspace(Settings(index_dir=work), path, paragraphs))
    sample = work / "sample"
    (sample / "sources").mkdir(parents=True, exist_ok=True)
    out["sample"] = T.Asker(Settings(sources_dir=sample / "sources", index_dir=sample / "index"))
    return out


def _sets() -> dict[str, tuple[str, list[dict], Callable[[dict], bool]]]:
    """name -> (index, items, whether the passages that answer an item are left out)."""
    _, squad2 = load_squad(T.SQUAD2)
    _, squad1 = load_squad(T.SQUAD1)
    in_squad2 = set(T._titles(T.SQUAD2))
    removed = lambda item: bool(item["answers"]) and T._coin(item["id"])  # noqa: E731
    never = lambda item: False  # noqa: E731

    def about_sample(path: Path) -> list[dict]:
        return [{**i, "article": "sample", "source": T.SAMPLE.name} for i in load_items(path)]

    return {
        "train_squad2": ("squad2", [i for i in squad2 if not T.held_out(i["article"])], never),
        "train_squad1": ("squad1", [i for i in squad1 if i["article"] not in in_squad2],
                         removed),
        "held_squad2": ("squad2", [i for i in squad2 if T.held_out(i["article"])], never),
        "standin": ("squad1", [i for i in squad1 if T.held_out(i["article"])], removed),
        "natural_train": ("sample", about_sample(T.NATURAL_TRAIN), never),
        "sample_dev": ("sample", about_sample(T.NATURAL_DEV), never),
        "seed_dev": ("sample", about_sample(SEED_DEV), never),
        "sample_fresh": ("sample", about_sample(FRESH), never),
        "sample_fresh2": ("sample", about_sample(FRESH2), never),
    }


def gather(work: Path, only: list[str] | None = None) -> None:
    """Retrieve once for every question of every set (or of the sets named, kept beside the
    others already cached); keep passages and cosines."""
    askers = _askers(work)
    out = pickle.loads(CACHE.read_bytes()) if only and CACHE.exists() else {}
    for name, (index, items, removed) in _sets().items():
        if only and name not in only:
            continue
        asker, rows = askers[index], []
        for item in tqdm(items, desc=name, file=sys.stderr):
            gone = removed(item)
            passages = asker.passages(item, gone)
            cands = candidates(item["question"], passages, asker.vectors, asker.idf)
            rows.append({"item": item, "removed": gone, "passages": passages,
                         "cosines": [c.cosine for c in cands]})
        out[name] = (index, rows)
    CACHE.write_bytes(pickle.dumps(out))
    print(f"wrote {CACHE}")


def describe(row: dict, idf) -> dict:
    """A cached question described with the working tree's features (as Asker.describe)."""
    item, passages = row["item"], row["passages"]
    cands = candidates(item["question"], passages, lambda texts: np.zeros((len(texts), 1)), idf)
    if len(cands) != len(row["cosines"]):
        raise SystemExit("the candidates changed: run --gather again")
    for cand, cosine in zip(cands, row["cosines"]):
        cand.features[0] = cosine
    return T.labelled(item, passages, cands, row["removed"])


def probe(work: Path, weight: float) -> None:
    cached = pickle.loads(CACHE.read_bytes())
    idf = {name: asker.idf for name, asker in _askers(work).items()}
    sets = {name: [d for d in (describe(r, idf[index]) for r in rows) if d["cands"]]
            for name, (index, rows) in cached.items()}  # as train_abstention.examples
    data = sets["train_squad2"] + sets["train_squad1"]
    oof = T.out_of_fold(data, sets["natural_train"], weight)
    model = T.fit(data, sets["natural_train"], weight)
    threshold, _ = T.choose_threshold(oof, data, T.confidences(model, sets["sample_dev"]),
                                      sets["sample_dev"])
    y = [d["answerable"] for d in data]
    print(f"natural weight {weight:g}, threshold {threshold:.2f}; out-of-fold AUC "
          f"{auc(list(oof), y):.4f}")
    print("| set | questions | AUC | answered | abstained |\n|---|---|---|---|---|")
    for name in ("held_squad2", "standin", "sample_dev", "seed_dev", "sample_fresh",
                 "sample_fresh2"):
        if name not in sets:
            continue
        conf = T.confidences(model, sets[name])
        pos = np.array([d["answerable"] for d in sets[name]])
        print(f"| {name} | {len(pos)} | {auc(list(conf), list(pos)):.4f} | "
              f"{(conf[pos] >= threshold).mean():.1%} | {(conf[~pos] < threshold).mean():.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gather", nargs="*", metavar="SET",
                        help="retrieve and cache (once; or only the sets named)")
    parser.add_argument("--weight", type=float, default=20.0,
                        help="weight of one natural training question (the shipped choice)")
    parser.add_argument("--work", type=Path, default=HERE / "results" / "train")
    args = parser.parse_args()
    if args.gather is not None:
        gather(args.work, args.gather)
    else:
        probe(args.work, args.weight)


if __name__ == "__main__":
    main()
