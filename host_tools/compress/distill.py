"""Knowledge distillation (Hinton et al. 2015): ``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE``.

Teacher logits are computed once (eval mode, no augmentation) and fed to the loss cell with each batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_T = 4.0
DEFAULT_ALPHA = 0.7


def kd_loss_cell(student: Any, temperature: float = DEFAULT_T, alpha: float = DEFAULT_ALPHA) -> Any:
    """Loss cell ``(x, y, teacher_logits) -> scalar`` for ``trainer.fit(..., extra=[teacher_logits])``."""
    from mindspore import nn, ops

    class KDLoss(nn.Cell):
        def __init__(self) -> None:
            super().__init__(auto_prefix=False)
            self.student = student
            self.ce = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
            self.t = temperature
            self.alpha = alpha

        def construct(self, x: Any, y: Any, teacher: Any) -> Any:
            logits = self.student(x)
            log_p_s = ops.log_softmax(logits / self.t, axis=1)
            log_p_t = ops.log_softmax(teacher / self.t, axis=1)
            kl = (ops.exp(log_p_t) * (log_p_t - log_p_s)).sum(axis=1).mean()
            return self.alpha * self.t * self.t * kl + (1.0 - self.alpha) * self.ce(logits, y)

    return KDLoss()


def kd_loss_numpy(student: np.ndarray, teacher: np.ndarray, y: np.ndarray, temperature: float = DEFAULT_T,
                  alpha: float = DEFAULT_ALPHA) -> float:
    """The same loss in numpy (reference for tests)."""
    def log_softmax(z: np.ndarray) -> np.ndarray:
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    ls, lt = log_softmax(student / temperature), log_softmax(teacher / temperature)
    kl = float((np.exp(lt) * (lt - ls)).sum(axis=1).mean())
    ce = float(-log_softmax(student)[np.arange(len(y)), y].mean())
    return alpha * temperature**2 * kl + (1 - alpha) * ce
