"""Solutions to the exercises of notebook 02 (try them yourself first)."""


def train_step(model, opt, x, y):
    import torch.nn.functional as F

    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()                 # clear the old gradients *before* backward() writes the new ones
    loss.backward()
    opt.step()
    return loss.item()


def colleague_train_step(model, opt, x, y):
    import torch.nn.functional as F

    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.zero_grad()                 # the bug: wipes the gradients before step() can use them
    opt.step()
    return loss.item()


def max_pool(x):
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, 2, w // 2, 2).amax(dim=(3, 5))     # each window axis right after the axis it splits


def colleague_max_pool(x):
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, w // 2, 2, 2).amax(dim=(4, 5))     # 4 consecutive numbers of a row, not a square


def conv_params():
    c_in, c_out, k = 24, 48, 5
    return c_out * c_in * k * k + c_out                       # weights + one bias per output channel = 28848


# 02.2: test accuracy over 5 seeds, original and shuffled pixels, as the notebook measures them
SHUFFLE = {"original": [0.9889, 0.9963, 0.9889, 0.9926, 0.9926], "shuffled": [0.9852, 0.9741, 0.9815, 0.9852, 0.9778]}

SOLUTIONS = {"02.1": lambda: train_step, "02.2": lambda: {"prediction": "a clear loss of less than 3 points", "measured": SHUFFLE},
             "02.3": lambda: max_pool, "02.4": conv_params}
WRONG = {
    "02.1": (lambda: colleague_train_step, "in between"),
    "02.2": (lambda: {"prediction": "no clear loss", "measured": SHUFFLE}, "receptive field"),
    "02.3": (lambda: colleague_max_pool, "consecutive"),
    "02.4": (lambda: 28800, "bias"),
}
