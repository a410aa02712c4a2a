"""Curriculum, bootstrapping and learning-rate schedules as functions of the stage's progress."""

from __future__ import annotations

import pytest
import torch

from xmem.training.config import BootstrapConfig, CurriculumConfig, StageConfig, config_from_dict
from xmem.training.schedules import is_finetuning, keep_fraction_at, lr_at, lr_milestones, max_skip_at

OFFICIAL = CurriculumConfig()  # 5 -> 10 -> 15 -> 5 at 10 / 30 / 90 %


@pytest.mark.parametrize("it,skip", [(0, 5), (9_999, 5), (10_000, 10), (29_999, 10), (30_000, 15), (89_999, 15),
                                     (90_000, 5), (109_999, 5)])
def test_curriculum_official_main_stage(it, skip):
    assert max_skip_at(it, 100_000, OFFICIAL) == skip


def test_curriculum_keeps_its_shape_when_scaled():
    scaled = [max_skip_at(it, 100, OFFICIAL) for it in range(110)]
    assert scaled == [5] * 10 + [10] * 20 + [15] * 60 + [5] * 20


def test_bootstrap_fraction_official_numbers():
    b = BootstrapConfig()  # 20K .. 70K of 100K, top_p 0.15
    assert keep_fraction_at(19_999, 100_000, b) == 1.0
    assert keep_fraction_at(20_000, 100_000, b) == pytest.approx(1.0)
    assert keep_fraction_at(45_000, 100_000, b) == pytest.approx(0.15 + 0.85 * 0.5)
    assert keep_fraction_at(70_000, 100_000, b) == pytest.approx(0.15)
    assert keep_fraction_at(100_000, 100_000, b) == pytest.approx(0.15)
    # the same shape at 100 iterations
    assert [keep_fraction_at(i, 100, b) for i in (19, 45, 70)] == pytest.approx([1.0, 0.575, 0.15])


def test_bootstrap_fraction_is_bitwise_the_official_expression():
    # official BootstrappedCE: top_p + (1 - top_p) * ((end_warm - it) / (end_warm - start_warm)).
    # At it = 20001 the other grouping, (1 - top_p) * (end - it) / (end - start), is one ulp off.
    b = BootstrapConfig()
    for it in (20_001, 20_002, 45_678):
        assert keep_fraction_at(it, 100_000, b) == 0.15 + (1 - 0.15) * ((70_000 - it) / (70_000 - 20_000))
    assert 0.15 + (1 - 0.15) * (70_000 - 20_001) / 50_000 != 0.15 + (1 - 0.15) * ((70_000 - 20_001) / 50_000)


def test_static_stage_bootstrap_matches_official_iterations():
    static = config_from_dict({}, check_paths=False).static
    assert static.iterations == 150_000
    assert keep_fraction_at(19_999, 150_000, static.bootstrap) == 1.0
    assert keep_fraction_at(70_000, 150_000, static.bootstrap) == pytest.approx(0.15)


def test_lr_schedule_matches_multisteplr_stepped_every_iteration():
    stage = StageConfig(iterations=50, finetune_fraction=0.1, lr=1e-3, lr_decay_at=(0.4, 0.8), lr_gamma=0.1)
    assert lr_milestones(stage) == [20, 40]
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=stage.lr)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, lr_milestones(stage), stage.lr_gamma)
    for it in range(stage.total_iterations):
        assert opt.param_groups[0]["lr"] == pytest.approx(lr_at(it, stage))
        opt.step()
        sched.step()
    assert lr_at(0, stage) == 1e-3 and lr_at(20, stage) == pytest.approx(1e-4) and lr_at(54, stage) == pytest.approx(1e-5)


def test_paper_main_stage_defaults():
    main = config_from_dict({}, check_paths=False).main
    assert (main.iterations, main.total_iterations, main.batch_size, main.num_frames) == (100_000, 110_000, 8, 8)
    assert (main.num_ref_frames, main.max_objects, main.crop_size) == (3, 3, 384)
    assert lr_milestones(main) == [80_000] and (main.lr, main.weight_decay, main.lr_gamma) == (1e-5, 0.05, 0.1)
    assert not is_finetuning(99_999, main) and is_finetuning(100_000, main)
