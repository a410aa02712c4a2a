"""The workflow's report: ``results/report.md`` and a self-contained ``results/report.html``.

Contents, each section with an anchor in a table of contents: a summary (the real wall time of
the run, :mod:`xmem.reporting.wall_time`; the scale of the measured numbers against the
paper's; the claims tally), the profile, the machine, the time per rule group (Snakemake
benchmark files), the abbreviations (:mod:`xmem.reporting.vocabulary`), a check of the paper's
claims against the measured numbers (:mod:`xmem.reporting.claims`), every table with a caption
(paper rows next to measured rows, the hardware of FPS and memory numbers named) and every
figure with its caption. Both renderings come from one document (:mod:`xmem.reporting.document`);
the HTML embeds the figures as base64 data URIs so it can be mailed or archived alone.
"""

from __future__ import annotations

import logging
import os
import platform
from pathlib import Path

import pandas as pd

from xmem.experiments.plan import FIG1_MEMORY_RUNS, TABLE_TARGETS
from xmem.reporting.regime_section import regime_section
from xmem.reporting.document import (  # noqa: F401  (display_table, is_measured: part of this module's API)
    Bullets,
    DataTable,
    Image,
    Paragraph,
    Section,
    TextTable,
    anchor_of,
    display_table,
    is_measured,
    to_html,
    to_markdown,
)
from xmem.reporting.claim_evidence import claim_evidence, claim_noise
from xmem.reporting.claim_model import ClaimResult
from xmem.reporting.claims import check_claims
from xmem.reporting.fig_common import Notes, memory_growth, read_stats
from xmem.reporting.tables import HARDWARE
from xmem.reporting.vocabulary import (
    ABBREVIATIONS,
    PAPER_HARDWARE,
    STORE_MEMORY_METRIC,
    TABLE_CAPTIONS,
    measured_hardware,
)
from xmem.reporting.wall_time import WallTime, hms, wall_time
from xmem.utils.atomic import write_text_atomic
from xmem.utils.cpu import cpu_model

log = logging.getLogger(__name__)

#: benchmark groups in report order; other files are grouped by their folder or file name
GROUP_ORDER = ("synth", "train", "infer", "evaluate", "figures")
#: (table, method, dataset, metric) compared with the paper in the report's scale line, first found wins
SCALE_CELLS = ((TABLE_TARGETS["table2"], "XMem", "D17", "J&F"), (TABLE_TARGETS["table1"], "XMem", "LV1", "J&F"),
               (TABLE_TARGETS["table2"], "XMem", "Y18", "G"))
NEAR_PAPER_POINTS = 5.0  # within this many points the measured number is "at the paper's scale"


# --------------------------------------------------------------------------- inputs
def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def machine_info(config: dict) -> dict[str, str]:
    """The machine that wrote the report (CPU, cores, RAM, OS, Python, torch, device)."""
    import torch

    device = str(config.get("device", "cpu"))
    if device == "cuda" and torch.cuda.is_available():
        device += f" ({torch.cuda.get_device_name(0)}, {torch.cuda.device_count()} GPU(s))"
    elif device == "cuda":
        device += " (CUDA not available on the machine that wrote this report)"
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return {
        "CPU": cpu_model(),
        "cores": f"{cores} ({usable} usable by this process)",
        "RAM": _ram_gib(),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "torch": torch.__version__,
        "device": device,
    }


def _group_of(path: Path, root: Path) -> str:
    relative = path.relative_to(root)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def benchmark_times(results: Path) -> pd.DataFrame:
    """Wall time per rule group from ``results/benchmarks/**/*.tsv`` (Snakemake's ``s`` column).

    A folder (infer/, evaluate/, figures/) or a top-level file (synth.tsv, train_<model>.tsv)
    is one group; repeated measurements in one file are averaged. Columns: group, jobs, seconds,
    ordered synth, train_*, infer, evaluate, figures, others, with a final ``total`` row.
    """
    root = results / "benchmarks"
    rows: dict[str, list[float]] = {}
    for path in sorted(root.rglob("*.tsv")) if root.is_dir() else []:
        try:
            table = pd.read_csv(path, sep="\t")
        except (OSError, ValueError, pd.errors.ParserError):
            log.warning("%s: unreadable benchmark file, skipped", path)
            continue
        if "s" not in table.columns or table.empty:
            log.warning("%s: no 's' column, skipped", path)
            continue
        rows.setdefault(_group_of(path, root), []).append(float(pd.to_numeric(table["s"], errors="coerce").mean()))

    def order(group: str) -> tuple[int, str]:
        prefix = group.split("_", 1)[0]
        return (GROUP_ORDER.index(prefix) if prefix in GROUP_ORDER else len(GROUP_ORDER), group)

    out = [{"group": g, "jobs": len(rows[g]), "seconds": float(sum(rows[g]))} for g in sorted(rows, key=order)]
    out.append({"group": "total", "jobs": sum(r["jobs"] for r in out), "seconds": sum(r["seconds"] for r in out)})
    return pd.DataFrame(out, columns=["group", "jobs", "seconds"])


