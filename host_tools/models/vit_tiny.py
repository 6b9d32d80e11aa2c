"""A tiny Vision Transformer for small photos, trained from scratch (Dosovitskiy et al., 2021, scaled down):
``patch`` x ``patch`` patches embedded by a strided convolution, learned position embeddings, ``depth``
pre-norm encoder blocks (multi-head self-attention, GELU MLP), then the mean over the tokens and a LayerNorm
as the pooled features. Written with plain Dense/BatchMatMul/Softmax so that it exports to ONNX (mindcv's
ViT does not: its attention splits q, k, v with an op the ONNX exporter lacks), and with its own LayerNorm:
``nn.LayerNorm`` exports (ReduceSumSquare ...) to an ONNX graph that MindSpore Lite 2.0 converts into a
``.ms`` whose outputs are wrong (max relative error ~2 against ONNX Runtime); this one converts exactly."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Parameter, Tensor, nn, ops  # noqa: E402
from mindspore.common.initializer import TruncatedNormal, initializer  # noqa: E402

from host_tools.errors import ConfigError  # noqa: E402
from host_tools.models.classifier import ImageClassifier  # noqa: E402


class LayerNorm(nn.Cell):
    """(x - mean) / sqrt(var + eps) * gamma + beta over the last axis, in ops that convert to Lite exactly."""

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma = Parameter(initializer("ones", (dim,), ms.float32), name="gamma")
        self.beta = Parameter(initializer("zeros", (dim,), ms.float32), name="beta")
        self.eps = eps

    def construct(self, x: Tensor) -> Tensor:
        centred = x - ops.mean(x, axis=-1, keep_dims=True)
        var = ops.mean(centred * centred, axis=-1, keep_dims=True)
        return centred / ops.sqrt(var + self.eps) * self.gamma + self.beta


class Attention(nn.Cell):
    """Multi-head scaled dot-product self-attention over (N, T, dim)."""

    def __init__(self, dim: int, heads: int, tokens: int) -> None:
        super().__init__()
        self.heads, self.head_dim, self.tokens = heads, dim // heads, tokens
        self.scale = float(self.head_dim) ** -0.5
        self.q, self.k, self.v = nn.Dense(dim, dim), nn.Dense(dim, dim), nn.Dense(dim, dim)
        self.proj = nn.Dense(dim, dim)
        self.softmax = nn.Softmax(axis=-1)

    def _split(self, x: Tensor) -> Tensor:  # (N, T, dim) -> (N, heads, T, head_dim)
        return ops.transpose(ops.reshape(x, (-1, self.tokens, self.heads, self.head_dim)), (0, 2, 1, 3))

    def construct(self, x: Tensor) -> Tensor:
        q, k, v = self._split(self.q(x)), self._split(self.k(x)), self._split(self.v(x))
        attn = self.softmax(ops.BatchMatMul(transpose_b=True)(q, k) * self.scale)
        out = ops.transpose(ops.BatchMatMul()(attn, v), (0, 2, 1, 3))
        return self.proj(ops.reshape(out, (-1, self.tokens, self.heads * self.head_dim)))


class EncoderBlock(nn.Cell):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, tokens: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = LayerNorm(dim)
        self.attn = Attention(dim, heads, tokens)
        self.norm2 = LayerNorm(dim)
        self.mlp = nn.SequentialCell([nn.Dense(dim, dim * mlp_ratio), nn.GELU(approximate=True),
                                      nn.Dense(dim * mlp_ratio, dim)])

    def construct(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTFeatures(nn.Cell):
    """(N, 3, size, size) -> patch tokens -> encoder blocks -> mean over tokens -> LayerNorm: (N, dim)."""

    def __init__(self, image_size: int, patch: int, dim: int, depth: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.tokens = (image_size // patch) ** 2
        self.dim = dim
        self.embed = nn.Conv2d(3, dim, patch, patch, pad_mode="valid", has_bias=True)
        self.pos = Parameter(initializer(TruncatedNormal(0.02), (1, self.tokens, dim), ms.float32), name="pos")
        self.layers = nn.SequentialCell([EncoderBlock(dim, heads, self.tokens, mlp_ratio) for _ in range(depth)])
        self.norm = LayerNorm(dim)

    def construct(self, x: Tensor) -> Tensor:
        x = ops.transpose(ops.reshape(self.embed(x), (-1, self.dim, self.tokens)), (0, 2, 1)) + self.pos
        return self.norm(ops.mean(self.layers(x), axis=1))


class ViTTiny(ImageClassifier):
    """ViT for ``image_size`` x ``image_size`` photos (the size is fixed by the position embeddings)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.0, image_size: int = 32, patch: int = 4,
                 dim: int = 96, depth: int = 4, heads: int = 3, mlp_ratio: int = 2) -> None:
        if image_size % patch or dim % heads:
            raise ConfigError(f"ViT: image size {image_size} must be a multiple of the patch {patch} and width "
                              f"{dim} of the heads {heads}")
        super().__init__(ViTFeatures(image_size, patch, dim, depth, heads, mlp_ratio), dim, num_classes, dropout)

    def blocks(self) -> list[nn.Cell]:
        """The encoder blocks, input side first."""
        return list(self.backbone.layers)
