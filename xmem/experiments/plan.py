"""What the workflow runs for each table and figure: runs (model × dataset × setting × offset)
and cells.

The Snakefile asks this module which runs a table or figure needs (and which target rules
exist: :data:`TABLE_TARGETS`, :data:`FIGURE_TARGETS`); the table script asks it how to turn
the runs' scores into the paper's rows and columns. One source of truth for both.

A *run* (:class:`xmem.experiments.paths.Run`) is one inference (plus its evaluation), stored
under ``results/runs/<model>/<dataset>/<setting>/o<offset>/``. A *setting* is a named change of
the inference settings (:data:`xmem.experiments.settings.SETTINGS`). Datasets use the paper's
codes: D16, D17, D17td, Y18, Y19, LV1 … LV10 (Long-time Video n×).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterable

from xmem.errors import XMemError
from xmem.experiments.paths import Run
from xmem.experiments.element_counts import model_counts
from xmem.experiments.profile import COPY_MODEL, RELEASED_STCN, runs_released_stcn
from xmem.experiments.settings import (
    HIRES,
    MULTISCALE,
    NATIVE_INSERTION,
    PROTOTYPE_SELECTIONS,
    is_long,
    long_dataset,
    ltmax_setting,
    mem_every,
    multiscale_setting,
    offsets,
    prototype_setting,
    xmem_memory,
)
from xmem.memory.regime import PAPER

SHORT_DATASETS = ("D16", "D17", "D17td", "Y18", "Y19")
YOUTUBE_DATASETS = ("Y18", "Y19")
#: models trained by the workflow (or given as official weights)
MODELS = (
    "xmem", "stcn", "xmem_no_sensory", "xmem_shrinkage_only", "xmem_selection_only", "xmem_neither",
    "xmem_no_deep_update", "xmem_no_pretrain", "xmem_davis_only", "xmem_youtube_only", "xmem_bl30k", "xmem_ablation",
)
XMEM_STAR = "xmem_bl30k"  # XMem* (§3.6: static + BL30K + main training; official stages "012")
XMEM_STAR_NOTE = "XMem*: BL30K-pretrained (static + BL30K + main training)"
MAIN_MODELS = ("xmem", "stcn")  # trained first: most runs wait for them
STCN_LONG = "sparse_insertion"  # STCN on long videos: at most 50 memory frames (paper §4.1)
#: Fig. 1 (left): memory growth on Long-time Video 1x before any limiting (§4.1: measured first,
#: then the insertion frequency is limited): STCN at its native r = 5 without the frame cap
FIG1_MEMORY_RUNS = {"xmem": Run("xmem", "LV1"), "stcn": Run("stcn", "LV1", NATIVE_INSERTION)}
#: method label of the reference row of the ablation tables (Tables 4, 5, 8, S4, S5-S9)
ABLATION_REFERENCE = "XMem (ablation budget, reference)"

#: the timeline figure's methods (label, run on Long-time Video 1x), in legend order
TIMELINE_METHODS: tuple[tuple[str, Run], ...] = (
    ("XMem", Run("xmem", "LV1")), ("STCN (sparse insertion)", Run("stcn", "LV1", STCN_LONG)),
    ("XMem, no long-term memory", Run("xmem", "LV1", "no_long_term")), ("First-frame copy", Run(COPY_MODEL, "LV1")),
)

#: target rule name -> table name (one CSV in results/tables/)
TABLE_TARGETS: dict[str, str] = {
    "table1": "table1_long_time_video", "table2": "table2_short_video", "table3": "table3_davis17_testdev",
    "table4": "table4_memory_stores", "table5": "table5_scaling_terms", "table6": "table6_consolidation",
    "table7": "table7_long_video_strategies", "table8": "table8_deep_update", "tableS1": "tableS1_ltmax",
    "tableS2": "tableS2_stcn_retrained", "tableS3": "tableS3_youtubevos19", "tableS4": "tableS4_no_pretraining",
    "tableS5_S9": "tableS5_S9_training_data", "tableS10_S11": "tableS10_S11_multiscale",
}
#: target rule name -> figure names (one PNG each in results/figures/)
FIGURE_TARGETS: dict[str, tuple[str, ...]] = {
    "fig1": ("fig1_memory_vs_quality", "fig1_short_vs_long"), "fig4": ("fig4_similarity",),
    "fig7": ("fig7_length_scaling",), "figS1": ("figS1_consolidation",), "figS3": ("figS3_qualitative",),
    "figS7": ("figS7_fps_scaling",), "timeline": ("timeline_lv1",),
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLE_TARGETS.values())
#: tables whose Long-time Video cells may average over the memory-insertion offsets (``inference.offsets_for``)
OFFSET_TABLES = ("table1", "table4", "table6", "table7", "tableS1")
FIGURE_NAMES: tuple[str, ...] = tuple(n for names in FIGURE_TARGETS.values() for n in names)


def stcn_long_times(config: dict) -> list[int]:
    """The n of Long-time Video n× on which STCN runs for Fig. 7 (``inference.stcn_long_times``,
    default ``long_times``). Its sparse insertion cannot reuse a longer variant's masks, so a
    budget-bound profile may give it fewer points than XMem (whose lengths come from one run)."""
    inf = config["inference"]
    return list(inf.get("stcn_long_times") or inf["long_times"])


def uses_offsets(table: str, config: dict) -> bool:
    """Whether ``table`` (a target rule name, e.g. ``table6``) averages its Long-time Video cells
    over every memory-insertion offset (``inference.offsets_for``; absent = every table of
    :data:`OFFSET_TABLES`, the paper's protocol) or uses offset 0 only. Fig. 1 (right) always
    uses every offset of Table 1's runs."""
    chosen = config["inference"].get("offsets_for")
    if chosen is None:
        return True
    unknown = sorted(set(chosen) - set(OFFSET_TABLES))
    if unknown:
        raise XMemError(f"inference.offsets_for: unknown table(s) {', '.join(unknown)}; "
                        f"choose from {', '.join(OFFSET_TABLES)}")
    return table in chosen


def grid_selections(config: dict) -> tuple[str, ...]:
    """Prototype selections that Table 6 runs at every P of ``prototype_counts``
    (``inference.prototype_grid_selections``; absent = all three, the paper's); the others run
    at the profile's Long-time Video P only."""
    chosen = tuple(config["inference"].get("prototype_grid_selections") or PROTOTYPE_SELECTIONS)
    unknown = sorted(set(chosen) - set(PROTOTYPE_SELECTIONS))
    if unknown:
        raise XMemError(f"inference.prototype_grid_selections: unknown selection(s) {', '.join(unknown)}; "
                        f"choose from {', '.join(PROTOTYPE_SELECTIONS)}")
    return chosen


def stcn_unbounded_dataset(config: dict) -> str:
    """The Long-time Video variant of STCN's run without memory cap in Fig. S7
    (``inference.stcn_unbounded_dataset``; the paper's LV3). Fig. 1 (left) uses STCN's
    native-insertion run on LV1 instead (:data:`FIG1_MEMORY_RUNS`)."""
    return str(config["inference"].get("stcn_unbounded_dataset", "LV3"))


def fps_scaling_runs(config: dict) -> tuple[Run, list[tuple[int, Run]]]:
    """Fig. S7's runs: STCN without memory cap, and (LT_max, run) of XMem on LV3 for each
    ``inference.fps_ltmax_values`` (absent: the profile's LT_max only)."""
    values = model_counts("xmem", config).fps_ltmax_values or [xmem_memory("LV3", config).max_long_term_elements]
    return (Run("stcn", stcn_unbounded_dataset(config), "unbounded"),
            [(n, Run("xmem", "LV3", ltmax_setting(n, config))) for n in sorted(values)])


def paper_counterpart(value: int, default: int, paper_default: int, paper_grid: Iterable[int]) -> int | None:
    """The paper's grid value that a profile's element-count ``value`` stands for: the nearest
    (in ratio) to ``value × paper_default / default`` — the profile's grids are the paper's at
    the scale of its own P / LT_max (× E/1620) — or None when none is within 1.5×."""
    target = value * paper_default / default
    best = min(paper_grid, key=lambda v: abs(math.log(v / target)), default=None)
    return best if best is not None and abs(math.log(best / target)) <= math.log(1.5) else None
def ablation_reference(config: dict) -> str:
    """The model the retrained ablation variants are compared with: XMem trained with exactly
    their recipe and budget (``training.ablation_reference``; absent = the main XMem, whose
    recipe the variants share, as in the paper profile)."""
    return (config.get("training") or {}).get("ablation_reference") or "xmem"


def shared_static(config: dict) -> dict[str, str]:
    """variant -> the model whose static-stage weights it starts from (``training.shared_static``)."""
    return dict((config.get("training") or {}).get("shared_static") or {})


def ablation_notes(config: dict, variants: Iterable[str]) -> tuple[str, ...]:
    """Table notes: which row is each retrained variant's equal-budget reference, and which
    variants start from another model's static stage."""
    reference = ablation_reference(config)
    if reference == "xmem":
        notes = ["retrained variants use XMem's own recipe and budget: the XMem row is their reference"]
    else:
        notes = [f"retrained variants are compared with the row '{ABLATION_REFERENCE}' ({reference}, trained with "
                 "exactly the variants' recipe and budget); rows labelled plain XMem run the main model (longer training)"]
    sharing = shared_static(config)
    shared = [v for v in variants if v in sharing]
    for variant in shared:
        notes.append(f"{variant} starts from the static-stage weights of {sharing[variant]} and trains its later "
                     "stages alone (shared static stage)")
    if sharing and not shared:
        notes.append("no variant of this table shares a static stage")
    return tuple(notes)


# --------------------------------------------------------------------------- cells and rows
@dataclass(frozen=True)
class Cell:
    """One measured number: ``metric`` on ``dataset`` aggregated over ``runs``.

    kind: "score" (J&F, J, F, G, J_s, ...: mean over runs, std when several offsets),
    "fps", "memory_mb" (max bytes held by the memory stores), "compression" (ratio in %),
    "delta" (score on ``runs`` minus score on ``baseline``), "n/a" (not applicable: ``text``
    says why, as the paper's n/a).
    """

    dataset: str
    metric: str
    runs: tuple[Run, ...]
    kind: str = "score"
    baseline: tuple[Run, ...] = ()
    with_std: bool = False
    params: tuple[tuple[str, int], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Row:
    """A measured row; the table places it after the paper row with the same method and
    setting, or after paper row ``paper_row`` (0-based) when that is given (e.g. Table 3's
    XMem* and XMem*‡ print the same method name). ``paper_setting``: the setting label of the
    paper row it is measured for when its own differs (a P or LT_max at the profile's scale);
    "" = ``setting``."""

    method: str
    setting: str
    cells: tuple[Cell, ...]
    note: str = ""
    paper_setting: str = ""
    paper_row: int | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table's measured rows; ``notes`` go to every measured row, ``paper_notes`` (method,
    note) to the paper's rows of that method (e.g. which STCN the paper's numbers are)."""

    name: str
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    paper_notes: tuple[tuple[str, str], ...] = ()

    def runs(self) -> list[Run]:
        seen: dict[Run, None] = {}
        for row in self.rows:
            for cell in row.cells:
                for run in cell.runs + cell.baseline:
                    seen[run] = None
        return list(seen)


def _score_cells(model: str, dataset: str, setting: str, config: dict, metrics: Iterable[str],
                 all_offsets: bool) -> list[Cell]:
    r = mem_every(dataset, setting, config)
    all_offsets = all_offsets and model != COPY_MODEL  # copying the prompt does not depend on r
    runs = tuple(Run(model, dataset, setting, o) for o in (offsets(config, r) if all_offsets else [0]))
    return [Cell(dataset, m, runs, with_std=all_offsets and len(runs) > 1) for m in metrics]


def _metrics(dataset: str, full: bool = True) -> list[str]:
    if dataset in YOUTUBE_DATASETS:
        return ["G", "J_s", "F_s", "J_u", "F_u"] if full else ["G"]
    return ["J&F", "J", "F"] if full else ["J&F"]


def _fps(model: str, dataset: str, setting: str = "default") -> Cell:
    return Cell(dataset, "FPS", (Run(model, dataset, setting, 0),), kind="fps")


def _long_video_row(method: str, model: str, setting: str, config: dict, note: str = "") -> Row:
    cells = []
    for ds in ("LV1", "LV3"):
        cells += _score_cells(model, ds, setting, config, ["J&F", "J", "F"], uses_offsets("table1", config))
    lv1 = cells[0].runs
    lv3 = cells[3].runs
    cells.append(Cell("LV1->LV3", "J&F_delta", lv3, kind="delta", baseline=lv1))
    return Row(method, "", tuple(cells), note)


def _offsets_note(table: str, config: dict, all_offsets: str = "") -> str:
    """The table's note on memory-insertion offsets: ``all_offsets`` when it uses them all."""
    if uses_offsets(table, config):
        return all_offsets
    return "Long-time Video: memory-insertion offset 0 only (inference.offsets_for); no std"


