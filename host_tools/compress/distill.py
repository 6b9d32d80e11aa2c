"""Knowledge distillation (Hinton et al. 2015): ``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE``.

``kd_loss_cell`` takes the teacher's logits with each batch; ``online_kd_loss_cell`` runs a frozen teacher
on the same (augmented) batch, which ``mindedge compress`` uses for the student and for slimming's fine-tune.
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


def online_kd_loss_cell(student: Any, teacher: Any, temperature: float = DEFAULT_T,
                        alpha: float = DEFAULT_ALPHA) -> Any:
    """Loss cell ``(x, y) -> scalar`` that runs a frozen ``teacher`` on the same (augmented) batch.

    The teacher stays in eval mode (its BatchNorms use their moving statistics and are not updated) and
    its parameters are renamed ``teacher.*`` and frozen, so they never reach the student's optimizer or
    checkpoint. Used to fine-tune a pruned network from its unpruned self.
    """
    from mindspore import nn, ops

    for p in teacher.get_parameters():
        p.name = f"teacher.{p.name}"
        p.requires_grad = False
    base = kd_loss_cell(student, temperature, alpha)

    class OnlineKDLoss(nn.Cell):
        def __init__(self) -> None:
            super().__init__(auto_prefix=False)
            self.kd = base
            self.teacher = teacher

        def add_flags_recursive(self, **flags: Any) -> Any:  # set_train(True) reaches children through here
            super().add_flags_recursive(**flags)
            if "training" in flags:
                self.teacher.add_flags_recursive(training=False)
            return self

        def construct(self, x: Any, y: Any) -> Any:
            return self.kd(x, y, ops.stop_gradient(self.teacher(x)))

    return OnlineKDLoss()


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
