"""``mindedge evaluate``: accuracy, per-class precision/recall, confusion, suspect labels, calibration,
Grad-CAM and FGSM robustness of a checkpoint or a ``.ms``."""
