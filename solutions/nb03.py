"""Solutions to the exercises of notebook 03 (try them yourself first)."""


def separable_params():
    c_in, c_out, k = 64, 128, 3
    return c_in * k * k + c_out * c_in               # depthwise 3x3 per input channel + pointwise 1x1 = 8768


def best_small():
    from clskit import load_model_cards

    small = [m for m in load_model_cards()["models"] if m["params_m"] < 10]
    return max(small, key=lambda m: m["top1"])["name"]


def replaced_resnet():
    import torch.nn as nn
    import torchvision

    model = torchvision.models.resnet18()
    model.fc = nn.Linear(model.fc.in_features, 3)
    return model


def wrong_resnet():
    import torch.nn as nn
    import torchvision

    model = torchvision.models.resnet18()
    model.fc = nn.Linear(1000, 3)                    # the old head's outputs, not the backbone's features
    return model


DEPTH = {"plain": [0.60, 0.64], "residual": [0.20, 0.22]}    # final training losses over 2 seeds: shortcuts win

SOLUTIONS = {"03.1": separable_params, "03.2": best_small, "03.3": replaced_resnet,
             "03.4": lambda: {"prediction": "residual lower", "measured": DEPTH}}
WRONG = {
    "03.1": (lambda: 128 * 64, "depthwise"),
    "03.2": (lambda: "BEiT-B/16", "params_m"),
    "03.3": (wrong_resnet, "in_features"),
    "03.4": (lambda: {"prediction": "no clear difference", "measured": DEPTH}, "shortcuts"),
}
