"""Solutions to the exercises of notebook 07 (try them yourself first)."""


def why_the_loss_rises():
    # The validation accuracy loses a handful of images while the loss rises by about half: the loss of a
    # wrong answer, -log p(true class), keeps growing as the network grows sure of its wrong class.
    return "b"


def patience():
    best, patience = 5, 3
    return (best + patience, best)                       # stops after epoch 8, restores epoch 5


def scaled_convolution():
    import torch

    torch.manual_seed(0)
    conv, bn = torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4)   # training mode
    x = torch.rand(16, 1, 8, 8)
    before = bn(conv(x))
    with torch.no_grad():
        conv.weight.mul_(10)
    return {"prediction": "not at all", "measured": {"before": before.detach(), "after": bn(conv(x)).detach()}}


# 07.3: per seed, which of 270 test images each arm gets right (1) with 30% wrong labels. A stand-in with the
# notebook's shape and means: none gets 200 images right (74.1%), dropout the same 200 and 9 more (77.4%)
NOISY = {"none": [[1] * 200 + [0] * 70] * 5, "dropout": [[1] * 209 + [0] * 61] * 5}

SOLUTIONS = {"07.1": why_the_loss_rises, "07.2": scaled_convolution,
             "07.3": lambda: {"prediction": "help", "measured": NOISY}, "07.4": patience}
WRONG = {
    "07.1": (lambda: "a", "confident"),
    "07.4": (lambda: (5, 5), "patience"),
    "07.2": (lambda: {**scaled_convolution(), "prediction": "about 10 times larger"}, "BatchNorm"),
    "07.3": (lambda: {"prediction": "no clear difference", "measured": NOISY}, "memorising"),
}
