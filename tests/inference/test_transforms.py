"""Frame preprocessing as the paper's code did it: resize rule, no antialiasing, padding."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from xmem.inference.transforms import (
    image_to_tensor,
    pad_to_multiple,
    resize_image,
    resize_masks,
    resize_probabilities,
    unpad,
)
from xmem.inference.geometry import resized_shape


@pytest.mark.parametrize(
    "height, width, size, expected",
    [
        (480, 854, 480, (480, 854)),
        (1080, 1920, 480, (480, 853)),  # int(480 * 1920 / 1080) = int(853.33)
        (1920, 1080, 480, (853, 480)),  # portrait: the width is the shorter side
        (720, 1280, 480, (480, 853)),
        (100, 100, 480, (480, 480)),
        (123, 457, -1, (123, 457)),  # -1: native resolution
    ],
)
def test_resized_shape_follows_torchvision_shorter_side_rule(height, width, size, expected):
    assert resized_shape(height, width, size) == expected


def test_image_to_tensor_normalises_with_imagenet_statistics():
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0] = 255
    t = image_to_tensor(image)
    assert t.shape == (3, 2, 3)
    assert torch.allclose(t[0], torch.full((2, 3), (1 - 0.485) / 0.229))
    assert torch.allclose(t[1], torch.full((2, 3), -0.456 / 0.224))


def test_resize_image_does_not_antialias():
    # columns repeat [1, 0, 0, 0]; downscaling by 4 samples at x = 4i + 1.5 (between columns
    # 4i+1 and 4i+2, both 0). Without antialiasing that is exactly 0; an antialiasing filter
    # (torchvision's default today) would mix in the 1-columns.
    row = torch.tensor([1.0, 0.0, 0.0, 0.0]).repeat(8)
    image = row.expand(3, 32, 32).clone()
    out = resize_image(image, (8, 8))
    assert out.shape == (3, 8, 8)
    assert torch.equal(out, torch.zeros(3, 8, 8))
    antialiased = F.interpolate(image[None], size=(8, 8), mode="bilinear", antialias=True)[0]
    assert antialiased.abs().max() > 0.1


def test_resize_image_upsamples_bilinearly_and_keeps_batches():
    image = torch.arange(4.0).view(1, 1, 2, 2)
    out = resize_image(image, (4, 4))
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 0 and out[0, 0, 3, 3] == 3  # align_corners=False clamps at the edges
    assert out[0, 0, 1, 1] == pytest.approx(0.75)  # (0.25, 0.25) between the four pixels


def test_resize_masks_is_nearest():
    masks = torch.zeros(2, 4, 4)
    masks[0, :2] = 1
    masks[1, :, 3] = 1
    out = resize_masks(masks, (8, 8))
    assert set(out.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(out[0, :4], torch.ones(4, 8)) and torch.equal(out[0, 4:], torch.zeros(4, 8))
    assert torch.equal(out[1, :, 6:], torch.ones(8, 2)) and out[1, :, :6].sum() == 0


def test_resize_probabilities_back_to_the_input_size():
    prob = torch.rand(3, 10, 16)
    out = resize_probabilities(prob, (20, 32))
    assert out.shape == (3, 20, 32)
    assert resize_probabilities(prob, (10, 16)) is prob


@pytest.mark.parametrize(
    "height, width, expected_pad",
    [
        (100, 150, (5, 5, 6, 6)),  # (left, right, top, bottom)
        (101, 151, (4, 5, 5, 6)),  # odd padding: the extra pixel goes bottom / right
        (480, 864, (0, 0, 0, 0)),
    ],
)
def test_pad_to_multiple_of_16_and_back(height, width, expected_pad):
    x = torch.rand(2, height, width)
    padded, pad = pad_to_multiple(x)
    assert pad == expected_pad
    assert padded.shape[-2] % 16 == 0 and padded.shape[-1] % 16 == 0
    left, right, top, bottom = pad
    assert padded.shape[-2:] == (height + top + bottom, width + left + right)
    assert torch.equal(unpad(padded, pad), x)
    if top:
        assert padded[:, :top].abs().sum() == 0  # zero padding
