"""A small ResNet: residual blocks ``x + F(x)`` (He et al. 2015, "Deep Residual Learning", arXiv:1512.03385).

A residual block learns a *correction* ``F(x)`` to its input instead of a whole new mapping. The
identity path lets gradients flow straight back through many blocks, which is what made networks of
50-150 layers trainable. This version is sized for 8x8 to 32x32 images.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from clskit.models.registry import register_model


@dataclass
class TinyResNetConfig:
    in_chans: int = 3                      # 1 for grey images (digits), 3 for colour
    num_classes: int = 10
    widths: tuple[int, ...] = (32, 64, 128)  # channels per stage; every stage after the first halves H and W
    blocks: tuple[int, ...] = (1, 1, 1)      # residual blocks per stage (ResNet-18 uses 2, 2, 2, 2)
    dropout: float = 0.0                     # dropout before the classifier


class BasicBlock(nn.Module):
    """``relu(x + bn(conv(relu(bn(conv(x))))))``: two 3x3 convolutions and a skip connection.

    When the block changes the number of channels or the resolution, the skip path uses a 1x1
    convolution with the same stride so the two paths can be added.

    Example:
        >>> BasicBlock(8, 16, stride=2)(torch.zeros(2, 8, 8, 8)).shape
        torch.Size([2, 16, 4, 4])
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))     # (B, c_out, H/s, W/s)
        out = self.bn2(self.conv2(out))              # the residual F(x)
        return self.relu(out + self.shortcut(x))     # x + F(x)


class TinyResNet(nn.Module):
    """Stem (3x3 conv) -> stages of :class:`BasicBlock` -> global average pooling -> linear head.

    Example:
        >>> TinyResNet(TinyResNetConfig(in_chans=1))(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """

    def __init__(self, cfg: TinyResNetConfig = TinyResNetConfig()):
        super().__init__()
        if len(cfg.widths) != len(cfg.blocks):
            raise ValueError(f"widths and blocks need one entry per stage; got {cfg.widths} and {cfg.blocks}")
        self.cfg = cfg
        self.stem = nn.Sequential(nn.Conv2d(cfg.in_chans, cfg.widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(cfg.widths[0]), nn.ReLU(inplace=True))
        stages, c = [], cfg.widths[0]
        for s, (w, n) in enumerate(zip(cfg.widths, cfg.blocks)):
            stride = 1 if s == 0 else 2          # (B, c, H, W) -> (B, w, H/2, W/2) from the second stage on
            blocks = [BasicBlock(c, w, stride)] + [BasicBlock(w, w) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            c = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)      # (B, c, h, w) -> (B, c, 1, 1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(cfg.dropout), nn.Linear(c, cfg.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.stages(self.stem(x))))   # (B, num_classes) logits


@register_model
def tiny_resnet(num_classes: int = 10, pretrained: bool = False, in_chans: int = 3, **kw) -> TinyResNet:
    """A small ResNet (three stages of one residual block, about 0.7 M parameters by default)."""
    if pretrained:
        raise ValueError("tiny_resnet has no pretrained weights; use pretrained=False or 'efficientnet_lite0'")
    return TinyResNet(TinyResNetConfig(in_chans=in_chans, num_classes=num_classes, **kw))
