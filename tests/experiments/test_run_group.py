"""Run groups: planning (groups.group_key / group_runs, plan.all_runs) and execution (execute.run_group).

The central claim of :mod:`xmem.experiments.execute`: a shorter Long-time Video variant LVk
*derived* from the longest variant LVn of the same offset (masks linked, statistics cut)
scores exactly like running ``xmem infer`` on LVk itself. It is checked on a tiny generated
Long-time-Video-like dataset (LV1 built here, LV2 / LV3 with ``extend_dataset``) and a tiny
seeded random network, with r = 3 so that memory insertion and consolidation happen.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from xmem.cli import main
from xmem.data.long_video_variants import extend_dataset
from xmem.errors import XMemError
from xmem.inference.baselines import copy_first_frame
from xmem.inference.datasets import list_videos
from xmem.model.checkpoint import save_network
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.experiments import groups as G
from xmem.experiments import plan as P
from xmem.experiments.datasets import dataset_layout
from xmem.experiments.execute import run_group
from xmem.experiments.groups import GroupJob
from xmem.experiments.paths import Run, RunPaths
from xmem.experiments.settings import inference_config, is_long, long_times
from xmem.inference.config import InferenceConfig
from xmem.methods import get_method
from xmem.utils.masks import read_index_mask, write_index_mask

H, W = 64, 64
LV1_FRAMES = {"alpha": 16, "beta": 13}  # the last frame of both is a memory frame of LV3 at offset 0
GT_EVERY = 3  # sparse ground truth: frames 0, 3, 6, ...
MEM_EVERY = 3  # r on Long-time Video in this test profile
SCORE_FILES = ("global_results.csv", "per-sequence_results.csv", "per-frame_results.csv")
STAT_IDS = ["video", "frame_index", "frame"]
STAT_MEMORY = ["is_memory_frame", "memory_bytes", "work_elements", "long_elements", "consolidations",
               "evicted_elements"]

# --------------------------------------------------------------------------- planning
PLAN_CONFIG = {
    "inference": {
        "size": -1, "mem_every_short": 5, "mem_every_long": 10, "hires_size": 160, "offsets": 3,
        "long_times": [1, 2, 3, 10], "prototype_counts": [64, 128], "ltmax_values": [500, 10000],
        "fps_ltmax_values": [500, 10000],
        "multiscale": {"num_prototypes": 512, "davis_sizes": [-1], "davis_mem_every": [3],
                       "testdev_mem_every": [3, 5], "youtube_sizes": [-1, 144]},
    },
}


def test_group_key_merges_every_long_video_length_of_a_model_and_setting() -> None:
    assert G.LONG_GROUP == "LV"
    assert G.group_key(Run("xmem", "LV1")) == ("xmem", "LV", "default")
    assert G.group_key(Run("xmem", "LV10", "default", 6)) == ("xmem", "LV", "default")
    assert G.group_key(Run("stcn", "LV3", "local_window", 3)) == ("stcn", "LV", "local_window")
    assert G.group_key(Run("stcn", "LV3", "sparse_insertion", 3)) == ("stcn", "LV3", "sparse_insertion")
    assert G.group_key(Run("xmem", "D17", "default", 2)) == ("xmem", "D17", "default")
    assert G.group_key(Run("xmem", "D17td")) == ("xmem", "D17td", "default")
    assert G.group_key(Run("copy", "Y18")) == ("copy", "Y18", "default")


def test_group_runs_sorts_by_offset_then_longest_first_without_duplicates() -> None:
    lv = lambda n, o, s="default": Run("xmem", f"LV{n}", s, o)  # noqa: E731
    runs = [lv(1, 6), lv(2, 0), lv(10, 0), lv(1, 0), lv(3, 6), lv(3, 0), lv(1, 0),  # LV1 o0 twice
            Run("xmem", "D17", "default", 4), Run("xmem", "D17", "default", 0),
            Run("xmem", "D16"), lv(1, 0, "no_long_term")]
    groups = G.group_runs(runs)
    assert set(groups) == {("xmem", "LV", "default"), ("xmem", "D17", "default"), ("xmem", "D16", "default"),
                           ("xmem", "LV", "no_long_term")}
    # LV10 before LV3 before LV2: numerically longest first, not by name
    assert groups["xmem", "LV", "default"] == (lv(10, 0), lv(3, 0), lv(2, 0), lv(1, 0), lv(3, 6), lv(1, 6))
    assert groups["xmem", "D17", "default"] == (Run("xmem", "D17", "default", 0), Run("xmem", "D17", "default", 4))
    assert groups["xmem", "D16", "default"] == (Run("xmem", "D16"),)
    assert groups["xmem", "LV", "no_long_term"] == (lv(1, 0, "no_long_term"),)
    assert G.group_runs([]) == {}


def test_all_runs_covers_tables_figures_and_multiscale_members_once() -> None:
    runs = P.all_runs(PLAN_CONFIG)
    assert len(runs) == len(set(runs))
    for spec in P.build_tables(PLAN_CONFIG).values():
        assert set(spec.runs()) <= set(runs), spec.name
    for name, needs in P.build_figures(PLAN_CONFIG).items():
        assert {n.run for n in needs} <= set(runs), name
    expected = [
        Run("xmem", "LV10"), Run("stcn", "LV10", "sparse_insertion"),  # Fig. 7 only
        Run("stcn", "LV1", "native_insertion"), Run("stcn", "LV3", "unbounded"),  # Fig. 1 / S7 only
        Run("xmem", "LV3", "ltmax500"), Run("xmem", "LV3", "default", 6), Run("copy", "LV1"),
        Run("xmem", "D17", "ms"), Run("xmem", "D17", "ms_s-1_r3"), Run("xmem", "D17td", "ms_s-1_r5_flip"),
        Run("xmem", "Y18", "ms_s144_r5"), Run("xmem", "Y18", "ms_s144_r5_flip"), Run("xmem", "Y19", "ms_s-1_r5"),
        Run("xmem_bl30k", "D17td", "hires"), Run("xmem_bl30k", "Y19", "ms"),
    ]
    for run in expected:
        assert run in runs, run
    assert Run("copy", "LV1", "default", 3) not in runs  # copying the prompt ignores r
    assert Run("xmem", "Y18", "ms_s-1_r3") not in runs  # YouTube-VOS merges sizes only
    assert Run("xmem", "D17", "ms_s-1_r5") not in runs  # r = 5 joins the merge on test-dev only
    assert Run("xmem", "LV3", "default", 5) not in runs  # offsets 0, 3, 6 for r = 10


SCALED_CONFIG = {  # the default profile's kind of settings: element counts x E/1620 and the budget settings
    "inference": {
        **PLAN_CONFIG["inference"], "long_times": [1, 2, 3, 4, 5], "stcn_long_times": [1, 3, 5],
        "memory": {"long_video": {"num_prototypes": 4, "max_long_term_elements": 278},
                   "short_video": {"num_prototypes": 9, "max_long_term_elements": 691}},
        "prototype_counts": [2, 4, 7], "prototype_grid_selections": ["usage"],
        "ltmax_values": [14, 278, 556], "fps_ltmax_values": [14, 278],
        "offsets_for": ["table1"], "stcn_unbounded_dataset": "LV1",
    },
}


def test_grids_come_from_the_profile_and_its_default_run_is_not_run_twice() -> None:
    runs = set(P.all_runs(SCALED_CONFIG))
    lv_settings = {r.setting for r in runs if r.model == "xmem" and is_long(r.dataset)}
    assert {"usage_p2", "usage_p7", "random_p4", "kmeans_p4", "ltmax14", "ltmax556"} <= lv_settings
    assert not lv_settings & {"usage_p4", "ltmax278", "random_p2", "random_p7", "kmeans_p2", "kmeans_p7",
                              "usage_p128", "ltmax10000", "ltmax500"}  # P = 4 / LT_max = 278 is "default"
    tables = P.build_tables(SCALED_CONFIG)
    t6 = [(r.setting, r.paper_setting) for r in tables["table6_consolidation"].rows]
    assert t6 == [("Usage-based P = 2", "Usage-based P = 64"), ("Random P = 4", "Random P = 128"),
                  ("K-means centroid P = 4", "K-means centroid P = 128"), ("Usage-based P = 4", "Usage-based P = 128"),
                  ("Usage-based P = 7", "Usage-based P = 256"), ("No potentiation", ""), ("With potentiation", "")]
    assert tables["table6_consolidation"].rows[3].cells[0].runs == (Run("xmem", "LV3", "default", 0),)
    s1 = tables["tableS1_ltmax"]
    assert [r.paper_setting for r in s1.rows] == ["LTmax=500", "LTmax=10000", "LTmax=20000"]
    assert any("paper LTmax=1000, 2500, 5000, 30000: not run" in n for n in s1.notes)
    stcn, xmem = P.fps_scaling_runs(SCALED_CONFIG)
    assert stcn == Run("stcn", "LV1", "unbounded") and xmem == [(14, Run("xmem", "LV3", "ltmax14")),
                                                                (278, Run("xmem", "LV3", "default"))]


def test_budget_settings_cut_offsets_grid_and_lengths() -> None:
    runs = set(P.all_runs(SCALED_CONFIG))
    offsets_of = lambda model, setting, dataset: {r.offset for r in runs  # noqa: E731
                                                 if (r.model, r.setting, r.dataset) == (model, setting, dataset)}
    assert offsets_of("xmem", "default", "LV3") == {0, 3, 6}  # Table 1
    assert offsets_of("stcn", "sparse_insertion", "LV1") == {0, 3, 6}  # Table 1, Fig. 1 right
    for setting in ("ltmax14", "usage_p2", "random_p4", "no_potentiation", "eager_compression", "local_window"):
        assert offsets_of("xmem", setting, "LV3") == {0}, setting  # Tables 6, 7, S1: offset 0
    assert offsets_of("xmem", "sensory_only", "LV1") == {0}  # Table 4
    assert Run("stcn", "LV3", "unbounded") not in runs and Run("stcn", "LV1", "unbounded") in runs
    assert max(long_times(r.dataset) for r in runs if is_long(r.dataset)) == 5
    assert {r.dataset for r in runs if r.model == "stcn" and r.setting == "sparse_insertion"} == {"LV1", "LV3", "LV5"}


def test_without_budget_settings_the_plan_follows_the_papers_protocol() -> None:
    runs = set(P.all_runs(PLAN_CONFIG))
    for setting in ("ltmax500", "random_p64", "kmeans_p128", "usage_p64", "eager_compression"):
        assert {r.offset for r in runs if r.setting == setting and r.dataset == "LV3"} == {0, 3, 6}, setting
    assert {"random_p64", "random_p128", "kmeans_p64", "kmeans_p128", "usage_p64"} <= {r.setting for r in runs}
    assert Run("stcn", "LV3", "unbounded") in runs
    assert all(r.paper_setting == "" for r in P.build_tables(PLAN_CONFIG)["table6_consolidation"].rows)
    bad = {"inference": {**PLAN_CONFIG["inference"], "offsets_for": ["table2"]}}
    with pytest.raises(XMemError, match="inference.offsets_for: unknown table"):
        P.build_tables(bad)
    bad = {"inference": {**PLAN_CONFIG["inference"], "prototype_grid_selections": ["median"]}}
    with pytest.raises(XMemError, match="prototype_grid_selections: unknown selection"):
        P.build_tables(bad)


def test_paper_counterpart_of_a_scaled_value() -> None:
    assert P.paper_counterpart(7, 4, 128, (64, 128, 256)) == 256  # 224: nearest in ratio
    assert P.paper_counterpart(69, 278, 10000, (500, 1000, 2500, 5000)) == 2500
    assert P.paper_counterpart(1, 4, 128, (64, 128, 256)) is None  # 32: 2x from 64
    assert P.paper_counterpart(128, 128, 128, (64, 128, 256)) == 128
    assert P.paper_counterpart(5, 4, 128, ()) is None


def test_groups_of_all_runs_put_each_offsets_longest_variant_first() -> None:
    runs = P.all_runs(PLAN_CONFIG)
    groups = G.group_runs(runs)
    assert sum(len(g) for g in groups.values()) == len(set(runs))
    assert {r for g in groups.values() for r in g} == set(runs)
    for (model, dataset, setting), members in groups.items():
        assert all((r.model, r.setting) == (model, setting) for r in members)
        if dataset == G.LONG_GROUP:
            assert all(is_long(r.dataset) for r in members)
            for offset in {r.offset for r in members}:
                same = [long_times(r.dataset) for r in members if r.offset == offset]
                assert same[0] == max(same), (model, setting, offset)  # run_group infers it, derives the rest
        else:
            assert all(r.dataset == dataset for r in members)
    xmem_lv = groups["xmem", "LV", "default"]
    assert [(r.dataset, r.offset) for r in xmem_lv] == [
        ("LV10", 0), ("LV3", 0), ("LV2", 0), ("LV1", 0), ("LV3", 3), ("LV1", 3), ("LV3", 6), ("LV1", 6)]
    assert [(r.dataset, r.offset) for r in groups["copy", "LV", "default"]] == [("LV3", 0), ("LV1", 0)]


# --------------------------------------------------------------------------- tiny data and network
def write_lv1(root: Path) -> None:
    """Two videos with two moving squares on noise; ground truth on every GT_EVERY-th frame."""
    for v, (video, frames) in enumerate(LV1_FRAMES.items()):
        rng = np.random.default_rng(v)
        (root / "JPEGImages" / video).mkdir(parents=True)
        for t in range(frames):
            rgb = rng.integers(0, 80, size=(H, W, 3), dtype=np.uint8)
            mask = np.zeros((H, W), np.uint8)
            for k, (y, x) in enumerate(((6 + t, 4 + 2 * t), (40 - t, 44 - t))):
                rgb[y:y + 14, x:x + 14] = (220, 60 + 120 * k, 40)
                mask[y:y + 14, x:x + 14] = k + 1
            Image.fromarray(rgb).save(root / "JPEGImages" / video / f"{t:05d}.jpg", quality=95)
            if t % GT_EVERY == 0:
                write_index_mask(root / "Annotations" / video / f"{t:05d}.png", mask)


def profile_config(tmp: Path) -> dict:
    """Just enough of a real-data workflow profile for settings.inference_config and datasets.dataset_layout."""
    return {
        "profile": "test", "results": str(tmp / "results"), "weights": "train",
        "data": str(tmp / "data"), "synthetic": {"enabled": False}, "datasets": {"LV1": str(tmp / "data" / "lv1")},
        "inference": {"size": -1, "mem_every_long": MEM_EVERY, "mem_every_short": 5, "offsets": MEM_EVERY},
    }


def default_config(run: Run, config: dict) -> InferenceConfig:
    """The inference configuration the workflow gives ``run`` (XMem's defaults plus its setting)."""
    return inference_config(run, config, get_method("xmem").memory)


@pytest.fixture(scope="module")
def lv(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("lv")
    config = profile_config(tmp)
    write_lv1(Path(config["datasets"]["LV1"]))
    for n in (2, 3):
        layout = dataset_layout(f"LV{n}", config)
        extend_dataset(layout.source, layout.data_root, n)
    torch.manual_seed(0)  # a tiny random network, the same in every run
    weights = tmp / "tiny.pth"
    save_network(XMemNetwork(NetworkConfig.profile("tiny")).eval(), weights)
    return {"tmp": tmp, "config": config, "weights": weights}


def make_job(config: dict, results: Path, runs: list[Run], weights: Path | None, options=None) -> GroupJob:
    """The job the workflow's ``group_job`` builds for these runs (one group); ``options(run,
    config)`` replaces the inference configuration of each run."""
    config = {**config, "results": str(results)}
    (_, members), = G.group_runs(runs).items()
    job = G.group_job(config, members, None if weights is None else str(weights))
    if options is None:
        return job
    return dataclasses.replace(job, runs=tuple(dataclasses.replace(spec, config=options(spec.run, config))
                                              for spec in job.runs))


def infer_argv(config: InferenceConfig) -> list[str]:
    """``xmem infer`` options for the settings these tests vary."""
    m = config.memory
    return ["--size", str(config.size), "--mem-every", str(config.mem_every), "--mem-offset", str(config.mem_offset),
            "--strategy", m.strategy, "--max-memory-frames", str(m.max_memory_frames),
            "--min-mid-term-frames", str(m.min_work_frames), "--max-mid-term-frames", str(m.max_work_frames),
            "--max-long-term-elements", str(m.max_long_term_elements)]


def direct_run(lv: dict, run: Run, out: Path, config: InferenceConfig) -> Path:
    """``xmem infer`` and ``xmem evaluate`` on the variant itself, by hand (not via run_group)."""
    layout = dataset_layout(run.dataset, lv["config"])
    ev = layout.evaluation
    assert main(["infer", "--model", "xmem", "--weights", str(lv["weights"]), "--dataset", layout.ref.kind,
                 "--data", layout.ref.root, "--save", G.save_mode(run.dataset),
                 "--out", str(out / "masks"), "--stats-dir", str(out / "stats"), *infer_argv(config),
                 "--device", "cpu", "--no-progress"]) == 0
    assert main(["evaluate", "--gt", ev.gt, "--pred", str(out / "masks"), "--out", str(out / "scores"),
                 "--mode", ev.mode, "--processes", "1"]) == 0
    return out


def gt_frames(config: dict, code: str) -> dict[str, list[str]]:
    gt = Path(dataset_layout(code, config).evaluation.gt)
    return {v: sorted(p.stem for p in (gt / v).glob("*.png")) for v in LV1_FRAMES}


OFFSETS = (0, 1)
DERIVED = [(f"LV{k}", o) for k in (1, 2) for o in OFFSETS]


@pytest.fixture(scope="module")
def xmem_group(lv) -> dict:
    """One XMem group: LV3, LV2 and LV1 at offsets 0 and 1, plus LV1 / LV2 run directly."""
    results = lv["tmp"] / "results"
    runs = [Run("xmem", f"LV{n}", "default", o) for n in (1, 2, 3) for o in OFFSETS]
    job = make_job(lv["config"], results, runs, lv["weights"])
    stale = job.runs[-1].run_dir / "stale.txt"  # leftovers of an interrupted job are replaced
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    records = run_group(job)
    direct = {(code, o): direct_run(lv, Run("xmem", code, "default", o), lv["tmp"] / "direct" / f"{code}_o{o}",
                                    default_config(Run("xmem", code, "default", o), lv["config"]))
              for code, o in DERIVED}
    return {"job": job, "records": records, "results": results, "direct": direct, "stale": stale}


def run_dir(group: dict, code: str, offset: int) -> Path:
    return group["results"] / Run("xmem", code, "default", offset).path


def stats_of(folder: Path, video: str) -> pd.DataFrame:
    return pd.read_csv(folder / "stats" / f"{video}.csv", dtype={"frame": str})


# --------------------------------------------------------------------------- the derivation claim
@pytest.mark.parametrize(("code", "offset"), DERIVED)
def test_derived_run_scores_exactly_like_running_the_variant(xmem_group, lv, code, offset) -> None:
    derived, direct = run_dir(xmem_group, code, offset), xmem_group["direct"][code, offset]
    for name in SCORE_FILES:
        pd.testing.assert_frame_equal(pd.read_csv(derived / "scores" / name), pd.read_csv(direct / "scores" / name),
                                      check_exact=True, obj=f"{code} o{offset} {name}")
    assert len(pd.read_csv(derived / "scores" / "per-frame_results.csv")) > 0
    for video, frames in gt_frames(lv["config"], code).items():
        for frame in frames:  # every ground-truth frame has the same predicted mask
            assert np.array_equal(read_index_mask(derived / "masks" / video / f"{frame}.png"),
                                  read_index_mask(direct / "masks" / video / f"{frame}.png")), (video, frame)


def test_memory_schedule_changes_the_masks(xmem_group, lv) -> None:
    """The equality above is meaningful: predictions depend on what is in memory."""
    o0, o1 = run_dir(xmem_group, "LV3", 0), run_dir(xmem_group, "LV3", 1)
    frames = [(v, f) for v, fs in gt_frames(lv["config"], "LV3").items() for f in fs]
    differ = [(v, f) for v, f in frames if not np.array_equal(read_index_mask(o0 / "masks" / v / f"{f}.png"),
                                                               read_index_mask(o1 / "masks" / v / f"{f}.png"))]
    assert differ
    assert (stats_of(o0, "alpha")["memory_bytes"] != stats_of(o1, "alpha")["memory_bytes"]).any()
    # consolidation happened in the part LV2 derives (T_max = 10 working-memory frames)
    assert stats_of(run_dir(xmem_group, "LV2", 0), "alpha")["long_elements"].max() > 0
    # the consolidation counter rises exactly where the working memory shrinks (T_max -> T_min frames)
    lv3 = stats_of(o0, "alpha")
    shrinks = lv3["work_elements"].diff().fillna(0) < 0
    rises = lv3["consolidations"].diff().fillna(lv3["consolidations"].iloc[0]) > 0
    assert shrinks.any() and (shrinks == rises).all()
    assert lv3["consolidations"].iloc[-1] == shrinks.sum()


@pytest.mark.parametrize(("code", "offset"), DERIVED)
def test_derived_stats_are_the_direct_rows_up_to_the_last_frame(xmem_group, code, offset) -> None:
    derived, direct = run_dir(xmem_group, code, offset), xmem_group["direct"][code, offset]
    for video in LV1_FRAMES:
        ours, theirs = stats_of(derived, video), stats_of(direct, video)
        assert len(ours) == len(theirs) == LV1_FRAMES[video] * int(code[2:])
        pd.testing.assert_frame_equal(ours[STAT_IDS], theirs[STAT_IDS], check_exact=True)
        pd.testing.assert_frame_equal(ours[STAT_MEMORY][:-1], theirs[STAT_MEMORY][:-1], check_exact=True)
        assert not theirs["is_memory_frame"].iloc[-1]  # a video's last frame is never memorised
    summary, direct_summary = (pd.read_csv(d / "stats" / "summary.csv") for d in (derived, direct))
    assert list(summary["video"]) == list(direct_summary["video"]) == sorted(LV1_FRAMES)
    assert list(summary["frames"]) == list(direct_summary["frames"])


def test_derived_stats_equal_direct_on_the_last_frame_too(xmem_group) -> None:
    derived, direct = run_dir(xmem_group, "LV1", 0), xmem_group["direct"]["LV1", 0]
    for video in LV1_FRAMES:
        pd.testing.assert_frame_equal(stats_of(derived, video)[STAT_MEMORY], stats_of(direct, video)[STAT_MEMORY])


def test_group_layout_and_records(xmem_group) -> None:
    job = xmem_group["job"]
    assert [(r.run.dataset, r.run.offset) for r in job.runs] == [
        ("LV3", 0), ("LV2", 0), ("LV1", 0), ("LV3", 1), ("LV2", 1), ("LV1", 1)]
    for code, offset in DERIVED:
        masks = run_dir(xmem_group, code, offset) / "masks"
        assert masks.is_symlink() and not os.path.isabs(os.readlink(masks))
        assert masks.resolve() == (run_dir(xmem_group, "LV3", offset) / "masks").resolve()
    for source in (run_dir(xmem_group, "LV3", offset) for offset in OFFSETS):
        assert (source / "masks").is_dir() and not (source / "masks").is_symlink()
        assert len(stats_of(source, "alpha")) == 3 * LV1_FRAMES["alpha"]
    assert not xmem_group["stale"].exists()
    records = xmem_group["records"]
    assert [r.run_dir for r in records] == [r.run_dir for r in job.runs]
    assert [r.derived_from for r in records] == [
        None if r.run.dataset == "LV3" else run_dir(xmem_group, "LV3", r.run.offset) for r in job.runs]
    assert [r.scored for r in records] == [True] * len(job.runs)
    for run in job.runs:
        assert RunPaths(run.run_dir).global_scores.is_file()
    # the marker lists the runs and is the job's last output
    assert job.marker.read_text().splitlines() == [str(r.run_dir) for r in job.runs]
    newest = max(p.lstat().st_mtime_ns for r in job.runs for p in r.run_dir.rglob("*"))
    assert job.marker.stat().st_mtime_ns >= newest


# --------------------------------------------------------------------------- length-dependent schedule
def sparse_options(run: Run, config: dict) -> InferenceConfig:
    """The ``sparse_insertion`` setting with a frame budget small enough to stretch r on these videos."""
    base = default_config(Run(run.model, run.dataset, "sparse_insertion", run.offset), config)
    return dataclasses.replace(base, memory=dataclasses.replace(base.memory, max_memory_frames=4))


def derived_and_direct(lv: dict, name: str, setting: str, options) -> tuple[Path, Path]:
    """LV1 derived from LV3 in one group with ``options``, and LV1 run directly: their run folders."""
    results = lv["tmp"] / f"results_{name}"
    runs = [Run("xmem", "LV3", setting), Run("xmem", "LV1", setting)]
    run_group(make_job(lv["config"], results, runs, lv["weights"], options=options))
    direct = direct_run(lv, runs[1], lv["tmp"] / f"direct_{name}", options(runs[1], lv["config"]))
    return results / runs[1].path, direct


def test_sparse_insertion_runs_are_not_derived_because_lvk_is_no_prefix(lv) -> None:
    """Sparse insertion stretches r to the video length: a derived LV1 would differ from running LV1,
    so the plan keeps every sparse-insertion LV run in its own job."""
    assert G.group_key(Run("xmem", "LV3", "sparse_insertion")) == ("xmem", "LV3", "sparse_insertion")
    assert G.group_key(Run("xmem", "LV3", "local_window")) == ("xmem", "LV", "local_window")
    # force a derivation (a setting the plan groups by LV: local_window), to show why the plan avoids it
    derived, direct = derived_and_direct(lv, "sparse", "local_window", sparse_options)
    assert (derived / "masks").is_symlink()
    derived_jf = pd.read_csv(derived / "scores" / "global_results.csv")["J&F-Mean"].iloc[0]
    direct_jf = pd.read_csv(direct / "scores" / "global_results.csv")["J&F-Mean"].iloc[0]
    assert derived_jf != pytest.approx(direct_jf, abs=1e-4)


def counting_options(run: Run, config: dict) -> InferenceConfig:
    """Consolidation within LV1's frames; long-term usage counted for LV3 (48 frames) but not LV1 (16):
    counting is needed when L / (T_max - T_min) * P >= LT_max, i.e. L * 128 / 2 >= 2000."""
    base = default_config(run, config)
    return dataclasses.replace(base, memory=dataclasses.replace(
        base.memory, min_work_frames=2, max_work_frames=4, max_long_term_elements=2000))


@pytest.mark.xfail(strict=True, reason=(
    "run_group derives LVk from LVn when LVn counts long-term usage (needs_long_term_usage depends on "
    "the video length) and LVk does not: the derived memory_bytes include 8 bytes of usage counters "
    "per long-term element that running LVk never holds (masks and scores are still equal)"))
def test_derived_memory_bytes_match_when_only_the_longer_variant_counts_usage(lv) -> None:
    derived, direct = derived_and_direct(lv, "usage", "default", counting_options)
    pd.testing.assert_frame_equal(pd.read_csv(derived / "scores" / "per-frame_results.csv"),
                                  pd.read_csv(direct / "scores" / "per-frame_results.csv"), check_exact=True)
    ours, theirs = stats_of(derived, "alpha"), stats_of(direct, "alpha")
    assert ours["long_elements"][:-1].max() > 0  # consolidated before the last frame
    pd.testing.assert_frame_equal(ours[STAT_MEMORY][:-1], theirs[STAT_MEMORY][:-1], check_exact=True)


# --------------------------------------------------------------------------- copy baseline and failures
def test_copy_baseline_group_derives_and_scores_like_copying_the_variant(lv, tmp_path) -> None:
    config, results, runs = lv["config"], tmp_path / "results", [Run("copy", "LV1"), Run("copy", "LV3")]
    job = make_job(config, results, runs, None)
    job.marker.parent.mkdir(parents=True)
    job.marker.write_text("stale\n")
    assert [r.run.dataset for r in job.runs] == ["LV3", "LV1"]
    records = run_group(job)
    lv3, lv1 = results / runs[1].path, results / runs[0].path
    assert not (lv3 / "stats").exists() and not (lv1 / "stats").exists()  # no network, no statistics
    assert (lv1 / "masks").is_symlink() and (lv1 / "masks").resolve() == (lv3 / "masks").resolve()
    for video in list_videos("lv", dataset_layout("LV3", config).data_root):  # every frame gets the latest annotation seen, i.e. the prompt
        written = sorted(p.stem for p in (lv3 / "masks" / video.name).glob("*.png"))
        assert written == [f.name for f in video.frames]
        prompt = read_index_mask(video.palette_source)
        assert all(np.array_equal(read_index_mask(lv3 / "masks" / video.name / f"{f}.png"), prompt)
                   for f in written)
    direct = tmp_path / "direct"
    layout = dataset_layout("LV1", config)
    for video in list_videos("lv", layout.data_root):
        copy_first_frame(video, direct / "masks")
    assert main(["evaluate", "--gt", layout.evaluation.gt, "--pred", str(direct / "masks"),
                 "--out", str(direct / "scores"), "--mode", layout.evaluation.mode]) == 0
    for name in SCORE_FILES:
        pd.testing.assert_frame_equal(pd.read_csv(lv1 / "scores" / name), pd.read_csv(direct / "scores" / name),
                                      check_exact=True)
    assert [(r.run_dir, r.derived_from, r.scored) for r in records] == [(lv3, None, True), (lv1, lv3, True)]
    assert job.marker.read_text().splitlines() == [str(lv3), str(lv1)]
    jf = pd.read_csv(RunPaths(lv1).global_scores)["J&F-Mean"].iloc[0]
    assert 0 < jf < 1  # the squares move: copying the prompt is imperfect


def test_unscorable_dataset_is_inferred_but_not_scored(lv, tmp_path) -> None:
    job = make_job(lv["config"], tmp_path / "results", [Run("copy", "LV1")], None)
    job = dataclasses.replace(job, runs=tuple(dataclasses.replace(r, evaluation=None) for r in job.runs))
    records = run_group(job)
    assert (job.runs[0].run_dir / "masks" / "alpha" / "00000.png").is_file()
    assert not (job.runs[0].run_dir / "scores").exists()
    assert [r.scored for r in records] == [False] and job.marker.is_file()


def test_failing_inference_raises_and_leaves_no_marker(lv, tmp_path) -> None:
    results, runs = tmp_path / "results", [Run("xmem", "LV1"), Run("xmem", "LV3")]
    job = make_job(lv["config"], results, runs, tmp_path / "missing.pth")
    job.marker.parent.mkdir(parents=True)
    job.marker.write_text("an earlier complete job's marker\n")
    with pytest.raises(XMemError, match=r"checkpoint .*missing\.pth does not exist"):
        run_group(job)
    assert not job.marker.exists()
    assert not (results / runs[0].path).exists()  # nothing derived from a failed run


def test_group_job_gives_each_run_the_workflow_settings(lv, tmp_path) -> None:
    """The typed job carries what ``xmem infer`` options used to: r, o, size, strategy, save mode."""
    config = {**lv["config"], "inference": {**lv["config"]["inference"], "settings": None}}
    job = make_job(config, tmp_path / "results", [Run("stcn", "LV3", "sparse_insertion", 2)], tmp_path / "w.pth")
    (spec,) = job.runs
    assert job.method == "stcn" and job.weights == str(tmp_path / "w.pth") and not job.save_probs
    assert (spec.config.mem_every, spec.config.mem_offset, spec.config.size) == (MEM_EVERY, 2, -1)
    assert (spec.config.memory.strategy, spec.config.memory.max_memory_frames, spec.config.memory.top_k) == (
        "sparse_insertion", 50, 20)
    assert spec.save == "annotated" and spec.dataset.kind == "lv" and spec.evaluation.mode == "lv"
    with pytest.raises(XMemError, match="not supported by STCN"):
        make_job(config, tmp_path / "results", [Run("stcn", "LV3", "eager_compression")], tmp_path / "w.pth")


@pytest.mark.parametrize(("setting", "native", "expected"), [
    ("auto", True, "bfloat16 autocast"), ("auto", False, "float32"), (False, True, "float32"), (True, False, "bfloat16 autocast")])
def test_inference_precision_is_decided_where_the_job_runs_and_recorded(lv, tmp_path, monkeypatch, setting, native,
                                                                        expected) -> None:
    """``inference.amp`` travels in the job as written and is resolved by ``run_group`` on its machine."""
    from xmem.experiments import execute
    from xmem.utils import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    used = []
    monkeypatch.setattr(execute, "run_dataset", lambda network, videos, config, out, device, save_probs=False:
                        used.append(config.amp))
    monkeypatch.setattr(execute, "load_job_network", lambda job: object())
    config = {**lv["config"], "inference": {**lv["config"]["inference"], "amp": setting}}
    job = make_job(config, tmp_path / "results", [Run("xmem", "LV1", "default", 0)], lv["weights"])
    assert job.amp == setting and job.runs[0].config.amp is False  # the plan itself is machine-independent
    job = dataclasses.replace(job, runs=tuple(dataclasses.replace(r, evaluation=None) for r in job.runs))
    run_group(job)
    assert used == [expected != "float32"]
    assert (job.runs[0].run_dir / "hardware.txt").read_text().strip().endswith(f", {expected}")
