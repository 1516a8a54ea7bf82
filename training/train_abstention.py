"""Train the answerability models and write rag/compose/answerability.json (reproducibly).

Data, all public and read from ../shared/benchmarks (nothing is downloaded):
- SQuAD 2.0 dev: every question of the training articles, answerable or not (its
  unanswerable questions were written to look answerable), asked against an index of all
  1,204 paragraphs as `rag ask` would, except that the dense search is exact (Chroma's HNSW
  graph, so the tail of its results, changes from one process to the next);
- SQuAD 1.1 dev, the 13 articles SQuAD 2.0 dev does not have: half of their questions as
  asked, the other half with the paragraph they were asked about, and any other paragraph
  that holds one of their answers, left out of retrieval, so the passages found are on-topic
  but do not hold the answer (questions nobody's sources answer; `answers_it`);
- eval/data/sample_train.jsonl: natural questions we wrote about the shipped sample (49 it answers,
  20 it does not), asked of an index of it. SQuAD's questions were written by people reading
  the paragraph, so they share its words; a user's do not ("how many people live in X" for
  "a population of 32 million"), and a news article's long sentences lean on "he" and "it".
  Each of these questions weighs as much as NATURAL_WEIGHTS[k] SQuAD questions: the largest
  weight whose out-of-fold AUC on the SQuAD training articles stays within MAX_AUC_LOSS of
  weight 0;
- the development part of each corpus in eval/data/splits.json (real PDFs and Markdown pages with
  questions written by someone who saw only their text, paraphrasing it: factoids with a
  verbatim quote, and unanswerable near misses), asked of an index of those dev files alone.
  A candidate is gold when it comes from the quote's file and says what the quote says. The
  held-aside files are never indexed or read here. Each of these questions weighs as much as
  CORPUS_WEIGHTS[k] SQuAD questions: the weight with the best out-of-fold AUC on them (5
  folds grouped by file; an unanswerable question goes with the file it names).

Articles are split by a hash of their title; the held-out ones (about 30%) are never trained
on and are listed in the JSON so `rag eval --squad ... --held-out` reports on them. Two
logistic regressions are fitted (rag/compose/answerability.py explains them). The default confidence
threshold is the highest that still answers ANSWERED (85%) of the answerable questions of
every dev set (the operating point: answer at least 85%, then abstain as much as possible):
each corpus's out-of-fold predictions, and eval/data/sample_qa.jsonl, natural questions written
about the shipped sample (never trained on). The seed questions in ../shared/eval and the
held-aside corpus files stay aside for reporting.

    .venv/bin/python training/train_abstention.py            # writes rag/compose/answerability.json
    .venv/bin/python training/train_abstention.py --reuse    # refit on the examples gathered
                                                               # last time (same features)
    .venv/bin/python training/train_abstention.py --check    # fails if the file would change
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
os.environ["HF_HUB_OFFLINE"] = "1"
# The shipped model was learned from fp32 vectors. On a CPU with native bf16 `auto` would
# pick bf16, whose vectors differ in the 5th digit: pinned, the file reproduces on any CPU.
os.environ["RAG_EMBED_PRECISION"] = "fp32"

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from rag.compose.answerability import (MODEL_PATH, QUESTION_FEATURES, Linear,  # noqa: E402
                                        Model, idf_of)
from rag.compose.answerability import question_features, score_sentences  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus_eval import (TERM_SHARE, filter_split, load_corpus_items,  # noqa: E402
                             named_file)
from rag.errors import IndexMismatchError  # noqa: E402
from rag.retrieve.datasets import load_items, load_squad, squad_workspace  # noqa: E402
from rag.embeddings import QUERY_BATCH, sentence_vectors  # noqa: E402
from rag.evaluation import auc  # noqa: E402
from rag.compose.evidence import SENTENCE_FEATURES, candidates  # noqa: E402
from rag.index.indexer import sync  # noqa: E402
from rag.retrieve.retrieval import HybridRetriever, IndexReader  # noqa: E402
from rag.text import fold, terms  # noqa: E402
from reproduce import verdict  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
SQUAD2 = SHARED / "squad2" / "dev-v2.0.json"
SQUAD1 = SHARED / "squad" / "dev-v1.1.json"
SAMPLE = ROOT / "sources" / "china-digital-economy-governance.txt"
NATURAL_DEV = ROOT / "eval" / "data" / "sample_qa.jsonl"
NATURAL_TRAIN = ROOT / "eval" / "data" / "sample_train.jsonl"
SPLITS = ROOT / "eval" / "data" / "splits.json"
CORPUS_WEIGHTS = (0, 3, 10, 30)  # candidate weights of one corpus dev question (see below)
NATURAL_WEIGHTS = (0, 10, 20, 50, 100)  # candidate weights of one natural training question
MAX_AUC_LOSS = 0.01
HELD_OUT_SHARE = 3  # in 10: articles whose title hashes to 0, 1 or 2 (mod 10) are held out
FOLDS = 5
ANSWERED = 0.85  # the default threshold answers this share of answerable dev questions
DIGITS = 6  # significant digits kept in the JSON


def held_out(title: str) -> bool:
    return int(hashlib.md5(title.encode("utf-8")).hexdigest(), 16) % 10 < HELD_OUT_SHARE


def _coin(text: str) -> bool:
    """A fair, reproducible coin per question id."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 2 == 0


