"""The workflow's report: ``results/report.md`` and a self-contained ``results/report.html``.

Contents: the profile, the machine, the wall time of the workflow's jobs (Snakemake benchmark
files), a check of the paper's claims against the measured numbers
(:mod:`xmem.reporting.claims`), every table (paper rows next to measured rows) and every
figure. The HTML embeds the figures as base64 data URIs so it can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import os
import platform
from pathlib import Path

import pandas as pd

from xmem.reporting.claim_evidence import claim_evidence, claim_noise
from xmem.reporting.claims import NOT_MEASURABLE, NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, ClaimResult, check_claims
from xmem.reporting.fig_common import Notes, memory_growth, read_stats
from xmem.experiments.paths import Run
from xmem.utils.atomic import write_text_atomic

log = logging.getLogger(__name__)

#: benchmark groups in report order; other files are grouped by their folder or file name
GROUP_ORDER = ("synth", "train", "infer", "evaluate", "figures")
STD_SUFFIX = " std"


# --------------------------------------------------------------------------- inputs
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "processor\t: ")) and ":" in line:
                name = line.split(":", 1)[1].strip()
                if name and not name.isdigit():
                    return name
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


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
        "CPU": _cpu_model(),
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


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def lv1_memory_growth(config: dict) -> tuple[dict[str, float | None], list[str]]:
    """Memory increase per frame (bytes) of XMem (default) and STCN (unbounded) on LV1, as in Fig. 1."""
    notes = Notes()
    out: dict[str, float | None] = {}
    for key, run in (("xmem", Run("xmem", "LV1")), ("stcn", Run("stcn", "LV1", "unbounded"))):
        stats = read_stats(config, run, notes)
        growth = memory_growth(stats) if stats is not None else None
        out[key] = None if growth is None else growth.bytes_per_frame
        if growth is not None:
            notes.add(f"{key}: {growth.describe()}")
    return out, notes.lines


# --------------------------------------------------------------------------- tables
def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """Strings for display: "X std" columns folded into "X" as "mean ± std"."""
    shown = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column.endswith(STD_SUFFIX) and column[: -len(STD_SUFFIX)] in table.columns:
            continue
        values = table[column].map(_cell)
        std_column = column + STD_SUFFIX
        if std_column in table.columns:
            stds = table[std_column].map(_cell)
            values = [f"{v} ± {s}" if v and s else v for v, s in zip(values, stds)]
        shown[column] = values
    return shown


def is_measured(source: str) -> bool:
    return str(source).startswith("measured")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(table: pd.DataFrame) -> str:
    shown = display_table(table)
    lines = ["| " + " | ".join(_md_escape(c) for c in shown.columns) + " |",
             "|" + "---|" * len(shown.columns)]
    for _, row in shown.iterrows():
        cells = [_md_escape(str(v)) for v in row]
        if "source" in shown.columns and is_measured(row["source"]):
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_html(table: pd.DataFrame) -> str:
    shown = display_table(table)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = []
    for _, row in shown.iterrows():
        kind = "measured" if "source" in shown.columns and is_measured(row["source"]) else "paper"
        body.append(f'<tr class="{kind}">' + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------- rendering
def _claims_markdown(claims: list[ClaimResult]) -> list[str]:
    lines = []
    for c in claims:
        why = f" Why: {c.why}." if c.why else ""
        lines.append(f"{c.number}. **{c.verdict}** — {c.claim}. Numbers: {c.evidence}.{why}")
    return lines


def _verdict_class(text: str) -> str:
    return {SUPPORTED: "ok", NOT_MEASURABLE: "na", NOT_TESTABLE: "na", WITHIN_NOISE: "na"}.get(text, "bad")


CSS = """
body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eee} td:nth-child(-n+3){text-align:left}
tr.paper{color:#666;background:#fafafa} tr.measured{background:#fff3cd;font-weight:bold}
.ok{color:#1a7f37} .bad{color:#b3261e} .na{color:#777} img{max-width:100%;border:1px solid #ddd}
.banner{background:#fde7e7;border:1px solid #e0a0a0;padding:0.5em 1em}
"""


def write_report(config: dict, table_csvs: list[Path], figure_pngs: list[Path], out_md: Path, out_html: Path) -> None:
    """Write the Markdown and the self-contained HTML report (both atomically)."""
    from xmem.reporting.figures import CAPTIONS

    profile = str(config.get("profile") or "unnamed")
    description = " ".join(str(config.get("description") or "").split())
    tables = {Path(p).stem: pd.read_csv(p) for p in table_csvs}
    growth, growth_notes = lv1_memory_growth(config)
    claims = check_claims(tables, growth, claim_noise(config), claim_evidence(config))
    machine = machine_info(config)
    times = benchmark_times(Path(config["results"]))
    banner = (f"All measured numbers come from the {profile} profile of this harness; rows and points labelled "
              f"'paper' are the published numbers. Do not mistake one for the other.")
    counts = {v: sum(c.verdict == v for c in claims) for v in dict.fromkeys(c.verdict for c in claims)}
    tally = ", ".join(f"{n} {v}" for v, n in counts.items())

    md = [f"# XMem reproduction report — {profile} profile", "", f"> {banner}", "",
          f"**Profile:** {profile}. {description}", "", "## Machine", ""]
    md += [f"- {k}: {v}" for k, v in machine.items()]
    md += ["", "## Wall time of the workflow's jobs", "", "| group | jobs | seconds | h:mm:ss |", "|---|---|---|---|"]
    md += [f"| {r.group} | {r.jobs} | {r.seconds:.1f} | {_hms(r.seconds)} |" for r in times.itertuples()]
    md += ["", f"## Which of the paper's claims the measured numbers support ({tally})", ""]
    md += _claims_markdown(claims)
    md += ["", "Memory growth used by claim 10: " + ("; ".join(growth_notes) or "none"), "", "## Tables", ""]
    for name, table in tables.items():
        md += [f"### {name}", "", "Measured rows in **bold**; the others are the paper's.", "",
               table_markdown(table), ""]
    md += ["## Figures", ""]
    for png in figure_pngs:
        png = Path(png)
        relative = os.path.relpath(png, Path(out_md).parent)
        md += [f"### {png.stem}", "", CAPTIONS.get(png.stem, ""), "", f"![{png.stem}]({relative})", ""]
    write_text_atomic(out_md, "\n".join(md))

    h = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>XMem report — {html.escape(profile)}</title>"
         f"<style>{CSS}</style></head><body>",
         f"<h1>XMem reproduction report — {html.escape(profile)} profile</h1>",
         f"<p class='banner'>{html.escape(banner)}</p>",
         f"<p><b>Profile:</b> {html.escape(profile)}. {html.escape(description)}</p><h2>Machine</h2><ul>"]
    h += [f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in machine.items()]
    h += ["</ul><h2>Wall time of the workflow's jobs</h2><table><tr><th>group</th><th>jobs</th><th>seconds</th>"
          "<th>h:mm:ss</th></tr>"]
    h += [f"<tr><td>{html.escape(r.group)}</td><td>{r.jobs}</td><td>{r.seconds:.1f}</td><td>{_hms(r.seconds)}</td></tr>"
          for r in times.itertuples()]
    h += [f"</table><h2>Which of the paper's claims the measured numbers support ({html.escape(tally)})</h2><ol>"]
    h += [f"<li><b class='{_verdict_class(c.verdict)}'>{html.escape(c.verdict)}</b> — {html.escape(c.claim)}."
          f"<br><small>Numbers: {html.escape(c.evidence)}</small>"
          + (f"<br><small>Why: {html.escape(c.why)}</small>" if c.why else "") + "</li>" for c in claims]
    growth_text = html.escape("; ".join(growth_notes) or "none")
    h += [f"</ol><p><small>Memory growth used by claim 10: {growth_text}</small></p>",
          "<h2>Tables</h2><p>Highlighted rows are measured in this profile; grey rows are the paper's.</p>"]
    for name, table in tables.items():
        h += [f"<h3>{html.escape(name)}</h3>", table_html(table)]
    h += ["<h2>Figures</h2>"]
    for png in figure_pngs:
        png = Path(png)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        h += [f"<h3>{html.escape(png.stem)}</h3><p>{html.escape(CAPTIONS.get(png.stem, ''))}</p>",
              f"<img alt='{html.escape(png.stem)}' src='data:image/png;base64,{data}'>"]
    h += ["</body></html>"]
    write_text_atomic(out_html, "\n".join(h))
    log.info("wrote %s and %s (%d tables, %d figures)", out_md, out_html, len(tables), len(figure_pngs))
