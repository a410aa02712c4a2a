"""Tests for the workflow's figures (xmem.reporting.figures and fig_* modules) on a fake results tree."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from xmem.errors import XMemError
from xmem.experiments.datasets import dataset_layout
from xmem.experiments.paths import Run
from xmem.experiments.plan import FIGURE_NAMES, build_figures
from xmem.experiments.settings import ltmax_setting
from xmem.inference.stats import FRAME_COLUMNS
from xmem.memory.config import MemoryConfig
from xmem.model.checkpoint import save_network
from xmem.model.config import NetworkConfig, at_output_stride
from xmem.model.network import XMemNetwork
from xmem.reporting.fig_common import Notes, growth_window, memory_growth, read_score
from xmem.reporting.fig_consolidation import draw_consolidation
from xmem.reporting.fig_qualitative import overlay_mask, spread
from xmem.reporting.fig_similarity import COLORS, KEYS, PANELS, affinity_colours, similarity_image
from xmem.reporting.figures import CAPTIONS, FIGURES, draw_figure
from xmem.utils.masks import DAVIS_PALETTE, write_index_mask

REPO = Path(__file__).resolve().parents[2]
VIDEOS = ("vidA", "vidB")
STATS_FRAMES = 260
LV_FRAMES = 100  # frames of the fake LV3 videos (ground truth every 20th)
FRAME_HW = (48, 64)


def load_config(tmp_path: Path) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["results"] = str(tmp_path / "results")
    config["data"] = str(tmp_path / "data")
    config["inference"]["long_times"] = [1, 2, 3]
    return config


def fake_score(run: Run) -> float:
    """A distinct, reproducible J&F fraction per run."""
    base = {"xmem": 0.80, "stcn": 0.70, "copy": 0.30}[run.model]
    lv = int(run.dataset[2:]) if run.dataset.startswith("LV") else 0
    return base - 0.01 * lv * (2 if run.model == "stcn" else 0) + 0.001 * run.offset


def write_scores(config: dict, run: Run, jf: float | None = None) -> None:
    folder = Path(config["results"]) / run.path / "scores"
    folder.mkdir(parents=True, exist_ok=True)
    jf = fake_score(run) if jf is None else jf
    pd.DataFrame([{"J&F-Mean": jf, "J-Mean": jf - 0.02, "J-Recall": 0.9, "J-Decay": 0.0, "F-Mean": jf + 0.02,
                   "F-Recall": 0.9, "F-Decay": 0.0}]).to_csv(folder / "global_results.csv", index=False)
    if run.dataset == "LV1":  # per-frame J of the annotated frames (the timeline)
        frames = [f"{t:05d}" for t in range(0, LV_FRAMES, 20)]
        pd.DataFrame([{"sequence": video, "object": obj, "frame": f, "J": jf, "F": jf}
                      for video in VIDEOS for obj in (1, 2) for f in frames]).to_csv(
            folder / "per-frame_results.csv", index=False)


def growth_rate(run: Run) -> float:
    """Bytes added per memory frame (every 10th frame) in the fake logs."""
    return 4000.0 if run.model == "stcn" else 400.0


def fake_log(run: Run, video: str, frames: int = STATS_FRAMES) -> pd.DataFrame:
    index = np.arange(frames)
    memory = 1000 + growth_rate(run) * (index // 10 + 1)
    seconds = 0.01 + (2e-4 * index if run.model == "stcn" else 0.0)
    return pd.DataFrame({
        "video": video, "frame_index": index, "frame": [f"{i:05d}" for i in index], "process_seconds": seconds,
        "is_memory_frame": index % 10 == 0, "memory_bytes": memory, "work_elements": 0, "long_elements": 0,
        "consolidations": 0, "evicted_elements": 0, "rss_bytes": 10**8, "cuda_allocated_bytes": np.nan, "cuda_peak_bytes": np.nan,
    })[FRAME_COLUMNS]


def write_stats(config: dict, run: Run) -> None:
    folder = Path(config["results"]) / run.path / "stats"
    folder.mkdir(parents=True, exist_ok=True)
    for video in VIDEOS:
        fake_log(run, video).to_csv(folder / f"{video}.csv", index=False)
    pd.DataFrame({"video": list(VIDEOS), "frames": STATS_FRAMES, "process_seconds": 1.0}).to_csv(
        folder / "summary.csv", index=False)


def blob_mask(frame: int, shift: int = 0) -> np.ndarray:
    mask = np.zeros(FRAME_HW, np.uint8)
    x = 5 + (frame // 4 + shift) % 40
    mask[10:30, x : x + 15] = 1
    mask[30:44, 40:60] = 2
    return mask


def write_lv3(config: dict) -> None:
    """Frames and ground truth of a fake LV3 dataset."""
    root = Path(dataset_layout("LV3", config).data_root)
    rng = np.random.default_rng(0)
    for video in VIDEOS:
        (root / "JPEGImages" / video).mkdir(parents=True, exist_ok=True)
        for t in range(0, LV_FRAMES, 20):
            rgb = rng.integers(0, 255, (*FRAME_HW, 3), dtype=np.uint8)
            Image.fromarray(rgb).save(root / "JPEGImages" / video / f"{t:05d}.jpg")
            write_index_mask(root / "Annotations" / video / f"{t:05d}.png", blob_mask(t))


def write_masks(config: dict, run: Run) -> None:
    for video in VIDEOS:
        for t in range(0, LV_FRAMES, 20):
            write_index_mask(Path(config["results"]) / run.path / "masks" / video / f"{t:05d}.png",
                             blob_mask(t, shift=3 if run.model == "stcn" else 0))


def build_tree(config: dict) -> None:
    writers = {"scores": write_scores, "stats": write_stats, "masks": write_masks}
    for needs in build_figures(config).values():
        for need in needs:
            writers[need.kind](config, need.run)
    write_lv3(config)


@pytest.fixture
def tree(tmp_path: Path) -> dict:
    config = load_config(tmp_path)
    build_tree(config)
    return config


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        return img.size


@pytest.mark.parametrize("name", [n for n in FIGURES if n != "figS1_consolidation"])
def test_every_figure_draws_a_png(tree: dict, tmp_path: Path, name: str) -> None:
    out = tmp_path / "figures" / f"{name}.png"
    draw_figure(name, tree, out)
    width, height = png_size(out)
    assert width >= 500 and height >= 300
    assert out.stat().st_size > 15_000  # a drawn figure, not an empty canvas
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temporary file left


def test_captions_cover_every_figure_of_the_workflow() -> None:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert set(FIGURES) == set(build_figures(config)) == set(CAPTIONS) == set(FIGURE_NAMES)


def test_unknown_figure_is_a_one_line_error(tree: dict, tmp_path: Path) -> None:
    with pytest.raises(XMemError, match="unknown figure 'fig9'"):
        draw_figure("fig9", tree, tmp_path / "x.png")


def test_missing_runs_are_skipped_and_footnoted(tree: dict, tmp_path: Path) -> None:
    from xmem.reporting.fig_scores import draw_length_scaling, draw_short_vs_long

    missing = Run("stcn", "LV3", "sparse_insertion")
    (Path(tree["results"]) / missing.path / "scores" / "global_results.csv").unlink()
    notes = draw_length_scaling(tree, tmp_path / "fig7.png")
    assert any(n.startswith("skipped stcn LV3 sparse_insertion o0:") and "not found" in n for n in notes)
    # a dataset the profile lacks: D17 absent from a real-data profile
    tree = {**tree, "synthetic": {**tree["synthetic"], "enabled": False}}
    notes = draw_short_vs_long(tree, tmp_path / "fig1.png")
    assert "skipped xmem D17 default o0: DAVIS 2017 not configured in this profile" in notes
    assert (tmp_path / "fig1.png").stat().st_size > 10_000


def test_read_score_is_in_percent(tree: dict) -> None:
    notes = Notes()
    assert read_score(tree, Run("xmem", "D17"), notes) == pytest.approx(80.0)
    assert read_score(tree, Run("xmem", "LV1", "default", 3), notes) == pytest.approx(80.3 - 0.0)
    assert notes.lines == []


def test_memory_growth_uses_frames_100_to_200() -> None:
    run = Run("stcn", "LV1", "unbounded")
    log = pd.concat([fake_log(run, v) for v in VIDEOS])
    growth = memory_growth(log)
    assert growth.windows == ((100, 200), (100, 200)) and growth.paper_window
    assert growth.bytes_per_frame == pytest.approx(4000.0 * 10 / 100)  # 10 memory frames in 100 frames
    assert growth.std == 0.0 and growth.videos == 2


def test_memory_growth_falls_back_to_the_largest_window_on_short_videos() -> None:
    assert growth_window(300) == (100, 200)
    assert growth_window(201) == (100, 200)
    assert growth_window(150) == (49, 149)
    assert growth_window(60) == (0, 59)
    log = fake_log(Run("xmem", "LV1"), "short", frames=150)
    growth = memory_growth(log)
    assert growth.windows == ((49, 149),) and not growth.paper_window
    assert growth.bytes_per_frame == pytest.approx(400.0 * (149 // 10 - 49 // 10) / 100)


def test_fig1_footnotes_the_fallback_window(tree: dict, tmp_path: Path) -> None:
    from xmem.reporting.fig_scores import draw_memory_vs_quality

    stats = Path(tree["results"]) / Run("xmem", "LV1").path / "stats"
    for video in VIDEOS:
        fake_log(Run("xmem", "LV1"), video, frames=120).to_csv(stats / f"{video}.csv", index=False)
    notes = draw_memory_vs_quality(tree, tmp_path / "f.png")
    assert any("XMem: videos shorter than 201 processed frames" in n and "frames 19->119" in n for n in notes)
    assert not any(n.startswith("STCN: videos shorter") for n in notes)


def test_fps_settings_names() -> None:
    paper = {"inference": {}}  # no inference.memory: the paper's LT_max = 10000 is the default run
    assert ltmax_setting(10000, paper) == "default"
    assert ltmax_setting(500, paper) == "ltmax500"
    scaled = {"inference": {"memory": {"long_video": {"num_prototypes": 4, "max_long_term_elements": 278},
                                       "short_video": {"num_prototypes": 9, "max_long_term_elements": 691}}}}
    assert ltmax_setting(278, scaled) == "default"  # the profile's own LT_max, not the paper's
    assert ltmax_setting(10000, scaled) == "ltmax10000"
    assert ltmax_setting(691, scaled) == "ltmax691"  # the short videos' LT_max is not Long-time Video's


def test_overlay_mask_blends_object_pixels_only() -> None:
    image = np.full((2, 3, 3), 100, np.uint8)
    mask = np.array([[0, 1, 2], [255, 1, 0]], np.uint8)
    out = overlay_mask(image, mask, DAVIS_PALETTE, alpha=0.5)
    assert out[0, 0].tolist() == [100, 100, 100] and out[1, 0].tolist() == [100, 100, 100]  # background, void
    assert out[0, 1].tolist() == [114, 50, 50]  # DAVIS colour 1 = (128, 0, 0)
    assert out[0, 2].tolist() == [50, 114, 50]  # DAVIS colour 2 = (0, 128, 0)


def test_spread_picks_evenly() -> None:
    items = [f"{i:05d}" for i in range(0, 200, 20)]
    assert spread(items, 5) == ["00000", "00040", "00080", "00140", "00180"]
    assert spread(items[:3], 5) == items[:3]


def test_similarity_colours_follow_the_scaling_terms() -> None:
    keys = torch.tensor(KEYS, dtype=torch.float64)
    colours = torch.tensor(COLORS, dtype=torch.float64)
    # a query on a memory element takes (mostly) that element's colour
    at_keys = affinity_colours(keys, colours, keys, None, None)
    assert torch.allclose(at_keys.argmax(1), torch.tensor([0, 1, 2]))
    # S = -s * |k - q|^2: a larger s narrows the element's area of influence, so the query
    # halfway between elements 0 and 1 leans away from the element with the larger s
    middle = keys[:2].mean(0, keepdim=True)
    plain = affinity_colours(keys, colours, middle, None, None)[0]
    shrunk = affinity_colours(keys, colours, middle, torch.tensor([1.0, 1.0, 1.0]), None)[0]
    assert torch.allclose(plain, shrunk)
    sharp = affinity_colours(keys, colours, middle, torch.tensor([1.0, 4.0, 1.0]), None)[0]
    assert sharp[1] < plain[1] and sharp[0] > plain[0]
    # selection e = (1, 0): only the horizontal distance counts
    query = torch.tensor([[keys[2, 0].item(), -2.5]], dtype=torch.float64)
    horizontal = affinity_colours(keys, colours, query, None, torch.tensor([1.0, 0.0]))[0]
    assert int(horizontal.argmax()) == 2  # same x as element 2 (blue) although far below it
    image = similarity_image(PANELS[0], resolution=20)
    assert image.shape == (20, 20, 3) and math.isclose(float(image.sum(2).max()), 1.15, rel_tol=0.2)


# --------------------------------------------------------------------------- Fig. S1
def write_tiny_lv1(config: dict, frames: int = 40) -> Path:
    """A Long-time-Video-like clip: two coloured objects, ground truth every 20th frame."""
    root = Path(dataset_layout("LV1", config).data_root)
    (root / "JPEGImages" / "clip").mkdir(parents=True)
    rng = np.random.default_rng(1)
    for t in range(frames):
        rgb = (rng.integers(0, 60, (*FRAME_HW, 3)) + np.linspace(0, 150, FRAME_HW[1])[None, :, None]).astype(np.uint8)
        mask = blob_mask(t)
        rgb[mask == 1] = (200, 40, 40)
        rgb[mask == 2] = (40, 40, 200)
        Image.fromarray(rgb).save(root / "JPEGImages" / "clip" / f"{t:05d}.jpg")
        if t % 20 == 0:
            write_index_mask(root / "Annotations" / "clip" / f"{t:05d}.png", mask)
    return root


def save_tiny_network(config: dict, stride: int = 16) -> None:
    torch.manual_seed(0)
    path = Path(config["results"]) / "models" / "xmem" / "network.pth"
    save_network(XMemNetwork(at_output_stride(NetworkConfig.profile("tiny"), stride)), path)


@pytest.mark.parametrize("stride", [16, 8])
def test_consolidation_figure_with_a_tiny_network(tmp_path: Path, stride: int) -> None:
    config = load_config(tmp_path)
    config["inference"]["size"] = -1
    save_tiny_network(config, stride)
    write_tiny_lv1(config)
    out = tmp_path / "figS1.png"
    memory = MemoryConfig(min_work_frames=2, max_work_frames=5, num_prototypes=8, max_long_term_elements=100)
    notes = draw_consolidation(config, out, threads=1, memory=memory, mem_every=2)
    # memory frames 0, 2, ..., 8: working memory reaches T_max = 5 frames at frame 8;
    # candidates are frames 2, 4, 6 (the first frame and the T_min - 1 newest stay)
    assert any("video clip; memory frames 00000, 00002, 00004, 00006, 00008;" in n for n in notes)
    assert "dataset LV1, its longest video" in notes
    assert any("8 prototypes, 5 shown" in n for n in notes)
    width, height = png_size(out)
    assert width >= 500 and height >= 600
    assert out.stat().st_size > 20_000


def test_consolidation_figure_without_consolidation_says_so(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    config["inference"]["size"] = -1
    save_tiny_network(config)
    write_tiny_lv1(config, frames=12)
    out = tmp_path / "figS1.png"
    config["inference"]["memory"]["long_video"]["num_prototypes"] = 3
    notes = draw_consolidation(config, out, mem_every=10)  # 2 memory frames < T_max = 10
    # the profile's Long-time Video memory (inference.memory.long_video), not the paper's P = 128
    assert notes and notes[0].startswith("settings: r = 10, T_min = 5, T_max = 10, P = 3,")
    assert any(n.startswith("no consolidation: longest LV1 video clip: 12 frames = 2 memory frames at r = 10; "
                            "a consolidation needs T_max = 10 (about 91 frames)") for n in notes)
    assert png_size(out)[0] >= 500


def test_consolidation_figure_needs_weights(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    write_tiny_lv1(config, frames=4)
    with pytest.raises(XMemError, match="network.pth does not exist"):
        draw_consolidation(config, tmp_path / "x.png")


def test_length_scaling_reports_the_least_squares_slopes(tree: dict, tmp_path: Path) -> None:
    from xmem.reporting.fig_scores import draw_length_scaling

    from xmem.reporting.fig_common import planned_runs

    for need in build_figures(tree)["fig7_length_scaling"]:  # every offset, scored like offset 0
        for run in planned_runs(tree, need.run):
            write_scores(tree, run, jf=fake_score(need.run))
    notes = draw_length_scaling(tree, tmp_path / "fig7.png")
    # fake scores: XMem 80 on every LVn, STCN 70 - 2n
    assert "fitted slopes (J&F points per n): XMem +0.00, STCN -2.00" in notes


def test_fig7_stcn_points_follow_stcn_long_times() -> None:
    config = yaml.safe_load(Path("config/config.yaml").read_text())
    config["inference"]["long_times"] = [1, 2, 3, 4]
    config["inference"]["stcn_long_times"] = [1, 4]
    needs = [need.run for need in build_figures(config)["fig7_length_scaling"]]
    assert sorted(r.dataset for r in needs if r.model == "stcn") == ["LV1", "LV4"]
    assert sorted(r.dataset for r in needs if r.model == "xmem") == ["LV1", "LV2", "LV3", "LV4"]
    del config["inference"]["stcn_long_times"]
    needs = [need.run for need in build_figures(config)["fig7_length_scaling"]]
    assert sorted(r.dataset for r in needs if r.model == "stcn") == ["LV1", "LV2", "LV3", "LV4"]


def test_fig1_left_is_in_bytes_per_second_at_24_fps_with_stcn_at_its_native_insertion(tree: dict) -> None:
    """Issue 15 item 4 (§4.1): per-frame increase x 24, STCN's measured at r = 5 before any cap."""
    from xmem.experiments.plan import FIG1_MEMORY_RUNS
    from xmem.experiments.settings import mem_every
    from xmem.reporting.fig_scores import PAPER_FPS, memory_points

    stcn = FIG1_MEMORY_RUNS["stcn"]
    assert mem_every(stcn.dataset, stcn.setting, tree) == 5 and stcn.setting != "unbounded"
    # the r = 10 unbounded run must not be what the figure reads: give it no growth at all
    flat = fake_log(Run("stcn", "LV1", "unbounded"), "vidA").assign(memory_bytes=1000)
    flat.to_csv(Path(tree["results"]) / Run("stcn", "LV1", "unbounded").path / "stats" / "vidA.csv", index=False)
    points = {model: (g.bytes_per_frame * PAPER_FPS, jf) for model, g, jf in memory_points(tree, Notes())}
    assert PAPER_FPS == 24
    assert points["stcn"] == (pytest.approx(4000.0 / 10 * 24), pytest.approx(70.0))
    assert points["xmem"] == (pytest.approx(400.0 / 10 * 24), pytest.approx(80.0))


