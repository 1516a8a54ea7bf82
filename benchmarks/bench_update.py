"""Update benchmark on SciFact: what one small file costs to add, change and remove.

For each corpus size it indexes the first N SciFact abstracts (one .txt file each) with
`rag index`, then times, each in a fresh process as a user would run it:
- a no-change sync;
- one new 1-chunk file added, then changed, then removed.
Each is timed end to end (`rag index --json --local`, wall clock), and split in a second
fresh process into start-up (interpreter, imports, model and tokenizer load) and the sync's
own work. With --baseline DIR (a checkout of the code before this change) the same steps
run on that code too, side by side. Usage:
  .venv/bin/python benchmarks/bench_update.py [--sizes 450,0] [--baseline DIR] [--keep DIR]
(0 = the whole corpus, 5,183 abstracts, about 17.4k chunks).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

NEW_FILE = "zz-bench-note.txt"
TEXTS = ["Benchmark note: the okapi is a giraffid of the Congo rainforest.",
         "Benchmark note, revised: the okapi eats leaves, fruit and clay."]

# Runs inside a fresh process: imports (chromadb too) and model load, then the sync, timed
# apart.
SPLIT = """
import json, sys, time
t0 = time.perf_counter()
from rag.config import load_settings
from rag.index.indexer import sync
from rag.embeddings import count_tokens, get_embeddings
import chromadb
settings = load_settings()
precision = getattr(settings, "embed_precision", None)  # None: the code before it existed
get_embeddings(settings.embed_batch_size, *([precision] if precision else []))
count_tokens(["warm up"])
t1 = time.perf_counter()
report = sync(settings)
t2 = time.perf_counter()
print(json.dumps({"startup": t1 - t0, "work": t2 - t1, **report.summary()}))
"""


def env_for(code: Path, sources: Path, index: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=str(code), RAG_SOURCES_DIR=str(sources), RAG_INDEX_DIR=str(index),
               HF_HUB_OFFLINE="1")
    return env


def cli_sync(code: Path, sources: Path, index: Path) -> dict:
    """`rag index --json` in a fresh process: its summary plus the wall time."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rag", "index", "--json", "-q", "--local"],
                         env=env_for(code, sources, index), capture_output=True, text=True,
                         cwd=index.parent)
    wall = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise SystemExit(f"rag index failed:\n{out.stderr[-3000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": wall}


def split_sync(code: Path, sources: Path, index: Path) -> dict:
    """The same sync, split into start-up (imports + model load) and the sync's work."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SPLIT], env=env_for(code, sources, index),
                         capture_output=True, text=True, cwd=index.parent)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"sync failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["interpreter"] = wall - result["startup"] - result["work"]
    return result


def steps(code: Path, sources: Path, index: Path) -> list[tuple[str, dict, dict]]:
    """(step, end-to-end result, split result) for no-change, add, change, remove."""
    rows = []
    note = sources / NEW_FILE
    actions = [("no change", lambda: None),
               ("add one file", lambda: note.write_text(TEXTS[0])),
               ("change it", lambda: note.write_text(TEXTS[1])),
               ("remove it", lambda: note.unlink())]
    for name, act in actions:
        act()
        end_to_end = cli_sync(code, sources, index)
        undo = {"add one file": lambda: note.unlink(),
                "change it": lambda: note.write_text(TEXTS[0]),
                "remove it": lambda: note.write_text(TEXTS[1])}.get(name)
        if undo:  # the same change again, timed split into start-up and work
            undo()
            split_sync(code, sources, index)
            act()
        split = split_sync(code, sources, index)
        rows.append((name, end_to_end, split))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="450,0",
                        help="Abstracts per corpus, comma-separated (0 = all 5,183).")
    parser.add_argument("--baseline", type=Path, help="A checkout of the code to compare with.")
    parser.add_argument("--keep", type=Path, help="Work folder to keep (indexes reused).")
    args = parser.parse_args()

    import scifact

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-update-"))
    codes = [("this code", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        sources = work / f"sources-{size or 'all'}"
        if not sources.is_dir():
            scifact.write_sources(sources)
            if size:
                for p in sorted(sources.iterdir())[size:]:
                    p.unlink()
        (sources / NEW_FILE).unlink(missing_ok=True)
        for label, code in codes:
            index = work / f"index-{size or 'all'}-{label.replace(' ', '-')}"
            build = cli_sync(code, sources, index)
            print(f"[{label}] {len(list(sources.iterdir()))} files: {build['chunks']} chunks, "
                  f"built or synced in {build['wall']:.1f} s", flush=True)
            for name, e2e, split in steps(code, sources, index):
                results.append((size, build["chunks"], label, name, e2e, split))
                print(f"  {name:13} end to end {e2e['wall']:6.2f} s | start-up "
                      f"{split['interpreter'] + split['startup']:5.2f} s, sync work "
                      f"{split['work']:5.2f} s", flush=True)
    print("\n| index | code | step | end to end s | start-up s (interpreter + imports + "
          "model) | sync work s |")
    print("|---|---|---|---|---|---|")
    for size, chunks, label, name, e2e, split in results:
        print(f"| {chunks:,} chunks | {label} | {name} | {e2e['wall']:.2f} | "
              f"{split['interpreter'] + split['startup']:.2f} | {split['work']:.2f} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
