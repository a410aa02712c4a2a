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

from dataclasses import dataclass, field, replace
from typing import Iterable

from xmem.experiments.paths import Run
from xmem.experiments.profile import COPY_MODEL
from xmem.experiments.settings import (
    MULTISCALE,
    PAPER_LTMAX_VALUES,
    is_long,
    long_dataset,
    ltmax_setting,
    mem_every,
    multiscale_setting,
    offsets,
)

SHORT_DATASETS = ("D16", "D17", "D17td", "Y18", "Y19")
YOUTUBE_DATASETS = ("Y18", "Y19")
#: models trained by the workflow (or given as official weights)
MODELS = (
    "xmem", "stcn", "xmem_no_sensory", "xmem_shrinkage_only", "xmem_selection_only", "xmem_neither",
    "xmem_no_deep_update", "xmem_no_pretrain", "xmem_davis_only", "xmem_youtube_only", "xmem_ablation",
)
MAIN_MODELS = ("xmem", "stcn")  # trained first: most runs wait for them
STCN_LONG = "sparse_insertion"  # STCN on long videos: at most 50 memory frames (paper §4.1)
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
FIGURE_NAMES: tuple[str, ...] = tuple(n for names in FIGURE_TARGETS.values() for n in names)


def stcn_long_times(config: dict) -> list[int]:
    """The n of Long-time Video n× on which STCN runs for Fig. 7 (``inference.stcn_long_times``,
    default ``long_times``). Its sparse insertion cannot reuse a longer variant's masks, so a
    budget-bound profile may give it fewer points than XMem (whose lengths come from one run)."""
    inf = config["inference"]
    return list(inf.get("stcn_long_times") or inf["long_times"])


def ablation_reference(config: dict) -> str:
    """The model the retrained ablation variants are compared with: XMem trained with exactly
    their recipe and budget (``training.ablation_reference``; absent = the main XMem, whose
    recipe the variants share, as in the paper profile)."""
    return config["training"].get("ablation_reference") or "xmem"


def shared_static(config: dict) -> dict[str, str]:
    """variant -> the model whose static-stage weights it starts from (``training.shared_static``)."""
    return dict(config["training"].get("shared_static") or {})


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
        notes.append(f"{variant} starts from the static-stage weights of {sharing[variant]} and trains its main "
                     "stage alone (shared static stage)")
    if sharing and not shared:
        notes.append("no variant of this table shares a static stage")
    return tuple(notes)


# --------------------------------------------------------------------------- cells and rows
@dataclass(frozen=True)
class Cell:
    """One measured number: ``metric`` on ``dataset`` aggregated over ``runs``.

    kind: "score" (J&F, J, F, G, J_s, ...: mean over runs, std when several offsets),
    "fps", "memory_mb" (max bytes held by the memory stores), "compression" (ratio in %),
    "delta" (score on ``runs`` minus score on ``baseline``).
    """

    dataset: str
    metric: str
    runs: tuple[Run, ...]
    kind: str = "score"
    baseline: tuple[Run, ...] = ()
    with_std: bool = False
    params: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Row:
    method: str
    setting: str
    cells: tuple[Cell, ...]
    note: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

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
        cells += _score_cells(model, ds, setting, config, ["J&F", "J", "F"], all_offsets=True)
    lv1 = cells[0].runs
    lv3 = cells[3].runs
    cells.append(Cell("LV1->LV3", "J&F_delta", lv3, kind="delta", baseline=lv1))
    return Row(method, "", tuple(cells), note)


