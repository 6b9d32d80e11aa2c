"""The numbers of `mindedge evaluate`, on cases worked out by hand: confusion, precision/recall, most confused
pairs, highest-loss samples, calibration, and FGSM's perturbation."""

from __future__ import annotations

import numpy as np
import pytest

from host_tools.evaluate import metrics

LABELS = ["a", "b", "c"]


def _logits(pred: list[int], confidence: float = 0.9) -> np.ndarray:
    """Logits whose softmax puts ``confidence`` on ``pred`` and the rest evenly on the other two classes."""
    out = np.full((len(pred), 3), np.log((1 - confidence) / 2))
    out[np.arange(len(pred)), pred] = np.log(confidence)
    return out


def test_confusion_precision_recall_and_the_most_confused_pairs():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    pred = [0, 1, 1, 1, 1, 2, 0, 2]
    s = metrics.summarize(_logits(pred), y, LABELS)
    assert s["confusion_matrix"] == [[1, 2, 0], [0, 2, 0], [1, 0, 2]] and s["accuracy"] == 5 / 8
    a, b, c = s["per_class"]
    assert (a["precision"], a["recall"], a["support"]) == (1 / 2, 1 / 3, 3)
    assert (b["precision"], b["recall"]) == (2 / 4, 1.0) and (c["precision"], c["recall"]) == (1.0, 2 / 3)
    assert [(p["true"], p["predicted"], p["count"]) for p in s["most_confused"]] == [("a", "b", 2), ("c", "a", 1)]
    assert s["most_confused"][0]["share_of_true"] == pytest.approx(2 / 3)


def test_a_class_never_predicted_has_no_precision():
    s = metrics.summarize(_logits([0, 0]), np.array([0, 2]), LABELS)
    assert s["per_class"][1]["precision"] is None and s["per_class"][1]["recall"] is None
    assert s["per_class"][2]["recall"] == 0.0


def test_the_highest_loss_samples_come_first_with_their_probabilities():
    logits = np.array([[5.0, 0, 0], [0, 0, 5.0], [1.0, 0, 0], [0, 3.0, 0]])
    y = np.array([0, 0, 0, 0])
    top = metrics.highest_loss(logits, y, LABELS, 2)
    assert [t["index"] for t in top] == [1, 3] and top[0]["predicted"] == "c"
    assert top[0]["loss"] == pytest.approx(-np.log(1 / (2 + np.exp(5.0))))
    assert top[0]["p_given"] == pytest.approx(1 / (2 + np.exp(5.0)))


def test_calibration_error_of_an_overconfident_and_a_calibrated_model():
    y = np.zeros(10, dtype=np.int64)
    calibrated = metrics.calibration(_logits([0] * 9 + [1], 0.9), y)  # 90% sure, 90% right
    assert calibrated["ece"] == pytest.approx(0.0, abs=1e-12)
    over = metrics.calibration(_logits([0] * 6 + [1] * 4, 0.9), y)  # 90% sure, 60% right
    assert over["ece"] == pytest.approx(0.3)
    [used] = [b for b in over["bins"] if b["count"]]
    assert used["count"] == 10 and used["lo"] < 0.9 <= used["hi"] and used["accuracy"] == pytest.approx(0.6)
    assert sum(b["count"] for b in over["bins"]) == 10 and len(over["bins"]) == metrics.CALIBRATION_BINS


def test_logits_that_do_not_fit_the_labels_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        metrics.summarize(np.zeros((2, 4)), np.array([0, 1]), LABELS)


def test_fgsm_moves_each_pixel_by_eps_within_the_pixel_range():
    from host_tools.evaluate.fgsm import adversarial

    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]
    m, s = np.array(mean).reshape(1, 3, 1, 1), np.array(std).reshape(1, 3, 1, 1)
    pix = np.random.default_rng(0).uniform(0, 1, (2, 3, 8, 8))
    x = ((pix - m) / s).astype(np.float32)
    signs = np.sign(np.random.default_rng(1).standard_normal(x.shape)).astype(np.float32)
    adv_pix = adversarial(x, signs, 0.05, mean, std) * s + m
    moved = np.abs(adv_pix - pix)
    inside = (pix + 0.05 * signs >= 0) & (pix + 0.05 * signs <= 1)
    assert np.allclose(moved[inside], 0.05, atol=1e-5)
    assert adv_pix.min() >= -1e-6 and adv_pix.max() <= 1 + 1e-6 and not inside.all()
    assert np.allclose(adversarial(x, signs, 0.0, mean, std), x)
