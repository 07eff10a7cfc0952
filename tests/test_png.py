"""The one PNG renderer: figures, arrays and galleries become PNG bytes that decode to what was drawn."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from clskit.views.png import array_to_png, figure_to_png, gallery_png


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_array_to_png_keeps_the_pixels():
    rgb = np.random.default_rng(0).random((5, 7, 3))
    np.testing.assert_array_equal(_decode(array_to_png(rgb)), (rgb * 255).round().astype(np.uint8))
    rgba = np.random.default_rng(1).integers(0, 256, (4, 6, 4), dtype=np.uint8)    # a canvas buffer, as it is
    np.testing.assert_array_equal(_decode(array_to_png(rgba, compress_level=1)), rgba)
    assert _decode(array_to_png(np.zeros((3, 4)), scale=3)).shape == (9, 12, 3)    # a map, coloured and enlarged


def test_figure_to_png_draws_a_bare_figure_without_pyplot(agg_pyplot):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    before = agg_pyplot.get_fignums()
    assert _decode(figure_to_png(fig, dpi=50)).ndim == 3
    assert agg_pyplot.get_fignums() == before                   # no pyplot figure was opened or left open
    managed = agg_pyplot.figure()
    figure_to_png(managed)
    assert managed.number not in agg_pyplot.get_fignums()       # a pyplot figure is closed once rendered


def test_gallery_png_lays_out_sections_of_captioned_tiles():
    imgs = (torch.rand(8, 3, 5, 5) * 255).to(torch.uint8)
    one_row = _decode(gallery_png([("t", imgs[:3], list("abc"))], ncols=4, tile=10))
    two_rows = _decode(gallery_png([("t", imgs, list("abcdefgh")), (None, [], [])], ncols=4, tile=10))
    assert one_row.shape[1] == two_rows.shape[1] == 4 * (10 + 4) + 4       # width: ncols tiles
    assert two_rows.shape[0] > one_row.shape[0]
    # a tile is the image enlarged with nearest neighbour: its top-left pixel is the image's
    np.testing.assert_array_equal(one_row[4 + 16, 4], imgs[0, :, 0, 0].numpy())
    with pytest.raises(ValueError, match="captions"):
        gallery_png([("t", imgs[:2], ["only one"])])
