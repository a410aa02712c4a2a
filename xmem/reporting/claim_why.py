"""The one measured sentence on why a claim is not supported (:attr:`ClaimResult.why`).

By verdict: *not measurable*: no comparison had both numbers; *not testable*: the mechanism
counts that did not reach what the comparison needs; *within noise*: the difference and the
spread it is inside; *not supported*: the largest shortfall and the spread it exceeds, then
where it comes from: the per-video gap of the two rows and, on Long-time Video, their scores
split by the object's visibility (J while it is there, the share of frames where it is absent
that are predicted empty: :mod:`xmem.reporting.visibility`), and the mechanism count.
"""

from __future__ import annotations

from xmem.experiments.settings import is_long
from xmem.reporting.claim_model import (
    NOT_MEASURABLE, NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Comparison, Evidence, PerVideo, Visibility,
)


def _short(label: str) -> str:
    """The row part of a comparison label (``XMem LV1 J&F`` -> ``XMem``)."""
    return label.rsplit(" ", 2)[0]


def _per_video_sentence(c: Comparison, per_video: PerVideo | None) -> str:
    """Where the per-video scores of the two rows of ``c`` differ most (empty when unknown)."""
    if per_video is None or c.rows is None:
        return ""
    left, right = (per_video(r) for r in c.rows)
    if not left or not right:
        return ""
    common = sorted(set(left) & set(right))
    if not common:
        return ""
    gaps = {v: left[v] - right[v] - c.margin for v in common}
    losing = [v for v in common if gaps[v] < 0]
    worst = min(common, key=lambda v: (gaps[v], v))
    return (f"per video on {c.rows[0].dataset}, {_short(c.left_label)} is below "
            f"{_short(c.right_label)}{f' + {c.margin:g}' if c.margin else ''} on {len(losing)} of "
            f"{len(common)} videos; largest gap {worst}: {left[worst]:.1f} vs {right[worst]:.1f}")


def _visibility_sentence(c: Comparison, visibility: Visibility | None) -> str:
    """Both rows of ``c`` on a Long-time Video split by the object's visibility (empty when unknown)."""
    if visibility is None or c.rows is None or not is_long(c.rows[0].dataset):
        return ""
    left, right = (visibility(r) for r in c.rows)
    if left is None or right is None:
        return ""
    return (f"on {c.rows[0].dataset} {_short(c.left_label)}: {left.describe()}; "
            f"{_short(c.right_label)}: {right.describe()}")


def explain(result: str, comparisons: list[Comparison], evidence: Evidence) -> str:
    """One measured sentence on why a claim is not supported ("" when it is)."""
    measurable = [c for c in comparisons if c.measurable]
    if result == SUPPORTED:
        return ""
    if result == NOT_MEASURABLE:
        return "no comparison had both numbers in this profile"
    if result == NOT_TESTABLE:
        counts = "; ".join(dict.fromkeys(c.mechanism.describe() for c in measurable if c.mechanism))
        return f"the mechanism under test did not act in these runs ({counts})"
    testable = [c for c in measurable if c.testable]
    if result == WITHIN_NOISE:
        c = min((c for c in testable if c.within_noise), key=lambda c: abs(c.difference))
        return (f"{c.left_label} minus {c.right_label}{f' - {c.margin:g}' if c.margin else ''} is "
                f"{c.difference:+.1f}, inside the spread {c.spread:.1f} ({c.spread_source})")
    failing = [c for c in testable if not c.holds and not c.within_noise]
    c = min(failing, key=lambda c: c.difference)
    beyond = f", beyond the spread {c.spread:.1f} ({c.spread_source})" if c.spread > 0 else ""
    sentence = (f"largest shortfall: {c.left_label} {c.left:.1f} vs {c.right_label} {c.right:.1f}"
                f"{f' + {c.margin:g}' if c.margin else ''} ({c.difference:+.1f}{beyond})")
    details = (_per_video_sentence(c, evidence.per_video), _visibility_sentence(c, evidence.visibility),
               c.mechanism.describe() if c.mechanism is not None else "")
    detail = "; ".join(x for x in details if x)
    return f"{sentence}; {detail}" if detail else sentence
