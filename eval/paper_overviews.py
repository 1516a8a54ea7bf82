"""Paper overviews against the abstracts their authors wrote (issue 30's benchmark).

Each paper of a corpus (default ../shared/corpora/papers) is read as the index reads it
(rag.ingest.loaders: pages, layout units). Its abstract (the "Abstract" heading or opening,
up to the next heading) is cut out and kept as the reference; the rest is written as a
Markdown file (headings kept as headings; running heads, front matter, captions and the
references dropped) into a temporary folder, which is indexed. Then, for each paper:

- ours: "What is this paper about?" asked of that file alone (the overview drafter);
- lead-3: its first three body sentences;
- LexRank (sumy, over the same sentences, with our sentence splitter: nothing is
  downloaded): 3 sentences, and as many as ours has;

each scored with ROUGE-1 and ROUGE-2 F1 (rouge-score, Porter stemmer) against the removed
abstract. Papers without a recognisable abstract are listed and left out. Figures are given
for the dev and the held-aside part of eval/data/splits.json.

    .venv/bin/python eval/paper_overviews.py [--corpus DIR] [--work DIR] [--show N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.index.indexer import sync  # noqa: E402
from rag.ingest.clean import clean  # noqa: E402
from rag.ingest.layout import (BODY, CAPTION, FURNITURE, HEADING, META,  # noqa: E402
                               NOT_TEXT, NUMBERED_HEADING, REFERENCE)
from rag.ingest.loaders import load_file  # noqa: E402
from rag.ingest.sentences import document_sentences  # noqa: E402

SPLITS = ROOT / "eval" / "data" / "splits.json"
QUESTION = "What is this paper about?"
_ABSTRACT = re.compile(r"(?:^|(?<=\s))(?:abstract|a b s t r a c t)\b[\s.:—–-]*", re.I)
_INTRO = re.compile(r"^(?:(?:\d+|[IVX]+)\.?\s+)?introduction\b", re.I)
_KEYWORDS = re.compile(r"^(?:keywords|key words|index terms|categories and subject|general "
                       r"terms|ccs concepts)\b", re.I)
MAX_WORDS = 500
_DROPPED = {FURNITURE, META, CAPTION, REFERENCE}


def _ends_abstract(kind: str, text: str) -> bool:
    """A block that ends an abstract: a numbered heading, "Introduction", keywords, or a
    short heading (a long "heading" is a line of the abstract the layout misread)."""
    return bool(_INTRO.match(text) or _KEYWORDS.match(text) or (
        kind == HEADING and (NUMBERED_HEADING.match(text) or len(text.split()) <= 4)))


def split_abstract(pdf: Path, ocr: Path) -> tuple[str, str] | None:
    """(the abstract, the rest as Markdown), or None when no abstract is found on the first
    two pages. The abstract starts after the word "Abstract" (a heading of its own, or the
    opening of a block: "... RStudio Abstract A huge amount ...") and runs to the next
    block that ends it (at most MAX_WORDS words)."""
    docs = load_file(pdf, pdf.name, ocr_cache=ocr)
    blocks: list[tuple[str, str, int]] = []  # (kind, text, page)
    for doc in docs:
        units = doc.metadata.get("units") or [(0, len(doc.page_content), BODY)]
        for start, end, kind in units:
            text = " ".join(doc.page_content[start:end].split())
            if text:
                blocks.append((kind, text, doc.metadata.get("page") or 1))
    at, m = next(((i, m) for i, (kind, text, page) in enumerate(blocks)
                  if page <= 2 and kind not in _DROPPED and (m := _ABSTRACT.search(text))),
                 (None, None))
    if at is None:
        return None
    before, first = blocks[at][1][:m.start()].strip(), blocks[at][1][m.end():].strip()
    abstract, end = ([first] if first else []), at + 1
    while end < len(blocks) and not _ends_abstract(*blocks[end][:2]) and \
            len(" ".join(abstract).split()) < MAX_WORDS:
        if blocks[end][0] not in _DROPPED:
            abstract.append(blocks[end][1])
        end += 1
    if len(" ".join(abstract).split()) < 30:
        return None
    rest = []
    for i, (kind, text, _) in enumerate(blocks):
        if i == at and before:
            rest.append(before)
        if at <= i < end or kind in _DROPPED:
            continue
        rest.append(f"## {text}" if kind == HEADING else text)
    return clean(" ".join(abstract)), "\n\n".join(rest) + "\n"


class _Words:
    """sumy's tokenizer, without NLTK data: our sentences, regex words."""

    language = "english"

    @staticmethod
    def to_words(text: str) -> list[str]:
        return re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", text)

    @staticmethod
    def to_sentences(text: str) -> list[str]:
        return [text]


