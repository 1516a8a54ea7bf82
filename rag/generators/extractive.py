"""Extractive generator: no LLM; the answer is the passages' own best sentences, cited."""

from __future__ import annotations

from collections.abc import Iterator

from rag.generators.base import Context, Generator

MAX_SENTENCES = 2
CLOSE = 0.08  # a runner-up sentence joins the answer when its score is this close to the best


class ExtractiveGenerator(Generator):
    name = "extractive"

    def stream(self, ctx: Context) -> Iterator[str]:
        if not ctx.ranked:
            return
        best = ctx.ranked[0]
        chosen = [best]
        for cand in ctx.ranked[1:]:
            if len(chosen) >= MAX_SENTENCES or cand.score < best.score - CLOSE:
                break
            if cand.typed and cand.text not in {c.text for c in chosen}:
                chosen.append(cand)
        # keep document order when both come from one passage, so the answer reads naturally
        chosen.sort(key=lambda c: (c.passage, c.span[0]) if c.passage == best.passage else (99, 0))
        for i, cand in enumerate(chosen):
            yield ("" if i == 0 else " ") + f"{cand.text} [{cand.passage + 1}]"
