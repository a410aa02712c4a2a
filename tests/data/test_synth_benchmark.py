"""``xmem synth`` on the smoke profile: determinism, layouts, the events of the paper."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xmem.cli import main
from xmem.data import DATASET_NAMES, generate_benchmark, load_synth_config
from xmem.errors import XMemError
from xmem.utils.masks import DAVIS_PALETTE, read_index_mask, read_palette

SMOKE = Path(__file__).resolve().parents[2] / "config" / "synth" / "smoke.yaml"


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stems(folder: Path, suffix: str) -> list[str]:
    return sorted(p.stem for p in folder.iterdir() if p.suffix == suffix)


@pytest.fixture(scope="module")
def cfg():
    return load_synth_config(SMOKE)


@pytest.fixture(scope="module")
def bench(tmp_path_factory, cfg) -> Path:
    root = tmp_path_factory.mktemp("synth") / "seed0"
    generate_benchmark(root, cfg, seed=0)
    return root


def test_same_seed_same_bytes_regardless_of_processes_and_selection(bench, cfg, tmp_path):
    again = tmp_path / "again"
    generate_benchmark(again, cfg, seed=0, processes=2)
    first, second = tree(bench), tree(again)
    assert sorted(first) == sorted(second)
    assert all(first[k] == second[k] for k in first)
    only = tmp_path / "only"
    manifest = generate_benchmark(only, cfg, seed=0, only=["YouTube2018"])
    assert sorted(manifest["datasets"]) == ["YouTube2018"]
    assert sorted(p.name for p in only.iterdir()) == ["YouTube2018", "manifest.json"]
    part = tree(only / "YouTube2018")
    assert part and all(part[k] == first[f"YouTube2018/{k}"] for k in part)


def test_different_seed_different_content(bench, cfg, tmp_path):
    other = tmp_path / "seed1"
    generate_benchmark(other, cfg, seed=1, only=["DAVIS", "static"])
    ours = {hashlib.sha1(v).hexdigest() for k, v in tree(bench).items() if k.endswith(".jpg")}
    theirs = {hashlib.sha1(v).hexdigest() for k, v in tree(other).items() if k.endswith(".jpg")}
    assert theirs and not ours & theirs


def test_manifest_is_complete(bench, cfg):
    manifest = json.loads((bench / "manifest.json").read_text())
    assert manifest["format"] == "xmem-synth/1" and manifest["seed"] == 0
    assert sorted(manifest["datasets"]) == sorted(DATASET_NAMES)
    assert manifest["config"]["davis"]["val"]["videos"] == cfg.davis.val.videos
    assert len(manifest["categories"]["unseen"]) == cfg.unseen_categories
    assert {"numpy", "opencv", "pillow", "python", "xmem"} <= set(manifest["versions"])
    trainval = bench / "DAVIS" / "2017" / "trainval" / "JPEGImages" / "480p"
    train = (bench / "DAVIS/2017/trainval/ImageSets/2017/train.txt").read_text().split()
    assert manifest["datasets"]["DAVIS"]["2017/train"]["frames"] == sum(len(os.listdir(trainval / v)) for v in train)
    lv = manifest["datasets"]["long_video"]
    assert lv["frames"] == sum(cfg.long_video.lengths)
    assert lv["annotated_frames"] == len(list((bench / "long_video" / "Annotations").rglob("*.png")))
    assert not [p for p in bench.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_davis_layout(bench, cfg):
    tv = bench / "DAVIS" / "2017" / "trainval"
    train = (tv / "ImageSets/2017/train.txt").read_text().split()
    val = (tv / "ImageSets/2017/val.txt").read_text().split()
    d16 = (tv / "ImageSets/2016/val.txt").read_text().split()
    assert len(train) == cfg.davis.train.videos and len(val) == cfg.davis.val.videos
    assert sorted(os.listdir(tv / "JPEGImages/480p")) == sorted(train + val)
    assert len(d16) == cfg.davis.single_object_val_videos and set(d16) <= set(val)
    void_frames = 0
    for video in train + val:
        frames = stems(tv / "JPEGImages/480p" / video, ".jpg")
        assert frames == [f"{t:05d}" for t in range(len(frames))]
        assert stems(tv / "Annotations/480p" / video, ".png") == frames
        first = read_index_mask(tv / "Annotations/480p" / video / "00000.png")
        assert read_palette(tv / "Annotations/480p" / video / "00000.png") == DAVIS_PALETTE
        ids = sorted(set(np.unique(first).tolist()) - {0})
        assert ids and ids == list(range(1, len(ids) + 1)) and 255 not in ids
        for name in frames[1:]:
            mask = read_index_mask(tv / "Annotations/480p" / video / f"{name}.png")
            assert set(np.unique(mask).tolist()) <= set(ids) | {0, 255}
            if 255 in mask:
                assert video in val and (mask[: cfg.davis.void_band_rows] == 255).all()
                void_frames += 1
        with Image.open(tv / "JPEGImages/480p" / video / "00000.jpg") as img:
            assert img.size == (cfg.width, cfg.height) and img.mode == "RGB"
    assert void_frames >= 1
    for video in d16:
        d16_root = bench / "DAVIS" / "2016"
        frames = stems(tv / "JPEGImages/480p" / video, ".jpg")
        assert stems(d16_root / "Annotations/480p" / video, ".png") == frames
        for name in frames:
            assert (d16_root / f"JPEGImages/480p/{video}/{name}.jpg").read_bytes() == \
                (tv / f"JPEGImages/480p/{video}/{name}.jpg").read_bytes()
            binary = read_index_mask(d16_root / f"Annotations/480p/{video}/{name}.png")
            full = read_index_mask(tv / f"Annotations/480p/{video}/{name}.png")
            assert set(np.unique(binary).tolist()) <= {0, 1}
            assert np.array_equal(binary == 1, full == 1) and set(np.unique(full).tolist()) <= {0, 1, 255}


def test_davis_test_dev_has_first_frame_masks_only(bench, cfg):
    td = bench / "DAVIS" / "2017" / "test-dev"
    videos = (td / "ImageSets/2017/test-dev.txt").read_text().split()
    assert (bench / "DAVIS/2017/test-dev-gt/ImageSets/2017/test-dev.txt").read_text().split() == videos
    assert len(videos) == cfg.davis.test_dev.videos
    for video in videos:
        frames = stems(td / "JPEGImages/480p" / video, ".jpg")
        assert os.listdir(td / "Annotations/480p" / video) == ["00000.png"]
        gt = bench / "DAVIS/2017/test-dev-gt/Annotations/480p" / video
        assert stems(gt, ".png") == frames
        assert (gt / "00000.png").read_bytes() == (td / "Annotations/480p" / video / "00000.png").read_bytes()
        assert read_index_mask(gt / "00000.png").max() >= 1


@pytest.mark.parametrize("dataset", ["YouTube2018", "YouTube2019"])
def test_youtube_layout_and_meta(bench, cfg, dataset):
    yt = bench / dataset
    step = cfg.youtube2018.frame_step
    seen = set((yt / "seen_categories.txt").read_text().split())
    train_meta = json.loads((yt / "train/meta.json").read_text())["videos"]
    assert seen == {o["category"] for v in train_meta.values() for o in v["objects"].values()}
    assert sorted(train_meta) == sorted(os.listdir(yt / "train/JPEGImages")) == sorted(os.listdir(yt / "train/Annotations"))
    for video, info in train_meta.items():
        frames = stems(yt / "train/JPEGImages" / video, ".jpg")
        assert frames == [f"{t:05d}" for t in range(0, step * len(frames), step)]
        assert stems(yt / "train/Annotations" / video, ".png") == frames
        for oid, obj in info["objects"].items():
            assert obj["frames"] and set(obj["frames"]) <= set(frames)
            assert all(int(oid) in read_index_mask(yt / f"train/Annotations/{video}/{f}.png") for f in obj["frames"])

    valid_meta = json.loads((yt / "valid/meta.json").read_text())["videos"]
    assert sorted(valid_meta) == sorted(os.listdir(yt / "valid/JPEGImages")) == \
        sorted(os.listdir(yt / "all_frames/valid_all_frames/JPEGImages")) == sorted(os.listdir(yt / "valid_gt/Annotations"))
    late = unseen = 0
    for video, info in valid_meta.items():
        all_frames = stems(yt / "all_frames/valid_all_frames/JPEGImages" / video, ".jpg")
        assert all_frames == [f"{t:05d}" for t in range(len(all_frames))]
        frames = stems(yt / "valid/JPEGImages" / video, ".jpg")
        assert frames == all_frames[::step]
        for name in frames:
            assert (yt / f"valid/JPEGImages/{video}/{name}.jpg").read_bytes() == \
                (yt / f"all_frames/valid_all_frames/JPEGImages/{video}/{name}.jpg").read_bytes()
        assert stems(yt / "valid_gt/Annotations" / video, ".png") == frames
        firsts = {oid: obj["frames"][0] for oid, obj in info["objects"].items()}
        assert "00000" in firsts.values()
        assert stems(yt / "valid/Annotations" / video, ".png") == sorted(set(firsts.values()))
        for name in set(firsts.values()):
            ids = set(np.unique(read_index_mask(yt / f"valid/Annotations/{video}/{name}.png")).tolist()) - {0}
            assert ids == {int(oid) for oid, first in firsts.items() if first == name}
        for oid, obj in info["objects"].items():
            assert obj["frames"] == frames[frames.index(firsts[oid]):]
            before = frames[: frames.index(firsts[oid])]
            assert all(int(oid) not in read_index_mask(yt / f"valid_gt/Annotations/{video}/{f}.png") for f in before)
            late += firsts[oid] != "00000"
            unseen += obj["category"] not in seen
        assert sorted(info["objects"]) == [str(i) for i in range(1, len(info["objects"]) + 1)]
    assert late >= 1 and unseen >= 1  # objects entering later; unseen categories measurable


def test_long_video_ground_truth_is_sparse(bench, cfg):
    lv = bench / "long_video"
    videos = sorted(os.listdir(lv / "JPEGImages"))
    assert len(videos) == len(cfg.long_video.lengths)
    manifest = json.loads((bench / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["videos"]["long_video"]}
    assert sorted(len(os.listdir(lv / "JPEGImages" / v)) for v in videos) == sorted(cfg.long_video.lengths)
    for video in videos:
        frames = stems(lv / "JPEGImages" / video, ".jpg")
        masks = stems(lv / "Annotations" / video, ".png")
        assert masks == frames[:: cfg.long_video.gt_every] and len(masks) < len(frames)
        assert read_index_mask(lv / "Annotations" / video / "00000.png").max() >= 1
        visible = entries[video]["frames_visible"]
        assert min(visible.values()) < len(frames)  # someone leaves for a while (absence_prob = 1)
        absences = entries[video]["absences"]
        assert sorted(absences) == sorted(visible)
        for oid, runs in absences.items():
            labels = [read_index_mask(lv / "Annotations" / video / f"{m}.png") for m in masks]
            for m, label in zip(masks, labels):  # an annotated frame inside an absence shows (almost) nothing
                inside = any(a <= int(m) <= b for a, b in runs)
                if inside:
                    assert (label == int(oid)).sum() < max(4, 0.003 * label.size)
            assert all(0 <= a <= b < len(frames) for a, b in runs)
    longest = max(b - a + 1 for e in entries.values() for runs in e["absences"].values() for a, b in runs)
    assert manifest["datasets"]["long_video"]["longest_absence"] == longest > 0
    with Image.open(next((lv / "JPEGImages").rglob("*.jpg"))) as img:
        assert img.size == (cfg.long_video.width, cfg.long_video.height)


def test_static_images(bench, cfg):
    for subset in cfg.static.subsets:
        folder = bench / "static" / subset
        assert stems(folder, ".jpg") == stems(folder, ".png")
        assert len(stems(folder, ".jpg")) == cfg.static.images_per_subset
        for png in sorted(folder.glob("*.png"))[:3]:
            with Image.open(png) as img:
                assert img.mode == "L" and img.size == (cfg.static.width, cfg.static.height)
                assert set(np.unique(np.array(img)).tolist()) == {0, 255}


def test_refuses_to_overwrite_foreign_folders(cfg, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(XMemError, match="not a synthetic benchmark"):
        generate_benchmark(tmp_path / "mine", cfg, seed=0, only=["static"])
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    with pytest.raises(XMemError, match="--only"):
        generate_benchmark(tmp_path / "x", cfg, seed=0, only=["DAVIS2017"])
    with pytest.raises(XMemError, match="--seed"):
        generate_benchmark(tmp_path / "x", cfg, seed=-1)
    # an earlier benchmark is replaced as a whole
    generate_benchmark(tmp_path / "bench", cfg, seed=0, only=["static", "long_video"])
    generate_benchmark(tmp_path / "bench", cfg, seed=0, only=["static"])
    assert sorted(p.name for p in (tmp_path / "bench").iterdir()) == ["manifest.json", "static"]


def test_describe_prints_the_regime_next_to_the_paper(bench, tmp_path, capsys):
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"profile: smoke\nsynthetic: {{config: {SMOKE}, seed: 0}}\n"
                       "inference: {size: -1, mem_every_long: 10, prototype_counts: [2], ltmax_values: [20],\n"
                       "            memory: {long_video: {num_prototypes: 2, max_long_term_elements: 20}}}\n")
    assert main(["synth", "--describe", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "facts from the configuration (not generated)" in out
    assert "| consolidations per 1x video | 0 | 45 | 0× |" in out  # 40-60 frames: 4-6 memory frames
    assert "| elements per memory frame E | 28 elements | 1,620 elements |" in out  # 64x112
    assert "| compression ratio (T_max-T_min)*E/P | 7,000% | 6,328% | 1.11× |" in out
    assert "| Table S1 LT_max = 20: 3x elements / LT_max |" in out
    assert main(["synth", "--describe", str(profile), "--out", str(bench)]) == 0
    out = capsys.readouterr().out
    assert f"facts from generated data in {bench}" in out and "measured in the generated data" in out
    assert main(["synth", "--describe", str(profile), "--out", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["synth", "--describe", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["synth", "--out", str(out), "--config", str(SMOKE), "--seed", "3", "--only", "long_video"]) == 0
    assert (out / "manifest.json").is_file() and "long_video" in capsys.readouterr().out
    assert main(["synth", "--out", str(out), "--config", str(tmp_path / "none.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bl30k_stand_in_has_the_real_layout_many_objects_and_every_frame_labelled(bench, cfg):
    from xmem.training.sampling import SampleKey
    from xmem.training.video_data import VideoClipDataset, bl30k_videos

    root = bench / "BL30K"
    videos = sorted(p.name for p in (root / "JPEGImages").iterdir())
    assert len(videos) == cfg.bl30k.train.videos
    manifest = json.loads((bench / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["videos"]["BL30K"]}
    lo, hi = cfg.bl30k.train.scenario.objects
    for name in videos:
        frames = stems(root / "JPEGImages" / name, ".jpg")
        assert stems(root / "Annotations" / name, ".png") == frames  # exact masks on every frame
        labels = np.unique(np.concatenate([read_index_mask(root / "Annotations" / name / f"{f}.png").ravel()
                                           for f in frames]))
        assert 255 not in labels and lo <= entries[name]["objects"] <= hi  # no void, many objects
        assert set(labels) - {0} <= set(range(1, entries[name]["objects"] + 1))
        assert read_palette(root / "Annotations" / name / f"{frames[0]}.png")[:48] == DAVIS_PALETTE[:48]
    # the training loader of the BL30K stage (official stage 1) reads it unchanged
    loaded = bl30k_videos(root, min_frames=8)
    assert sorted(v.name for v in loaded) == videos
    clip = VideoClipDataset(loaded, num_frames=8, crop_size=32, is_bl30k=True, name="bl30k")
    sample = clip[SampleKey(index=0, seed=(0, 1), max_skip=5, finetune=False)]
    assert sample["images"].shape == (8, 3, 32, 32)
