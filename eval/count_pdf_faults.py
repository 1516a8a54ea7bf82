"""Count words broken at line ends and headings glued to sentences in a folder of PDFs,
in the sentences answering reads: before (the page text cut by rag.text.sentences, as
until 2026-12-06) and after (rag.ingest.layout units, read through rag.ingest.clean).

    .venv/bin/python eval/count_pdf_faults.py [../shared/corpora/papers] [--show N]

A broken word is "x-y" (a hyphen, maybe with line-break spaces) where the corpus writes
"xy" as one word elsewhere and never writes "x-y" inside a line: the corpus itself is the
dictionary, so the count does not lean on the vocabulary rag.ingest.clean uses. A glued heading is
a sentence that starts with a heading line (a unit of kind heading, found by font) and goes
on past it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.documents import Document  # noqa: E402

from rag.ingest.clean import clean  # noqa: E402
from rag.ingest.layout import HEADING, NOT_TEXT, REFERENCE, encode, sentence_spans  # noqa: E402
from rag.ingest.loaders import load_file  # noqa: E402
from rag.text import sentences  # noqa: E402

BROKEN = re.compile(r"\b([a-z]+)-\s*([a-z]+)\b")
WORD = re.compile(r"[a-z]+")


def page_docs(folder: Path) -> list[Document]:
    docs = []
    for path in sorted(folder.glob("*.pdf")):
        for page in load_file(path, path.name):
            units = page.metadata.pop("units")
            page.metadata["units"] = encode(units, 0, len(page.page_content))
            page.metadata["page_units"] = units
            docs.append(page)
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default="../shared/corpora/papers", type=Path)
    ap.add_argument("--show", type=int, default=0, help="print this many examples of each")
    args = ap.parse_args()
    docs = page_docs(args.folder)
    before = [d.page_content[s:e] for d in docs for s, e in sentences(d.page_content)]
    after = [clean(d.page_content[s:e]) for d in docs for s, e, k in sentence_spans(d)
             if k not in NOT_TEXT and k != REFERENCE]
    words = Counter(w for text in after + before for w in WORD.findall(text.lower()))
    inline = Counter(m.group(0).lower() for d in docs
                     for m in re.finditer(r"\b[a-z]+-[a-z]+\b", d.page_content.lower()))

    def broken(texts):
        return [m.group(0) for t in texts for m in BROKEN.finditer(t.lower())
                if words[m.group(1) + m.group(2)] and not (
                    inline[f"{m.group(1)}-{m.group(2)}"] > 1 and "  " not in m.group(0))]

    def glued(spans_of):
        found = []
        for d in docs:
            heads = [(s, e) for s, e, k in d.metadata["page_units"] if k == HEADING]
            for s, e in spans_of(d):
                for hs, he in heads:
                    if hs == s and e > he + 1 and d.page_content[he:e].strip():
                        found.append(d.page_content[s:e][:90])
        return found

    b_broken, a_broken = broken(before), broken(after)
    b_glued = glued(lambda d: sentences(d.page_content))
    a_glued = glued(lambda d: [(s, e) for s, e, k in sentence_spans(d)
                               if k not in NOT_TEXT and k != REFERENCE])
    print(f"{len(docs)} pages of {len({d.metadata['source'] for d in docs})} PDFs; "
          f"sentences before {len(before)}, after {len(after)}")
    print(f"{'':20}{'before':>8}{'after':>8}")
    print(f"{'broken words':20}{len(b_broken):8}{len(a_broken):8}")
    print(f"{'glued headings':20}{len(b_glued):8}{len(a_glued):8}")
    for label, items in (("broken before", b_broken), ("broken after", a_broken),
                         ("glued before", b_glued), ("glued after", a_glued)):
        for example in items[:args.show]:
            print(f"  {label}: {example!r}")


if __name__ == "__main__":
    main()
