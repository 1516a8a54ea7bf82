"""`--check` of the training scripts: does a fresh run give the shipped model file?

Exactly, on the machine that wrote it. On another CPU the same arithmetic is done by other
kernels (AVX-512 instead of AVX2, say) and sums in another order, so the 6th significant
digit of a learned coefficient can move. That is not a different model; another key,
another number of coefficients, any other value, or a number that moves by more than
ABSOLUTE and more than RELATIVE of its size is.
"""

from __future__ import annotations

import json
import math

RELATIVE = 1e-4
ABSOLUTE = 1e-5


def _pairs(shipped, fresh, at: str, out: list) -> str | None:
    """Collect (shipped, fresh, where) for every number; the first structural difference."""
    if isinstance(shipped, dict) and isinstance(fresh, dict):
        if shipped.keys() != fresh.keys():
            return f"{at or '/'}: keys differ"
        return next((d for k in shipped
                     if (d := _pairs(shipped[k], fresh[k], f"{at}/{k}", out))), None)
    if isinstance(shipped, list) and isinstance(fresh, list):
        if len(shipped) != len(fresh):
            return f"{at}: {len(shipped)} items against {len(fresh)}"
        return next((d for i, (a, b) in enumerate(zip(shipped, fresh))
                     if (d := _pairs(a, b, f"{at}[{i}]", out))), None)
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (shipped, fresh)):
        out.append((shipped, fresh, at))
        return None
    return None if shipped == fresh else f"{at}: {shipped!r} against {fresh!r}"


def verdict(shipped_text: str | None, fresh_text: str) -> tuple[bool, str]:
    """(whether the fresh file reproduces the shipped one, a line saying how)."""
    if shipped_text is None:
        return False, "no shipped file to compare with"
    if shipped_text == fresh_text:
        return True, "reproduced exactly"
    numbers: list = []
    broken = _pairs(json.loads(shipped_text), json.loads(fresh_text), "", numbers)
    if broken:
        return False, f"differs ({broken})"
    a, b, where = max(numbers, key=lambda n: abs(n[0] - n[1]))
    off = [w for x, y, w in numbers
           if not math.isclose(x, y, rel_tol=RELATIVE, abs_tol=ABSOLUTE)]
    if off:
        return False, f"differs ({len(off)} numbers, the first at {off[0]})"
    return True, (f"reproduced within floating-point noise, not byte for byte (another CPU's "
                  f"kernels): largest difference {abs(a - b):.1e}, at {where} ({a} against {b})")
