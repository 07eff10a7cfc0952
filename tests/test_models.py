"""The model registry, torchvision head replacement, and the kit's own models."""
import pytest
import torch
import torch.nn as nn
import torchvision

from clskit.models import create_model, list_models
from clskit.models.heads import find_head, replace_head

KIT_MODELS = list_models()
# Input size each kit model is built for (the ViT needs its img_size; CNNs take any size >= 8).
INPUT = {"tiny_vit": 16}


def test_registry_lists_kit_models():
    assert {"small_cnn", "tiny_resnet", "tiny_vit"} <= set(KIT_MODELS)
    assert list_models("tiny_*") == sorted(n for n in KIT_MODELS if n.startswith("tiny_"))


@pytest.mark.parametrize("name", KIT_MODELS)
@pytest.mark.parametrize("in_chans,num_classes", [(1, 10), (3, 4)])
def test_kit_models_give_logits_and_backprop(name, in_chans, num_classes):
    if name not in ("small_cnn", "tiny_resnet", "tiny_vit"):
        pytest.skip(f"{name} belongs to another module's tests")
    torch.manual_seed(0)
    model = create_model(name, num_classes=num_classes, in_chans=in_chans)
    size = INPUT.get(name, 8)
    x = torch.randn(3, in_chans, size, size)
    out = model(x)
    assert out.shape == (3, num_classes)
    nn.functional.cross_entropy(out, torch.tensor([0, 1, 2]) % num_classes).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


@pytest.mark.parametrize("name", ["small_cnn", "tiny_resnet", "tiny_vit"])
def test_kit_models_refuse_pretrained(name):
    with pytest.raises(ValueError, match="no pretrained weights"):
        create_model(name, pretrained=True)


def test_multilabel_head_is_logits_for_bce():
    """The same head serves multi-label data: logits go to BCEWithLogitsLoss, sigmoid gives probabilities."""
    from clskit.datasets import DataLoaders, ImageDataset
    from clskit.training.learner import Learner

    torch.manual_seed(0)
    images = torch.randint(0, 255, (40, 1, 8, 8), dtype=torch.uint8)
    targets = (torch.rand(40, 3) > 0.5).float()
    ds = ImageDataset(images, targets, ["a", "b", "c"], multilabel=True)
    dls = DataLoaders.from_datasets(ds, ds, batch_size=16)
    learn = Learner(create_model("small_cnn", num_classes=3, in_chans=1, widths=(8,)), dls,
                    progress=False, device="cpu")
    assert isinstance(learn.loss_func, nn.BCEWithLogitsLoss)
    learn.fit(1)
    probs, _ = learn.get_preds()
    logits, _ = learn.get_preds(with_logits=True)
    assert torch.allclose(probs, torch.sigmoid(logits))
    assert not torch.allclose(probs.sum(1), torch.ones(len(probs)))   # not a softmax


# -- torchvision names and head replacement ------------------------------------------------------
def _small_vit():
    return torchvision.models.VisionTransformer(image_size=32, patch_size=16, num_layers=1, num_heads=2,
                                                hidden_dim=16, mlp_dim=32)


def _small_swin():
    return torchvision.models.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[1, 1], num_heads=[2, 2],
                                              window_size=[2, 2])


# (constructor, input size, expected head name): small instances keep the test fast; the head
# structure is the same as in the full-size models.
TV_CASES = {
    "resnet": (torchvision.models.resnet18, 32, "fc"),
    "vgg": (torchvision.models.vgg11, 32, "classifier.6"),
    "alexnet": (torchvision.models.alexnet, 64, "classifier.6"),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 32, "classifier.1"),
    "mobilenet_v3": (torchvision.models.mobilenet_v3_small, 32, "classifier.3"),
    "efficientnet": (torchvision.models.efficientnet_b0, 32, "classifier.1"),
    "squeezenet": (torchvision.models.squeezenet1_1, 64, "classifier.1"),
    "densenet": (torchvision.models.densenet121, 32, "classifier"),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=True, init_weights=False), 64, "fc"),
    "inception": (lambda: torchvision.models.inception_v3(aux_logits=True, init_weights=False), 80, "fc"),
    "vit": (_small_vit, 32, "heads.head"),
    "swin": (_small_swin, 32, "head"),
    "convnext": (torchvision.models.convnext_tiny, 32, "classifier.2"),
}