def examples(path: Path, work: Path, keep, gold_removed=lambda item: False,
             articles: int | None = None, per_article: int | None = None) -> list[dict]:
    """Retrieve for each kept question of a SQuAD file and describe its candidate sentences.

    Returns:
        One dict per question: article, answerable, candidates and their labels (the
        candidate holds a gold answer and comes from the gold paragraph).
    """
    paragraphs, items = load_squad(path)
    titles = sorted({i["article"] for i in items if keep(i["article"])})[:articles]
    items = [i for i in items if i["article"] in titles]
    if per_article:
        items = [i for t in titles for i in [j for j in items if j["article"] == t][:per_article]]
    used = {i["source"] for i in items} if articles else set(paragraphs)
    settings = squad_workspace(Settings(index_dir=work), path,
                               {n: t for n, t in paragraphs.items() if n in used})
    asker = Asker(settings)
    described = [asker.describe(item, removed=bool(item["answers"]) and gold_removed(item))
                 for item in tqdm(items, desc=path.name, unit="q", file=sys.stderr)]
    # a question whose every passage answers it has nothing left to retrieve once they are
    # left out: no sentence to learn from (the app would abstain at confidence 0)
    return [d for d in described if d["cands"]]


def natural_examples(work: Path, *paths: Path) -> list[list[dict]]:
    """Questions written about the shipped sample (eval/data/sample_train.jsonl: for training;
    eval/data/sample_qa.jsonl: dev, for choosing the threshold), asked of one index of it: natural
    questions, worded apart from the text. One list per file."""
    sources = work / "sample" / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, sources / SAMPLE.name)
    asker = Asker(Settings(sources_dir=sources, index_dir=work / "sample" / "index"))
    return [[asker.describe({**item, "article": "sample", "source": SAMPLE.name})
             for item in load_items(path)] for path in paths]


def corpus_examples(work: Path, key: str) -> list[dict]:
    """The dev questions of one corpus of eval/data/splits.json (factoids and unanswerables), asked
    of an index of its dev files alone (copied under work; the held-aside files stay out)."""
    spec = json.loads(SPLITS.read_text(encoding="utf-8"))[key]
    folder = (ROOT / spec["corpus"]).resolve()
    items = [i for i in filter_split(load_corpus_items(ROOT / spec["questions"]), SPLITS, key,
                                     "dev") if i["kind"] in ("factoid", "unanswerable")]
    sources = work / f"corpus-{key}" / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    for name in spec["dev"]:
        if not (sources / name).exists():
            shutil.copy(folder / name, sources / name)
    asker = Asker(Settings(sources_dir=sources, index_dir=work / f"corpus-{key}" / "index"))
    out = []
    for item in tqdm(items, desc=key, unit="q", file=sys.stderr):
        answerable = item["kind"] == "factoid"
        passages = asker.passages(item)
        cands = candidates(item["question"], passages, asker.vectors, asker.idf)
        for c in cands:
            c.vector = np.zeros(0)
        labels = [answerable and passages[c.passage].metadata["source"] == item["source"]
                  and says_quote(item["quote"], c.text) for c in cands]
        group = item["source"] if answerable else named_file(item["why"]) or item["id"]
        out.append({"article": f"{key}:{group}", "corpus": key, "question": item["question"],
                    "answerable": answerable, "cands": cands, "labels": labels})
    return [d for d in out if d["cands"]]


