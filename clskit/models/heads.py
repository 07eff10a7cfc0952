"""Replace the classifier head of a torchvision model for a new number of classes.

Every torchvision classifier ends in one "head" module that maps features to 1000 ImageNet logits;
its attribute name differs by family:

| family                                   | head                              |
|------------------------------------------|-----------------------------------|
| ResNet, ResNeXt, RegNet, ShuffleNet, GoogLeNet, Inception | ``fc`` (Linear)         |
| AlexNet, VGG, MobileNet, EfficientNet, ConvNeXt, MNASNet, MaxViT | last Linear in ``classifier`` |
| DenseNet                                 | ``classifier`` (Linear)           |
| SqueezeNet                               | ``classifier[1]``: a 1x1 **Conv2d** (a conv head!) |
| ViT                                      | ``heads.head`` (Linear)           |
| Swin                                     | ``head`` (Linear)                 |

Inception-v3 and GoogLeNet may also carry auxiliary heads (``AuxLogits.fc``, ``aux1.fc2``,
``aux2.fc2``), which are replaced too so that training with them stays consistent.
"""
from __future__ import annotations

import torch.nn as nn

# Where the head lives, tried in this order (the first attribute that exists wins).
_HEAD_ATTRS = ("fc", "heads", "head", "classifier")
# Auxiliary classifiers of GoogLeNet / Inception-v3 (only present when aux_logits=True).
_AUX_HEADS = ("AuxLogits.fc", "aux1.fc2", "aux2.fc2")


def find_head(model: nn.Module) -> str:
    """Dotted name of the final classifier layer (a Linear, or SqueezeNet's 1x1 Conv2d).

    The one head finder of the kit (replacing heads, freezing the body, embeddings). Tried in order:

    1. the model says it itself: timm models and the kit's backbones carry ``pretrained_cfg["classifier"]``;
    2. torchvision's attribute names (``fc``, ``heads``, ``head``, ``classifier``; the table above),
       where a container's last Linear or Conv2d is the head;
    3. otherwise the last ``nn.Linear`` of the model (the kit's from-scratch models).

    Example:
        >>> import torchvision
        >>> find_head(torchvision.models.resnet18()), find_head(torchvision.models.squeezenet1_1())
        ('fc', 'classifier.1')
        >>> find_head(nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
        '3'
    """
    cfg = getattr(model, "pretrained_cfg", None) or {}
    name = cfg.get("classifier") if isinstance(cfg, dict) else None
    if isinstance(name, str) and _has_submodule(model, name):
        return name
    for attr in _HEAD_ATTRS:
        module = getattr(model, attr, None)
        if not isinstance(module, nn.Module):
            continue
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            return attr
        # A container (Sequential of Dropout, Linear, ...): its last Linear or Conv2d is the head.
        last = None
        for sub_name, sub in module.named_modules():
            if isinstance(sub, (nn.Linear, nn.Conv2d)) and sub_name:
                last = sub_name
        if last is not None:
            return f"{attr}.{last}"
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and n]
    if linears:
        return linears[-1]
    raise ValueError(
        f"could not find the classifier head of {type(model).__name__}: no pretrained_cfg['classifier'], none of "
        f"the attributes {', '.join(_HEAD_ATTRS)} holds a Linear or Conv2d layer, and it has no nn.Linear. "
        "Replace the last layer by hand (model.<name> = nn.Linear(in_features, num_classes))."
    )


def _new_layer(old: nn.Module, num_classes: int) -> nn.Module:
    if isinstance(old, nn.Linear):
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    elif isinstance(old, nn.Conv2d):
        # SqueezeNet's head: a 1x1 convolution to num_classes maps, then ReLU and global average pooling.
        new = nn.Conv2d(old.in_channels, num_classes, old.kernel_size, old.stride, old.padding,
                        bias=old.bias is not None)
    else:
        raise TypeError(f"a head must be nn.Linear or nn.Conv2d; got {type(old).__name__}")
    return new.to(device=old.weight.device, dtype=old.weight.dtype)


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the classifier head (and auxiliary heads) for freshly initialised ones with ``num_classes`` outputs.

    The rest of the network (the pretrained backbone, if any) is untouched. The model is changed in
    place and also returned. The new head outputs logits; the Learner applies softmax or sigmoid.

    Args:
        model: a torchvision classifier (ResNet, VGG, AlexNet, MobileNet, EfficientNet, SqueezeNet,
            DenseNet, GoogLeNet, Inception, ViT, Swin, ConvNeXt, RegNet, ...).
        num_classes: outputs of the new head.

    Example:
        >>> import torchvision, torch
        >>> m = replace_head(torchvision.models.resnet18(), 5)
        >>> m(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 5])
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1; got {num_classes}")
    names = [find_head(model)] + [n for n in _AUX_HEADS if _has_submodule(model, n)]
    for name in names:
        model.set_submodule(name, _new_layer(model.get_submodule(name), num_classes))
    if hasattr(model, "num_classes"):  # SqueezeNet keeps num_classes for its forward
        model.num_classes = num_classes
    return model


def _has_submodule(model: nn.Module, name: str) -> bool:
    try:
        return model.get_submodule(name) is not None
    except AttributeError:
        return False