def lv1_memory_growth(config: dict) -> tuple[dict[str, float | None], list[str]]:
    """Memory increase per frame (bytes) of XMem (default) and STCN (native insertion, no cap) on
    LV1: the runs of Fig. 1 left (:data:`FIG1_MEMORY_RUNS`)."""
    notes = Notes()
    out: dict[str, float | None] = {}
    for key, run in FIG1_MEMORY_RUNS.items():
        stats = read_stats(config, run, notes)
        growth = memory_growth(stats) if stats is not None else None
        out[key] = None if growth is None else growth.bytes_per_frame
        if growth is not None:
            notes.add(f"{key}: {growth.describe()}")
    return out, notes.lines



# --------------------------------------------------------------------------- summary lines
def _measured_value(tables: dict[str, pd.DataFrame], table: str, method: str, column: str,
                    measured: bool) -> float | None:
    frame = tables.get(table)
    if frame is None or column not in frame.columns:
        return None
    settings = frame["setting"].map(lambda v: "" if pd.isna(v) else str(v))
    kind = frame["source"].map(is_measured) if measured else frame["source"] == "paper"
    rows = frame[kind & (frame["method"] == method) & (settings == "")]
    value = pd.to_numeric(rows[column], errors="coerce").dropna()
    return float(value.iloc[0]) if len(value) else None


def scale_line(tables: dict[str, pd.DataFrame]) -> str:
    """One line comparing a measured XMem score with the paper's (:data:`SCALE_CELLS`, first found)."""
    for table, method, dataset, metric in SCALE_CELLS:
        column = f"{dataset} {metric}"
        measured = _measured_value(tables, table, method, column, measured=True)
        paper = _measured_value(tables, table, method, column, measured=False)
        if measured is None or paper is None:
            continue
        gap = measured - paper
        verdict = (f"within {NEAR_PAPER_POINTS:g} points of the paper" if abs(gap) <= NEAR_PAPER_POINTS else
                   "a small-scale analogue of the paper's experiments: compare the direction of effects "
                   "between rows, not the values with the paper's")
        return (f"**Scale:** measured {method} {column} {measured:.1f} vs paper {paper:.1f} "
                f"({gap:+.1f} points): {verdict}.")
    return "**Scale:** no XMem score was measured in this profile, so none can be compared with the paper's."


def wall_time_line(clock: WallTime) -> str:
    """The run's real wall time first, then the span of its jobs and their summed time."""
    if clock.invocation_seconds is not None:
        first = (f"**Wall time:** {hms(clock.invocation_seconds)} (h:mm:ss) for the workflow invocation that "
                 f"wrote this report, from its start ({clock.invocation_started}) to the report")
    else:
        first = "**Wall time:** unknown for this invocation (no start marker `logs/workflow_start.json`)"
    parts = [first]
    if clock.span_seconds is not None:
        parallel = f", {clock.parallelism:.2f} jobs at once on average" if clock.parallelism else ""
        parts.append(f"the {clock.jobs} jobs whose outputs are shown ran within {hms(clock.span_seconds)} "
                     f"(first job start to the report; longer than the invocation when earlier invocations "
                     f"produced some outputs)")
        parts.append(f"their times sum to {hms(clock.job_seconds)}{parallel}")
    return "; ".join(parts) + "."


def claims_tally(claims: list[ClaimResult]) -> str:
    counts = {v: sum(c.verdict == v for c in claims) for v in dict.fromkeys(c.verdict for c in claims)}
    return ", ".join(f"{n} {v}" for v, n in counts.items())


def table_caption(name: str, table: pd.DataFrame, config: dict) -> str:
    """The table's caption, which rows are measured, and where hardware-dependent numbers come from."""
    profile = str(config.get("profile") or "unnamed")
    parts = [TABLE_CAPTIONS.get(name, name), f"Measured rows ({profile} profile) in **bold**; the others are "
             "the paper's. Scores in percent."]
    if HARDWARE in table.columns:
        parts.append(f"FPS and memory depend on the hardware (column `{HARDWARE}`): paper rows on an "
                     f"{PAPER_HARDWARE.replace(' (paper)', '')} with the paper's networks, measured rows on "
                     f"{measured_hardware(config)} with this profile's networks; compare them within a "
                     f"source, not across.")
    if any(str(c).endswith(STORE_MEMORY_METRIC) for c in table.columns):
        parts.append(f"`{STORE_MEMORY_METRIC}`: bytes held by the memory stores on CPU (MiB), not a GPU "
                     "allocation; the paper's `max_gpu_memory_MB` is the GPU peak.")
    return " ".join(parts)


