"""Fine-grained helpers: ImageNet's dog breeds, the head's scores from cached embeddings, group and subset accuracy."""
import numpy as np
import pytest
import torch

from clskit.lessons.finegrained import IMAGENET_DOGS, accuracy_among, imagenet_logits, in_group_accuracy
from clskit.models.pretrained import imagenet_classes


def test_imagenet_dogs_are_the_118_breeds():
    names = imagenet_classes()
    dogs = [names[i] for i in IMAGENET_DOGS]
    assert len(dogs) == 118 and dogs[0] == "Chihuahua" and dogs[-1] == "Mexican hairless"
    assert {"English springer", "Welsh springer spaniel", "cocker spaniel", "Brittany spaniel"} <= set(dogs)
    assert names[150] == "sea lion" and names[269] == "timber wolf"   # the neighbours are not dogs


def test_imagenet_logits_equal_the_full_forward_pass(tmp_path):
    from clskit.models import create_model
    from clskit.models.pretrained import preprocess_for

    torch.manual_seed(0)
    m = create_model("efficientnet_lite0", pretrained=True, num_classes=1000).eval()
    x = torch.rand(3, 3, 40, 40)
    got = imagenet_logits(m, x, size=48, cache_dir=tmp_path)
    with torch.no_grad():
        want = m(preprocess_for(m, 48)(x))
    assert got.shape == (3, 1000)
    assert torch.allclose(got, want, atol=1e-3)
    assert torch.allclose(imagenet_logits(m, x, size=48, cache_dir=tmp_path), got)   # from the cache


def test_imagenet_logits_needs_a_linear_head():
    from clskit.models import create_model

    m = create_model("efficientnet_lite0", num_classes=3)
    m.classifier = torch.nn.Sequential(torch.nn.Linear(1280, 3))
    with pytest.raises(TypeError, match="not a linear layer"):
        imagenet_logits(m, torch.rand(1, 3, 8, 8), size=8, cache=False)


def test_group_accuracy_and_accuracy_among_against_numpy():
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(50, 12)))
    group = [2, 5, 7]
    assert in_group_accuracy(logits, group) == pytest.approx(np.isin(logits.numpy().argmax(1), group).mean())
    cols = [3, 1, 8, 10]
    y = rng.integers(0, 4, 50)
    want = (logits.numpy()[:, cols].argmax(1) == y).mean()
    assert accuracy_among(logits, torch.tensor(y), cols) == pytest.approx(want)
    with pytest.raises(ValueError, match="index columns"):
        accuracy_among(logits, torch.full((50,), 4), cols)
    with pytest.raises(ValueError, match="rows"):
        accuracy_among(logits, torch.zeros(3, dtype=torch.long), cols)
