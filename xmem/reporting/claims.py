"""Which of the paper's claims the measured numbers of a profile support.

Each claim compares numbers from the measured rows (``source`` starting with "measured") of
the table CSVs written by the workflow (and, for memory growth, the per-frame logs). A claim
is *supported* when every comparison that could be made holds, *not supported* when one
fails, and *not measurable in this profile* when no comparison could be made. Every result
lists the numbers it used; nothing is filled in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from xmem.reporting.paper import column_label

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_MEASURABLE = "not measurable in this profile"
WIDE_MARGIN = 10.0  # J&F points: "by a wide margin" (claim 4)
BOUNDED_FRACTION = 0.5  # claim 10: XMem grows at most this fraction of STCN's per-frame increase


@dataclass(frozen=True)
class ClaimResult:
    number: int
    claim: str
    verdict: str
    evidence: str


class MeasuredTables:
    """Look-ups in the measured rows of the workflow's tables (name -> DataFrame)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables

    def value(self, table: str, method: str, setting: str, dataset: str, metric: str) -> float | None:
        frame = self.tables.get(table)
        column = column_label(dataset, metric)
        if frame is None or column not in frame.columns or "source" not in frame.columns:
            return None
        settings = frame["setting"].map(lambda v: "" if pd.isna(v) else str(v)) if "setting" in frame.columns else ""
        rows = frame[frame["source"].astype(str).str.startswith("measured") & (frame["method"] == method)
                     & (settings == setting)]
        if rows.empty:
            return None
        value = pd.to_numeric(rows[column], errors="coerce").iloc[0]
        return None if pd.isna(value) else float(value)


@dataclass(frozen=True)
class Comparison:
    """``left >= right + margin`` (or ``>`` when ``strict``) between two labelled numbers."""

    left_label: str
    left: float | None
    right_label: str
    right: float | None
    margin: float = 0.0
    strict: bool = False

    @property
    def measurable(self) -> bool:
        return self.left is not None and self.right is not None

    @property
    def holds(self) -> bool:
        difference = self.left - self.right - self.margin
        return difference > 0 if self.strict else difference >= -1e-9

    def describe(self) -> str:
        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.1f}"

        if not self.measurable:
            return f"{self.left_label} {fmt(self.left)} vs {self.right_label} {fmt(self.right)} (missing)"
        sign = ">" if self.strict else ">="
        need = f" + {self.margin:g}" if self.margin else ""
        mark = "yes" if self.holds else "no"
        return f"{self.left_label} {fmt(self.left)} {sign} {self.right_label} {fmt(self.right)}{need}: {mark}"


def verdict(comparisons: list[Comparison]) -> tuple[str, str]:
    measurable = [c for c in comparisons if c.measurable]
    evidence = "; ".join(c.describe() for c in comparisons)
    if not measurable:
        return NOT_MEASURABLE, evidence or "no numbers"
    return (SUPPORTED if all(c.holds for c in measurable) else NOT_SUPPORTED), evidence


def _pairs(m: MeasuredTables, table: str, left: tuple[str, str], right: tuple[str, str],
           columns: list[tuple[str, str]], margin: float = 0.0, strict: bool = False) -> list[Comparison]:
    """Compare row ``left`` (method, setting) with row ``right`` on each (dataset, metric)."""
    out = []
    for dataset, metric in columns:
        name = column_label(dataset, metric)
        out.append(Comparison(" ".join(p for p in (*left, name) if p), m.value(table, *left, dataset, metric),
                              " ".join(p for p in (*right, name) if p), m.value(table, *right, dataset, metric),
                              margin, strict))
    return out


T1, T2, T4, T5, T6, T7, S1 = ("table1_long_time_video", "table2_short_video", "table4_memory_stores",
                              "table5_scaling_terms", "table6_consolidation", "table7_long_video_strategies",
                              "tableS1_ltmax")
XMEM, STCN, COPY = ("XMem", ""), ("STCN", ""), ("First-frame copy", "")