def says_quote(quote: str, sentence: str) -> bool:
    """Whether a sentence says what a gold quote says: they share at least two content terms,
    and TERM_SHARE (as rag eval's "says the same") of the sentence's (it is part of the quote)
    or of the quote's (it holds it)."""
    q, s = set(terms(quote)), set(terms(sentence))
    shared = len(q & s)
    return shared >= 2 and shared >= TERM_SHARE * min(len(q), len(s))


class Asker:
    """Retrieval over one index, as `rag ask` does it, and the candidates it yields."""

    def __init__(self, settings: Settings):
        try:
            report = sync(settings)
        except IndexMismatchError:  # a workspace built with older settings: rebuild it
            report = sync(settings, rebuild=True)
        if report.failed:
            raise SystemExit(f"indexing {settings.sources_dir} failed: {report.failed[:3]}")
        self.reader = IndexReader(settings, exact=True)  # HNSW varies between processes
        _, kw = self.reader.current()
        self.idf = idf_of(kw.doc_freq, kw.n_docs)
        self.vectors = sentence_vectors(QUERY_BATCH, settings.embed_precision)
        self.k = settings.top_k
        self.wide = HybridRetriever(reader=self.reader, k=self.k + 5)
        self.wider = HybridRetriever(reader=self.reader, k=self.k + 20)  # room for leaving out

    def passages(self, item: dict, removed: bool = False) -> list:
        """What is retrieved for item (when `removed`, every passage that answers it left
        out)."""
        found = (self.wider if removed else self.wide).invoke(item["question"])
        return [d for d in found if not (removed and answers_it(item, d))][:self.k]

    def describe(self, item: dict, removed: bool = False) -> dict:
        """item asked (when `removed`, with every passage that answers it left out)."""
        passages = self.passages(item, removed)
        cands = candidates(item["question"], passages, self.vectors, self.idf)
        for c in cands:
            c.vector = np.zeros(0)  # not needed for training; keeps memory small
        return labelled(item, passages, cands, removed)


def labelled(item: dict, passages: list, cands: list, removed: bool) -> dict:
    """A question described for training: whether it is answerable, its candidates, and
    which of them hold a gold answer in the gold paragraph."""
    answerable = bool(item["answers"]) and not removed
    labels = [answerable and passages[c.passage].metadata["source"] == item["source"]
              and any(fold(a) in fold(c.text) for a in item["answers"]) for c in cands]
    return {"article": item["article"], "question": item["question"],
            "answerable": answerable, "cands": cands, "labels": labels}


def answers_it(item: dict, passage) -> bool:
    """Whether a passage answers a SQuAD question: it is the paragraph the question was
    asked about, or holds one of its answers as whole words (a SQuAD article often says the
    same thing twice: "Denver Broncos" is in a dozen paragraphs of Super_Bowl_50)."""
    text = fold(passage.page_content)
    return passage.metadata["source"] == item["source"] or any(
        re.search(rf"(?<!\w){re.escape(fold(a))}(?!\w)", text)
        for a in item["answers"] if a.strip())


def _fit(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], weight: np.ndarray) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y,
                                                         sample_weight=weight)
    return Linear(names, mean, scale, model.coef_[0], float(model.intercept_[0]))


def fit(data: list[dict], *weighted: tuple[list[dict], float]) -> Model:
    """Both models on the SQuAD questions plus each (questions, weight) set, each of whose
    questions weighs as much as `weight` SQuAD questions (the threshold is left at 0.5)."""
    extra = [(list(q), float(w)) for q, w in weighted if w and q]
    w = np.r_[np.ones(len(data)), *(np.full(len(q), wq) for q, wq in extra)]
    data = list(data) + [d for q, _ in extra for d in q]
    rows = np.stack([c.features for d in data for c in d["cands"]])
    labels = np.array([y for d in data for y in d["labels"]])
    per_row = np.repeat(w, [len(d["cands"]) for d in data])
    sentence = _fit(rows, labels, SENTENCE_FEATURES, per_row)
    xq = np.stack([question_features(d["question"], score_sentences(d["cands"], sentence))
                   for d in data])
    yq = np.array([d["answerable"] for d in data])
    return Model(sentence, _fit(xq, yq, QUESTION_FEATURES, w), 0.5)


def confidences(model: Model, data: list[dict]) -> np.ndarray:
    return np.array([1 / (1 + np.exp(-model.question.logit(
        question_features(d["question"], score_sentences(d["cands"], model.sentence)))))
        for d in data])


