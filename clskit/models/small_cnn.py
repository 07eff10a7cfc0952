"""A small CNN that reads top to bottom: conv-BN-ReLU blocks, pooling, global average, linear head."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from clskit.models.registry import register_model


@dataclass
class SmallCNNConfig:
    in_chans: int = 3            # 1 for grey images (digits), 3 for colour
    num_classes: int = 10
    widths: tuple[int, ...] = (32, 64, 128)  # channels of each stage; each stage halves H and W
    dropout: float = 0.0         # dropout before the classifier (a regulariser, see notebook 07)
    stem_stride: int = 1         # 2: the first convolution halves H and W, as ImageNet CNNs' stems do (photos of 64 px and more)

    def __post_init__(self):
        if isinstance(self.stem_stride, bool) or not isinstance(self.stem_stride, int) or self.stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 (the first stage sees every pixel) or 2 (the first convolution "
                             f"halves H and W, for photos of 64 px and more); got {self.stem_stride!r}")


def conv_bn(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution -> BatchNorm -> ReLU; keeps H and W (stride 1) or halves them (stride 2)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


class SmallCNN(nn.Module):
    """Stages of (conv_bn, conv_bn, 2x2 max-pool), then global average pooling and a linear head.

    With ``stem_stride=2`` the first convolution also halves H and W, so a 64-px photo meets the rest of the
    first stage at 32 px: about a third of the training time, for photos large enough to spare the pixels.

    Example:
        >>> SmallCNN(SmallCNNConfig(in_chans=1))(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
        >>> SmallCNN(SmallCNNConfig(stem_stride=2)).features[:3](torch.zeros(2, 3, 64, 64)).shape
        torch.Size([2, 32, 16, 16])
    """

    def __init__(self, cfg: SmallCNNConfig = SmallCNNConfig()):
        super().__init__()
        self.cfg = cfg
        layers, c, stride = [], cfg.in_chans, cfg.stem_stride
        for w in cfg.widths:
            # (B, c, H, W) -> (B, w, H/2, W/2); ceil_mode keeps odd sizes (8 -> 4 -> 2 -> 1)
            layers += [conv_bn(c, w, stride), conv_bn(w, w), nn.MaxPool2d(2, ceil_mode=True)]
            c, stride = w, 1
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)               # (B, c, h, w) -> (B, c, 1, 1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(cfg.dropout), nn.Linear(c, cfg.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)))     # (B, num_classes) logits


@register_model
def small_cnn(num_classes: int = 10, pretrained: bool = False, in_chans: int = 3, **kw) -> SmallCNN:
    """The course's small CNN (about 0.3 M parameters with the default widths)."""
    if pretrained:
        raise ValueError("small_cnn has no pretrained weights; use pretrained=False or 'efficientnet_lite0'")
    return SmallCNN(SmallCNNConfig(in_chans=in_chans, num_classes=num_classes, **kw))
