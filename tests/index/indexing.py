"""Helpers the index tests share: a small corpus, its expected chunks, and what the live
index holds."""

from __future__ import annotations

import random


from conftest import write
from rag.ingest.chunking import chunk_documents
from rag.config import Settings
from rag.embeddings import MAX_TOKENS, count_tokens, get_embeddings
from rag.ingest.loaders import load_file
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore


CORPUS = {
    "alpha.txt": "Alpha notes: the aardvark digs its burrow near the river bank.",
    "guide.md": "# Guide\n\nThe guide explains how the bobcat hunts at dusk.",
    "deep/nested/gamma.txt": "Gamma describes the capybara colony that lives by the lake.",
}


def write_corpus(sources, corpus=CORPUS) -> None:
    for name, text in corpus.items():
        write(sources / name, text)


def expected_chunks(settings: Settings, names) -> int:
    """Chunks the given source files make, counted without the indexer."""
    return sum(len(list(chunk_documents(load_file(settings.sources_dir / n, n),
                                        settings.chunk_size, settings.chunk_overlap,
                                        MAX_TOKENS, count_tokens)))
               for n in names)


def manifest(settings: Settings) -> Manifest:
    return Manifest(settings.index_dir, settings.collection)


def dense_top(settings: Settings, query: str):
    """The live index's nearest chunk to the query (a Document)."""
    store = ChunkStore(settings)
    [(doc, _score)] = store.search(manifest(settings).active(),
                                   get_embeddings().embed_query(query), k=1)
    return doc


WORDS = ("apple banana cherry damson elder fig grape hazel iris juniper kale lime mango "
         "nutmeg olive pear quince radish sage thyme").split()


def body(i: int) -> str:
    """Three paragraphs of about 160 chars (a chunk each at size 200), tagged File<i>."""
    rng = random.Random(i)
    return "\n\n".join(f"File{i:03d} part {j}: " + " ".join(rng.choices(WORDS, k=24)) + "."
                       for j in range(3))