def _balanced(conf: np.ndarray, data: list[dict], t: float) -> tuple[float, float]:
    """(answered share of answerables, abstained share of the rest) at threshold t."""
    pos = np.array([d["answerable"] for d in data])
    return float((conf[pos] >= t).mean()), float((conf[~pos] < t).mean())


def out_of_fold(data: list[dict], natural: list[dict], weight: float) -> np.ndarray:
    """Confidences of the SQuAD questions, each from the model fitted without its article's
    fold (5 folds grouped by article; the natural questions are in every fold's training)."""
    articles = sorted({d["article"] for d in data})
    folds = min(FOLDS, len(articles))
    fold_of = {a: i % folds for i, a in enumerate(articles)}
    oof = np.zeros(len(data))
    for f in range(folds):
        test = [i for i, d in enumerate(data) if fold_of[d["article"]] == f]
        model = fit([d for d in data if fold_of[d["article"]] != f], (natural, weight))
        oof[test] = confidences(model, [data[i] for i in test])
    return oof


def choose_weight(data: list[dict], natural: list[dict]) -> tuple[float, np.ndarray, dict]:
    """The largest NATURAL_WEIGHTS entry whose out-of-fold SQuAD AUC is within MAX_AUC_LOSS
    of weight 0: as much of the natural questions' wording as SQuAD can afford.

    Returns:
        (the weight, its out-of-fold confidences, {weight: out-of-fold AUC})."""
    aucs, oofs = {}, {}
    for w in NATURAL_WEIGHTS if natural else (0,):
        oofs[w] = out_of_fold(data, natural, w)
        found = auc(list(oofs[w]), [d["answerable"] for d in data])
        aucs[w] = 0.5 if found is None else found  # one class only: no ranking to judge
    best = max(w for w in aucs if aucs[w] >= aucs[0] - MAX_AUC_LOSS)
    return best, oofs[best], aucs


def corpus_out_of_fold(data: list[dict], natural: tuple[list[dict], float],
                       corpus: list[dict], weight: float) -> np.ndarray:
    """Confidences of the corpus dev questions, each from the model fitted without its file's
    fold (5 folds grouped by file), on SQuAD, the natural questions and the other folds."""
    groups = sorted({d["article"] for d in corpus}, key=lambda g: hashlib.md5(g.encode()).digest())
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    oof = np.zeros(len(corpus))
    for f in range(FOLDS if weight else 1):  # weight 0: the same model for every fold
        test = [i for i, d in enumerate(corpus) if not weight or fold_of[d["article"]] == f]
        model = fit(data, natural, ([d for d in corpus if fold_of[d["article"]] != f], weight))
        oof[test] = confidences(model, [corpus[i] for i in test])
    return oof


def choose_corpus_weight(data: list[dict], natural: tuple[list[dict], float],
                         corpus: list[dict]) -> tuple[float, np.ndarray, dict]:
    """The CORPUS_WEIGHTS entry with the best out-of-fold AUC on the corpus dev questions.

    Returns:
        (the weight, its out-of-fold confidences, {weight: out-of-fold AUC})."""
    aucs, oofs = {}, {}
    for w in CORPUS_WEIGHTS if corpus else (0,):
        oofs[w] = corpus_out_of_fold(data, natural, corpus, w)
        found = auc(list(oofs[w]), [d["answerable"] for d in corpus]) if corpus else None
        aucs[w] = 0.5 if found is None else round(found, 4)
    best = max(aucs, key=lambda w: (aucs[w], -w))
    return best, oofs[best], aucs