def build_tables(config: dict) -> dict[str, TableSpec]:
    """Every table's measured rows for a profile ``config`` (the workflow's config dict)."""
    tables: dict[str, TableSpec] = {}

    tables["table1_long_time_video"] = TableSpec("table1_long_time_video", (
        _long_video_row("STCN", "stcn", STCN_LONG, config, "retrained; at most 50 memory frames"),
        _long_video_row("XMem", "xmem", "default", config),
        _long_video_row("First-frame copy", COPY_MODEL, "default", config, "lower bound"),
    ))

    def short_row(method: str, model: str, note: str = "", fps: bool = True) -> Row:
        cells = []
        for ds in ("Y18", "D17", "D16"):
            cells += _score_cells(model, ds, "default", config, _metrics(ds), all_offsets=False)
            if fps:
                cells.append(_fps(model, ds))
        return Row(method, "", tuple(cells), note)

    tables["table2_short_video"] = TableSpec("table2_short_video", (
        short_row("STCN", "stcn", "retrained"),
        short_row("XMem", "xmem"),
        short_row("First-frame copy", COPY_MODEL, "lower bound", fps=False),
    ))
    tables["table3_davis17_testdev"] = TableSpec("table3_davis17_testdev", tuple(
        Row(m, "", tuple(_score_cells(model, "D17td", "default", config, _metrics("D17td"), False)), n)
        for m, model, n in (("STCN", "stcn", "retrained"), ("XMem", "xmem", ""))
    ))

    def ablation_row(setting_label: str, model: str, setting: str, datasets: Iterable[str], fps_on=(),
                     long_offsets: bool = True, method: str = "XMem") -> Row:
        cells = []
        for ds in datasets:
            cells += [replace(c, with_std=False) for c in _score_cells(
                model, ds, setting, config, _metrics(ds, full=False), all_offsets=is_long(ds) and long_offsets)]
        cells += [_fps(model, ds, setting) for ds in fps_on]
        return Row(method, setting_label, tuple(cells))

    reference = ablation_reference(config)

    def reference_rows(setting_label: str, datasets: Iterable[str], fps_on=(), full: bool = False) -> tuple[Row, ...]:
        """The equal-budget reference row of an ablation table (none when the reference is XMem itself)."""
        if reference == "xmem":
            return ()
        if full:
            cells = tuple(c for ds in datasets for c in _score_cells(reference, ds, "default", config, _metrics(ds), False))
            return (Row(ABLATION_REFERENCE, setting_label, cells + tuple(_fps(reference, ds) for ds in fps_on)),)
        return (ablation_row(setting_label, reference, "default", datasets, fps_on, method=ABLATION_REFERENCE),)

    t4 = ("Y18", "D17", "LV1")
    tables["table4_memory_stores"] = TableSpec("table4_memory_stores", (
        ablation_row("All memory stores", "xmem", "default", t4, ("D17", "Y18")),
        ablation_row("No sensory memory", "xmem_no_sensory", "default", t4, ("D17", "Y18")),
        ablation_row("No working memory", "xmem", "sensory_only", t4, ("D17", "Y18")),
        ablation_row("No long-term memory", "xmem", "no_long_term", ("Y18", "D17"), ("D17", "Y18")),
    ) + reference_rows("All memory stores", t4, ("D17", "Y18")),
        notes=("L1x is the mean over the memory-insertion offsets (std omitted, as in the paper)",
               *ablation_notes(config, ("xmem_no_sensory",))))
    variants5 = ("xmem_shrinkage_only", "xmem_selection_only", "xmem_neither")
    tables["table5_scaling_terms"] = TableSpec("table5_scaling_terms", tuple(
        ablation_row(label, model, "default", ("Y18", "D17")) for label, model in (
            ("With both terms", "xmem"), ("With shrinkage s only", variants5[0]),
            ("With selection e only", variants5[1]), ("With neither", variants5[2]))
    ) + reference_rows("With both terms", ("Y18", "D17")), notes=ablation_notes(config, variants5))
    rows6 = []
    for p in config["inference"]["prototype_counts"]:
        for label, sel in (("Random", "random"), ("K-means centroid", "kmeans"), ("Usage-based", "usage")):
            setting = "default" if (sel == "usage" and p == 128) else f"{sel}_p{p}"
            cells = _score_cells("xmem", "LV3", setting, config, ["J&F"], all_offsets=True)
            cells.append(Cell("LV3", "compression_ratio_pct", (), kind="compression", params=(("P", p),)))
            rows6.append(Row("XMem", f"{label} P = {p}", tuple(cells)))
    rows6.append(Row("XMem", "No potentiation",
                     tuple(_score_cells("xmem", "LV3", "no_potentiation", config, ["J&F"], True))))
    rows6.append(Row("XMem", "With potentiation",
                     tuple(_score_cells("xmem", "LV3", "default", config, ["J&F"], True))))
    tables["table6_consolidation"] = TableSpec("table6_consolidation", tuple(rows6))

    def strategy_row(label: str, setting: str) -> Row:
        cells = []
        for ds in ("LV1", "LV3"):
            cells += _score_cells("xmem", ds, setting, config, ["J&F"], all_offsets=True)
        cells.append(Cell("LV1->LV3", "J&F_delta", cells[1].runs, kind="delta", baseline=cells[0].runs))
        return Row("XMem", label, tuple(cells))

    tables["table7_long_video_strategies"] = TableSpec("table7_long_video_strategies", (
        strategy_row("Consolidation", "default"), strategy_row("Eager compression", "eager_compression"),
        strategy_row("Sparse insertion", "sparse_insertion"), strategy_row("Local window", "local_window"),
    ))
    tables["table8_deep_update"] = TableSpec("table8_deep_update", (
        ablation_row("Every r-th frame", "xmem", "default", ("Y18", "D17"), ("D17",)),
        ablation_row("Every single frame", "xmem", "deep_every_frame", ("Y18", "D17"), ("D17",)),
        ablation_row("No deep update", "xmem_no_deep_update", "deep_never", ("Y18", "D17"), ("D17",)),
    ) + reference_rows("Every r-th frame", ("Y18", "D17"), ("D17",)),
        notes=ablation_notes(config, ("xmem_no_deep_update",)))
    rows_s1 = []
    for n in config["inference"]["ltmax_values"]:
        setting = ltmax_setting(n)
        cells = _score_cells("xmem", "LV3", setting, config, ["J&F"], all_offsets=True)
        cells.append(Cell("LV3", "max_gpu_memory_MB", (Run("xmem", "LV3", setting, 0),), kind="memory_mb"))
        cells.append(_fps("xmem", "LV3", setting))
        rows_s1.append(Row("XMem", f"LTmax={n}", tuple(cells)))
    s1_notes = ["max memory: bytes held by the memory stores on CPU (GPU allocation on CUDA)"]
    skipped = [n for n in PAPER_LTMAX_VALUES if n not in config["inference"]["ltmax_values"]]
    if skipped:
        s1_notes.append(f"LTmax={', '.join(map(str, skipped))}: not run in this profile (inference.ltmax_values); "
                        "paper numbers only")
    tables["tableS1_ltmax"] = TableSpec("tableS1_ltmax", tuple(rows_s1), notes=tuple(s1_notes))
    tables["tableS2_stcn_retrained"] = TableSpec("tableS2_stcn_retrained", tuple(
        Row(method, setting, tuple(
            _score_cells(model, "Y18", "default", config, ["G"], False)
            + _score_cells(model, "D17", "default", config, ["J&F"], False)))
        for method, setting, model in (("STCN", "re-trained", "stcn"), ("XMem", "", "xmem"))
    ))
    tables["tableS3_youtubevos19"] = TableSpec("tableS3_youtubevos19", tuple(
        Row(m, "", tuple(_score_cells(model, "Y19", "default", config, _metrics("Y19"), False)
                         + [_fps(model, "Y18")]), n)
        for m, model, n in (("STCN", "stcn", "retrained"), ("XMem", "xmem", ""))
    ))
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
             ("Static+DAVIS+YouTubeVOS", "xmem", ("D16", "D17", "D17td", "Y18", "Y19")))
    tables["tableS5_S9_training_data"] = TableSpec("tableS5_S9_training_data", tuple(
        Row("XMem", label, tuple(c for ds in dss for c in _score_cells(model, ds, "default", config, _metrics(ds), False)))
        for label, model, dss in mixes
    ) + reference_rows("Static+DAVIS+YouTubeVOS", mixes[-1][2], full=True),
        notes=ablation_notes(config, tuple(model for _, model, _ in mixes[:-1])))
    tables["tableS10_S11_multiscale"] = TableSpec("tableS10_S11_multiscale", (
        Row("XMem", "single-scale", tuple(
            c for ds in ("D17", "D16", "D17td", "Y18", "Y19")
            for c in _score_cells("xmem", ds, "default", config, _metrics(ds), False))),
        Row("XMem", "multi-scale", tuple(
            c for ds in ("D17", "D16", "D17td", "Y18", "Y19")
            for c in _score_cells("xmem", ds, MULTISCALE, config, _metrics(ds), False))),
    ))
    return tables


def multiscale_members(dataset: str, config: dict) -> list[str]:
    """Settings merged into the ``ms`` run of a dataset (Appendix H)."""
    ms = config["inference"]["multiscale"]
    if dataset in YOUTUBE_DATASETS:
        return [multiscale_setting(s, config["inference"]["mem_every_short"], False) for s in ms["youtube_sizes"]]
    members = []
    for size in ms["davis_sizes"]:
        for r in ms["davis_mem_every"]:
            for flip in (False, True):
                members.append(multiscale_setting(size, r, flip))
    return members


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

    def need(kind: str, *runs: Run) -> list[FigureNeed]:
        return [FigureNeed(r, kind) for r in runs]

    figures: dict[str, list[FigureNeed]] = {
        "fig1_memory_vs_quality": need("stats", Run("xmem", "LV1"), Run("stcn", "LV1", "unbounded"))
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
        "figS7_fps_scaling": need("stats", Run("stcn", "LV3", "unbounded"))
        + need("stats", *[Run("xmem", "LV3", ltmax_setting(n))
                          for n in inf.get("fps_ltmax_values", [10000])]),
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
