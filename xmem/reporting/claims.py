"""Which of the paper's claims the measured numbers of a profile support.

Each claim compares numbers from the measured rows (``source`` starting with "measured") of
the table CSVs written by the workflow (and, for memory growth, the per-frame logs). Every
result lists the numbers it used; nothing is filled in. Verdicts:

* *supported*: every comparison that could be made holds by more than its spread;
* *not supported*: one fails by more than its spread;
* *within noise*: none fails beyond its spread but one difference is within it. The spread of
  a comparison is the larger of the std over memory-insertion offsets of its two cells and,
  when the two rows are different trained models, the seed-to-seed spread of the training
  recipe (:class:`Noise`, ``claims.recipe_seed_sd`` of the profile);
* *not testable in this profile*: the mechanism a comparison tests did not act in the run (no
  consolidation, no eviction, no memory frame beyond the window), with the count that shows it
  (:class:`Mechanism`, counted from the runs' per-frame memory statistics);
* *not measurable in this profile*: no comparison could be made.

For every verdict other than *supported*, :attr:`ClaimResult.why` is one measured sentence
(:mod:`xmem.reporting.claim_why`: per-video scores and, on Long-time Video, the scores split by
the object's visibility, the spread, or the mechanism count). The types (comparisons, verdicts,
evidence) are in :mod:`xmem.reporting.claim_model`.
"""

from __future__ import annotations

import math
from typing import Callable

import pandas as pd

from xmem.experiments.plan import ABLATION_REFERENCE, TABLE_TARGETS
from xmem.reporting.claim_model import (
    WINDOW_CONSOLIDATIONS_KEY, ClaimResult, Comparison, Evidence, Mechanism, Noise, RowRef, consolidations_key,
    eviction_key, memory_frames_key, verdict,
)
from xmem.reporting.claim_why import explain
from xmem.reporting.paper import column_label

WIDE_MARGIN = 10.0  # J&F points: "by a wide margin" (claim 4)
BOUNDED_FRACTION = 0.5  # claim 10: XMem grows at most this fraction of STCN's per-frame increase


