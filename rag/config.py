"""Settings: one typed object read from RAG_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag import plugins
from rag.errors import ConfigError

Precision = Literal["auto", "fp32", "bf16"]
# Chosen on dev data by training/train_abstention.py (it is also in rag/compose/answerability.json):
# see the README's trade-off table before changing it.
DEFAULT_MIN_CONFIDENCE = 0.42


class Settings(BaseSettings):
    """Every tunable of the pipeline. Built once at the edge (CLI/UI) and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # where things live
    sources_dir: Path = Field(Path("sources"), description="Folder of documents to answer from.")
    index_dir: Path = Field(Path("index"), description="Generated index (Chroma + BM25). Never edit.")
    collection: str = Field("rag", description="Name prefix of the Chroma collections.")

    # Chroma server (optional): when host is set the same code talks to `chroma run`.
    chroma_host: str | None = Field(None, description="Chroma server host; unset = local store.")
    chroma_port: int = Field(8000, description="Chroma server port.")

    # chunking: sizes in characters, chosen so no chunk exceeds the model's 256 word pieces
    chunk_size: int = Field(800, ge=50, le=20000, description="Chunk length in characters.")
    chunk_overlap: int = Field(120, ge=0, description="Characters shared by neighbouring chunks.")

    # embeddings
    embed_batch_size: int = Field(8, ge=1, le=1024,
                                  description="Chunks per model batch when indexing.")
    embed_precision: Precision = Field(
        "auto", description="auto | fp32 | bf16: the number format the model computes in; "
                            "auto = what the existing index was built with, else bf16 where "
                            "the CPU has it natively (AVX512-BF16 or AMX), else fp32. "
                            "Recorded in the index; queries use the same.")

    # answering
    generator: str = Field("extractive", description="A registered generator (rag.plugins): "
                                                    "extractive | local | openai.")
    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved per question.")
    prepare_overviews: int = Field(
        100, ge=0, description="Files whose sentence vectors are embedded ahead of a first "
        "overview: by `rag index` and by the server after each sync (the files it added or "
        "changed), and by the server at start-up (in the background); 0 = none. Files of "
        "more than 2,000 chunks are left to their first overview.")
    min_confidence: float = Field(
        DEFAULT_MIN_CONFIDENCE, ge=0.0, le=1.0,
        description="Answer only when the confidence that the passages answer is at least "
                    "this (higher: fewer wrong answers, more abstentions).")
    llm_model: str = Field("smollm2", description="local: smollm2 | gemma3 | path to a .gguf file.")
    llm_max_tokens: int = Field(96, ge=8, le=2048, description="Most tokens an LLM may generate.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible URL.")
    openai_model: str = Field("local", description="Model name sent to the OpenAI-compatible server.")
    openai_api_key: str = Field("not-needed", description="API key for the OpenAI-compatible server.")

    # web UI
    host: str = Field("127.0.0.1", description="Address the server (chat + API) binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the server (chat + API).")
    username: str | None = Field(None, description="UI login name (set with RAG_PASSWORD).")
    password: str | None = Field(None, description="UI password (set with RAG_USERNAME).")
    max_upload_mb: int = Field(50, ge=1, description="Largest file the UI accepts, in MB.")

    # the server (`rag serve`: HTTP API + chat)
    api_key: str | None = Field(None, description="Bearer key every /api and /v1 request must "
                                                  "send; unset = no key (loopback only).")
    allow_open: bool = Field(False, description="Allow binding beyond loopback without a key "
                                                "and a chat login.")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64,
                         description="Answers computed at once (llama.cpp: always one).")
    max_question_chars: int = Field(2000, ge=10, le=100_000,
                                    description="Longest question accepted, in characters.")

    @field_validator("generator")
    @classmethod
    def _registered(cls, name: str) -> str:
        allowed = plugins.names(plugins.GENERATORS)
        if name not in allowed:
            raise ValueError(f"RAG_GENERATOR {name!r} is not a registered generator; choose "
                             f"one of {', '.join(allowed)}")
        return name

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ConfigError(
                f"RAG_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"RAG_CHUNK_SIZE ({self.chunk_size})."
            )
        if bool(self.username) != bool(self.password):
            raise ConfigError("RAG_USERNAME and RAG_PASSWORD must be set together.")
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def is_remote(self) -> bool:
        return bool(self.chroma_host)


def load_settings(**overrides) -> Settings:
    """Build settings from the environment, with explicit overrides (CLI flags) winning.

    Raises:
        ConfigError: a value is invalid or two settings conflict.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError:
        raise
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ConfigError(f"Invalid setting: {exc}") from exc
