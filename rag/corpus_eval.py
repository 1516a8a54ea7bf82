"""Corpus evaluation: score answers, citations and abstentions on a question file written
over a folder of documents (factoid, unanswerable, whole and chat items)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from array import array
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.compose.answer import AnswerResult, Pipeline
from rag.config import Settings
from rag.errors import LoadError, RagError
from rag.evaluation import SWEEP, auc, unsupported_sentences
from rag.retrieve.datasets import jsonl
from rag.ingest.loaders import load_file
from rag.text import fold, terms

FIELDS = {"factoid": {"question", "answer", "source", "quote"},
          "unanswerable": {"question", "why"},
          "whole": {"question", "sources", "key_points"}, "chat": {"turns"}}
CORPUS_KEYS = {"papers_dev.jsonl": "papers", "docs_dev.jsonl": "docs"}
SPLITS = ("dev", "held", "all")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"'})
# what a PDF line-end hyphen comes out as (U+FFFE and \x02 from some extractors)
_BREAKS = {"-", "\ufffe", "\x02", "\xad", "\u2010", "\u2011"}
_NAMED_FILE = re.compile(r"\bin ([^\s\"|]+\.(?:pdf|md))\b")
TERM_SHARE = 0.6  # share of content terms that counts as "says the same"

Pages = list[tuple[int | None, str]]


def load_corpus_items(path: Path) -> list[dict]:
    """Read a corpus question file (JSONL; the format of papers_dev.jsonl).

    Args:
        path: the JSONL file, one item a line with kind, id and the kind's fields.

    Returns:
        The items, in file order.

    Raises:
        RagError: the file is missing, a line is not JSON or not an item of a known kind.
    """
    items = []
    for no, item in jsonl(path):
        need = FIELDS.get(item.get("kind")) if isinstance(item, dict) else None
        if need is None or "id" not in item or not need <= set(item):
            raise RagError(f"{path}:{no}: not a corpus question: each line needs an id and a "
                           f"kind ({', '.join(FIELDS)}) with its fields (see "
                           "check_papers_dev.py); without --sources `rag eval` reads "
                           "question/answers files.")
        items.append(item)
    if not items:
        raise RagError(f"{path} holds no questions.")
    return items


def corpus_key(path: Path, corpus: str | None) -> str | None:
    """The splits.json key of a question file: --corpus, else known from its name."""
    return corpus or CORPUS_KEYS.get(path.name)


def filter_split(items: list[dict], splits_path: Path, key: str | None,
                 split: str) -> list[dict]:
    """Keep the items of one side of the dev/held split of eval/data/splits.json.

    Args:
        items: corpus items.
        splits_path: the splits file ({key: {dev, held: [files], unanswerable: {dev, held}}}).
        key: the corpus key in it ("papers", "docs").
        split: "dev", "held" or "all" (no filtering).

    Returns:
        Factoids whose source is in the split; unanswerables listed for it; whole items and
        chat items all of whose (non-null) sources are in it.

    Raises:
        RagError: an unknown split or corpus key, or an unreadable splits file.
    """
    if split not in SPLITS:
        raise RagError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")
    if split == "all":
        return items
    try:
        splits = json.loads(splits_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RagError(f"Cannot read the splits file {splits_path} ({exc}).") from exc
    if key not in splits or key == "about":
        raise RagError(f"No corpus {key!r} in {splits_path}: give --corpus one of "
                       f"{', '.join(k for k in splits if k != 'about')}.")
    files, unanswerable = set(splits[key][split]), set(splits[key]["unanswerable"][split])

    def keep(item: dict) -> bool:
        if item["kind"] == "factoid":
            return item["source"] in files
        if item["kind"] == "unanswerable":
            return item["id"] in unanswerable
        named = item["sources"] if item["kind"] == "whole" else \
            [t["source"] for t in item["turns"] if t.get("source")]
        return all(s in files for s in named)

    return [i for i in items if keep(i)]


def workspace(settings: Settings, folder: Path) -> Settings:
    """Settings for a private index of `folder` under RAG_INDEX_DIR/eval/<name>-<hash of its
    absolute path> (apart from the user's index; reused and synced incrementally).

    Raises:
        RagError: the folder does not exist.
    """
    folder = folder.resolve()
    if not folder.is_dir():
        raise RagError(f"--sources {folder} is not a folder: give the folder of the documents "
                       "the questions were written on.")
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
    root = settings.index_dir / "eval" / f"{folder.name}-{digest}"
    return settings.model_copy(update={"sources_dir": folder, "index_dir": root / "index",
                                       "chroma_host": None, "collection": "eval"})


def check_sources(items: list[dict], folder: Path) -> None:
    """Make sure every file the items cite as gold is in the folder.

    Raises:
        RagError: some are not (the wrong folder, or a question file for another corpus).
    """
    named = set()
    for item in items:
        named.update([item["source"]] if item["kind"] == "factoid" else
                     item["sources"] if item["kind"] == "whole" else
                     [t["source"] for t in item.get("turns", []) if t.get("source")])
    missing = sorted(s for s in named if not (folder / s).is_file())
    if missing:
        raise RagError(f"{len(missing)} file(s) the questions cite are not in {folder} (e.g. "
                       f"{missing[0]}): give --sources the folder the questions were written "
                       "on.")


@lru_cache(maxsize=4096)
def _normalised(text: str) -> tuple[str, array]:
    """text compared loosely (NFKC, straight quotes, lower case, one space per white-space
    run, words joined across hyphens), and each of its characters' index in `text`."""
    chars, where = [], []
    for i, ch in enumerate(text):
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                where.append(i)
            continue
        for out in unicodedata.normalize("NFKC", "-" if ch in _BREAKS else ch):
            for low in out.translate(_QUOTES).lower():
                chars.append(low)
                where.append(i)
    keep_c, keep_w, j = [], [], 0
    while j < len(chars):
        after = j + 2 if j + 1 < len(chars) and chars[j + 1] == " " else j + 1
        if (chars[j] == "-" and keep_c and keep_c[-1].isalnum() and after < len(chars)
                and chars[after].isalnum()):
            if keep_c[-1].isalpha() and chars[after].isalpha():
                j = after  # "associ-\nated" = "associated" (and "well- known" = "well-known")
                continue
            keep_c.append("-")  # "12-\n24ms" = "12-24ms": only the line break goes
            keep_w.append(where[j])
            j = after
            continue
        keep_c.append(chars[j])
        keep_w.append(where[j])
        j += 1
    if keep_c and keep_c[-1] == " ":
        keep_c.pop(), keep_w.pop()
    return "".join(keep_c), array("l", keep_w)  # an array: a page's map is 1/4 the size


def locate(quote: str, pages: Pages, page: int | None = None
           ) -> tuple[int | None, int, int] | None:
    """Find a quote in a file's page texts, tolerant of white space, line-end hyphens,
    ligatures, curly quotes and case.

    Args:
        quote: the text to find.
        pages: (page number or None, page text) of one file, as rag.ingest.loaders reads it.
        page: the page the quote should be on, tried first; then all pages.

    Returns:
        (page, start, end) with page_text[start:end] the quote in the ORIGINAL page text,
        or None when no page holds it.
    """
    needle, _ = _normalised(quote)
    if not needle:
        return None
    ordered = sorted(pages, key=lambda p: p[0] != page) if page is not None else pages
    for number, text in ordered:
        hay, where = _normalised(text)
        pos = hay.find(needle)
        if pos >= 0:
            return number, where[pos], where[pos + len(needle) - 1] + 1
    return None


class SourcePages:
    """Each source file's page texts as the indexer reads them (citations index into them)."""

    def __init__(self, folder: Path, ocr_cache: Path | None = None):
        self.folder, self.ocr_cache, self._pages = folder, ocr_cache, {}

    def __call__(self, source: str) -> Pages:
        if source not in self._pages:
            try:
                docs = load_file(self.folder / source, source, ocr_cache=self.ocr_cache)
            except LoadError:
                docs = []  # a missing file: its quotes are not located (the terms rule applies)
            self._pages[source] = [(d.metadata.get("page"), d.page_content) for d in docs]
        return self._pages[source]


def _overlap(a: int, b: int, c: int, d: int) -> int:
    return max(0, min(b, d) - max(a, c))


def _covers(wanted: str, text: str) -> bool:
    want = set(terms(wanted))
    if not want:  # no content word ("50%"): the folded text itself
        return bool(fold(wanted).strip()) and fold(wanted).strip() in fold(text)
    return len(want & set(terms(text))) >= TERM_SHARE * len(want)


def cited(result: AnswerResult, source: str, quote: str, span) -> tuple[bool, str | None]:
    """Whether a citation is the gold passage, and by which rule.

    Args:
        result: the answer.
        source: the gold file.
        quote: the gold quote.
        span: locate()'s (page, start, end) of the quote, or None if it was not found.

    Returns:
        (verdict, rule): "passage-overlap" (same file and page, the passage covers at least
        half the quote) or, for an unlocated quote, "quote-terms" (same file, the passage
        holds >= 60% of the quote's content terms); rule None when not cited.
    """
    for c in result.citations:
        if c.source != source:
            continue
        if span and c.page == span[0] and \
                _overlap(c.start, c.end, span[1], span[2]) * 2 >= span[2] - span[1]:
            return True, "passage-overlap"
        if span is None and _covers(quote, c.text):
            return True, "quote-terms"
    return False, None


def right(result: AnswerResult, source: str, answer: str, span) -> tuple[bool, str | None]:
    """Whether an answer is right, and by which rule: "supporting-sentence" (a sentence the
    answer rests on overlaps the gold quote) or "answer-terms" (the answer holds >= 60% of
    the short answer's content terms).

    Returns:
        (verdict, rule); rule None when wrong or abstained.
    """
    if result.abstained:
        return False, None
    for c in result.citations:
        if span and c.source == source and c.page == span[0] and any(
                _overlap(c.start + s, c.start + e, span[1], span[2]) for s, e in c.spans):
            return True, "supporting-sentence"
    return (True, "answer-terms") if _covers(answer, result.answer) else (False, None)


def _record(item: dict, results: list[AnswerResult], verdicts: dict) -> dict:
    """An item's line of the --out file (chat: question ... citations hold one entry a turn)."""
    def one(r: AnswerResult) -> dict:
        return {"question": r.question, "answer": r.answer, "abstained": r.abstained,
                "confidence": r.confidence, "seconds": round(r.seconds, 3),
                "citations": [{"source": c.source, "page": c.page, "start": c.start,
                               "end": c.end, "quote": c.quote} for c in r.citations]}

    parts = [one(r) for r in results]
    fields = parts[0] if item["kind"] != "chat" else {k: [p[k] for p in parts] for k in parts[0]}
    return {"id": item["id"], "kind": item["kind"], **fields,
            "verdicts": {**verdicts, "unsupported": sum(map(unsupported_sentences, results))}}


def _score_factoid(item: dict, result: AnswerResult, pages: SourcePages) -> dict:
    span = locate(item["quote"], pages(item["source"]), item.get("page"))
    is_cited, cited_by = cited(result, item["source"], item["quote"], span)
    is_right, right_by = right(result, item["source"], item["answer"], span)
    return {"source": item["source"], "located": span is not None,
            "answered": not result.abstained, "cited": is_cited, "cited_by": cited_by,
            "right": is_right, "right_by": right_by}


def _without_heading(answer: str) -> str:
    """A whole-document answer without its heading line ("Summary of The Google File
    System:"): the heading echoes the question and the title, so a key point it holds is
    not one the answer covers."""
    first, _, rest = answer.partition("\n")
    return rest if first.rstrip().endswith(":") else answer


def _score_whole(item: dict, result: AnswerResult) -> dict:
    text = "" if result.abstained else fold(_without_heading(result.answer))
    points = [any(fold(p) in text for p in kp["phrases"]) for kp in item["key_points"]]
    found = {c.source for c in result.citations}
    return {"answered": not result.abstained, "key_points": sum(points) / len(points),
            "papers_cited": len(found & set(item["sources"])) / len(item["sources"]),
            "other_sources": sorted(found - set(item["sources"]))}


def _ask_chat(pipeline: Pipeline, item: dict, pages: SourcePages, k: int | None
              ) -> tuple[list[AnswerResult], dict]:
    """Ask the turns in order, each with the previous turns as history."""
    history, results, turns = [], [], []
    for no, turn in enumerate(item["turns"], 1):
        result = pipeline.ask(turn["question"], history=list(history) or None, k=k)
        history += [{"role": "user", "content": turn["question"]},
                    {"role": "assistant", "content": result.answer}]
        results.append(result)
        verdict = {"turn": no, "answerable": bool(turn["answerable"])}
        if turn["answerable"]:
            span = locate(turn["quote"], pages(turn["source"]))
            verdict["cited"], verdict["cited_by"] = cited(result, turn["source"],
                                                          turn["quote"], span)
        else:
            verdict["declined"] = result.abstained
        turns.append(verdict)
    return results, {"turns": turns}


def run(pipeline: Pipeline, items: list[dict], sources_dir: Path,
        on_item: Callable[[dict], None] | None = None, k: int | None = None,
        ocr_cache: Path | None = None) -> dict:
    """Ask every item and score it.

    Args:
        pipeline: answers over an index of sources_dir.
        items: corpus items (load_corpus_items).
        sources_dir: the documents, read again to locate the gold quotes.
        on_item: called with each item's record when it is scored (progress).
        k: passages to retrieve (None: the settings' top_k).
        ocr_cache: the index's OCR folder, so scanned pages read as they were indexed.

    Returns:
        {"summary": summarize(), "items": one record per item (_record)}.
    """
    pages = SourcePages(sources_dir, ocr_cache)
    first = items[0].get("question") or items[0]["turns"][0]["question"]
    pipeline.ask(first, k=k)  # warm-up: model loads are not question latency
    records, latencies = [], []
    for item in items:
        if item["kind"] == "chat":
            results, verdicts = _ask_chat(pipeline, item, pages, k)
        else:
            results = [pipeline.ask(item["question"], k=k)]
            verdicts = _verdicts(item, results[0], pages)
        latencies += [r.seconds * 1000 for r in results]
        records.append(_record(item, results, verdicts))
        if on_item:
            on_item(records[-1])
    return {"summary": summarize(records, latencies), "items": records}


def _verdicts(item: dict, result: AnswerResult, pages: SourcePages) -> dict:
    """The verdicts on one answer to a factoid, unanswerable or whole item."""
    if item["kind"] == "factoid":
        return _score_factoid(item, result, pages)
    if item["kind"] == "whole":
        return _score_whole(item, result)
    return {"declined": result.abstained, "source": named_file(item["why"])}


def named_file(why: str) -> str | None:
    """The file an unanswerable question's note names ('... in <file>.pdf | ...')."""
    found = _NAMED_FILE.search(why)
    return found.group(1) if found else None


def _share(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _confidence(record: dict) -> float:
    """The confidence; an answer without one (whole-document) counts as 1 or 0."""
    conf = record["confidence"]
    return float(not record["abstained"]) if conf is None else conf


def summarize(records: list[dict], latencies: list[float]) -> dict:
    """Summary figures over the records of run() (shares of all items of each kind)."""
    of = {kind: [r for r in records if r["kind"] == kind] for kind in FIELDS}
    facts, unans, whole = of["factoid"], of["unanswerable"], of["whole"]
    v = lambda rs, key: [r["verdicts"][key] for r in rs]  # noqa: E731
    turns = [t for r in of["chat"] for t in r["verdicts"]["turns"]]
    follow = [t for t in turns if t["turn"] > 1]
    pos, neg = [_confidence(r) for r in facts], [_confidence(r) for r in unans]
    return {
        "factoids": len(facts), "factoids_answered": _share(v(facts, "answered")),
        "factoids_cited": _share(v(facts, "cited")), "factoids_right": _share(v(facts, "right")),
        "unanswerables": len(unans), "unanswerables_declined": _share(v(unans, "declined")),
        "confidence_auc": auc(pos + neg, [True] * len(pos) + [False] * len(neg)),
        "whole": len(whole), "whole_answered": _share(v(whole, "answered")),
        "whole_key_points": _share(v(whole, "key_points")),
        "whole_papers_cited": _share(v(whole, "papers_cited")),
        "chat": len(of["chat"]),
        "chat_first_answerable": sum(t["answerable"] for t in turns if t["turn"] == 1),
        "chat_followups_answerable": sum(t["answerable"] for t in follow),
        "chat_followups_unanswerable": sum(not t["answerable"] for t in follow),
        "chat_first_cited": _share(t.get("cited") for t in turns if t["turn"] == 1),
        "chat_first_declined": _share(t.get("declined") for t in turns if t["turn"] == 1),
        "chat_followups_cited": _share(t.get("cited") for t in follow),
        "chat_followups_declined": _share(t.get("declined") for t in follow),
        "unsupported_sentences": sum(r["verdicts"]["unsupported"] for r in records),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "sweep": [{"threshold": t, "answered": _share(p >= t for p in pos),
                   "declined": _share(n < t for n in neg)} for t in SWEEP],
        "by_source": by_source(facts, unans),
    }


def by_source(facts: list[dict], unans: list[dict]) -> dict[str, dict]:
    """Per file: factoids (n, answered, cited, right) and the unanswerables naming it."""
    table: dict[str, dict] = {}
    for r in facts:
        row = table.setdefault(r["verdicts"]["source"], {"factoids": []})
        row["factoids"].append(r["verdicts"])
    for r in unans:
        if r["verdicts"]["source"]:
            row = table.setdefault(r["verdicts"]["source"], {"factoids": []})
            row.setdefault("declined", []).append(r["verdicts"]["declined"])
    out = {}
    for source in sorted(table):
        fs, dec = table[source]["factoids"], table[source].get("declined", [])
        out[source] = {"factoids": len(fs),
                       **{key: sum(f[key] for f in fs) for key in ("answered", "cited", "right")},
                       "unanswerables": len(dec), "declined": sum(dec)}
    return out


def progress_line(record: dict) -> str:
    """One short line about a scored item (for stderr while the run goes on)."""
    v, kind = record["verdicts"], record["kind"]
    if kind == "chat":
        marks = "".join("+" if t.get("cited", t.get("declined")) else "-" for t in v["turns"])
        return f"{marks:5} {record['id']} chat: {record['answer'][-1][:80]}"
    ok = {"factoid": v.get("right"), "unanswerable": v.get("declined"),
          "whole": v.get("answered")}[kind]
    conf = record["confidence"]
    conf = "  -  " if conf is None else f"{conf:.2f} "
    return f"{'ok ' if ok else 'BAD'} {conf}{record['id']} {kind}: {record['answer'][:80]}"