class MeasuredTables:
    """Look-ups in the measured rows of the workflow's tables (name -> DataFrame)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables

    def value(self, table: str, method: str, setting: str, dataset: str, metric: str,
              suffix: str = "") -> float | None:
        """The measured cell (``suffix`` " std": its std over offsets), None when absent or empty."""
        frame = self.tables.get(table)
        column = column_label(dataset, metric) + suffix
        if frame is None or column not in frame.columns or "source" not in frame.columns:
            return None
        settings = frame["setting"].map(lambda v: "" if pd.isna(v) else str(v)) if "setting" in frame.columns else ""
        rows = frame[frame["source"].astype(str).str.startswith("measured") & (frame["method"] == method)
                     & (settings == setting)]
        if rows.empty:
            return None
        value = pd.to_numeric(rows[column], errors="coerce").iloc[0]
        return None if pd.isna(value) else float(value)

    def has_row(self, table: str, method: str, setting: str) -> bool:
        frame = self.tables.get(table)
        if frame is None or "source" not in frame.columns:
            return False
        settings = frame["setting"].map(lambda v: "" if pd.isna(v) else str(v)) if "setting" in frame.columns else ""
        return bool((frame["source"].astype(str).str.startswith("measured") & (frame["method"] == method)
                     & (settings == setting)).any())



class Context:
    """The tables, the noise model and the evidence one check reads."""

    def __init__(self, measured: MeasuredTables, noise: Noise, evidence: Evidence):
        self.m, self.noise, self.evidence = measured, noise, evidence

    def spread(self, table: str, left: tuple[str, str], right: tuple[str, str], dataset: str, metric: str,
               trained_apart: bool) -> tuple[float, str]:
        """The larger of the cells' std over offsets and (for two trained models) the recipe's seed spread.

        Two settings of one model whose cells ran at a single offset borrow that model's std over
        offsets on the same dataset and metric from Table 1 (its default setting there), the
        offset noise the profile measured for the video."""
        parts = []
        for row in (left, right):
            std = self.m.value(table, *row, dataset, metric, suffix=" std")
            if std is not None:
                parts.append((std, "std over offsets"))
        if not parts and not trained_apart and left[0] == right[0]:
            std = self.m.value(T1, left[0], "", dataset, metric, suffix=" std")
            if std is not None:
                parts.append((std, f"std over offsets of {left[0]} on {dataset} in Table 1"))
        if trained_apart and self.noise.recipe_seed_sd:
            parts.append((self.noise.recipe_seed_sd, self.noise.source or "seed spread of the recipe"))
        if not parts:
            return 0.0, ""
        return max(parts)

    def pairs(self, table: str, left: tuple[str, str], right: tuple[str, str], columns: list[tuple[str, str]],
              margin: float = 0.0, strict: bool = False, trained_apart: bool = False,
              mechanisms: dict[str, Mechanism | None] | None = None) -> list[Comparison]:
        """Compare row ``left`` (method, setting) with row ``right`` on each (dataset, metric);
        ``mechanisms``: dataset -> the mechanism count that comparison needs."""
        out = []
        for dataset, metric in columns:
            name = column_label(dataset, metric)
            spread, source = self.spread(table, left, right, dataset, metric, trained_apart)
            out.append(Comparison(
                " ".join(p for p in (*left, name) if p), self.m.value(table, *left, dataset, metric),
                " ".join(p for p in (*right, name) if p), self.m.value(table, *right, dataset, metric),
                margin, strict, spread, source, (mechanisms or {}).get(dataset),
                (RowRef(table, *left, dataset), RowRef(table, *right, dataset))))
        return out

    def reference(self, table: str, setting: str) -> tuple[str, str]:
        """The equal-budget reference row of an ablation table, or the XMem row when there is none."""
        return (ABLATION_REFERENCE, setting) if self.m.has_row(table, ABLATION_REFERENCE, setting) else ("XMem", setting)

    def consolidations(self, dataset: str) -> Mechanism | None:
        return self.evidence.mechanism(consolidations_key(dataset))

    def beyond_window(self, dataset: str) -> Mechanism | None:
        return self.evidence.mechanism(memory_frames_key(dataset), self.evidence.window_frames + 1)


T1, T2, T4, T5, T6, T7, S1 = (TABLE_TARGETS[t] for t in ("table1", "table2", "table4", "table5", "table6", "table7",
                                                          "tableS1"))
XMEM, STCN, COPY = ("XMem", ""), ("STCN", ""), ("First-frame copy", "")
LONG = ("LV1", "LV3")


def claim_long(c: Context, memory: dict) -> list[Comparison]:
    return c.pairs(T1, XMEM, STCN, [("LV1", "J&F"), ("LV3", "J&F")], strict=True, trained_apart=True,
                   mechanisms={ds: c.consolidations(ds) for ds in LONG})


def claim_degradation(c: Context, memory: dict) -> list[Comparison]:
    return c.pairs(T1, XMEM, STCN, [("LV1->LV3", "J&F_delta")], strict=True, trained_apart=True,
                   mechanisms={"LV1->LV3": c.consolidations("LV3")})


def claim_short(c: Context, memory: dict) -> list[Comparison]:
    return c.pairs(T2, XMEM, STCN, [("D17", "J&F"), ("Y18", "G")], trained_apart=True)


def claim_copy(c: Context, memory: dict) -> list[Comparison]:
    return (c.pairs(T1, XMEM, COPY, [("LV1", "J&F"), ("LV3", "J&F")], margin=WIDE_MARGIN, trained_apart=True)
            + c.pairs(T2, XMEM, COPY, [("D17", "J&F")], margin=WIDE_MARGIN, trained_apart=True))


def claim_sensory(c: Context, memory: dict) -> list[Comparison]:
    return c.pairs(T4, c.reference(T4, "All memory stores"), ("XMem", "No sensory memory"),
                   [("Y18", "G"), ("D17", "J&F"), ("LV1", "J&F")], strict=True, trained_apart=True)


def claim_scaling_terms(c: Context, memory: dict) -> list[Comparison]:
    out = []
    for other in ("With shrinkage s only", "With selection e only", "With neither"):
        out += c.pairs(T5, c.reference(T5, "With both terms"), ("XMem", other), [("Y18", "G"), ("D17", "J&F")],
                       trained_apart=True)
    return out


def claim_selection(c: Context, memory: dict) -> list[Comparison]:
    counts = sorted({int(s.rsplit("=", 1)[1]) for f in [c.m.tables.get(T6)] if f is not None
                     for s in f["setting"].dropna().astype(str) if "P =" in s})
    out = []
    for p in counts:
        for other in ("Random", "K-means centroid"):
            left, right = ("XMem", f"Usage-based P = {p}"), ("XMem", f"{other} P = {p}")
            if not (c.m.has_row(T6, *left) and c.m.has_row(T6, *right)):
                continue  # a P this profile does not run for both selections (paper-only rows, the P grid's selections)
            out += c.pairs(T6, left, right, [("LV3", "J&F")], mechanisms={"LV3": c.consolidations("LV3")})
    return out


def claim_potentiation(c: Context, memory: dict) -> list[Comparison]:
    return c.pairs(T6, ("XMem", "With potentiation"), ("XMem", "No potentiation"), [("LV3", "J&F")], strict=True,
                   mechanisms={"LV3": c.consolidations("LV3")})


def claim_strategy(c: Context, memory: dict) -> list[Comparison]:
    out = []
    for other in ("Eager compression", "Sparse insertion", "Local window"):
        # eager compression differs from consolidation from the first consolidation on; the two
        # 50-frame strategies differ from an unbounded memory only beyond 50 memory frames
        need = c.consolidations if other == "Eager compression" else c.beyond_window
        out += c.pairs(T7, ("XMem", "Consolidation"), ("XMem", other), [("LV1", "J&F"), ("LV3", "J&F")],
                       mechanisms={ds: need(ds) for ds in LONG})
    return out


def claim_bounded_memory(c: Context, memory: dict) -> list[Comparison]:
    """``memory``: {"xmem": bytes/frame, "stcn": bytes/frame} on LV1 (None when not measured)."""
    xmem, stcn = memory.get("xmem"), memory.get("stcn")
    if xmem is None or stcn is None:  # both are needed: one alone proves nothing
        return [Comparison("XMem B/frame", xmem, "STCN B/frame", stcn)]
    grows = Comparison("STCN (unbounded) B/frame", stcn, "zero", 0.0, strict=True)
    bounded = Comparison(f"{BOUNDED_FRACTION:g} x STCN B/frame", BOUNDED_FRACTION * stcn, "XMem B/frame", xmem,
                         mechanism=c.evidence.mechanism(WINDOW_CONSOLIDATIONS_KEY))
    return [grows, bounded]


def claim_ltmax_speed(c: Context, memory: dict) -> list[Comparison]:
    frame = c.m.tables.get(S1)
    missing = [Comparison("FPS at the smallest LT_max", None, "FPS at the largest LT_max", None, strict=True)]
    if frame is None:
        return missing
    sizes = sorted({int(s.split("=", 1)[1]) for s in frame["setting"].dropna().astype(str) if s.startswith("LTmax=")})
    fps = {n: c.m.value(S1, "XMem", f"LTmax={n}", "LV3", "FPS") for n in sizes}
    measured = [n for n in sizes if fps[n] is not None]
    if len(measured) < 2:
        return missing
    lo, hi = measured[0], measured[-1]
    noise = c.evidence.fps_spread
    return [Comparison(f"LTmax={lo} LV3 FPS", fps[lo], f"LTmax={hi} LV3 FPS", fps[hi], strict=True,
                       spread=noise.std if noise else 0.0, spread_source=noise.source() if noise else "",
                       mechanism=c.evidence.mechanism(eviction_key(lo)))]


#: (claim text, checker) in the order of the report
CLAIMS: tuple[tuple[str, Callable[[Context, dict], list[Comparison]]], ...] = (
    ("XMem beats STCN on long videos (Table 1, Long-time Video 1× and 3× J&F)", claim_long),
    ("XMem degrades less than STCN from 1× to 3× (Table 1, Δ J&F)", claim_degradation),
    ("XMem is at least as good as STCN on short videos (Table 2, DAVIS 2017 J&F, YouTube-VOS 2018 G)", claim_short),
    (f"XMem beats the first-frame copy by a wide margin (≥ {WIDE_MARGIN:g} J&F points; Tables 1-2)", claim_copy),
    ("Removing the sensory memory hurts (Table 4; the retrained variant against XMem trained with the same "
     "recipe and budget)", claim_sensory),
    ("Both scaling terms together are best (Table 5; the retrained variants against XMem trained with the same "
     "recipe and budget)", claim_scaling_terms),
    ("Usage-based prototype selection is at least as good as random and k-means (Table 6, LV3)", claim_selection),
    ("Memory potentiation helps (Table 6, LV3)", claim_potentiation),
    ("Consolidation is the best long-video strategy (Table 7)", claim_strategy),
    (f"XMem's memory stays bounded while STCN's grows (memory increase per frame on LV1; XMem ≤ "
     f"{BOUNDED_FRACTION:g} × STCN)", claim_bounded_memory),
    ("A smaller LT_max is faster (Table S1 FPS, smallest vs largest LT_max)", claim_ltmax_speed),
)


def check_claims(tables: dict[str, pd.DataFrame],
                 memory_growth: dict[str, float | None] | None = None,
                 noise: Noise | None = None, evidence: Evidence | None = None) -> list[ClaimResult]:
    """Check :data:`CLAIMS` against measured rows.

    Args:
        tables: table name (e.g. "table1_long_time_video") -> the table CSV as a DataFrame.
        memory_growth: {"xmem": ..., "stcn": ...} memory increase per frame (bytes) on LV1.
        noise: spreads (default: none, exact comparisons).
        evidence: mechanism counts and per-video scores (default: none known).
    """
    context = Context(MeasuredTables(tables), noise or Noise(), evidence or Evidence())
    memory = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
              for k, v in (memory_growth or {}).items()}
    results = []
    for number, (text, check) in enumerate(CLAIMS, start=1):
        comparisons = check(context, memory)
        result, found = verdict(comparisons)
        results.append(ClaimResult(number, text, result, found, explain(result, comparisons, context.evidence)))
    return results
