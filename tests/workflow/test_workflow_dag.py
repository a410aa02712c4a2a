"""Dry runs of every target in every profile, and configuration errors."""

from __future__ import annotations

import re

import pytest
import yaml

from workflow_helpers import REPO, snakemake

TABLE_TARGETS = ["table1", "table2", "table3", "table4", "table5", "table6", "table7", "table8", "tableS1",
                 "tableS2", "tableS3", "tableS4", "tableS5_S9", "tableS10_S11"]
FIGURE_TARGETS = ["fig1", "fig4", "fig7", "figS1", "figS3", "figS7", "timeline"]


def job_counts(stdout: str) -> dict[str, int]:
    """Parse the 'Job stats' block of a dry run; "train" counts both training rules."""
    block = stdout.split("Job stats:")[1].split("\n\n")[0]
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}
    if "train_main" in counts:
        counts["train"] = counts.get("train", 0) + counts.pop("train_main")
    return counts


@pytest.mark.parametrize("profile", ["config/config.yaml", "config/smoke.yaml"])
def test_dry_run_of_every_target(workdir, profile):
    result = snakemake(workdir, *TABLE_TARGETS, *FIGURE_TARGETS, "report", "-n", "--configfile", str(REPO / profile))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["make_table"] == 14 and counts["make_figure"] == 8 and counts["report"] == 1
    # ten models and XMem*, plus (default profile) the ablation reference; the smoke variants' reference
    # is XMem itself (same recipe, training.ablation_reference: xmem)
    assert counts["train"] == {"config/config.yaml": 12, "config/smoke.yaml": 11}[profile] and counts["synth"] == 1
    assert counts["run_group"] > 0 and "infer" not in counts  # one job per group of runs


def test_single_table_needs_only_its_runs(workdir):
    result = snakemake(workdir, "table5", "-n", "--configfile", str(REPO / "config/smoke.yaml"))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    # Table 5: XMem (in smoke also the equal-budget reference) and three variants on Y18 and D17
    # (one job per model and dataset)
    assert counts["train"] == 4 and counts["run_group"] == 8 and counts["make_table"] == 1


def test_shared_static_variant_trains_only_its_later_stages(workdir):
    """xmem_bl30k shares the reference's static stage (same recipe: bit-identical weights) and trains its
    BL30K and main stages alone; the reference saves its static-stage weights."""
    result = snakemake(workdir, "results/models/xmem_bl30k/network.pth", "-n", "-p")
    assert result.returncode == 0, result.stderr[-3000:]
    commands = [line for line in result.stdout.splitlines() if " train --config " in line]
    variant = next(c for c in commands if "default_xmem_bl30k.yaml" in c)
    reference = next(c for c in commands if "default_ablation.yaml" in c)
    assert "'stages=[bl30k,main]'" in variant and "init_weights=results/models/xmem_ablation/network_static.pth" in variant
    assert "runtime.save_stage_networks=true" in reference and "stages=" not in reference


def test_official_weights_skip_training(workdir, tmp_path):
    xmem, stcn = tmp_path / "XMem.pth", tmp_path / "stcn.pth"
    xmem.write_bytes(b"x")
    stcn.write_bytes(b"x")
    result = snakemake(workdir, "table1", "table2", "-n", "--configfile", str(REPO / "config/smoke.yaml"),
                       "--config", "weights=official", f"xmem_weights={xmem}", f"stcn_weights={stcn}")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert "train" not in counts and counts["run_group"] > 0


def test_paper_profile_with_datasets_on_disk(workdir, tmp_path):
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    for key in ("D16", "D17", "Y18", "Y19", "LV1"):
        (tmp_path / key).mkdir()
        config["datasets"][key] = str(tmp_path / key)
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "report", "-n", "--configfile", str(path))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert "synth" not in counts and counts["train"] == 11 and counts["run_group"] > 0


def test_missing_dataset_path_is_a_clear_error(workdir, tmp_path):
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    config["datasets"]["D17"] = str(tmp_path / "no-such-davis")
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "report", "-n", "--configfile", str(path))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "datasets.D17" in out and "does not exist" in out


def test_schema_rejects_bad_values(workdir, tmp_path):
    config = yaml.safe_load((REPO / "config/smoke.yaml").read_text())
    config["device"] = "tpu"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "report", "-n", "--configfile", str(path))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "tpu" in out and "device" in out


def test_schema_rejects_unknown_keys(workdir, tmp_path):
    config = yaml.safe_load((REPO / "config/smoke.yaml").read_text())
    config["inference"]["offset_count"] = 5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "report", "-n", "--configfile", str(path))
    assert result.returncode != 0 and "offset_count" in result.stdout + result.stderr


def test_slurm_profile_dry_run(workdir):
    result = snakemake(workdir, "report", "-n", "--profile", str(REPO / "profiles/slurm"),
                       "--configfile", str(REPO / "config/smoke.yaml"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Job stats" in result.stdout


def test_schema_documents_every_key_and_rejects_unknown_ones():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())

    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}{key}: no description"
            if sub.get("type") == "object" and "properties" in sub:
                assert sub.get("additionalProperties") is False, f"{path}{key}: accepts unknown keys"
            walk(sub, f"{path}{key}.")

    assert schema["additionalProperties"] is False
    walk(schema, "")


def test_workflow_calls_the_package_through_its_own_interpreter():
    rules = "".join(p.read_text() for p in (REPO / "workflow").rglob("*.smk"))
    scripts = "".join(p.read_text() for p in (REPO / "workflow/scripts").glob("*.py"))
    assert not re.search(r'"xmem (synth|extend|train|infer|evaluate)', rules)  # no executable on PATH
    assert "sys.path" not in rules + scripts  # the package is installed
    assert not re.search(r"D16\|D17", rules)  # wildcard constraints come from the plan


def test_every_rule_that_does_work_has_a_log_and_a_benchmark():
    for path in (REPO / "workflow/rules").glob("*.smk"):
        for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", path.read_text(), re.M | re.S):
            if "shell:" in body or "script:" in body:
                assert "log:" in body and "benchmark:" in body, f"{path.name}: rule {name}"
