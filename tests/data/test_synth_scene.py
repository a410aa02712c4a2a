"""Scene sampling and rendering of the synthetic benchmark (events the paper is about)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xmem.data.synth.categories import SHAPE_FAMILIES, TEXTURE_FAMILIES, split_categories
from xmem.data.synth.config import ScenarioConfig
from xmem.data.synth.jobs import plan_features
from xmem.data.synth.motion import Motion, OffScreen
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, VideoFeatures, sample_scene, sample_valid_scene
from xmem.data.synth.shapes import ANIMATED_FAMILIES, draw_shape, sample_shape
from xmem.data.synth.textures import texture_field

SEEN, UNSEEN = split_categories(0, 8)


def request(features: VideoFeatures, length: int = 40, **scenario) -> SceneRequest:
    return SceneRequest(64, 112, length, ScenarioConfig(**scenario), features, SEEN, UNSEEN, noise_key=(1,))


@pytest.mark.parametrize("family", SHAPE_FAMILIES)
def test_shapes_fit_in_their_sprite(family):
    recipe = sample_shape(family, np.random.default_rng(3))
    a, b = draw_shape(recipe, 48, 0.0), draw_shape(recipe, 48, 7.0)
    assert a.dtype == np.uint8 and a.shape == (48, 48)
    assert (a > 127).sum() > 0.1 * 48 * 48
    assert a[0].max() == a[-1].max() == a[:, 0].max() == a[:, -1].max() == 0  # nothing cut off
    assert (not np.array_equal(a, b)) == (family in ANIMATED_FAMILIES)


@pytest.mark.parametrize("family", TEXTURE_FAMILIES)
def test_textures_are_fields_in_unit_range(family):
    fld = texture_field(family, np.random.default_rng(5), 40, 50, scale=12.0)
    assert fld.shape == (40, 50) and fld.dtype == np.float32
    assert 0.0 <= fld.min() and fld.max() <= 1.0 and fld.std() > 0.05


def test_offscreen_push_ramps_and_returns():
    motion = Motion(centre=(50.0, 30.0), amplitude=(0.0, 0.0), freq=((0.0, 0.0), (0.0, 0.0)),
                    phase=((0.0, 0.0), (0.0, 0.0)), radius0=5.0, length=100,
                    offscreen=(OffScreen(20.0, 40.0, (1.0, 0.0), 4.0),), push_distance=200.0)
    xs = [motion.pose(t).x for t in (10, 16, 18, 20, 30, 40, 42, 44, 60)]
    assert xs == pytest.approx([50, 50, 150, 250, 250, 250, 150, 50, 50])
    late = Motion(centre=(50.0, 30.0), amplitude=(0.0, 0.0), freq=((0.0, 0.0), (0.0, 0.0)),
                  phase=((0.0, 0.0), (0.0, 0.0)), radius0=5.0, length=100,
                  offscreen=(OffScreen(-math.inf, 30.0, (0.0, -1.0), 5.0),), push_distance=200.0)
    assert [late.pose(t).y for t in (0, 30, 35, 50)] == pytest.approx([-170, -170, 30, 30])


def test_scene_is_a_function_of_the_stream():
    req = request(VideoFeatures(twin=True, distractor=True, occluder=True, absence=True))
    a = sample_scene(np.random.default_rng(11), req)
    b = sample_scene(np.random.default_rng(11), req)
    for t in (0, 17, 39):
        assert all(np.array_equal(x, y) for x, y in zip(render_frame(a, t), render_frame(b, t)))


def test_twins_distractors_and_occluders():
    req = request(VideoFeatures(twin=True, distractor=True, occluder=True), objects=(2, 2))
    scene = sample_scene(np.random.default_rng(2), req)
    objects = [layer for layer in scene.layers if layer.kind == "object"]
    assert sorted(layer.label for layer in objects) == [1, 2]
    by_label = {layer.label: layer for layer in objects}
    assert by_label[2].appearance is by_label[1].appearance  # identical look, other id
    distractors = [layer for layer in scene.layers if layer.kind == "distractor"]
    assert distractors and all(d.label == 0 for d in distractors)
    assert all(any(d.appearance is o.appearance for o in objects) for d in distractors)
    kinds = [layer.kind for layer in scene.layers]
    first_occluder = kinds.index("occluder")
    assert set(kinds[first_occluder:]) == {"occluder"}  # occluders are in front of everything


def test_absent_object_leaves_and_comes_back():
    req = request(VideoFeatures(absence=True), length=60, objects=(1, 1), absence_length=(0.3, 0.3))
    scene = sample_valid_scene(np.random.default_rng(4), req, min_pixels=20)
    visible = [int((render_frame(scene, t)[1] == 1).sum() > 0) for t in range(60)]
    assert visible[0] == 1 and visible[-1] == 1
    gone = [t for t, v in enumerate(visible) if not v]
    assert len(gone) >= 15  # 0.3 * 60 frames fully away, plus the slide out and in
    assert gone == list(range(gone[0], gone[-1] + 1))  # one contiguous absence


def test_late_entry_is_invisible_until_it_enters():
    req = request(VideoFeatures(late_entry=True), length=50, objects=(2, 2))
    scene = sample_valid_scene(np.random.default_rng(8), req, min_pixels=20)
    late = [layer for layer in scene.layers if layer.motion.offscreen]
    assert len(late) == 1 and late[0].label == 2
    enter = late[0].motion.offscreen[0].end
    assert 0.2 * 50 <= enter <= 0.6 * 50
    counts = [int((render_frame(scene, t)[1] == 2).sum()) for t in range(50)]
    assert max(counts[: int(enter)]) == 0
    assert max(counts[int(enter) + 6:]) > 0
    assert (render_frame(scene, 0)[1] == 1).sum() >= 20


def test_valid_scene_shows_every_object_in_frame_zero():
    for seed in range(6):
        req = request(VideoFeatures(occluder=True, distractor=True), objects=(3, 3))
        scene = sample_valid_scene(np.random.default_rng(seed), req, min_pixels=20)
        labels = render_frame(scene, 0)[1]
        ids = scene.annotated_labels()
        assert ids == list(range(1, len(ids) + 1))
        assert all((labels == i).sum() >= 20 for i in ids)


def test_plan_features_is_stratified():
    scenario = ScenarioConfig(twin_prob=0.3, occluder_prob=0.0, late_entry_prob=0.5, absence_prob=1.0)
    plans = plan_features(0, "X", "val", 10, scenario, unseen_fraction=0.01, exclude=frozenset({0, 1}))
    assert sum(p.twin for p in plans) == round(0.3 * 8)
    assert sum(p.late_entry for p in plans) == 4
    assert not any(p.twin or p.late_entry for p in plans[:2])
    assert sum(p.occluder for p in plans) == 0
    assert all(p.absence for p in plans)
    assert sum(p.unseen for p in plans) == 1  # any p > 0 gives at least one video
    assert plans == plan_features(0, "X", "val", 10, scenario, unseen_fraction=0.01, exclude=frozenset({0, 1}))


def test_drift_that_returns_comes_back_to_the_first_look():
    req = request(VideoFeatures(), length=400, objects=(1, 1), drift_prob=1.0, drift_return_prob=1.0)
    scene = sample_scene(np.random.default_rng(5), req)
    motion = next(layer.motion for layer in scene.layers if layer.label == 1)
    assert motion.drift_returns and motion.colour_ramp is not None and motion.colour_return is not None
    assert motion.colour_ramp[1] <= motion.colour_return[0] and motion.colour_return[1] <= 0.95 * 400
    mixes = [motion.pose(t).mix for t in range(400)]
    assert mixes[0] == 0.0 and max(mixes) == pytest.approx(1.0) and mixes[-1] == 0.0
    middle = motion.pose(199.5)
    assert motion.pose(0).radius == pytest.approx(motion.pose(399).radius, rel=0.2)  # wobble only
    assert abs(math.log(middle.radius / motion.radius0)) > 0.1  # drifted away in between
    assert motion.pose(399).angle - motion.pose(0).angle == pytest.approx(
        motion.sway[0] * (math.sin(motion.sway[1] * 399 + motion.sway[2]) - math.sin(motion.sway[2])))
    one_way = sample_scene(np.random.default_rng(5), request(VideoFeatures(), length=400, objects=(1, 1),
                                                             drift_prob=1.0))
    motion = next(layer.motion for layer in one_way.layers if layer.label == 1)
    assert not motion.drift_returns and motion.colour_return is None and motion.pose(399).mix == 1.0


def test_drift_return_draws_only_for_drifting_objects():
    """Objects that do not drift make no extra random draws: such scenes keep their bytes."""
    a = sample_scene(np.random.default_rng(9), request(VideoFeatures(absence=True, distractor=True), drift_prob=0.0))
    b = sample_scene(np.random.default_rng(9), request(VideoFeatures(absence=True, distractor=True), drift_prob=0.0,
                                                       drift_return_prob=1.0))
    assert all(np.array_equal(x, y) for x, y in zip(render_frame(a, 20), render_frame(b, 20)))
