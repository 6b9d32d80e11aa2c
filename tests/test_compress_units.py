"""Compression building blocks: surgery, channel selection, fake quant + STE, KD loss, Pareto, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from host_tools.errors import ConfigError, ModelError


@pytest.fixture(scope="module")
def ms():
    from host_tools import msenv

    return msenv.graph_mode_cpu(0)


def _randomized_lenet_bn(ms, rng):
    from host_tools.compress.surgery import LENET_BN_GROUPS, get_cell
    from host_tools.models.registry import create_model

    net = create_model("lenet_bn")
    net.set_train(False)
    for g in LENET_BN_GROUPS:
        bn = get_cell(net, g.bn)
        for name in ("gamma", "beta", "moving_mean"):
            p = getattr(bn, name)
            p.set_data(ms.Tensor(rng.standard_normal(p.shape).astype(np.float32)))
    return net


def test_surgery_keeping_everything_is_identity(ms):
    from host_tools.compress import surgery

    rng = np.random.default_rng(0)
    net = _randomized_lenet_bn(ms, rng)
    x = ms.Tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
    before = net(x).asnumpy()
    report = surgery.apply(net, surgery.LENET_BN_GROUPS, {"bn1": np.arange(6), "bn2": np.arange(16)})
    assert report.after == report.before == {"bn1": 6, "bn2": 16}
    np.testing.assert_array_equal(net(x).asnumpy(), before)


def test_removing_dead_channels_keeps_outputs_and_shapes(ms):
    """Channels with gamma = beta = 0 output exactly 0 after ReLU: cutting them must not change the logits."""
    from host_tools.compress import surgery

    rng = np.random.default_rng(1)
    net = _randomized_lenet_bn(ms, rng)
    dead = {"bn1": [1, 4], "bn2": [0, 5, 9]}
    for bn_name, idx in dead.items():
        bn = surgery.get_cell(net, bn_name)
        for name in ("gamma", "beta"):
            v = getattr(bn, name).asnumpy().copy()
            v[idx] = 0.0
            getattr(bn, name).set_data(ms.Tensor(v))
    x = ms.Tensor(rng.standard_normal((3, 1, 28, 28)).astype(np.float32))
    before = net(x).asnumpy()
    keep = {k: np.setdiff1d(np.arange(6 if k == "bn1" else 16), v) for k, v in dead.items()}
    surgery.apply(net, surgery.LENET_BN_GROUPS, keep)
    assert tuple(net.conv1.weight.shape) == (4, 1, 5, 5)
    assert tuple(net.conv2.weight.shape) == (13, 4, 5, 5)
    assert tuple(net.bn2.gamma.shape) == (13,)
    assert tuple(net.fc1.weight.shape) == (120, 13 * 16)
    assert net.fc1.weight.name == "fc1.weight"
    np.testing.assert_allclose(net(x).asnumpy(), before, rtol=1e-5, atol=1e-5)


def test_global_selection_never_removes_a_layer():
    from host_tools.compress.slimming import select_channels

    gammas = {"a": np.full(8, 1e-6), "b": np.linspace(0.5, 1.0, 8)}
    kept = select_channels(gammas, 0.5, min_keep_fraction=0.25)
    assert len(kept["a"]) == 2 and len(kept["b"]) == 8  # floor: ceil(0.25 * 8) channels per layer
    kept = select_channels(gammas, 0.5)  # default floor: half of each layer
    assert len(kept["a"]) == 4 and len(kept["b"]) == 8
    kept = select_channels({"a": np.array([3.0, 0.1, 2.0, 0.2])}, 0.5)
    np.testing.assert_array_equal(kept["a"], [0, 2])


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_ratio_outside_open_interval_is_rejected(ratio):
    from host_tools.compress.slimming import select_channels

    with pytest.raises(ConfigError, match="outside"):
        select_channels({"a": np.ones(4)}, ratio)


def test_weight_fake_quant_is_on_the_int8_grid_with_straight_through_gradient(ms):
    from host_tools.compress import fakequant as fq

    rng = np.random.default_rng(2)
    w = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    q = fq.fake_quant_weight(ms.Tensor(w)).asnumpy()
    scale = np.abs(w).reshape(4, -1).max(axis=1).reshape(4, 1, 1, 1) / 127
    levels = q / scale
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    assert np.abs(levels).max() <= 127 + 1e-3
    np.testing.assert_allclose(q, w, atol=scale.max() / 2 + 1e-6)

    def f(t):
        return (fq.fake_quant_weight(t) * 3.0).sum()

    np.testing.assert_array_equal(ms.grad(f)(ms.Tensor(w)).asnumpy(), np.full_like(w, 3.0))


def test_activation_fake_quant_grid_and_moving_range(ms):
    from host_tools.compress import fakequant as fq

    x = np.array([[-1.0, -0.3, 0.0, 0.25, 2.0]], np.float32)
    scale, zp = (float(v.asnumpy()) for v in fq.act_qparams(ms.Tensor(-1.0), ms.Tensor(2.0)))
    q = fq.fake_quant_act(ms.Tensor(x), ms.Tensor(-1.0), ms.Tensor(2.0)).asnumpy()
    levels = q / scale + zp
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    assert levels.min() >= -128 - 1e-3 and levels.max() <= 127 + 1e-3
    assert q[0, 2] == 0.0  # zero is exact

    def f(t):
        return fq.fake_quant_act(t, ms.Tensor(-1.0), ms.Tensor(2.0)).sum()

    np.testing.assert_array_equal(ms.grad(f)(ms.Tensor(x)).asnumpy(), np.ones_like(x))
    cell = fq.ActFakeQuant(decay=0.5)
    cell.set_train(True)
    cell(ms.Tensor(np.array([[-2.0, 4.0]], np.float32)))  # first batch sets the range
    cell(ms.Tensor(np.array([[0.0, 2.0]], np.float32)))  # then EMA: 0.5 * old + 0.5 * batch
    assert float(cell.minv.asnumpy()) == pytest.approx(-1.0)
    assert float(cell.maxv.asnumpy()) == pytest.approx(3.0)


def test_kd_loss_matches_hand_computation(ms):
    from host_tools.compress.distill import kd_loss_cell, kd_loss_numpy
    from host_tools.models.registry import create_model

    # hand computation for one sample, two classes, T = 2, alpha = 0.5
    s, t, y = np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]]), np.array([0])
    ps = np.exp([0.5, 0.0]) / np.exp([0.5, 0.0]).sum()
    pt = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    kl = float((pt * np.log(pt / ps)).sum())
    ce = float(-np.log(np.exp(1.0) / (np.exp(1.0) + 1.0)))
    assert kd_loss_numpy(s, t, y, 2.0, 0.5) == pytest.approx(0.5 * 4 * kl + 0.5 * ce)
    # the MindSpore loss cell gives the same value on a real student
    rng = np.random.default_rng(3)
    student = create_model("lenet_small")
    student.set_train(False)
    x = rng.standard_normal((5, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 5).astype(np.int32)
    teacher = rng.standard_normal((5, 10)).astype(np.float32) * 3
    got = float(kd_loss_cell(student, 4.0, 0.7)(ms.Tensor(x), ms.Tensor(labels), ms.Tensor(teacher)).asnumpy())
    want = kd_loss_numpy(student(ms.Tensor(x)).asnumpy(), teacher, labels, 4.0, 0.7)
    assert got == pytest.approx(want, rel=1e-5)


def test_pareto_front():
    from host_tools.compress.pipeline import pareto

    pts = [("a", 0.99, 100.0), ("b", 0.98, 50.0), ("c", 0.97, 60.0), ("d", 0.99, 120.0)]
    assert pareto(pts) == {"a", "b"}


def test_methods_are_parsed_and_unknown_ones_rejected():
    from host_tools.compress.pipeline import parse_methods

    assert parse_methods(["slim+ptq-full8,ptq-fp16", "qat"]) == [
        ("baseline", None), ("slim", "ptq-full8"), ("baseline", "ptq-fp16"), ("baseline", "qat")]
    for bad in (["prune"], ["slim+kd"], ["ptq-fp16+qat"], ["slim+bogus"]):
        with pytest.raises(ConfigError, match="unknown compression method"):
            parse_methods(bad)


def test_run_compress_rejects_bad_input_before_training(tmp_path):
    from host_tools.compress.pipeline import run_compress

    with pytest.raises(ConfigError, match="unknown compression method"):
        run_compress("lenet", ["sparsify"], tmp_path)
    with pytest.raises(ConfigError, match="outside"):
        run_compress("lenet", ["slim"], tmp_path, ratio=1.0)
    with pytest.raises(ConfigError, match="unknown model"):
        run_compress("resnet", ["baseline"], tmp_path)
    with pytest.raises(ConfigError, match="unknown compress option"):
        run_compress("lenet", ["baseline"], tmp_path, ratoi=0.5)
    with pytest.raises(ModelError, match="does not exist"):
        run_compress("lenet", ["baseline"], tmp_path, checkpoint=tmp_path / "nope.ckpt")


def test_photo_models_get_their_own_methods_and_the_rest_are_refused(tmp_path):
    from host_tools.compress.methods import PHOTO_METHODS
    from host_tools.compress.pipeline import CompressConfig, builder_for, check_config, default_methods, run_compress

    assert default_methods("mobilenet_v2") == list(PHOTO_METHODS) and "qat" in default_methods("lenet")
    plans = check_config(CompressConfig(model="mobilenet_v2", methods=list(PHOTO_METHODS)))
    assert ("slim", "ptq-mixed") in plans and ("baseline", "ptq-full8") in plans
    for bad in (["qat"], ["slim+qat"], ["ptq-weight8"], ["kd"]):
        with pytest.raises(ConfigError, match=r"not available|distillation"):
            run_compress("mobilenet_v2", bad, tmp_path)
    with pytest.raises(ConfigError, match="does not know how to compress 'resnet20'"):
        run_compress("resnet20", None, tmp_path)
    assert builder_for("mobilenet_v2").__name__ == "PhotoBuilder" and builder_for("lenet").__name__ == "LenetBuilder"


def test_checkpoint_of_another_model_is_rejected(tmp_path):
    from host_tools import manifest
    from host_tools.compress.pipeline import run_compress

    ckpt = tmp_path / "wide.ckpt"
    ckpt.write_bytes(b"not really a checkpoint")
    m = manifest.describe(ckpt, "checkpoint", inputs=[], outputs=[], extra={"model": "lenet_wide"})
    manifest.save(m, ckpt)
    with pytest.raises(ModelError, match="holds model 'lenet_wide', not 'lenet'"):
        run_compress("lenet", ["baseline"], tmp_path, checkpoint=ckpt)


def test_ptq_templates_render(tmp_path):
    from converters import quant

    text = quant.config_text(quant.mode("weight-mixed"))
    assert "quant_type=WEIGHT_QUANT" in text and "bit_num=0" in text and "[mixed_bit_weight_quant_param]" in text
    with pytest.raises(ConfigError, match="calibration"):
        quant.config_text(quant.mode("full8"))
    with pytest.raises(ConfigError, match=r"no \.bin samples"):
        quant.config_text(quant.mode("full8"), tmp_path)
    calib = quant.write_calibration(np.zeros((3, 1, 4, 4), np.float32), tmp_path / "calib")
    full = quant.config_text(quant.mode("full8"), calib, "input_1")
    assert f"calibrate_path=input_1:{calib.resolve()}" in full and "calibrate_size=3" in full
    assert "enable_encode=false" in quant.config_text(quant.mode("weight8"), overrides={"enable_encode": "false"})
    with pytest.raises(ConfigError, match="unknown quantization 'int3'"):
        quant.mode("int3")


def test_variant_table_aligns_columns_and_names_failed_stages():
    from host_tools.compress.pipeline import render_table

    ok = {"name": "fp32", "status": "ok", "test_accuracy": 0.9926, "params": 44426, "flops": 563000,
          "ms_bytes": 180680, "vs_fp32": {"bytes": 1.0}, "p50_ms": 0.0344, "pareto": {"bytes": True}}
    bad = {"name": "ptq-weight8", "status": "failed", "converted": True, "error": "GetPackData failed",
           "params": 44426, "flops": None, "ms_bytes": 61952, "vs_fp32": {"bytes": 2.92}}
    text = render_table({"variants": [ok, bad], "test_images": 10000})
    lines = text.splitlines()
    assert lines[0].split() == ["variant", "status", "acc", "(.ms)", "params", "MFLOPs", ".ms", "bytes", "x",
                                "smaller", "p50", "ms", "pareto"]
    assert set(lines[1]) <= {"-", " "}
    row = lines[2]
    assert row.split()[:3] == ["fp32", "ok", "99.26%"] and row.rstrip().endswith("B")
    # numbers right-aligned: the .ms byte counts end in the same column
    assert lines[2].index("180,680") + len("180,680") == lines[3].index("61,952") + len("61,952")
    assert "  ptq-weight8 (converted, did not run): GetPackData failed" in lines
