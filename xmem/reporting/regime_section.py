"""The report's memory-regime section: a profile's long-video memory regime next to the paper's.

Computed, never typed: :func:`xmem.memory.regime.regime_rows` on the profile's ``inference``
settings and, for a synthetic profile, its synthetic-data config and the generated benchmark's
``manifest.json`` when it exists (as ``xmem synth --describe PROFILE --out <data>/synthetic``
prints it). A profile on real data is shown with the paper's description of Long-time Video
(§4.1; the dataset on disk is not read) and the profile's memory settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from xmem.experiments.datasets import synthetic_root
from xmem.experiments.element_counts import key_stride
from xmem.experiments.paths import REPO
from xmem.memory.regime import PAPER, RegimeInputs, regime_rows, render_cells
from xmem.reporting.document import Paragraph, Section, TextTable

TITLE = "Memory regime of the long videos"


def profile_regime_inputs(config: dict) -> tuple[RegimeInputs, str]:
    """(regime inputs of a workflow profile, where its facts come from)."""
    from xmem.data.synth.benchmark import MANIFEST_NAME
    from xmem.data.synth.config import load_synth_config
    from xmem.data.synth.regime_facts import memory_settings, profile_regime

    name = str(config.get("profile") or "profile")
    synthetic = config.get("synthetic") or {}
    if not synthetic.get("enabled"):
        inputs = RegimeInputs(name, PAPER.videos, memory_settings(config["inference"], key_stride("xmem", config)))
        return inputs, "the paper's description of Long-time Video (§4.1; the dataset on disk is not read)"
    path = Path(synthetic["config"])
    path = path if path.is_absolute() else REPO / path  # named relative to the repository, as in the workflow
    manifest_path = Path(synthetic_root(config)) / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    inputs = profile_regime(config["inference"], load_synth_config(path), int(synthetic.get("seed", 0)),
                            manifest, name=name, key_stride=key_stride("xmem", config))
    source = f"the generated data ({manifest_path})" if manifest is not None else \
        f"the configuration ({path.name}; no generated data at {manifest_path})"
    return inputs, source


def regime_section(config: dict) -> Section:
    """The section for ``config`` (a workflow profile): one sentence and the table."""
    inputs, source = profile_regime_inputs(config)
    header, cells = render_cells(regime_rows(inputs), inputs.name)
    intro = (f"Computed from {source} and the profile's inference settings (xmem.memory.regime; "
             "`xmem synth --describe PROFILE` prints the same table), next to the paper's numbers. "
             "Consolidation, compression and eviction can only be tested where they act.")
    table = TextTable(tuple(header), tuple(tuple(row) for row in cells))
    return Section("memory-regime", TITLE, (Paragraph(intro), table), level=3)
