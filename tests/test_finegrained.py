"""Fine-grained helpers: ImageNet's dog breeds and WordNet groups, the head's scores from cached embeddings,
group credit and the paired retention difference."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from clskit.lessons.finegrained import (IMAGENET_DOGS, IMAGENETTE_GROUPS, group_hits, imagenet_logits,
                                        retention_difference)
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


def test_imagenette_groups_hold_their_class_and_the_dog_group_is_the_118_breeds():
    names = imagenet_classes()
    imagenette = [0, 217, 482, 491, 497, 566, 569, 571, 574, 701]
    assert sorted(IMAGENETTE_GROUPS) == imagenette
    for cls, (word, members) in IMAGENETTE_GROUPS.items():
        assert cls in members and len(members) > 1 and list(members) == sorted(set(members)), word
    assert IMAGENETTE_GROUPS[217] == ("dog", tuple(IMAGENET_DOGS))
    fish = [names[i] for i in IMAGENETTE_GROUPS[0][1]]
    assert {"tench", "goldfish", "great white shark", "puffer"} <= set(fish) and "axolotl" not in fish
    vehicles = {names[i] for i in IMAGENETTE_GROUPS[569][1]}
    assert {"garbage truck", "trailer truck", "airliner", "canoe"} <= vehicles and "traffic light" not in vehicles


WORDNET = Path(os.environ.get("WORDNET_DATA_NOUN", "/usr/share/wordnet/data.noun"))   # WordNet 3.0


@pytest.mark.skipif(not WORDNET.exists(), reason="WordNet 3.0 (Debian package wordnet-base) is not installed")
def test_the_stored_groups_are_what_wordnet_says():
    from tools.wordnet_groups import TARGET, groups, render

    assert render(groups(WORDNET)) == TARGET.read_text()


def test_wordnet_reader_on_a_tiny_data_noun(tmp_path):
    from tools.wordnet_groups import ancestors, hypernyms

    # data.noun lines: offset lex_filenum ss_type w_cnt word lex_id ... p_cnt [ptr synset pos src/tgt] ... | gloss
    lines = ["  1 licence header line",
             "00000001 03 n 01 animal 0 000 | a living thing",
             "00000002 05 n 01 dog 0 001 @ 00000001 n 0000 | a canine",
             "00000003 05 n 02 springer 0 spaniel 0 002 @ 00000002 n 0000 ~ 00000004 n 0000 | a breed",
             "00000004 05 n 01 puppy 0 001 @i 00000003 n 0000 | young"]
    (tmp_path / "data.noun").write_text("\n".join(lines) + "\n")
    parents = hypernyms(tmp_path / "data.noun")
    assert parents["n00000003"] == ["n00000002"]          # the hyponym pointer (~) is not a parent
    assert ancestors("n00000004", parents) == {"n00000004", "n00000003", "n00000002", "n00000001"}


def test_group_hits_against_numpy():
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(60, 12)))
    groups = {0: ("low", (0, 1, 2, 3)), 5: ("mid", (4, 5, 6)), 9: ("high", (9, 10))}
    targets = rng.choice([0, 5, 9], 60)
    top1 = logits.numpy().argmax(1)
    want = [float(p in groups[t][1]) for p, t in zip(top1, targets)]
    assert group_hits(logits, targets, groups).tolist() == want
    exact = (top1 == targets).astype(float)
    assert (group_hits(logits, targets, groups) >= exact).all()            # every exact hit is a group hit
    with pytest.raises(KeyError, match="no group"):
        group_hits(logits, np.full(60, 7), groups)
    with pytest.raises(ValueError, match="rows"):
        group_hits(logits, targets[:3], groups)


def test_retention_difference_against_a_plain_bootstrap():
    rng = np.random.default_rng(1)
    n = 300
    coarse_ref, fine_ref = (rng.random(n) < 0.9).astype(float), (rng.random(n) < 0.6).astype(float)
    coarse, fine = coarse_ref * (rng.random(n) < 0.7), fine_ref * (rng.random(n) < 0.4)
    d = retention_difference(coarse_ref, coarse, fine_ref, fine, coarse_chance=0.1, fine_chance=0.01,
                             n_resamples=4000, seed=3)
    kept_c = (coarse.mean() - 0.1) / (coarse_ref.mean() - 0.1)
    kept_f = (fine.mean() - 0.01) / (fine_ref.mean() - 0.01)
    assert d.diff == pytest.approx(100 * (kept_c - kept_f))
    boot = []                                             # the same statistic, one resample at a time
    r = np.random.default_rng(7)
    for _ in range(4000):
        i = r.integers(0, n, n)
        boot.append(((coarse[i].mean() - 0.1) / (coarse_ref[i].mean() - 0.1)
                     - (fine[i].mean() - 0.01) / (fine_ref[i].mean() - 0.01)))
    low, high = 100 * np.percentile(boot, [2.5, 97.5])
    assert d.low == pytest.approx(low, abs=2.0) and d.high == pytest.approx(high, abs=2.0)
    assert d.verdict == "better" and d.n == n and d.over == "images"


def test_retention_difference_is_zero_for_identical_arms_and_rejects_bad_input():
    rng = np.random.default_rng(2)
    ref, now = (rng.random(200) < 0.8).astype(float), (rng.random(200) < 0.5).astype(float)
    d = retention_difference(ref, now, ref, now, coarse_chance=0.05, fine_chance=0.05, n_resamples=500)
    assert d.diff == 0 and d.low == 0 and d.high == 0 and d.verdict == "no clear difference"
    with pytest.raises(ValueError, match="same images"):
        retention_difference(ref, now[:10], ref, now, coarse_chance=0.0, fine_chance=0.0)
    with pytest.raises(ValueError, match="no margin"):
        retention_difference(ref, now, np.zeros(200), now, coarse_chance=0.0, fine_chance=0.0)
