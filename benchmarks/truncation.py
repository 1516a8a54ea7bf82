"""How many chunks would all-MiniLM-L6-v2 truncate (over 256 word pieces)?

For several character chunk sizes, on the shipped sample and on SciFact: the plain
RecursiveCharacterTextSplitter, and rag's chunker (which re-splits any oversized chunk).
Usage:  .venv/bin/python benchmarks/truncation.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["HF_HUB_OFFLINE"] = "1"

import scifact  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402

from rag.ingest.chunking import chunk_documents  # noqa: E402
from rag.embeddings import MAX_TOKENS, count_tokens  # noqa: E402


def over(texts: list[str]) -> tuple[int, int]:
    counts = count_tokens(texts)
    return sum(1 for n in counts if n > MAX_TOKENS), max(counts)


def main() -> None:
    corpora = {
        "sample": [(ROOT / "sources" / "china-digital-economy-governance.txt").read_text()],
        "scifact": [scifact.doc_text(d) for d in scifact.corpus()],
    }
    print(f"{'corpus':8} {'size/overlap':>12} {'plain chunks':>12} {'over 256':>9} {'max':>5}"
          f" {'rag chunks':>10} {'over 256':>9} {'max':>5}")
    for size in (600, 800, 1000):
        overlap = size * 15 // 100
        for name, texts in corpora.items():
            splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)
            plain = [c for t in texts for c in splitter.split_text(t)]
            docs = [Document(page_content=t, metadata={"source": str(i), "hash": ""})
                    for i, t in enumerate(texts)]
            ours = [c.page_content for c in chunk_documents(docs, size, overlap, MAX_TOKENS,
                                                            count_tokens)]
            p_over, p_max = over(plain)
            o_over, o_max = over(ours)
            print(f"{name:8} {f'{size}/{overlap}':>12} {len(plain):>12} {p_over:>9} {p_max:>5}"
                  f" {len(ours):>10} {o_over:>9} {o_max:>5}")


if __name__ == "__main__":
    main()