def test_fig1_axes_name_the_datasets_behind_them(tree: dict) -> None:
    from xmem.reporting.fig_scores import dataset_source

    assert dataset_source("D17", tree) == "DAVIS 2017 val (synthetic stand-in, xmem synth)"
    real = {**tree, "synthetic": {**tree["synthetic"], "enabled": False},
            "datasets": {**tree["datasets"], "LV1": "/datasets/long_video"}}
    assert dataset_source("LV1", real) == "Long-time Video 1× (/datasets/long_video)"
    assert dataset_source("D17", real) == "DAVIS 2017 val (not configured)"
# --------------------------------------------------------------------------- titles, labels, legends
class Captured:
    """The Figure, title and kind a drawing function hands to save_figure (then saved as usual)."""

    def __init__(self, module, monkeypatch):
        self.calls = []
        real = module.save_figure

        def capture(fig, out_png, config, title, notes, measured=True):
            self.calls.append((fig, title, measured))
            real(fig, out_png, config, title, notes, measured)

        monkeypatch.setattr(module, "save_figure", capture)

    @property
    def fig(self):
        return self.calls[-1][0]


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def outside_axes(ax) -> bool:
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    return not legend.overlaps(ax.get_window_extent(renderer))


def test_fig4_is_an_illustration_without_profile_in_its_title(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.reporting import fig_similarity
    from xmem.reporting.fig_common import figure_title

    captured = Captured(fig_similarity, monkeypatch)
    draw_figure("fig4_similarity", tree, tmp_path / "f.png")
    (fig, title, measured), = captured.calls
    assert measured is False and fig._suptitle.get_text() == "Fig. 4: similarity functions in 2-D"
    assert figure_title("Fig. 7", tree) == "Fig. 7 — synthetic profile"


def test_fig1_labels_are_in_a_legend_beside_the_axes(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.reporting import fig_scores

    captured = Captured(fig_scores, monkeypatch)
    draw_figure("fig1_memory_vs_quality", tree, tmp_path / "left.png")
    ax = captured.fig.axes[0]
    assert not ax.texts  # no label drawn on top of a point
    texts = legend_texts(ax)
    assert "XMem (measured): 960 B/s, D17 J&F 80.0" in texts  # 40 B per frame x 24 FPS
    assert "XMem (paper, Table 2): D17 J&F 86.2" in texts and "STCN (paper, Table 2): D17 J&F 85.4" in texts
    assert outside_axes(ax)
    assert "frames 100→200" in ax.get_xlabel() and "frames 100→200" in captured.fig._suptitle.get_text()
    draw_figure("fig1_short_vs_long", tree, tmp_path / "right.png")
    ax = captured.fig.axes[0]
    assert not ax.texts and outside_axes(ax)
    assert "XMem (paper, Tables 1-2): LV1 89.8, D17 86.2" in legend_texts(ax)


def test_fig1_title_names_the_frames_actually_measured(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.experiments.plan import FIG1_MEMORY_RUNS
    from xmem.reporting import fig_scores

    for run in FIG1_MEMORY_RUNS.values():
        stats = Path(tree["results"]) / run.path / "stats"
        for video in VIDEOS:
            fake_log(run, video, frames=60).to_csv(stats / f"{video}.csv", index=False)
    captured = Captured(fig_scores, monkeypatch)
    draw_figure("fig1_memory_vs_quality", tree, tmp_path / "left.png")
    assert "frames 0→59" in captured.fig._suptitle.get_text()
    assert "100→200" not in captured.fig.axes[0].get_xlabel()


def test_fig7_has_error_bars_where_offsets_exist(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.reporting import fig_scores
    from xmem.reporting.fig_common import planned_runs

    runs = planned_runs(tree, Run("xmem", "LV1"))
    offsets = [r.offset for r in runs]
    assert len(offsets) == tree["inference"]["offsets"] > 1 and offsets[0] == 0
    for run in runs:
        write_scores(tree, run)
    captured = Captured(fig_scores, monkeypatch)
    draw_figure("fig7_length_scaling", tree, tmp_path / "f.png")
    ax = captured.fig.axes[0]
    xmem, stcn = ax.containers[:2]
    assert xmem.has_yerr and stcn.has_yerr  # both ran several LV1 offsets (Fig. 1 right needs them)
    # the XMem LV1 point is the mean over the offsets: 80 + 0.1 * mean(offsets)
    assert xmem.lines[0].get_ydata()[0] == pytest.approx(80 + 0.1 * np.mean(offsets))


def test_figS7_draws_one_panel_per_video(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.reporting import fig_fps

    from xmem.experiments.plan import fps_scaling_runs

    stcn_run = fps_scaling_runs(tree)[0]  # STCN without cap on the profile's stcn_unbounded_dataset
    stats = Path(tree["results"]) / stcn_run.path / "stats"
    fake_log(stcn_run, "vidB", frames=120).to_csv(stats / "vidB.csv", index=False)
    captured = Captured(fig_fps, monkeypatch)
    draw_figure("figS7_fps_scaling", tree, tmp_path / "f.png")
    axes = captured.fig.axes
    assert [ax.get_title() for ax in axes] == ["vidA (260 processed frames)", "vidB (260 processed frames)"]
    stcn_b = [line for line in axes[1].lines if line.get_label() == "STCN (unbounded memory)"][0]
    assert len(stcn_b.get_xdata()) == 120  # vidB's own curve, not an average with vidA


def test_figS3_outlines_objects_and_names_them_in_a_legend(tree: dict, tmp_path: Path, monkeypatch) -> None:
    from xmem.reporting import fig_qualitative

    captured = Captured(fig_qualitative, monkeypatch)
    draw_figure("figS3_qualitative", tree, tmp_path / "f.png")
    legends = [ax.get_legend() for ax in captured.fig.axes if ax.get_legend()]
    assert len(legends) == 1 and [t.get_text() for t in legends[0].get_texts()] == ["object 1", "object 2"]
    mask_axes = captured.fig.axes[1:4]  # first column: XMem, STCN, ground truth
    assert all(ax.collections for ax in mask_axes)  # contour lines drawn on every mask
