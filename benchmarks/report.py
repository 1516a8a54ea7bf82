"""The table bench_load.py prints: each measure beside its target and the serial baseline."""

from __future__ import annotations

import json


def _s(value: float) -> str:
    return f"{value:.2f} s"


def _lat(r: dict) -> str:
    return f"p50 {_s(r['p50'])}, p95 **{_s(r['p95'])}**, max {_s(r['max'])}"


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    """(measure, target, serial baseline, measured) per line of the issue's table."""
    serial, burst, c, soak = r["serial"], r["burst"], r["c"], r["soak"]
    base = (f"one at a time: p50 {_s(serial['p50'])}, p95 {_s(serial['p95'])}; "
            f"{serial['n']} answers in {_s(serial['total'])}")
    out = [
        (f"{burst['n'] // len(burst['rounds_p95'])} simultaneous questions "
         f"({len(burst['rounds_p95'])} rounds of fresh ones)",
         "p95 ≤ 2.5 s (≈ 0.5x serial)", base,
         f"{_lat(burst)}; errors {burst['errors']}; p95 per round "
         + ", ".join(_s(x) for x in burst["rounds_p95"])
         + f"; p95 / serial total = {burst['p95'] / serial['total']:.2f}x"),
    ]
    for key, label in (("a", "(a) {u} users, no think time, {d} s"),
                       ("b", "(b) {u} users, {t:g} s think time, {d} s")):
        x = r[key]
        out.append((label.format(u=r["args"]["users"], d=r["args"]["duration"],
                                 t=r["args"]["think"]),
                    "–" if key == "a" else "p95 ≤ 1.0 s, 0 errors", base,
                    f"{_lat(x)}; errors **{x['errors']}** of {x['n']}; {x['rps']:.1f} answers/s"))
    during = c["during"]
    out.append((f"(c) (b) while a sync of {r['args']['files']} new files runs",
                "p95 ≤ 1.5 s, 0 errors; answers switch", base,
                f"during the sync ({_s(c['sync_s'])}, {c['added']} added): {_lat(during)}, "
                f"errors **{during['errors']}** of {during['n']}; whole run p95 "
                f"{_s(c['all']['p95'])}, errors {c['all']['errors']}; switched to the new "
                f"index: **{'yes' if c['switched'] else 'NO'}**"
                + (f"; sync error: {c['error']}" if c["error"] else "")))
    out.append(("soak of 1,000 requests (answers and bad input), RSS growth",
                "≤ 50 MB", f"{soak['before']:.0f} MB after 100 warm-up requests",
                f"**{soak['after'] - soak['before']:+.0f} MB** (to {soak['after']:.0f} MB); "
                f"5xx: {soak['server_errors']}"))
    out.append(("`rag ask` wall time with a server running", "≤ 1 s",
                f"`rag ask --local` (no server): {_s(r['cli_local'])}",
                f"**{_s(r['cli_server'])}** (median of 5)"))
    return out


def print_table(r: dict) -> None:
    print("| measure | target | serial baseline / without the server | measured |")
    print("|---|---|---|---|")
    for row in rows(r):
        print("| " + " | ".join(row) + " |")
    (b1, _, _), (a1, _, _) = r["load"]
    emb = r["stats"]["embedding"]
    print(f"\nworkers {r['workers']}; load average {b1:.2f} before, {a1:.2f} after; "
          f"embedding: {emb['texts']} texts in {emb['batches']} model calls, "
          f"{emb['hits']} cache hits; most answers at once: {r['stats']['most_running']}")
    print("raw: " + json.dumps({k: v for k, v in r.items() if k != "stats"}, default=str))