def choose_threshold(dev: dict[str, tuple[np.ndarray, list[dict]]]) -> tuple[float, dict]:
    """The highest threshold that still answers ANSWERED of the answerable questions of every
    dev set ({name: (confidences, questions)}: out-of-fold on the corpora, the natural dev
    questions under the final model). A higher one would abstain more, at the cost of
    answering less."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    dev = {name: (c, d) for name, (c, d) in dev.items() if any(x["answerable"] for x in d)}
    answered = [min(_balanced(c, d, t)[0] for c, d in dev.values()) for t in grid]
    t = float(max([g for g, a in zip(grid, answered) if a >= ANSWERED], default=grid[0]))
    shares = {name: dict(zip(("answered", "abstained"), (round(v, 4) for v in _balanced(c, d, t))))
              for name, (c, d) in dev.items()}
    return t, shares


def to_json(model: Model, threshold: float, provenance: dict) -> dict:
    return {"about": "Learned by training/train_abstention.py; read by "
                     "rag/compose/answerability.py. Each feature: [mean, scale, coef] of a "
                     "logistic regression over (x - mean) / scale.",
            "threshold": threshold, **provenance,
            "sentence": model.sentence.to_json(DIGITS), "question": model.question.to_json(DIGITS)}


def gather(work: Path, articles: int | None = None, per_article: int | None = None,
           corpora: tuple[str, ...] = ("papers", "docs")) -> dict[str, list[dict]]:
    """Every training and dev example, by set. `articles`/`per_article` take a small slice."""
    squad2 = examples(SQUAD2, work, lambda t: not held_out(t), articles=articles,
                      per_article=per_article)
    in_squad2 = set(_titles(SQUAD2))
    squad1 = examples(SQUAD1, work, lambda t: t not in in_squad2,
                      gold_removed=lambda item: _coin(item["id"]), articles=articles,
                      per_article=per_article)
    natural, dev = natural_examples(work, NATURAL_TRAIN, NATURAL_DEV)
    corpus = [d for key in corpora for d in corpus_examples(work, key)]
    return {"squad2": squad2, "squad1": squad1, "natural": natural[:per_article], "dev": dev,
            "corpus": corpus}


def train(sets: dict[str, list[dict]]) -> dict:
    """Everything the JSON file holds, from gather()'s examples."""
    squad2, squad1, natural, dev, corpus = (sets[k] for k in
                                            ("squad2", "squad1", "natural", "dev", "corpus"))
    data = squad2 + squad1
    weight, oof, aucs = choose_weight(data, natural)
    c_weight, c_oof, c_aucs = choose_corpus_weight(data, (natural, weight), corpus)
    model = fit(data, (natural, weight), (corpus, c_weight))
    keys = sorted({d["corpus"] for d in corpus})
    threshold, shares = choose_threshold({
        "sample_dev": (confidences(model, dev), dev),
        **{f"{k}_out_of_fold": (c_oof[[d["corpus"] == k for d in corpus]],
                                [d for d in corpus if d["corpus"] == k]) for k in keys}})
    shares["squad_out_of_fold"] = dict(zip(("answered", "abstained"), (
        round(v, 4) for v in _balanced(oof, data, threshold))))
    provenance = {
        "at_threshold": shares,
        "natural_weight": {"chosen": weight, "squad_out_of_fold_auc": aucs},
        "corpus_weight": {"chosen": c_weight, "corpus_out_of_fold_auc": c_aucs},
        "trained_on": {"squad2_questions": len(squad2), "squad1_questions": len(squad1),
                       "natural_questions": len(natural),
                       "corpus_questions": {k: sum(d["corpus"] == k for d in corpus)
                                            for k in keys},
                       "corpus_files": sorted({d["article"] for d in corpus
                                               if d["answerable"]}),
                       "answerable": sum(d["answerable"] for d in data),
                       "articles": sorted({d["article"] for d in data})},
        "held_out_articles": sorted(t for t in _titles(SQUAD2) if held_out(t)),
    }
    return to_json(model, threshold, provenance)


def _titles(path: Path) -> list[str]:
    return [a["title"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]]


def dumps(data: dict) -> str:
    """JSON with each list of numbers or short names on one line, for review."""
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return re.sub(r"\[\n\s*([^\[\]{}]*?)\n\s*\]",
                  lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--work", type=Path, default=ROOT / "training" / "results" / "train",
                        help="where the SQuAD indexes are built (kept for the next run)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the result differs from --out")
    parser.add_argument("--reuse", action="store_true",
                        help="refit on the examples the last run gathered (WORK/examples.pkl), "
                             "not gathering them again: only when the features are unchanged")
    args = parser.parse_args()
    cache = args.work / "examples.pkl"
    if args.reuse and cache.exists():
        sets = pickle.loads(cache.read_bytes())
    else:
        sets = gather(args.work)
        cache.write_bytes(pickle.dumps(sets))
    text = dumps(train(sets))
    if args.check:
        same, how = verdict(args.out.read_text(encoding="utf-8") if args.out.exists()
                            else None, text)
        print(how if same else f"{args.out.name}: {how}")
        raise SystemExit(0 if same else 1)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