def _scale_notes(name: str, values: Iterable[int], default: int, paper_default: int, paper_grid: Iterable[int],
                 key: str) -> list[str]:
    """Notes on a grid at the profile's scale: which paper value each stands for, which are not run."""
    paper_grid = tuple(paper_grid)
    matched = {v: paper_counterpart(v, default, paper_default, paper_grid) for v in values}
    notes = []
    if any(p is not None and p != v for v, p in matched.items()):
        pairs = ", ".join(f"{v} (paper {p})" for v, p in matched.items() if p is not None)
        notes.append(f"{name} at this profile's scale (paper value × {default}/{paper_default}): {pairs}")
    skipped = [p for p in paper_grid if p not in matched.values()]
    if skipped:
        notes.append(f"paper {name}={', '.join(map(str, skipped))}: not run in this profile ({key}); paper numbers only")
    return notes
#: Table 4's n/a (paper §4.3): "If the long-term memory is removed, all the memory frames are
#: stored in the working memory. [...] it cannot handle long videos and is slower."
NO_LONG_TERM_ON_LONG_VIDEO = ("n/a (paper §4.3: without long-term memory every memory frame stays in working "
                              "memory, which cannot handle long videos)")
#: the paper's STCN rows are the original STCN (Cheng et al. 2021), not retrained (appendix E)
PAPER_STCN_NOTE = (("STCN", "paper: the original STCN [9] as published (not retrained)"),)
#: paper row of the original STCN in the tables where the released stcn.pth gets a row
RELEASED_STCN_ROWS = {"table1_long_time_video": 9, "table2_short_video": 6, "table3_davis17_testdev": 2,
                      "tableS3_youtubevos19": 5}


