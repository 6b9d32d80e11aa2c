"""Model compression: BN-gamma slimming + channel surgery, post-training and quantization-aware int8,
knowledge distillation, and the ``run_compress`` pipeline that judges every variant on the Lite runtime."""
