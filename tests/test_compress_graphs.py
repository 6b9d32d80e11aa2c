"""ONNX rewrites of the compression investigation (dense as conv, QAT QDQ with int32 bias) and online distillation."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def lenet_onnx(tmp_path_factory):
    from host_tools.compress.artifacts import export_onnx
    from host_tools.compress.trainer import setup
    from host_tools.models.registry import create_model

    setup(0)
    net = create_model("lenet")
    net.set_train(False)
    return export_onnx(net, tmp_path_factory.mktemp("graphs") / "lenet.onnx")


def _run(path, x):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"x": xi[None]})[0] for xi in x])


def test_dense_layers_as_convolutions_give_the_same_outputs(lenet_onnx, tmp_path):
    import onnx

    from host_tools.compress.investigate import gemm_as_conv

    out = gemm_as_conv(lenet_onnx, tmp_path / "conv.onnx")
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    assert "Gemm" not in ops and ops.count("Conv") == 5 and ops[-1] == "Flatten"
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(_run(out, x), _run(lenet_onnx, x), rtol=1e-5, atol=1e-5)


def test_qdq_export_quantizes_bias_to_int32_on_the_input_times_weight_scale(lenet_onnx, tmp_path):
    import onnx
    from onnx import numpy_helper

    from host_tools.compress.qat import LayerRange, quantize_weight, to_qdq

    model = onnx.load(str(lenet_onnx))
    weights = [n.input[1] for n in model.graph.node if n.op_type in ("Conv", "Gemm")]
    ranges = [LayerRange(w, 1 / 127, 0) for w in weights]
    out = to_qdq(lenet_onnx, ranges, tmp_path / "qdq.onnx")
    q = onnx.load(str(out))
    inits = {i.name: numpy_helper.to_array(i) for i in q.graph.initializer}
    floats = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    bias = next(n.input[2] for n in model.graph.node if n.op_type == "Conv")
    w = next(n.input[1] for n in model.graph.node if n.op_type == "Conv")
    _, w_scale = quantize_weight(floats[w])
    assert inits[f"{bias}_q"].dtype == np.int32
    np.testing.assert_allclose(inits[f"{bias}_scale"], w_scale * (1 / 127), rtol=1e-6)
    recovered = inits[f"{bias}_q"] * inits[f"{bias}_scale"]
    assert np.all(np.abs(recovered - floats[bias]) <= inits[f"{bias}_scale"] / 2 + 1e-9)
    dq_ops = [n for n in q.graph.node if n.op_type == "DequantizeLinear"]
    assert len(dq_ops) == 3 * len(weights)  # activation, weight and bias of every layer
    x = np.random.default_rng(1).random((8, 1, 28, 28)).astype(np.float32)
    ref, got = _run(lenet_onnx, x), _run(out, x)
    assert np.abs(got - ref).max() < 0.1 * np.abs(ref).max()  # int8 error, not a different network


def test_online_distillation_keeps_the_teacher_frozen_in_eval_mode():
    from host_tools.compress.distill import online_kd_loss_cell
    from host_tools.compress.trainer import FitConfig, fit, setup
    from host_tools.models.registry import create_model

    setup(0)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (256, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 256)
    teacher = create_model("lenet_bn")
    teacher.set_train(False)
    before = [p.data.asnumpy().copy() for p in teacher.get_parameters()]
    student = create_model("lenet_small")
    s_before = [p.data.asnumpy().copy() for p in student.trainable_params()]
    fit(student, images, labels, FitConfig(epochs=1, batch_size=64, augment=True),
        loss_cell=online_kd_loss_cell(student, teacher))
    assert not teacher.training and not teacher.bn1.training
    assert all(np.array_equal(a, p.data.asnumpy()) for a, p in zip(before, teacher.get_parameters(), strict=True))
    assert all(p.name.startswith("teacher.") for p in teacher.get_parameters())
    assert not any(p.name.startswith("teacher.") for p in student.get_parameters())
    assert any(not np.array_equal(a, p.data.asnumpy()) for a, p in zip(s_before, student.trainable_params(),
                                                                           strict=True))


def test_export_accepts_names_and_folders_mindspore_refuses(lenet_onnx, tmp_path):
    import onnx

    from host_tools.compress.artifacts import export_onnx
    from host_tools.models.registry import create_model

    net = create_model("lenet")
    out = export_onnx(net, tmp_path / "runs with space" / "slim+qat.onnx")
    assert [p.name for p in out.parent.iterdir()] == ["slim+qat.onnx"]  # no temp or partial files left
    onnx.checker.check_model(onnx.load(str(out)))