def stcn_note(config: dict) -> str:
    """What the measured "STCN" rows are in this profile: retrained, or the released weights."""
    if config.get("weights") == "official" and config.get("stcn_weights"):
        return "original STCN: the released stcn.pth (stcn_weights)"
    return "retrained with XMem's recipe (appendix E; Table S2)"


def _with_released_stcn(name: str, rows: tuple[Row, ...], released: Row | None, config: dict) -> TableSpec:
    """The table's rows plus, when ``stcn_weights`` is given under ``weights: train``, the
    released stcn.pth as a row of its own after the paper's original STCN row."""
    if released is not None and runs_released_stcn(config):
        rows = rows[:1] + (replace(released, setting="released stcn.pth", paper_row=RELEASED_STCN_ROWS[name],
                                   note="; ".join(x for x in (f"original STCN: the released stcn.pth "
                                                              f"({config['stcn_weights']})", released.note) if x)),
                          ) + rows[1:]
    return TableSpec(name, rows, paper_notes=PAPER_STCN_NOTE)


def build_tables(config: dict) -> dict[str, TableSpec]:
    """Every table's measured rows for a profile ``config`` (the workflow's config dict)."""
    tables: dict[str, TableSpec] = {}
    stcn = stcn_note(config)

    tables["table1_long_time_video"] = _with_released_stcn("table1_long_time_video", (
        _long_video_row("STCN", "stcn", STCN_LONG, config, f"{stcn}; at most 50 memory frames"),
        _long_video_row("XMem", "xmem", "default", config),
        _long_video_row("First-frame copy", COPY_MODEL, "default", config, "lower bound"),
    ), _long_video_row("STCN", RELEASED_STCN, STCN_LONG, config, "at most 50 memory frames"), config)

    def short_row(method: str, model: str, note: str = "", fps: bool = True) -> Row:
        cells = []
        for ds in ("Y18", "D17", "D16"):
            cells += _score_cells(model, ds, "default", config, _metrics(ds), all_offsets=False)
            if fps:
                cells.append(_fps(model, ds))
        return Row(method, "", tuple(cells), note)

    tables["table2_short_video"] = _with_released_stcn("table2_short_video", (
        short_row("STCN", "stcn", stcn),
        short_row("XMem", "xmem"),
        short_row("XMem*", XMEM_STAR, XMEM_STAR_NOTE),
        short_row("First-frame copy", COPY_MODEL, "lower bound", fps=False),
    ), short_row("STCN", RELEASED_STCN), config)
    hires = config["inference"]["hires_size"]

    def testdev_row(method: str, model: str, setting: str = "default", note: str = "",
                    paper_row: int | None = None) -> Row:
        return Row(method, "", tuple(_score_cells(model, "D17td", setting, config, _metrics("D17td"), False)),
                   note, paper_row=paper_row)

    tables["table3_davis17_testdev"] = _with_released_stcn("table3_davis17_testdev", (
        testdev_row("STCN", "stcn", note=stcn), testdev_row("XMem", "xmem"),
        testdev_row("XMem*", XMEM_STAR, note=XMEM_STAR_NOTE, paper_row=9),
        testdev_row("XMem*", XMEM_STAR, HIRES, f"{XMEM_STAR_NOTE}; ‡: frames resized to {hires}p (paper: 600p)", 10),
    ), testdev_row("STCN", RELEASED_STCN), config)

    def ablation_row(setting_label: str, model: str, setting: str, datasets: Iterable[str], fps_on=(),
                     long_offsets: bool = True, method: str = "XMem") -> Row:
        cells = []
        for ds in datasets:
            cells += [replace(c, with_std=False) for c in _score_cells(
                model, ds, setting, config, _metrics(ds, full=False), all_offsets=is_long(ds) and long_offsets)]
        cells += [_fps(model, ds, setting) for ds in fps_on]
        return Row(method, setting_label, tuple(cells))

    reference = ablation_reference(config)

    def reference_rows(setting_label: str, datasets: Iterable[str], fps_on=(), full: bool = False,
                       long_offsets: bool = True) -> tuple[Row, ...]:
        """The equal-budget reference row of an ablation table (none when the reference is XMem itself)."""
        if reference == "xmem":
            return ()
        if full:
            cells = tuple(c for ds in datasets for c in _score_cells(reference, ds, "default", config, _metrics(ds), False))
            return (Row(ABLATION_REFERENCE, setting_label, cells + tuple(_fps(reference, ds) for ds in fps_on)),)
        return (ablation_row(setting_label, reference, "default", datasets, fps_on, long_offsets,
                             method=ABLATION_REFERENCE),)

    t4, t4_offsets = ("Y18", "D17", "LV1"), uses_offsets("table4", config)
    tables["table4_memory_stores"] = TableSpec("table4_memory_stores", (
        ablation_row("All memory stores", "xmem", "default", t4, ("D17", "Y18"), t4_offsets),
        ablation_row("No sensory memory", "xmem_no_sensory", "default", t4, ("D17", "Y18"), t4_offsets),
        ablation_row("No working memory", "xmem", "sensory_only", t4, ("D17", "Y18"), t4_offsets),
        Row("XMem", "No long-term memory",
            ablation_row("", "xmem", "no_long_term", ("Y18", "D17")).cells
            + (Cell("LV1", "J&F", (), kind="n/a", text=NO_LONG_TERM_ON_LONG_VIDEO),)
            + tuple(_fps("xmem", ds, "no_long_term") for ds in ("D17", "Y18"))),
    ) + reference_rows("All memory stores", t4, ("D17", "Y18"), long_offsets=t4_offsets),
        notes=(_offsets_note("table4", config, "LV1 J&F (the paper's L1×) is the mean over the memory-insertion "
                                               "offsets (std omitted, as in the paper)"),
               *ablation_notes(config, ("xmem_no_sensory",))))
    variants5 = ("xmem_shrinkage_only", "xmem_selection_only", "xmem_neither")
    tables["table5_scaling_terms"] = TableSpec("table5_scaling_terms", tuple(
        ablation_row(label, model, "default", ("Y18", "D17")) for label, model in (
            ("With both terms", "xmem"), ("With shrinkage s only", variants5[0]),
            ("With selection e only", variants5[1]), ("With neither", variants5[2]))
    ) + reference_rows("With both terms", ("Y18", "D17")), notes=ablation_notes(config, variants5))
    lv_memory = xmem_memory("LV3", config)
    t6_offsets, t6_grid = uses_offsets("table6", config), grid_selections(config)
    counts = model_counts("xmem", config).prototype_counts
    rows6 = []
    for p in counts:
        paper_p = paper_counterpart(p, lv_memory.num_prototypes, PAPER.memory.num_prototypes,
                                    PAPER.memory.prototype_counts)
        for label, sel in (("Random", "random"), ("K-means centroid", "kmeans"), ("Usage-based", "usage")):
            if sel not in t6_grid and p != lv_memory.num_prototypes:
                continue
            cells = _score_cells("xmem", "LV3", prototype_setting(sel, p, config), config, ["J&F"], t6_offsets)
            cells.append(Cell("LV3", "compression_ratio_pct", (), kind="compression", params=(("P", p),)))
            rows6.append(Row("XMem", f"{label} P = {p}", tuple(cells),
                             paper_setting="" if paper_p in (None, p) else f"{label} P = {paper_p}"))
    rows6.append(Row("XMem", "No potentiation",
                     tuple(_score_cells("xmem", "LV3", "no_potentiation", config, ["J&F"], t6_offsets))))
    rows6.append(Row("XMem", "With potentiation",
                     tuple(_score_cells("xmem", "LV3", "default", config, ["J&F"], t6_offsets))))
    notes6 = [_offsets_note("table6", config)]
    notes6 += _scale_notes("P", counts, lv_memory.num_prototypes, PAPER.memory.num_prototypes,
                           PAPER.memory.prototype_counts, "inference.prototype_counts")
    partial = [label for label, sel in (("Random", "random"), ("K-means centroid", "kmeans"), ("Usage-based", "usage"))
               if sel not in t6_grid]
    if partial and len(counts) > 1:
        notes6.append(f"{', '.join(partial)}: at P = {lv_memory.num_prototypes} only "
                      "(inference.prototype_grid_selections)")
    tables["table6_consolidation"] = TableSpec("table6_consolidation", tuple(rows6), notes=tuple(n for n in notes6 if n))

    def strategy_row(label: str, setting: str) -> Row:
        cells = []
        for ds in ("LV1", "LV3"):
            cells += _score_cells("xmem", ds, setting, config, ["J&F"], uses_offsets("table7", config))
        cells.append(Cell("LV1->LV3", "J&F_delta", cells[1].runs, kind="delta", baseline=cells[0].runs))
        return Row("XMem", label, tuple(cells))

    tables["table7_long_video_strategies"] = TableSpec("table7_long_video_strategies", (
        strategy_row("Consolidation", "default"), strategy_row("Eager compression", "eager_compression"),
        strategy_row("Sparse insertion", "sparse_insertion"), strategy_row("Local window", "local_window"),
    ), notes=tuple(n for n in [_offsets_note("table7", config)] if n))
    tables["table8_deep_update"] = TableSpec("table8_deep_update", (
        ablation_row("Every r-th frame", "xmem", "default", ("Y18", "D17"), ("D17",)),
        ablation_row("Every single frame", "xmem", "deep_every_frame", ("Y18", "D17"), ("D17",)),
        ablation_row("No deep update", "xmem_no_deep_update", "deep_never", ("Y18", "D17"), ("D17",)),
    ) + reference_rows("Every r-th frame", ("Y18", "D17"), ("D17",)),
        notes=ablation_notes(config, ("xmem_no_deep_update",)))
    rows_s1 = []
    ltmax_values = model_counts("xmem", config).ltmax_values
    for n in ltmax_values:
        setting = ltmax_setting(n, config)
        cells = _score_cells("xmem", "LV3", setting, config, ["J&F"], uses_offsets("tableS1", config))
        cells.append(Cell("LV3", "max_gpu_memory_MB", (Run("xmem", "LV3", setting, 0),), kind="memory_mb"))
        cells.append(_fps("xmem", "LV3", setting))
        paper_n = paper_counterpart(n, lv_memory.max_long_term_elements, PAPER.memory.max_long_term_elements,
                                    PAPER.memory.ltmax_values)
        rows_s1.append(Row("XMem", f"LTmax={n}", tuple(cells),
                           paper_setting="" if paper_n in (None, n) else f"LTmax={paper_n}"))
    s1_notes = ["max memory: bytes held by the memory stores on CPU (GPU allocation on CUDA)",
                _offsets_note("tableS1", config)]
    s1_notes += _scale_notes("LTmax", ltmax_values, lv_memory.max_long_term_elements,
                             PAPER.memory.max_long_term_elements, PAPER.memory.ltmax_values, "inference.ltmax_values")
    s1_notes = [n for n in s1_notes if n]
    tables["tableS1_ltmax"] = TableSpec("tableS1_ltmax", tuple(rows_s1), notes=tuple(s1_notes))
    tables["tableS2_stcn_retrained"] = TableSpec("tableS2_stcn_retrained", tuple(
        Row(method, setting, tuple(
            _score_cells(model, "Y18", "default", config, ["G"], False)
            + _score_cells(model, "D17", "default", config, ["J&F"], False)))
        for method, setting, model in (("STCN", "re-trained", "stcn"), ("XMem", "", "xmem"))
    ))
    def y19_row(method: str, model: str, note: str = "") -> Row:
        return Row(method, "", tuple(_score_cells(model, "Y19", "default", config, _metrics("Y19"), False)
                                     + [_fps(model, "Y18")]), note)

    tables["tableS3_youtubevos19"] = _with_released_stcn("tableS3_youtubevos19", (
        y19_row("STCN", "stcn", stcn), y19_row("XMem", "xmem"), y19_row("XMem*", XMEM_STAR, XMEM_STAR_NOTE),
    ), y19_row("STCN", RELEASED_STCN), config)
    tables["tableS4_no_pretraining"] = TableSpec("tableS4_no_pretraining", (
        Row("XMem-", "", tuple(
            c for ds in ("Y18", "Y19", "D16", "D17", "D17td")
            for c in _score_cells("xmem_no_pretrain", ds, "default", config, _metrics(ds, full=False), False)
        ) + (_fps("xmem_no_pretrain", "D17"),)),
    ) + reference_rows("with static pretraining", ("Y18", "Y19", "D16", "D17", "D17td"), ("D17",)),
        notes=ablation_notes(config, ("xmem_no_pretrain",)))
    mixes = (("DAVIS only", "xmem_davis_only", ("D16", "D17", "D17td")),
             ("YouTubeVOS only", "xmem_youtube_only", ("Y18", "Y19")),
             ("DAVIS+YouTubeVOS only", "xmem_no_pretrain", ("D16", "D17", "D17td", "Y18", "Y19")),
             ("Static+DAVIS+YouTubeVOS", "xmem", ("D16", "D17", "D17td", "Y18", "Y19")),
             ("Static+BL30K+DAVIS+YouTubeVOS", XMEM_STAR, ("D16", "D17", "D17td", "Y18", "Y19")))
    tables["tableS5_S9_training_data"] = TableSpec("tableS5_S9_training_data", tuple(
        Row("XMem*" if model == XMEM_STAR else "XMem", label,
            tuple(c for ds in dss for c in _score_cells(model, ds, "default", config, _metrics(ds), False)))
        for label, model, dss in mixes
    ) + reference_rows("Static+DAVIS+YouTubeVOS", mixes[3][2], full=True),
        notes=ablation_notes(config, tuple(model for _, model, _ in mixes[:3])))
    s10 = ("D17", "D16", "D17td", "Y18", "Y19")

    def scale_row(method: str, model: str, label: str, setting: str, datasets=s10, note: str = "") -> Row:
        return Row(method, label, tuple(c for ds in datasets
                                        for c in _score_cells(model, ds, setting, config, _metrics(ds), False)), note)

    tables["tableS10_S11_multiscale"] = TableSpec("tableS10_S11_multiscale", (
        scale_row("XMem", "xmem", "single-scale", "default"),
        scale_row("XMem*", XMEM_STAR, "single-scale", "default", note=XMEM_STAR_NOTE),
        scale_row("XMem*", XMEM_STAR, "single-scale (600p)", HIRES, ("D17td",),
                  f"{XMEM_STAR_NOTE}; ‡: frames resized to {hires}p (paper: 600p)"),
        scale_row("XMem", "xmem", "multi-scale", MULTISCALE),
        scale_row("XMem*", XMEM_STAR, "multi-scale", MULTISCALE, note=XMEM_STAR_NOTE),
    ))
    return tables