def lexrank(sentences: list[str], n: int) -> list[str]:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    words = _Words()
    document = ObjectDocumentModel([Paragraph([Sentence(s, words) for s in sentences])])
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    return [str(s) for s in summarizer(document, n)]


def our_sentences(answer: str) -> list[str]:
    """The overview's sentences: without its heading, citation marks and notes."""
    lines = [line for line in answer.splitlines()[1:] if not line.startswith("_")]
    text = re.sub(r"\s*\[\d+(?:,\s*\d+)*\]", "", " ".join(lines))
    return [text.strip()] if text.strip() else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" /
                        "papers")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the Markdown files and the index here (default: temporary)")
    parser.add_argument("--show", type=int, default=0, help="print N papers' summaries")
    args = parser.parse_args()
    from rouge_score import rouge_scorer

    splits = json.loads(SPLITS.read_text(encoding="utf-8"))["papers"]
    dev = set(splits["dev"])
    work = args.work or Path(tempfile.mkdtemp(prefix="paper-overviews-"))
    sources = work / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    abstracts, skipped = {}, []
    for pdf in sorted(args.corpus.glob("*.pdf")):
        found = split_abstract(pdf, work / "ocr")
        if found is None:
            skipped.append(pdf.name)
            continue
        abstracts[pdf.name], rest = found
        (sources / f"{pdf.stem}.md").write_text(rest, encoding="utf-8")
    settings = Settings(sources_dir=sources, index_dir=work / "index")
    report = sync(settings)
    assert not report.failed, report.failed
    pipeline = Pipeline(settings, "extractive")
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    rows = []
    for name, abstract in abstracts.items():
        md = f"{Path(name).stem}.md"
        sents = [s.text for s in document_sentences(pipeline.reader.chunks_of(md))
                 if s.kind not in NOT_TEXT]
        result = pipeline.ask(QUESTION, sources=[md])
        ours = our_sentences(result.answer) if not result.abstained else []
        n = max(1, len(result.citations))
        systems = {"ours": " ".join(ours), "lead-3": " ".join(sents[:3]),
                   "LexRank-3": " ".join(lexrank(sents, 3)),
                   "LexRank-n": " ".join(lexrank(sents, n))}
        scores = {k: scorer.score(abstract, v) for k, v in systems.items()}
        rows.append({"paper": name, "part": "dev" if name in dev else "held",
                     "words": {k: len(v.split()) for k, v in systems.items()},
                     **{f"{k} {r}": round(s[r].fmeasure, 4) for k, s in scores.items()
                        for r in ("rouge1", "rouge2")}})
        if args.show > 0:
            args.show -= 1
            print(f"\n## {name}\nABSTRACT: {abstract[:400]}\nOURS: {systems['ours'][:600]}\n"
                  f"LEAD-3: {systems['lead-3'][:300]}")
    print(f"\n{len(rows)} papers with an abstract; left out (none found): "
          f"{', '.join(skipped) or 'none'}\n")
    print("| part | papers | system | ROUGE-1 F1 | ROUGE-2 F1 | words (median) |")
    print("|---|---|---|---|---|---|")
    for part in ("dev", "held"):
        of = [r for r in rows if r["part"] == part]
        for system in ("ours", "lead-3", "LexRank-3", "LexRank-n"):
            r1 = statistics.mean(r[f"{system} rouge1"] for r in of) if of else 0
            r2 = statistics.mean(r[f"{system} rouge2"] for r in of) if of else 0
            words = statistics.median(r["words"][system] for r in of) if of else 0
            print(f"| {part} | {len(of)} | {system} | {r1:.3f} | {r2:.3f} | {words:.0f} |")
    (work / "paper_overviews.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"\nper paper: {work / 'paper_overviews.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
