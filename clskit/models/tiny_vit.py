"""A tiny Vision Transformer (Dosovitskiy et al. 2020, "An Image is Worth 16x16 Words", arXiv:2010.11929).

Read top to bottom:

1. **Patch embedding**: cut the image into ``P x P`` patches and map each to a ``dim``-vector (a
   convolution with kernel = stride = ``P`` does exactly that).
2. **Class token and position embedding**: prepend a learned ``[CLS]`` vector; add a learned vector
   per position, since attention itself ignores order.
3. **Transformer blocks** (pre-norm): ``x = x + Attention(LayerNorm(x))``; ``x = x + MLP(LayerNorm(x))``.
   Multi-head self-attention is written out: ``softmax(Q K^T / sqrt(d)) V`` per head.
4. **Head**: LayerNorm, then a linear layer on the class token.

``model.attention_maps(x)`` returns each block's attention weights, for plots and attention rollout.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from clskit.models.registry import register_model


@dataclass
class TinyViTConfig:
    img_size: int = 16          # input side (digits: load_dataset("digits", size=16))
    patch_size: int = 4         # 16 / 4 = 4x4 = 16 patches (tokens) per image
    in_chans: int = 3
    num_classes: int = 10
    dim: int = 64               # width of every token vector
    depth: int = 4              # transformer blocks
    heads: int = 4              # attention heads; each works in dim / heads = 16 dimensions
    mlp_ratio: float = 2.0      # hidden width of the MLP = mlp_ratio * dim
    dropout: float = 0.0        # dropout on attention weights and MLP outputs


class PatchEmbed(nn.Module):
    """``(B, C, H, W)`` image -> ``(B, N, dim)`` patch tokens, ``N = (H / P) * (W / P)``."""

    def __init__(self, img_size: int, patch_size: int, in_chans: int, dim: int):
        super().__init__()
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be a multiple of patch_size {patch_size}")
        self.img_size, self.patch_size = img_size, patch_size
        self.num_patches = (img_size // patch_size) ** 2
        # A P x P convolution with stride P = a linear map applied to each flattened patch.
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.img_size, self.img_size):
            raise ValueError(
                f"this ViT was built for {self.img_size}x{self.img_size} images; got {tuple(x.shape[-2:])}. "
                f"Resize the images or build the model with img_size={x.shape[-1]}."
            )
        x = self.proj(x)                         # (B, dim, H/P, W/P)
        return x.flatten(2).transpose(1, 2)      # (B, N, dim), patches in row-major order


class Attention(nn.Module):
    """Multi-head self-attention, written out.

    For each head ``h``: ``A_h = softmax(Q_h K_h^T / sqrt(d_head))`` (a ``T x T`` matrix: how much
    each token looks at every other), output ``A_h V_h``; heads are concatenated and projected.
    ``qkv`` and ``proj`` have the same layout as ``nn.MultiheadAttention``'s ``in_proj`` and
    ``out_proj``, so weights copy across (the tests do).
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must be divisible by heads {heads}")
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)       # one matmul makes queries, keys and values
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, return_attn: bool = False):
        b, t, d = x.shape                                                   # (B, T, dim)
        qkv = self.qkv(x).view(b, t, 3, self.heads, self.head_dim)          # (B, T, 3, heads, hd)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)                                # each (B, heads, T, hd)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)         # (B, heads, T, T)
        attn = scores.softmax(dim=-1)                                       # rows sum to 1
        out = self.drop(attn) @ v                                           # (B, heads, T, hd)
        out = self.proj(out.transpose(1, 2).reshape(b, t, d))               # (B, T, dim)
        return (out, attn) if return_attn else out


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, return_attn: bool = False):
        a, attn = self.attn(self.norm1(x), return_attn=True)   # (B, T, dim), (B, heads, T, T)
        x = x + a
        x = x + self.mlp(self.norm2(x))
        return (x, attn) if return_attn else x


class TinyViT(nn.Module):
    """A small Vision Transformer classifier.

    Example:
        >>> m = TinyViT(TinyViTConfig(in_chans=1))
        >>> x = torch.zeros(2, 1, 16, 16)
        >>> m(x).shape, len(m.attention_maps(x)), m.attention_maps(x)[0].shape
        (torch.Size([2, 10]), 4, torch.Size([2, 4, 17, 17]))
    """

    def __init__(self, cfg: TinyViTConfig = TinyViTConfig()):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg.img_size, cfg.patch_size, cfg.in_chans, cfg.dim)
        n = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))               # (1, 1, dim)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, cfg.dim) * 0.02)    # (1, 1 + N, dim)
        self.blocks = nn.ModuleList([Block(cfg.dim, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.depth)])
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    @property
    def grid_size(self) -> int:
        """Patches per side: the attention of the class token to the patches reshapes to ``(grid, grid)``."""
        return self.cfg.img_size // self.cfg.patch_size

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Image ``(B, C, H, W)`` -> tokens ``(B, 1 + N, dim)`` entering the first block."""
        x = self.patch_embed(x)                                  # (B, N, dim)
        cls = self.cls_token.expand(x.shape[0], -1, -1)          # (B, 1, dim)
        return torch.cat([cls, x], dim=1) + self.pos_embed       # (B, 1 + N, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.tokens(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))                     # class token -> (B, num_classes) logits

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Attention weights of every block for images ``x``.

        Returns:
            one tensor ``(B, heads, T, T)`` per block, ``T = 1 + N`` tokens (index 0 is the class
            token, then the patches in row-major order). Row ``i`` is what token ``i`` attends to and
            sums to 1. ``maps[-1][:, :, 0, 1:].reshape(B, heads, grid, grid)`` shows where the class
            token looks in the last block; attention rollout multiplies ``(I + mean over heads)``
            through the blocks (Abnar & Zuidema 2020).

        Example:
            >>> m = TinyViT(TinyViTConfig(in_chans=1)).eval()
            >>> maps = m.attention_maps(torch.rand(1, 1, 16, 16))
            >>> float(maps[0][0, 0].sum(-1).mean())
            1.0
        """
        tokens, maps = self.tokens(x), []
        for block in self.blocks:
            tokens, attn = block(tokens, return_attn=True)
            maps.append(attn)
        return maps


@register_model
def tiny_vit(num_classes: int = 10, pretrained: bool = False, in_chans: int = 3, **kw) -> TinyViT:
    """A tiny ViT for 16x16 images with 4x4 patches (4 blocks, width 64, 4 heads; about 0.14 M parameters)."""
    if pretrained:
        raise ValueError("tiny_vit has no pretrained weights; use pretrained=False (or timm's 'deit_tiny_patch16_224')")
    return TinyViT(TinyViTConfig(in_chans=in_chans, num_classes=num_classes, **kw))