def multiscale_members(dataset: str, config: dict) -> list[str]:
    """Settings merged into the ``ms`` run of a dataset (Appendix H; docs/evaluation.md,
    "Multi-scale evaluation"): every size x every r x {as is, mirrored left-right}.

    YouTube-VOS: ``youtube_sizes`` (paper 480, 528, 576, 624) at the default r (no multiple
    temporal scales); DAVIS 2016 / 2017 val: ``davis_sizes`` (paper 720) with
    ``davis_mem_every`` (paper r = 3); DAVIS 2017 test-dev: ``testdev_mem_every`` instead
    (paper r = 3 and 5, "multi-temporal-scale").
    """
    inf = config["inference"]
    ms = inf["multiscale"]
    if dataset in YOUTUBE_DATASETS:
        sizes, rs = ms["youtube_sizes"], [inf["mem_every_short"]]
    else:
        sizes, rs = ms["davis_sizes"], ms["testdev_mem_every" if dataset == "D17td" else "davis_mem_every"]
    return [multiscale_setting(size, r, flip) for size in sizes for r in rs for flip in (False, True)]


def expand_runs(runs: Iterable[Run], config: dict) -> list[Run]:
    """Runs plus the member runs that multi-scale (``ms``) runs are merged from."""
    out: dict[Run, None] = {}
    for run in runs:
        out[run] = None
        if run.setting == MULTISCALE:
            for member in multiscale_members(run.dataset, config):
                out[Run(run.model, run.dataset, member, 0)] = None
    return list(out)


