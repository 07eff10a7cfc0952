"""Measure the model cards (parameters, FLOPs, CPU latency) and cache them in clskit/data/model_cards.json.

    python benchmarks/model_cards.py                 # all models (a few minutes on a laptop CPU)
    python benchmarks/model_cards.py --note "measured while shared"

Random weights from the timm / torchvision constructors (nothing is downloaded); 224x224 input
(299 for Inception-v3, its native size). Published ImageNet-1k top-1 accuracies come with their
source: torchvision's own weight metadata (read from the installed torchvision) or the paper / model card.
Run it on an otherwise idle machine: latency on a busy machine is inflated.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clskit.models.cards import CARDS_PATH, measure_model  # noqa: E402
from clskit.models.measure import count_flops  # noqa: E402

TV_DOCS = "https://pytorch.org/vision/stable/models.html"
# name, family, year, source ("tv" or "timm"), constructor name, input size, published top-1 (None: read
# from torchvision's weight metadata), citation for the accuracy
MODELS = [
    ("AlexNet", "AlexNet", 2012, "tv", "alexnet", 224, None, None),
    ("VGG-16", "VGG", 2014, "tv", "vgg16", 224, None, None),
    ("GoogLeNet", "Inception", 2014, "tv", "googlenet", 224, None, None),
    ("Inception-v3", "Inception", 2015, "tv", "inception_v3", 299, None, None),
    ("ResNet-18", "ResNet", 2015, "tv", "resnet18", 224, None, None),
    ("ResNet-50", "ResNet", 2015, "tv", "resnet50", 224, None, None),
    ("SqueezeNet-1.1", "SqueezeNet", 2016, "tv", "squeezenet1_1", 224, None, None),
    ("MobileNet-V2", "MobileNet", 2018, "tv", "mobilenet_v2", 224, None, None),
    ("MobileNet-V3-L", "MobileNet", 2019, "tv", "mobilenet_v3_large", 224, None, None),
    ("EfficientNet-B0", "EfficientNet", 2019, "tv", "efficientnet_b0", 224, None, None),
    ("EfficientNet-Lite0", "EfficientNet", 2020, "timm", "tf_efficientnet_lite0", 224, 75.1,
     "tensorflow/tpu models/official/efficientnet/lite README (FP32, 75.1%); timm weights tf_efficientnet_lite0"),
    ("ViT-B/16", "ViT", 2020, "tv", "vit_b_16", 224, None, None),
    ("DeiT-S", "DeiT", 2020, "timm", "deit_small_patch16_224", 224, 79.8,
     "Touvron et al. 2021, Training data-efficient image transformers, arXiv:2012.12877, Table 5 (DeiT-S)"),
    ("Swin-T", "Swin", 2021, "tv", "swin_t", 224, None, None),
    ("BEiT-B/16", "BEiT", 2021, "timm", "beit_base_patch16_224", 224, 83.2,
     "Bao et al. 2021, BEiT: BERT Pre-Training of Image Transformers, arXiv:2106.08254 (abstract; self-supervised "
     "on ImageNet-1k, then fine-tuned)"),
]


def build(source: str, name: str) -> torch.nn.Module:
    if source == "tv":
        import torchvision.models as tvm
        kw = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
        return tvm.get_model(name, weights=None, **kw)
    import timm
    return timm.create_model(name, pretrained=False)


def published_top1(source: str, name: str, top1, cite):
    if top1 is not None:
        return top1, cite
    import torchvision
    import torchvision.models as tvm
    weights = tvm.get_model_weights(name).IMAGENET1K_V1
    acc = weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]
    return acc, f"torchvision {torchvision.__version__.split('+')[0]} weight metadata {type(weights).__name__}.IMAGENET1K_V1 ({TV_DOCS})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=CARDS_PATH)
    ap.add_argument("--only", nargs="*", help="model names to measure (default: all)")
    ap.add_argument("--note", default="", help="free text stored in the JSON (for example 'measured while shared')")
    args = ap.parse_args(argv)
    cards = []
    for name, family, year, source, ctor, size, top1, cite in MODELS:
        if args.only and name not in args.only:
            continue
        torch.manual_seed(0)
        model = build(source, ctor)
        big = sum(p.numel() for p in model.parameters()) > 50e6 or family in ("ViT", "BEiT")
        # big models at batch 32 take tens of seconds per pass on a CPU: one timed run is enough
        card = measure_model(model, input_size=size, repeats={1: 3 if big else 5, 32: 1 if big else 2})
        # FLOPs again on the meta device (shapes only): there every attention op is decomposed into counted
        # matmuls, while the CPU's fused attention kernels can hide some from FlopCounterMode
        with torch.device("meta"):
            card["gflops"] = count_flops(build(source, ctor), torch.zeros(1, 3, size, size)) / 1e9
        acc, source_text = published_top1(source, ctor, top1, cite)
        card = {"name": name, "family": family, "year": year, "constructor": f"{source}:{ctor}", "input_size": size,
                **{k: round(v, 4) for k, v in card.items()}, "top1": acc, "top1_source": source_text}
        cards.append(card)
        print(f"{name:18s} {card['params_m']:7.1f} M {card['gflops']:7.2f} GFLOPs "
              f"b1 {card['latency_b1_ms']:8.1f} ms  b32 {card['latency_b32_ms']:8.1f} ms/img  top1 {acc}", flush=True)
        del model
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or ''} ({os.cpu_count()} logical CPUs)".replace("  ", " "),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "note": args.note,
        "latency": "median wall time of a forward pass (random weights, eval mode, no_grad), ms per image",
        "flops": "torch.utils.flop_counter.FlopCounterMode, one image; a multiply-add counts 2",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "models": cards}, indent=1) + "\n")
    print(f"wrote {len(cards)} cards to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
