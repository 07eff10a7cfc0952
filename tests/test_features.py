"""Feature maps, filters and attention views (clskit.models.features, clskit.views.widgets.features)."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from clskit.models.features import (FeatureExtractor, cls_attention, conv_layer_names, feature_maps, first_layer_filters,
                             pick_layers, tile, top_channels)
from clskit.models.features import describe_layers, pooled_features
from clskit.models import create_model
from clskit.models.scratch import receptive_field


@pytest.fixture
def cnn():
    torch.manual_seed(0)
    return create_model("small_cnn", num_classes=10, in_chans=1, widths=(8, 16)).eval()


def test_feature_maps_equal_a_manual_forward(cnn):
    x = torch.rand(3, 1, 8, 8)
    maps = feature_maps(cnn, x, ["features.1", "features.4"])
    with torch.no_grad():
        assert torch.equal(maps["features.1"], cnn.features[:2](x))
        assert torch.equal(maps["features.4"], cnn.features[:5](x))
    assert maps["features.4"].shape == (3, 16, 4, 4)


def test_hooks_are_removed_even_after_an_error(cnn):
    with pytest.raises(RuntimeError):
        with FeatureExtractor(cnn, ["features.0"]) as fx:
            assert len(cnn.features[0]._forward_hooks) == 1
            fx(torch.rand(1, 3, 8, 8))            # wrong channel count: the forward fails
    assert len(cnn.features[0]._forward_hooks) == 0


def test_extractor_restores_training_mode(cnn):
    cnn.train()
    feature_maps(cnn, torch.rand(2, 1, 8, 8), ["features.0"])
    assert cnn.training


def test_unknown_layer_names_the_choices(cnn):
    with pytest.raises(KeyError, match="features.0.0"):
        feature_maps(cnn, torch.rand(1, 1, 8, 8), ["nope"])


def test_layer_names_and_picks(cnn):
    names = conv_layer_names(cnn)
    assert names == ["features.0.0", "features.1.0", "features.3.0", "features.4.0"]
    assert pick_layers(cnn) == {"early": "features.0.0", "middle": "features.3.0", "late": "features.4.0"}
    lite = create_model("efficientnet_lite0", num_classes=3, pretrained=False)
    assert len(conv_layer_names(lite, depthwise=True)) > len(conv_layer_names(lite))


def test_first_layer_filters_are_a_copy(cnn):
    w = first_layer_filters(cnn)
    assert torch.equal(w, cnn.features[0][0].weight)
    w += 1
    assert not torch.equal(w, cnn.features[0][0].weight)
    with pytest.raises(ValueError, match="no Conv2d"):
        first_layer_filters(torch.nn.Linear(2, 2))


def test_tile_layout_and_normalization():
    imgs = np.stack([np.full((2, 3), v, dtype=np.float32) for v in range(5)])
    imgs[:, 0, 0] = -1.0
    grid = tile(imgs, ncols=3, pad=1)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert grid.min() == 0.0 and grid.max() == 1.0
    assert tile(np.zeros((4, 3, 5, 5)), ncols=2).shape == (11, 11, 3)
    with pytest.raises(ValueError, match="tile expects"):
        tile(np.zeros(3))


def test_top_channels_orders_by_mean():
    maps = torch.stack([torch.full((2, 2), v) for v in [0.5, 3.0, 1.0]])
    assert top_channels(maps, 2)[:, 0, 0].tolist() == [3.0, 1.0]


def test_cls_attention_is_the_class_token_row():
    torch.manual_seed(0)
    vit = create_model("tiny_vit", num_classes=10, in_chans=1, depth=2, heads=2, dim=16)
    x = torch.rand(2, 1, 16, 16)
    att = cls_attention(vit, x)
    assert att.shape == (2, 2, 2, 4, 4)
    full = vit.attention_maps(x)[1]
    torch.testing.assert_close(att[1].flatten(-2), full[:, :, 0, 1:])
    with pytest.raises(TypeError, match="attention_maps"):
        cls_attention(torch.nn.Linear(2, 2), x)


def test_feature_map_viewer_is_driven_from_python(cnn):
    from clskit.views.widgets.features import FeatureMapViewer

    images = torch.rand(5, 1, 8, 8)
    v = FeatureMapViewer(cnn, images, n=4)
    first_png = v.image.value
    assert v.maps.shape == (4, 8, 8) and first_png[:4] == b"\x89PNG"
    v.layer.value = "features.4.0"
    assert v.maps.shape == (4, 4, 4) and v.image.value != first_png
    v.index.value = 3
    with torch.no_grad():
        want = top_channels(cnn.features[4][0](cnn.features[:4](images[3:4]))[0], 4)   # the conv, before BN
    torch.testing.assert_close(v.maps, want)
    assert "features.4.0" in v.info.value
    assert len(cnn.features[4][0]._forward_hooks) == 0


def test_feature_map_viewer_on_a_vit():
    from clskit.views.widgets.features import FeatureMapViewer

    torch.manual_seed(0)
    vit = create_model("tiny_vit", num_classes=10, in_chans=1, depth=2, heads=2, dim=16)
    v = FeatureMapViewer(vit, torch.rand(3, 1, 16, 16))
    assert [label for label, _ in v.layer.options] == ["block 1", "block 2"]
    v.layer.value = "1"
    assert v.maps.shape == (2, 4, 4)
    torch.testing.assert_close(v.maps.sum((-2, -1)), torch.ones(2) - vit.attention_maps(v.images[:1])[1][0, :, 0, 0])


# -- pooled features and the per-layer description (the hierarchy, measured) -----------------------


def test_pooled_features_are_the_spatial_mean_of_the_maps_in_any_batch_size(cnn):
    x = torch.rand(7, 1, 8, 8)
    maps = feature_maps(cnn, x, ["features.1", "features.4"])
    for bs in (2, 7, 50):
        pooled = pooled_features(cnn, x, ["features.1", "features.4"], batch_size=bs)
        for name in maps:
            assert pooled[name].shape == maps[name].shape[:2]
            torch.testing.assert_close(pooled[name], maps[name].mean(dim=(2, 3)))


def test_pooled_features_apply_the_transform_and_read_uint8(cnn):
    x = torch.randint(0, 256, (3, 1, 8, 8), dtype=torch.uint8)
    got = pooled_features(cnn, x, ["features.0"], transform=lambda b: b * 2 - 1)
    want = feature_maps(cnn, x.float() / 255 * 2 - 1, ["features.0"])["features.0"].mean(dim=(2, 3))
    torch.testing.assert_close(got["features.0"], want)


def test_pooled_features_reject_non_map_layers_and_empty_input(cnn):
    with pytest.raises(ValueError, match="not \\(B, C, h, w\\)"):
        pooled_features(cnn, torch.rand(2, 1, 8, 8), ["head"])
    with pytest.raises(ValueError, match="empty"):
        pooled_features(cnn, torch.rand(0, 1, 8, 8), ["features.0"])


def test_describe_layers_matches_the_analytic_receptive_field_and_the_real_map_sizes():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8),
                              torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 8, 3, padding=1))
    rows = describe_layers(net, ["0", "1", "3", "4", "5"], size=32)
    # conv 3x3: rf 3; ReLU keeps it; stride-2 conv: 3 + 2 = 5, jump 2; BN keeps it; pool 2: 5 + 1*2 = 7, jump 4;
    # conv 3x3 after a jump of 4: 7 + 2*4 = 15
    assert [(r["receptive_field"], r["jump"]) for r in rows] == [(3, 1), (3, 1), (5, 2), (7, 4), (15, 4)]
    assert [r["map"] for r in rows] == [32, 32, 16, 8, 8]
    assert [r["channels"] for r in rows] == [4, 4, 8, 8, 8]
    analytic = {name: rf for name, rf, _ in receptive_field(net)}
    assert rows[-1]["receptive_field"] == analytic["5"]


def test_describe_layers_of_a_pretrained_style_network_grows_with_depth():
    model = create_model("efficientnet_lite0", num_classes=10).eval()
    rows = describe_layers(model, ["bn1", "blocks.1", "blocks.3", "blocks.6"], size=64)
    assert [r["map"] for r in rows] == [32, 16, 4, 2]
    assert [r["jump"] for r in rows] == [2, 4, 16, 32]
    fields = [r["receptive_field"] for r in rows]
    assert fields == sorted(fields) and fields[0] == 3


def test_describe_layers_names_a_missing_layer(cnn):
    with pytest.raises(KeyError, match="no layer"):
        describe_layers(cnn, ["features.99"], size=8, in_chans=1)