# --------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class FigureNeed:
    run: Run
    kind: str  # "scores", "stats" or "masks"


def build_figures(config: dict) -> dict[str, list[FigureNeed]]:
    """The runs (and which of their outputs) each figure reads."""
    inf = config["inference"]
    lv_offsets = offsets(config, inf["mem_every_long"])
    stcn_unbounded, xmem_ltmax = fps_scaling_runs(config)

    def need(kind: str, *runs: Run) -> list[FigureNeed]:
        return [FigureNeed(r, kind) for r in runs]

    figures: dict[str, list[FigureNeed]] = {
        "fig1_memory_vs_quality": need("stats", *FIG1_MEMORY_RUNS.values())
        + need("scores", Run("xmem", "D17"), Run("stcn", "D17")),
        "fig1_short_vs_long": need("scores", Run("xmem", "D17"), Run("stcn", "D17"), Run(COPY_MODEL, "D17"))
        + need("scores", *[Run("xmem", "LV1", "default", o) for o in lv_offsets])
        + need("scores", *[Run("stcn", "LV1", STCN_LONG, o) for o in lv_offsets])
        + need("scores", Run(COPY_MODEL, "LV1")),
        "fig4_similarity": [],
        "fig7_length_scaling": need("scores", *[Run("xmem", long_dataset(n)) for n in inf["long_times"]])
        + need("scores", *[Run("stcn", long_dataset(n), STCN_LONG) for n in stcn_long_times(config)]),
        "figS1_consolidation": [],
        "figS3_qualitative": need("masks", Run("xmem", "LV3"), Run("stcn", "LV3", STCN_LONG)),
        "figS7_fps_scaling": need("stats", stcn_unbounded, *[run for _, run in xmem_ltmax]),
        # diagnostic, not in the paper (xmem.reporting.fig_timeline): per-frame J and memory on LV1
        "timeline_lv1": need("scores", *(run for _, run in TIMELINE_METHODS))
        + need("stats", *(run for _, run in TIMELINE_METHODS if run.model != COPY_MODEL)),
    }
    return figures



def all_runs(config: dict) -> list[Run]:
    """Every run some table or figure of a profile reads (multi-scale members included)."""
    runs = [run for spec in build_tables(config).values() for run in spec.runs()]
    runs += [need.run for needs in build_figures(config).values() for need in needs]
    return expand_runs(runs, config)