# --------------------------------------------------------------------------- sections
def _profile_section(config: dict) -> Section:
    profile = str(config.get("profile") or "unnamed")
    description = " ".join(str(config.get("description") or "").split())
    blocks = [Paragraph(f"**{profile}.** {description}"),
              Paragraph(f"Measured FPS and memory: {measured_hardware(config)}.")]
    return Section("profile", "Profile", tuple(blocks), subsections=(regime_section(config),))


def _claims_section(claims: list[ClaimResult], growth_notes: list[str]) -> Section:
    items = tuple(f"**{c.verdict}** — {c.claim}. Numbers: {c.evidence}" + (f" Why: {c.why}." if c.why else "")
                  for c in claims)
    return Section("claims", f"Which of the paper's claims the measured numbers support ({claims_tally(claims)})",
                   (Bullets(items, ordered=True),
                    Paragraph("Memory growth used by claim 10: " + ("; ".join(growth_notes) or "none"), small=True)))


def _tables_section(tables: dict[str, pd.DataFrame], config: dict, long_csv: str | None) -> Section:
    intro = ["Paper-shaped tables, one per paper table (`tables/<name>.csv`)."]
    if long_csv:
        intro.append(f"Every number of them, paper and measured, one per line with typed setting columns, "
                     f"units and the number of offsets: [{long_csv}]({long_csv}) (columns in "
                     f"`tables/README.md`).")
    subsections = tuple(Section(anchor_of(name), name, (DataTable(t, table_caption(name, t, config)),), level=3)
                        for name, t in tables.items())
    return Section("tables", "Tables", (Paragraph(" ".join(intro)),), subsections=subsections)


def _figures_section(figure_pngs: list[Path], growth_notes: list[str]) -> Section:
    from xmem.reporting.figures import CAPTIONS

    subsections = []
    for png in map(Path, figure_pngs):
        caption = CAPTIONS.get(png.stem, png.stem)
        if png.stem == "fig1_memory_vs_quality" and growth_notes:
            caption += " Frames used here: " + "; ".join(growth_notes) + "."
        subsections.append(Section(anchor_of(png.stem), png.stem, (Image(png, caption),), level=3))
    return Section("figures", "Figures", subsections=tuple(subsections))


def report_sections(config: dict, tables: dict[str, pd.DataFrame], figure_pngs: list[Path],
                    long_csv: str | None = None) -> list[Section]:
    """Every section of the report, in order."""
    growth, growth_notes = lv1_memory_growth(config)
    claims = check_claims(tables, growth, claim_noise(config), claim_evidence(config))
    times = benchmark_times(Path(config["results"]))
    summary = (Paragraph(wall_time_line(wall_time(config["results"]))), Paragraph(scale_line(tables)),
               Paragraph(f"**Claims:** {claims_tally(claims)} ([details](#claims))."))
    time_rows = tuple((r.group, str(r.jobs), f"{r.seconds:.1f}", hms(r.seconds)) for r in times.itertuples())
    return [
        Section("summary", "Summary", summary),
        _profile_section(config),
        Section("machine", "Machine", (Bullets(tuple(f"{k}: {v}" for k, v in machine_info(config).items())),)),
        Section("job-times", "Time per rule group", (TextTable(
            ("group", "jobs", "seconds", "h:mm:ss"), time_rows,
            "Sum of the jobs' times per rule group (Snakemake benchmark files); jobs run in parallel, so the "
            "total exceeds the wall time in the summary."),)),
        Section("abbreviations", "Abbreviations", (Bullets(tuple(f"**{c}**: {m}" for c, m in ABBREVIATIONS)),)),
        _claims_section(claims, growth_notes),
        _tables_section(tables, config, long_csv),
        _figures_section(figure_pngs, growth_notes),
    ]


def write_report(config: dict, table_csvs: list[Path], figure_pngs: list[Path], out_md: Path, out_html: Path,
                 long_csv: Path | None = None) -> None:
    """Write the Markdown and the self-contained HTML report (both atomically)."""
    profile = str(config.get("profile") or "unnamed")
    tables = {Path(p).stem: pd.read_csv(p) for p in table_csvs}
    link = os.path.relpath(long_csv, Path(out_md).parent) if long_csv else None
    sections = report_sections(config, tables, [Path(p) for p in figure_pngs], link)
    title = f"XMem reproduction report — {profile} profile"
    banner = (f"All measured numbers come from the {profile} profile of this harness; rows and points labelled "
              f"'paper' are the published numbers. Do not mistake one for the other.")
    write_text_atomic(out_md, to_markdown(title, banner, sections, Path(out_md).parent))
    write_text_atomic(out_html, to_html(title, banner, sections))
    log.info("wrote %s and %s (%d tables, %d figures)", out_md, out_html, len(tables), len(figure_pngs))
