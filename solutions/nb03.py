"""Solutions to the exercises of notebook 03 (try them yourself first)."""


def fixed_block():
    import torch.nn as nn
    import torch.nn.functional as F

    class MyBlock(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

        def forward(self, x):
            return F.relu(self.body(x) + self.shortcut(x))

    return MyBlock


def buggy_block():
    import torch.nn as nn
    import torch.nn.functional as F

    class MyBlock(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))   # no stride

        def forward(self, x):
            return F.relu(self.body(x) + self.shortcut(x))

    return MyBlock


def separable_params():
    c_in, c_out, k = 64, 128, 3
    return c_in * k * k + c_out * c_in               # depthwise 3x3 per input channel + pointwise 1x1 = 8768


DEPTH = {"8 layers": [0.006, 0.007, 0.008, 0.005, 0.006],      # final training losses over 5 runs: the deeper
         "20 layers": [0.08, 0.04, 0.27, 0.21, 0.06]}          # plain stack ends higher in every run

SOLUTIONS = {"03.1": lambda: "b", "03.2": lambda: {"prediction": "the 20-layer one", "measured": DEPTH},
             "03.3": fixed_block, "03.4": separable_params}
WRONG = {
    "03.1": (lambda: "c", "params_m"),
    "03.2": (lambda: {"prediction": "no clear difference", "measured": DEPTH}, "measurement says"),
    "03.3": (buggy_block, "stride"),
    "03.4": (lambda: 128 * 64, "depthwise"),
}
