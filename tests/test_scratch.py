"""Convolution, pooling and attention written by hand agree with PyTorch's implementations."""
import random

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.models.measure import count_parameters
from clskit.models.scratch import avg_pool2d, conv2d, conv_output_size, max_pool2d, receptive_field
from clskit.models.tiny_vit import Attention, TinyViT, TinyViTConfig


def _random_conv_case(rng: random.Random):
    groups = rng.choice([1, 1, 2, 3])
    c = groups * rng.randint(1, 3)
    o = groups * rng.randint(1, 3)
    kh, kw = rng.randint(1, 4), rng.randint(1, 4)
    stride = (rng.randint(1, 3), rng.randint(1, 3))
    padding = (rng.randint(0, 2), rng.randint(0, 2))
    dilation = (rng.randint(1, 2), rng.randint(1, 2))
    h = rng.randint(dilation[0] * (kh - 1) + 1, 12)
    w = rng.randint(dilation[1] * (kw - 1) + 1, 12)
    return dict(shape=(rng.randint(1, 3), c, h, w), weight=(o, c // groups, kh, kw),
                stride=stride, padding=padding, dilation=dilation, groups=groups, bias=rng.random() < 0.5)


@pytest.mark.parametrize("case", range(40))
def test_conv2d_matches_torch(case):
    rng = random.Random(case)
    p = _random_conv_case(rng)
    torch.manual_seed(case)
    x, w = torch.randn(p["shape"]), torch.randn(p["weight"])
    b = torch.randn(p["weight"][0]) if p["bias"] else None
    kw = dict(stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
    ours, ref = conv2d(x, w, b, **kw), F.conv2d(x, w, b, **kw)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)


def test_conv2d_gradients_match_torch():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 7, 7, requires_grad=True)
    w = torch.randn(6, 2, 3, 3, requires_grad=True)
    conv2d(x, w, stride=2, padding=1, groups=2).square().sum().backward()
    gx, gw = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    F.conv2d(x, w, stride=2, padding=1, groups=2).square().sum().backward()
    torch.testing.assert_close(gx, x.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(gw, w.grad, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("case", range(30))
def test_pooling_matches_torch(case):
    rng = random.Random(1000 + case)
    k = (rng.randint(1, 4), rng.randint(1, 4))
    stride = rng.choice([None, (rng.randint(1, 3), rng.randint(1, 3))])
    padding = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
    torch.manual_seed(case)
    x = torch.randn(rng.randint(1, 3), rng.randint(1, 4), rng.randint(k[0], 11), rng.randint(k[1], 11))
    assert torch.equal(max_pool2d(x, k, stride, padding), F.max_pool2d(x, k, stride, padding))
    torch.testing.assert_close(avg_pool2d(x, k, stride, padding), F.avg_pool2d(x, k, stride, padding))


def test_max_pool_dilation():
    x = torch.randn(2, 3, 10, 10)
    assert torch.equal(max_pool2d(x, 3, 2, 1, dilation=2), F.max_pool2d(x, 3, 2, 1, dilation=2))


def test_conv_output_size_and_errors():
    for n, k, s, p, d in [(8, 3, 1, 1, 1), (9, 3, 2, 0, 1), (224, 7, 2, 3, 1), (10, 3, 1, 0, 2)]:
        assert conv_output_size(n, k, s, p, d) == nn.Conv2d(1, 1, k, s, p, d)(torch.zeros(1, 1, n, n)).shape[-1]
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 5)
    with pytest.raises(ValueError, match="groups=2"):
        conv2d(torch.zeros(1, 3, 5, 5), torch.zeros(4, 1, 3, 3), groups=2)


def test_receptive_field_of_vgg_style_stack():
    # two 3x3 convs see 5x5, three see 7x7 (Simonyan & Zisserman 2014); a 2x2 pool then doubles the jump
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))
    assert [(rf, j) for _, rf, j in receptive_field(net)] == [(3, 1), (5, 1), (7, 1), (8, 2), (12, 2)]
    # dilation 2 makes a 3x3 kernel cover 5x5
    assert receptive_field([nn.Conv2d(1, 1, 3, dilation=2)])[0][1] == 5


def test_count_parameters():
    m = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Linear(8, 2))
    assert count_parameters(m) == 8 * 27 + 8 + 16 + 2
    m[0].requires_grad_(False)
    assert count_parameters(m, trainable_only=True) == 18


# -- attention ------------------------------------------------------------------------------------
def test_attention_matches_multihead_attention():
    torch.manual_seed(0)
    dim, heads = 32, 4
    ours = Attention(dim, heads).eval()
    ref = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    with torch.no_grad():  # same layouts: qkv = in_proj, proj = out_proj
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
    x = torch.randn(3, 9, dim)
    out, attn = ours(x, return_attn=True)
    ref_out, ref_attn = ref(x, x, x, need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(attn, ref_attn, atol=1e-6, rtol=1e-5)


def test_attention_matches_scaled_dot_product_attention():
    torch.manual_seed(1)
    att = Attention(16, 2)
    x = torch.randn(2, 5, 16)
    q, k, v = att.qkv(x).view(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
    ref = att.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 5, 16))
    torch.testing.assert_close(att(x), ref, atol=1e-5, rtol=1e-5)


def test_vit_attention_maps():
    torch.manual_seed(0)
    model = TinyViT(TinyViTConfig(in_chans=1, depth=3, heads=2, dim=32)).eval()
    x = torch.rand(2, 1, 16, 16)
    maps = model.attention_maps(x)
    assert len(maps) == 3
    assert all(m.shape == (2, 2, 17, 17) for m in maps)
    torch.testing.assert_close(maps[0].sum(-1), torch.ones(2, 2, 17))
    assert model.grid_size ** 2 == 16
    # the maps come from the same computation as forward: recompute block 0 by hand
    tokens = model.tokens(x)
    _, attn0 = model.blocks[0].attn(model.blocks[0].norm1(tokens), return_attn=True)
    torch.testing.assert_close(maps[0], attn0)
    with pytest.raises(ValueError, match="img_size=8"):
        model(torch.rand(1, 1, 8, 8))