def claim_long(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return _pairs(m, T1, XMEM, STCN, [("LV1", "J&F"), ("LV3", "J&F")], strict=True)


def claim_degradation(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return _pairs(m, T1, XMEM, STCN, [("LV1->LV3", "J&F_delta")], strict=True)


def claim_short(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return _pairs(m, T2, XMEM, STCN, [("D17", "J&F"), ("Y18", "G")])


def claim_copy(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return (_pairs(m, T1, XMEM, COPY, [("LV1", "J&F"), ("LV3", "J&F")], margin=WIDE_MARGIN)
            + _pairs(m, T2, XMEM, COPY, [("D17", "J&F")], margin=WIDE_MARGIN))


def claim_sensory(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return _pairs(m, T4, ("XMem", "All memory stores"), ("XMem", "No sensory memory"),
                  [("Y18", "G"), ("D17", "J&F"), ("LV1", "J&F")], strict=True)


def claim_scaling_terms(m: MeasuredTables, memory: dict) -> list[Comparison]:
    out = []
    for other in ("With shrinkage s only", "With selection e only", "With neither"):
        out += _pairs(m, T5, ("XMem", "With both terms"), ("XMem", other), [("Y18", "G"), ("D17", "J&F")])
    return out


def claim_selection(m: MeasuredTables, memory: dict) -> list[Comparison]:
    counts = sorted({int(s.rsplit("=", 1)[1]) for f in [m.tables.get(T6)] if f is not None
                     for s in f["setting"].dropna().astype(str) if "P =" in s})
    out = []
    for p in counts:
        for other in ("Random", "K-means centroid"):
            out += _pairs(m, T6, ("XMem", f"Usage-based P = {p}"), ("XMem", f"{other} P = {p}"), [("LV3", "J&F")])
    return out


def claim_potentiation(m: MeasuredTables, memory: dict) -> list[Comparison]:
    return _pairs(m, T6, ("XMem", "With potentiation"), ("XMem", "No potentiation"), [("LV3", "J&F")], strict=True)


def claim_strategy(m: MeasuredTables, memory: dict) -> list[Comparison]:
    out = []
    for other in ("Eager compression", "Sparse insertion", "Local window"):
        out += _pairs(m, T7, ("XMem", "Consolidation"), ("XMem", other), [("LV1", "J&F"), ("LV3", "J&F")])
    return out


def claim_bounded_memory(m: MeasuredTables, memory: dict) -> list[Comparison]:
    """``memory``: {"xmem": bytes/frame, "stcn": bytes/frame} on LV1 (None when not measured)."""
    xmem, stcn = memory.get("xmem"), memory.get("stcn")
    if xmem is None or stcn is None:  # both are needed: one alone proves nothing
        return [Comparison("XMem B/frame", xmem, "STCN B/frame", stcn)]
    grows = Comparison("STCN (unbounded) B/frame", stcn, "zero", 0.0, strict=True)
    bounded = Comparison(f"{BOUNDED_FRACTION:g} x STCN B/frame", BOUNDED_FRACTION * stcn, "XMem B/frame", xmem)
    return [grows, bounded]


def claim_ltmax_speed(m: MeasuredTables, memory: dict) -> list[Comparison]:
    frame = m.tables.get(S1)
    if frame is None:
        return [Comparison("FPS at the smallest LT_max", None, "FPS at the largest LT_max", None, strict=True)]
    sizes = sorted({int(s.split("=", 1)[1]) for s in frame["setting"].dropna().astype(str) if s.startswith("LTmax=")})
    fps = {n: m.value(S1, "XMem", f"LTmax={n}", "LV3", "FPS") for n in sizes}
    measured = [n for n in sizes if fps[n] is not None]
    if len(measured) < 2:
        return [Comparison("FPS at the smallest LT_max", None, "FPS at the largest LT_max", None, strict=True)]
    lo, hi = measured[0], measured[-1]
    return [Comparison(f"LTmax={lo} LV3 FPS", fps[lo], f"LTmax={hi} LV3 FPS", fps[hi], strict=True)]


#: (claim text, checker) in the order of the report
CLAIMS: tuple[tuple[str, Callable[[MeasuredTables, dict], list[Comparison]]], ...] = (
    ("XMem beats STCN on long videos (Table 1, Long-time Video 1× and 3× J&F)", claim_long),
    ("XMem degrades less than STCN from 1× to 3× (Table 1, Δ J&F)", claim_degradation),
    ("XMem is at least as good as STCN on short videos (Table 2, DAVIS 2017 J&F, YouTube-VOS 2018 G)", claim_short),
    (f"XMem beats the first-frame copy by a wide margin (≥ {WIDE_MARGIN:g} J&F points; Tables 1-2)", claim_copy),
    ("Removing the sensory memory hurts (Table 4; the retrained variant may have a smaller training "
     "budget than XMem in this profile, see its training configs)", claim_sensory),
    ("Both scaling terms together are best (Table 5; the retrained variants may have a smaller training "
     "budget than XMem in this profile, see their training configs)", claim_scaling_terms),
    ("Usage-based prototype selection is at least as good as random and k-means (Table 6, LV3)", claim_selection),
    ("Memory potentiation helps (Table 6, LV3)", claim_potentiation),
    ("Consolidation is the best long-video strategy (Table 7)", claim_strategy),
    (f"XMem's memory stays bounded while STCN's grows (memory increase per frame on LV1; XMem ≤ "
     f"{BOUNDED_FRACTION:g} × STCN)", claim_bounded_memory),
    ("A smaller LT_max is faster (Table S1 FPS, smallest vs largest LT_max)", claim_ltmax_speed),
)


def check_claims(tables: dict[str, pd.DataFrame],
                 memory_growth: dict[str, float | None] | None = None) -> list[ClaimResult]:
    """Check :data:`CLAIMS` against measured rows.

    Args:
        tables: table name (e.g. "table1_long_time_video") -> the table CSV as a DataFrame.
        memory_growth: {"xmem": ..., "stcn": ...} memory increase per frame (bytes) on LV1.
    """
    measured = MeasuredTables(tables)
    memory = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
              for k, v in (memory_growth or {}).items()}
    results = []
    for number, (text, check) in enumerate(CLAIMS, start=1):
        result, evidence = verdict(check(measured, memory))
        results.append(ClaimResult(number, text, result, evidence))
    return results
