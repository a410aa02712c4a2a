"""How each number of a table was made: the ``protocol`` column (issue 15, item 6).

For a measured row: per group of datasets run alike, the memory-insertion offsets (count and
which), the processing size, r, the memory settings that differ from the method's defaults, the
model's training recipe (or released weights) and, for FPS / memory cells, the hardware the run
recorded (``hardware.txt`` in its folder). Derived numbers say that they are derived and from
what. Paper rows say whether this harness ran them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from xmem.experiments.paths import HARDWARE_FILE, Run
from xmem.experiments.plan import Cell, Row, multiscale_members
from xmem.experiments.element_counts import model_counts
from xmem.experiments.profile import COPY_MODEL, RELEASED_STCN
from xmem.experiments.settings import MULTISCALE, inference_config, offsets
from xmem.methods import get_method

PAPER_ONLY = "not run by this harness"
PAPER_MEASURED = "published number; the measured row below it was run by this harness"
DERIVED = {
    "compression": "derived, not measured: (T_max - T_min) x key elements per frame / P",
    "delta": "derived: LV3 J&F - LV1 J&F of the same runs",
}


def recipe(model: str, config: dict) -> str:
    """The model's training recipe id (training config file) or its released weights."""
    if model == COPY_MODEL:
        return "no network"
    if model == RELEASED_STCN:
        return f"released weights {config.get('stcn_weights')}"
    if config.get("weights") == "official":
        given = dict(config.get("official_weights") or {})
        given.update({k: config[f"{k}_weights"] for k in ("xmem", "stcn") if config.get(f"{k}_weights")})
        return f"released weights {given.get(model, '(none given)')}"
    return f"recipe {config['training']['models'].get(model, '?')}"


def memory_changes(run: Run, config: dict) -> str:
    """The memory settings of ``run`` that differ from its method's defaults ("" when none)."""
    if run.model == COPY_MODEL:
        return ""
    method = get_method("stcn" if run.model in ("stcn", RELEASED_STCN) else "xmem")
    inference = inference_config(run, config, method.memory)
    changed = [f"{f.name}={getattr(inference.memory, f.name)}" for f in dataclasses.fields(method.memory)
               if getattr(inference.memory, f.name) != getattr(method.memory, f.name)]
    if inference.deep_update_every != -1:
        changed.append(f"deep_update_every={inference.deep_update_every}")
    if inference.flip:
        changed.append("mirrored")
    if inference.memory.strategy == "sparse_insertion":
        changed.append(f"r stretched to memorise at most {inference.memory.max_memory_frames} frames per video")
    return ", ".join(changed)


def run_protocol(run: Run, runs: tuple[Run, ...], config: dict) -> str:
    """r, offsets, size and changed memory settings of a cell's runs (``run`` is the first)."""
    if run.model == COPY_MODEL:
        return "first-frame mask copied (no memory)"
    method = get_method("stcn" if run.model in ("stcn", RELEASED_STCN) else "xmem")
    inference = inference_config(run, config, method.memory)
    size = "native size" if inference.size == -1 else f"shorter side {inference.size} px"
    used = sorted({r.offset for r in runs})
    planned = offsets(config, inference.mem_every)
    count = f"{len(used)} offset{'s' if len(used) > 1 else ''} (o = {', '.join(map(str, used))})"
    if len(used) > 1 and used == planned:
        count += f" of r = {inference.mem_every}, evenly spaced"
    text = f"r = {inference.mem_every}, {count}, {size}"
    changes = memory_changes(run, config)
    return f"{text}, {changes}" if changes else text


def hardware(run: Run, config: dict) -> str:
    path = Path(config["results"]) / run.path / HARDWARE_FILE
    return path.read_text().strip() if path.is_file() else f"device {config.get('device', 'cpu')} (not recorded yet)"


def _cell_protocol(cell: Cell, config: dict) -> str:
    if cell.kind in DERIVED:
        return DERIVED[cell.kind]
    if cell.kind == "n/a" or not cell.runs:
        return "not applicable"
    if cell.runs[0].setting == MULTISCALE:
        members = multiscale_members(cell.dataset, config)
        return (f"probabilities of {len(members)} runs averaged (appendix H, docs/paper_protocol.md): "
                f"{', '.join(members)}, P = {model_counts(cell.runs[0].model, config).multiscale_prototypes}")
    text = run_protocol(cell.runs[0], cell.runs, config)
    if cell.kind in ("fps", "memory_mb"):
        text += f", timed on {hardware(cell.runs[0], config)}"
    return text


def row_protocol(row: Row, config: dict) -> str:
    """The protocol text of a measured row: datasets run alike are listed together."""
    models = sorted({r.model for c in row.cells for r in c.runs})
    groups: dict[str, list[str]] = {}
    for cell in row.cells:
        label = f"{cell.dataset} {cell.metric}" if cell.kind in DERIVED or cell.kind in ("fps", "memory_mb", "n/a") \
            else cell.dataset
        text = _cell_protocol(cell, config)
        names = groups.setdefault(text, [])
        if label not in names:
            names.append(label)
    parts = [f"{', '.join(names)}: {text}" for text, names in groups.items()]
    return "; ".join([", ".join(recipe(m, config) for m in models)] + parts)
