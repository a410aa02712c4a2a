"""Helpers to run the Snakemake workflow in a scratch working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]


def snakemake(workdir: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile with ``workdir`` as working directory."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)


def workflow_config(profile: Path) -> dict:
    """The config the workflow runs with ``--configfile profile``: Snakemake merges the profile
    over the Snakefile's own ``config/config.yaml`` (mappings recursively, other values replace)."""
    import yaml
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load(Path(profile).read_text()))
    return config