@pytest.mark.parametrize("family", sorted(TV_CASES))
def test_replace_head_torchvision(family):
    build, size, head = TV_CASES[family]
    # Built on the meta device: shapes only, no memory and no weight initialisation, so even VGG is instant.
    with torch.device("meta"):
        model = build()
        assert find_head(model) == head
        before = dict(model.named_parameters())
        replace_head(model, 7)
        layer = model.get_submodule(head)
        assert (layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels) == 7
        after = dict(model.named_parameters())
        aux = ("AuxLogits.fc", "aux1.fc2", "aux2.fc2")
        # the backbone is untouched (the very same parameters), only the head is new
        assert all(after[k] is p for k, p in before.items() if not k.startswith((head,) + aux))
        assert after[f"{head}.weight"] is not before[f"{head}.weight"]
        assert model.eval()(torch.randn(2, 3, size, size)).shape == (2, 7)


def test_replace_head_keeps_pretrained_backbone_values():
    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1()
    first = model.features[0].weight.detach().clone()
    replace_head(model, 3)
    assert torch.equal(model.features[0].weight, first)
    assert model.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 3)


def test_replace_head_aux_heads_of_inception():
    with torch.device("meta"):
        model = replace_head(torchvision.models.inception_v3(aux_logits=True, init_weights=False), 5)
        assert model.AuxLogits.fc.out_features == 5
        model = replace_head(torchvision.models.googlenet(aux_logits=True, init_weights=False), 5)
        assert model.aux1.fc2.out_features == model.aux2.fc2.out_features == 5


def test_squeezenet_conv_head():
    with torch.device("meta"):
        model = replace_head(torchvision.models.squeezenet1_1(), 3)
    assert isinstance(model.classifier[1], nn.Conv2d) and model.classifier[1].out_channels == 3
    assert model.num_classes == 3


def test_create_model_torchvision_name():
    model = create_model("tv:squeezenet1_1", num_classes=4)
    assert model.classifier[1].out_channels == 4
    model.train()
    assert model(torch.randn(2, 3, 48, 48)).shape == (2, 4)
    # googlenet without aux heads returns plain logits while training
    with torch.device("meta"):
        g = create_model("tv:googlenet", num_classes=4)
        assert isinstance(g.train()(torch.randn(2, 3, 64, 64)), torch.Tensor)


def test_create_model_timm_name():
    model = create_model("resnet10t", num_classes=3, in_chans=1)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 3)


def test_list_models_sources():
    assert "tv:resnet18" in list_models("resnet*", source="tv")
    assert "tv:resnet18" in list_models("tv:resnet18", source="tv")
    assert "resnet18" in list_models("resnet18", source="timm")
    with pytest.raises(ValueError, match="source"):
        list_models(source="hub")


def test_errors_name_the_problem():
    with pytest.raises(KeyError, match="unknown model 'no_such_net'"):
        create_model("no_such_net")
    with pytest.raises(KeyError, match="unknown torchvision"):
        create_model("tv:no_such_net")
    with pytest.raises(ValueError, match="in_chans=1"):
        create_model("tv:resnet18", in_chans=1)
    with pytest.raises(ValueError, match="num_classes"):
        replace_head(nn.Linear(2, 2), 0)
    with pytest.raises(ValueError, match="classifier head"):
        find_head(nn.Sequential(nn.ReLU()))


def test_pretrained_without_num_classes_keeps_the_imagenet_head():
    # the default used to be 10 everywhere, silently replacing a pretrained 1000-class head with a random one
    m = create_model("efficientnet_lite0", pretrained=True)
    assert m.pretrained_cfg["num_classes"] == 1000 and m.pretrained_cfg["label_names"][1] == "goldfish"
    assert create_model("efficientnet_lite0", pretrained=True, num_classes=5).pretrained_cfg["num_classes"] == 5
    assert create_model("small_cnn")(torch.zeros(1, 3, 16, 16)).shape == (1, 10)
    with pytest.raises(ValueError, match="at least 1"):
        create_model("small_cnn", num_classes=0)


def test_small_cnn_stem_stride_halves_the_first_stage_and_keeps_the_weights():
    # notebook 05's scratch CNN at 64 px: the same parameters, the first stage at 32 px instead of 64
    plain, strided = create_model("small_cnn", widths=(16, 32)), create_model("small_cnn", widths=(16, 32), stem_stride=2)
    assert [p.shape for p in plain.parameters()] == [p.shape for p in strided.parameters()]
    x = torch.zeros(2, 3, 64, 64)
    assert plain.features[0](x).shape[-2:] == (64, 64) and strided.features[0](x).shape[-2:] == (32, 32)
    assert strided.features[1](strided.features[0](x)).shape[-2:] == (32, 32)   # only the first convolution strides
    assert strided(x).shape == (2, 10)
