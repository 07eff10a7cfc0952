"""Solutions to the exercises of notebook 02 (try them yourself first)."""


def out_size():
    size, k, stride, padding = 28, 5, 2, 1
    return (size + 2 * padding - k) // stride + 1            # 13


def conv_params():
    c_in, c_out, k = 16, 32, 3
    return c_out * c_in * k * k + c_out                       # weights + one bias per output channel = 4640


def receptive_field():
    import torch.nn as nn

    from clskit.models.scratch import receptive_field as rf

    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))
    return rf(net)[-1][1]                                     # 12


SHUFFLE = {"cnn": 0.90, "cnn_original": 0.99, "svm": 0.99, "svm_original": 0.99}   # a clear drop

SOLUTIONS = {"02.1": out_size, "02.2": conv_params, "02.3": receptive_field,
             "02.4": lambda: {"prediction": "drops more than 3 points", "measured": SHUFFLE}}
WRONG = {
    "02.1": (lambda: 12, "off by one"),
    "02.2": (lambda: 4608, "bias"),
    "02.3": (lambda: 10, "jump"),
    "02.4": (lambda: {"prediction": "stays within 3 points", "measured": SHUFFLE}, "neighbouring"),
}
