"""show_cam_grid: the maps it returns are the interpret functions' maps, the figure has the right grid."""
from __future__ import annotations

import re

import pytest
import torch

from clskit.interpret.camgrid import show_cam_grid
from clskit.interpret import CAMS, explain, saliency
from clskit.models import create_model


def _model():
    torch.manual_seed(0)
    return create_model("small_cnn", num_classes=4, in_chans=3, widths=(8, 16)).eval()


@pytest.mark.parametrize("name", sorted(CAMS))
def test_cam_rows_are_the_cams_maps(agg_pyplot, name):
    m, x = _model(), torch.rand(3, 3, 16, 16)
    maps = show_cam_grid(m, x, [name], targets=[0, 1, 2], show=False)
    with CAMS[name](m) as cam:
        expected = cam(x, [0, 1, 2])
    (got,) = maps.values()
    assert torch.allclose(got, expected, atol=1e-6)
    fig = agg_pyplot.gcf()
    assert len(fig.axes) == 2 * 3 + 1                    # image row + one overlay row, 3 columns, colour bar


def _min_max(maps):
    lo, hi = maps.flatten(1).amin(1)[:, None, None], maps.flatten(1).amax(1)[:, None, None]
    return (maps - lo) / (hi - lo)


def test_gradient_rows_are_scaled_saliency(agg_pyplot):
    m, x = _model(), torch.rand(2, 3, 16, 16)
    maps = show_cam_grid(m, x, {"grad": "saliency"}, show=False)
    assert torch.allclose(maps["grad"], _min_max(saliency(m, x)), atol=1e-6)
    assert float(maps["grad"].amax()) == pytest.approx(1.0) and float(maps["grad"].amin()) == 0.0
    torch.testing.assert_close(maps["grad"], explain(m, x, "saliency"))    # the one dispatch


def test_transform_feeds_the_model_but_the_image_is_drawn(agg_pyplot):
    m, x = _model(), torch.rand(2, 3, 16, 16)
    norm = lambda t: (t - 0.5) / 0.5                    # noqa: E731
    maps = show_cam_grid(m, x, ["gradcam"], transform=norm, show=False)
    with CAMS["gradcam"](m) as cam:
        expected = cam(norm(x))
    assert torch.allclose(maps["Grad-CAM"], expected, atol=1e-6)


def test_models_dict_gives_one_block_of_rows_per_model_and_prediction_titles(agg_pyplot):
    a, b, x = _model(), create_model("small_cnn", num_classes=4, widths=(8, 16)).eval(), torch.rand(2, 3, 16, 16)
    classes = ["w", "x", "y", "z"]
    maps = show_cam_grid({"A": a, "B": b}, x, ["gradcam", "saliency"], classes=classes,
                         titles=["one", "two"], show=False)
    assert list(maps) == ["A: Grad-CAM", "A: saliency", "B: Grad-CAM", "B: saliency"]
    fig = agg_pyplot.gcf()
    assert len(fig.axes) == 5 * 2 + 1                    # and the colour bar
    assert fig.axes[0].get_title() == "one"
    with torch.no_grad():
        predicted = classes[int(b(x[1:2]).argmax())]
    assert fig.axes[4 * 2 + 1].get_title() == predicted    # last row, second image: model B's prediction


def test_callables_and_precomputed_maps(agg_pyplot):
    m, x = _model(), torch.rand(2, 3, 16, 16)
    given = torch.rand(2, 16, 16)
    coarse = show_cam_grid(None, x, {"4x4": torch.rand(2, 4, 4)}, show=False)["4x4"]
    assert coarse.shape == (2, 16, 16)
    small = lambda model, inp: torch.ones(len(inp), 4, 4)   # noqa: E731  (upsampled to the image)
    maps = show_cam_grid(m, x, {"given": given, "flat": small}, show=False)
    assert torch.allclose(maps["given"], _min_max(given), atol=1e-6)
    assert maps["flat"].shape == (2, 16, 16) and torch.equal(maps["flat"], torch.zeros(2, 16, 16))   # flat: no heat
    assert list(show_cam_grid(None, x, {"only": given}, show=False)) == ["only"]


def test_bad_inputs_say_what_to_do(agg_pyplot):
    m, x = _model(), torch.rand(2, 3, 16, 16)
    with pytest.raises(ValueError, match=re.escape("unknown method 'gradcam+'")):
        show_cam_grid(m, x, ["gradcam+"], show=False)
    with pytest.raises(ValueError, match="batch"):
        show_cam_grid(m, x[0], ["gradcam"], show=False)
    with pytest.raises(ValueError, match="titles"):
        show_cam_grid(m, x, ["gradcam"], titles=["a"], show=False)
    with pytest.raises(ValueError, match="one map per image"):
        show_cam_grid(m, x, [torch.rand(3, 16, 16)], show=False)
    with pytest.raises(ValueError, match="model is None"):
        show_cam_grid(None, x, ["gradcam"], show=False)


def test_one_colour_bar_for_the_overlay_rows(agg_pyplot):
    m, x = _model(), torch.rand(2, 3, 16, 16)
    show_cam_grid(m, x, ["gradcam", "saliency"], show=False)
    fig = agg_pyplot.gcf()
    *grid, bar = fig.axes
    assert len(grid) == 3 * 2
    assert bar.get_ylim() == (0.0, 1.0) and "each map scaled to [0, 1]" in bar.get_ylabel()
    assert bar.collections or bar.images                                  # the colour scale is drawn
    first_overlay, last_overlay = grid[2].get_position(), grid[-1].get_position()
    box = bar.get_position()
    assert box.x0 > last_overlay.x1                                      # right of the grid
    assert abs(box.y0 - last_overlay.y0) < 1e-6 and abs(box.y1 - first_overlay.y1) < 1e-6   # as tall as the overlays
    agg_pyplot.close("all")
    show_cam_grid(m, x, ["gradcam"], colorbar=False, show=False)
    assert len(agg_pyplot.gcf().axes) == 2 * 2
