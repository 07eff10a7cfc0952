"""Model cards: FLOP counting, latency measurement, the cached JSON, the table, plot and picker."""
import matplotlib
import pytest
import torch
import torch.nn as nn

matplotlib.use("Agg")

from clskit.models.cards import CARDS_PATH, cards_table, load_model_cards, measure_model, plot_cards
from clskit.models.measure import count_flops, measure_latency

FAMILIES = {"AlexNet", "VGG", "ResNet", "Inception", "EfficientNet", "MobileNet", "SqueezeNet", "ViT", "DeiT",
            "Swin", "BEiT"}


def _cards():
    rows = [dict(name=n, family=f, year=2015, params_m=p, gflops=g, latency_b1_ms=ms, latency_b32_ms=ms / 3, top1=a)
            for n, f, p, g, ms, a in [("A", "ResNet", 11.7, 3.6, 20.0, 69.8), ("B", "ViT", 86.6, 35.1, 150.0, 81.1),
                                     ("C", "MobileNet", 3.5, 0.6, 8.0, 71.9)]]
    return {"meta": {"note": "test"}, "models": rows}


def test_count_flops_matches_the_formula():
    # a multiply-add counts 2: conv = 2 * C_out * H_out * W_out * C_in * k * k
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(conv, torch.zeros(1, 3, 10, 10)) == 2 * 8 * 10 * 10 * 3 * 3 * 3
    assert count_flops(nn.Linear(10, 5), torch.zeros(4, 10)) == 2 * 4 * 10 * 5


def test_count_flops_resnet18_against_torchvision_metadata():
    import torchvision

    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    with torch.device("meta"):  # shapes only: counting needs no real weights or arithmetic
        gflops = count_flops(torchvision.models.resnet18(), torch.zeros(1, 3, 224, 224)) / 1e9
    # torchvision's "GFLOPS" metadata counts multiply-adds once
    assert gflops / 2 == pytest.approx(weights.meta["_ops"], rel=0.01)


def test_measure_model():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    card = measure_model(m, input_size=16, batch_sizes=(1, 4), repeats=1)
    assert card["params_m"] == pytest.approx(sum(p.numel() for p in m.parameters()) / 1e6)
    assert set(card) == {"params_m", "gflops", "latency_b1_ms", "latency_b4_ms"}
    with pytest.raises(ValueError, match="repeats"):
        measure_model(m, input_size=16, repeats=0)


def test_measure_latency_takes_a_batch_or_a_shape():
    m = nn.Conv2d(3, 4, 3)
    by_batch = measure_latency(m, torch.zeros(4, 3, 16, 16), n_iter=2, warmup=0)
    by_shape = measure_latency(m, (3, 16, 16), batch_size=4, n_iter=2, warmup=0)
    assert set(by_batch) == set(by_shape) and by_batch["batch_size"] == by_shape["batch_size"] == 4
    assert by_batch["ms_per_image"] == pytest.approx(by_batch["median_ms"] / 4)
    with pytest.raises(ValueError, match="n_iter"):
        measure_latency(m, (3, 8, 8), n_iter=0)


def test_cached_cards_cover_the_seed_families():
    if not CARDS_PATH.exists():
        pytest.skip("run benchmarks/model_cards.py first")
    cards = load_model_cards()
    assert FAMILIES <= {c["family"] for c in cards["models"]}
    for c in cards["models"]:
        assert 40 < c["top1"] < 90 and c["top1_source"]
        assert c["params_m"] > 0.5 and c["gflops"] > 0.05 and c["latency_b1_ms"] > 0
    assert {"date", "machine", "torch", "threads"} <= set(cards["meta"])


def test_missing_cards_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks/model_cards.py"):
        load_model_cards(tmp_path / "none.json")


def test_table_and_plot():
    cards = _cards()
    df = cards_table(cards)
    assert list(df.index) == ["A", "B", "C"] and df.loc["B", "top1"] == 81.1
    ax = plot_cards(cards, x="params_m", names=["A", "C"])
    assert len(ax.collections) == 2 and ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="x must be"):
        plot_cards(cards, x="top1")


def test_input_size_is_a_column_and_labels_a_model_not_measured_at_224():
    cards = _cards()
    cards["models"][1]["input_size"] = 299
    cards["models"][0]["input_size"] = cards["models"][2]["input_size"] = 224
    assert cards_table(cards).loc["B", "input_size"] == 299
    ax = plot_cards(cards, x="gflops")
    assert sorted(t.get_text() for t in ax.texts) == ["A", "B (299 px)", "C"]
    # gflops 0.6 to 35.1: plain-number ticks at 1-2-5 steps, no crowded minor labels
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1", "2", "5", "10", "20", "50"]


def test_model_picker_is_driven_from_python():
    from clskit.views.widgets.model_picker import ModelPicker

    p = ModelPicker(_cards(), selected=("A",))
    assert p.selected == ["A"] and "<td>A</td>" in p.table.value and "<td>B</td>" not in p.table.value
    png = p.plot.value
    p.models.value = ("A", "B")
    assert [r["name"] for r in p.rows] == ["A", "B"] and "<td>B</td>" in p.table.value
    p.x_axis.value = "gflops"
    assert p.plot.value != png
