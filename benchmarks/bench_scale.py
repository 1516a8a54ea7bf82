"""Scale benchmark: the index at 25,000 and 250,000 chunks on a `chroma run` server.

It starts `chroma run` on a free loopback port (and stops it), then for each size:
- writes SciFact abstracts as .txt files, copied as many times as needed, each copy's text
  varied: its first five characters become a copy tag ("c0007"), so every copy has its own
  words for the keyword index while its chunk boundaries stay those of the original;
- builds the index with the real `rag index` code (`sync`), except that chunk vectors are
  looked up, not computed: embedding 250k chunks takes hours on this CPU, so the vectors
  come from an existing fp32 SciFact index (--vectors DIR, as `bench_retrieval.py --keep
  DIR` leaves it). A first chunk whose tag changed its text gets its original's vector; any
  other chunk not found gets a pseudo-random unit vector (counted and printed). Dense
  quality is therefore not measured here, only cost;
- measures, each in a fresh process: hybrid query p50/p95 over 100 SciFact test questions
  (the real model embeds them), then again with their vectors cached (search only), with
  the peak RSS of that process; a no-change `rag index`;
  one new file added, changed and removed with `rag index` (real embedding), end to end;
  and the server's RSS. The add/change/remove times are end to end (`rag index` in a fresh
  process); "in sync" is the sync's own figure, which includes loading the model when a
  file has to be embedded.
Usage:  .venv/bin/python benchmarks/bench_scale.py --vectors /tmp/br [--sizes 25000,250000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

TAG = re.compile(r"^c\d{4}")
NOTE = "zz-scale-note.txt"
NOTES = ["Scale note: the okapi is a giraffid of the Congo rainforest.",
         "Scale note, revised: the okapi eats leaves, fruit and clay."]


def load_vectors(folder: Path) -> tuple[dict, dict, dict[str, int]]:
    """{chunk text: vector}, {first chunk text without its first 5 chars: vector}, and
    chunks per abstract, from an existing SciFact index."""
    import numpy as np

    from rag.config import Settings
    from rag.index.manifest import Manifest
    from rag.index.store import ChunkStore

    settings = Settings(sources_dir=folder / "sources", index_dir=folder / "index")
    name = Manifest(settings.index_dir, settings.collection).active()
    col = ChunkStore(settings).client.get_collection(name, embedding_function=None)
    by_text, by_tail, per_file, offset = {}, {}, {}, 0
    while True:
        got = col.get(include=["documents", "embeddings", "metadatas"], limit=2000,
                      offset=offset)
        if not got["ids"]:
            break
        for text, vec, meta in zip(got["documents"], got["embeddings"], got["metadatas"]):
            vec = np.asarray(vec, dtype=np.float32)
            by_text[text] = vec
            if meta["start"] == 0:
                by_tail[text[5:]] = vec
            per_file[meta["source"]] = per_file.get(meta["source"], 0) + 1
        offset += len(got["ids"])
    return by_text, by_tail, per_file


class LookupEmbeddings:
    """Vectors looked up by chunk text (see the module docstring); counts the misses."""

    def __init__(self, by_text: dict, by_tail: dict):
        self.by_text, self.by_tail, self.misses, self.hits = by_text, by_tail, 0, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import hashlib

        import numpy as np

        out = []
        for text in texts:
            vec = self.by_text.get(text)
            if vec is None and TAG.match(text):
                vec = self.by_tail.get(text[5:])
            if vec is None:
                self.misses += 1
                seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
                vec = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
                vec /= np.linalg.norm(vec)
            else:
                self.hits += 1
            out.append(vec.tolist())
        return out


def write_sources(folder: Path, target: int, per_file: dict[str, int]) -> int:
    """Copies of the abstracts, tagged per copy, until about `target` chunks; the count."""
    import scifact

    docs = scifact.corpus()
    total, copy = 0, 0
    while total < target:
        sub = folder / f"copy{copy:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        for doc in docs:
            text = scifact.doc_text(doc)
            name = f"{doc['_id']}.txt"
            if copy and re.fullmatch(r"[A-Za-z0-9]{5}", text[:5]):
                text = f"c{copy:04d}" + text[5:]
            path = sub / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")  # a kept folder keeps its file times
            total += per_file.get(name, 3)
            if total >= target:
                break
        copy += 1
    return total


def env_for(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=str(ROOT), RAG_SOURCES_DIR=str(settings.sources_dir),
               RAG_INDEX_DIR=str(settings.index_dir), RAG_CHROMA_HOST=settings.chroma_host,
               RAG_CHROMA_PORT=str(settings.chroma_port), RAG_COLLECTION=settings.collection)
    return env


QUERIES = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, scifact
from rag.config import load_settings
from rag.retrieve.retrieval import HybridRetriever, IndexReader
reader = IndexReader(load_settings())
retriever = HybridRetriever(reader=reader, k=10)
queries = list(scifact.queries_with_qrels()[0].values())[:100]
for q in queries[:5]:
    retriever.invoke(q)
def timed():
    times = []
    for q in queries:
        t = time.perf_counter(); retriever.invoke(q); times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))
(p50, p95), (s50, s95) = timed(), timed()  # the second pass finds the questions' vectors cached
print(json.dumps({"p50": p50, "p95": p95, "search_p50": s50, "search_p95": s95,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cli_index(settings) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rag", "index", "--json", "-q", "--local"],
                         env=env_for(settings), capture_output=True, text=True,
                         cwd=settings.index_dir.parent)
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr[-3000:])
    return {**json.loads(out.stdout.strip().splitlines()[-1]),
            "wall": time.perf_counter() - started}


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) RSS of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    get = lambda key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024  # noqa: E731
    return get("VmRSS"), get("VmHWM")


def measure(size: int, work: Path, port: int, server_pid: int, vectors) -> dict:
    import resource

    from rag.index import indexer
    from rag.config import Settings

    sources = work / f"sources-{size}"
    chunks_est = write_sources(sources, size, vectors[2])
    settings = Settings(sources_dir=sources, index_dir=work / f"index-{size}",
                        chroma_host="127.0.0.1", chroma_port=port, collection=f"scale{size}")
    lookup = LookupEmbeddings(vectors[0], vectors[1])
    real = indexer.get_embeddings
    indexer.get_embeddings = lambda *a, **k: lookup
    started = time.perf_counter()
    report = indexer.sync(settings)
    indexer.get_embeddings = real
    build = time.perf_counter() - started
    print(f"{size:,}: {report.chunks:,} chunks ({chunks_est:,} estimated) in "
          f"{len(report.added):,} files, built in {build:.0f} s; vectors looked up for "
          f"{lookup.hits:,}, pseudo-random for {lookup.misses:,}; build process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB", flush=True)
    out = subprocess.run([sys.executable, "-c", QUERIES, str(HERE)], env=env_for(settings),
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    row = {"size": size, "chunks": report.chunks, "query": json.loads(out.stdout.splitlines()[-1])}
    row["no change"] = cli_index(settings)
    note = sources / NOTE
    note.write_text(NOTES[0])
    row["add"] = cli_index(settings)
    note.write_text(NOTES[1])
    row["change"] = cli_index(settings)
    note.unlink()
    row["remove"] = cli_index(settings)
    row["server_rss"] = rss_mb(server_pid)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, required=True,
                        help="Folder of a SciFact index (bench_retrieval.py --keep DIR).")
    parser.add_argument("--sizes", default="25000,250000")
    parser.add_argument("--keep", type=Path, help="Work folder to keep.")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import free_port

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)  # --keep names a folder that may not exist yet
    vectors = load_vectors(args.vectors)
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (work / "chroma.log").open("wb")
    server = subprocess.Popen([str(chroma), "run", "--path", str(work / "chroma-db"), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=log, stderr=log,
                              env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    rows = []
    try:
        import urllib.request

        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for size in [int(s) for s in args.sizes.split(",")]:
            rows.append(measure(size, work, port, server.pid, vectors))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    print("\n| chunks | hybrid p50 / p95 ms | of which search, question vector cached | "
          "query process peak RSS MB | server RSS (peak) MB "
          "| no-change sync s | add s | change s | remove s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['chunks']:,} | {r['query']['p50']:.0f} / {r['query']['p95']:.0f} | "
              f"{r['query']['search_p50']:.0f} / {r['query']['search_p95']:.0f} | "
              f"{r['query']['rss_mb']:,.0f} | {r['server_rss'][0]:,.0f} "
              f"({r['server_rss'][1]:,.0f}) | " + " | ".join(
                  f"{r[k]['wall']:.1f} ({r[k]['seconds']:.1f} in sync)"
                  for k in ("no change", "add", "change", "remove")) + " |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
