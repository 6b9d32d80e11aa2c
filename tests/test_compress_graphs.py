"""ONNX rewrites of the compression investigation (dense as conv, QAT QDQ with int32 bias) and online distillation."""

from __future__ import annotations

import numpy as np
import pytest

from host_tools import manifest


def export_onnx(net, path, model="lenet", model_kwargs=None):
    """Through the public path: a checkpoint with its manifest, then ``export.export_net``."""
    from host_tools.data.dataset import normalization_record
    from host_tools.export import export_net
    from host_tools.train.checkpoint import save_checkpoint

    ckpt = save_checkpoint(net, path.with_suffix(".ckpt"), model, normalization_record(0.1307, 0.3081),
                           [str(i) for i in range(10)], model_kwargs=model_kwargs)
    return export_net(net, path, "onnx", ckpt)


@pytest.fixture(scope="module")
def lenet_onnx(tmp_path_factory):
    from host_tools import msenv
    from host_tools.models.registry import create_model

    msenv.graph_mode_cpu(0)
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


def test_qdq_export_carries_the_qat_ranges_in_the_form_the_converter_takes(lenet_onnx, tmp_path):
    import onnx
    from onnx import numpy_helper

    from host_tools.compress.qat import LayerRange, quantize_weight, to_qdq

    model = onnx.load(str(lenet_onnx))
    weights = [n.input[1] for n in model.graph.node if n.op_type in ("Conv", "Gemm")]
    ranges = [LayerRange(w, (1 + 0.1 * i) / 127, 0) for i, w in enumerate(weights)]
    out = to_qdq(lenet_onnx, ranges, tmp_path / "qdq.onnx")
    q = onnx.load(str(out))
    inits = {i.name: numpy_helper.to_array(i) for i in q.graph.initializer}
    floats = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    by_output = {o: n for n in q.graph.node for o in n.output}
    for i, w in enumerate(weights):
        layer = next(n for n in q.graph.node if n.op_type in ("Conv", "Gemm") and n.input[1] == f"{w}_w_dq")
        # input: the layer's learned range; weight: float (as trained) -> per-channel symmetric int8 -> float
        assert by_output[layer.input[0]].op_type == "DequantizeLinear"
        assert inits[f"{w}_in_scale"] == pytest.approx((1 + 0.1 * i) / 127)
        w_q = by_output[f"{w}_w_q"]
        assert w_q.input[0] == w and next(a.i for a in w_q.attribute if a.name == "axis") == 0
        np.testing.assert_array_equal(inits[w], floats[w])
        np.testing.assert_allclose(inits[f"{w}_w_scale"], quantize_weight(floats[w])[1])
        assert inits[f"{w}_w_zp"].dtype == np.uint8 and (inits[f"{w}_w_zp"] == 128).all()  # int8 zero point 0
        assert inits[f"{w}_in_zp"].dtype == np.uint8 and inits[f"{w}_in_zp"] == 128  # int8 zero point 0
        assert len(layer.input) < 3 or layer.input[2] in floats  # bias stays float
    # the ReLU after each conv carries the next quantized layer's input range
    relu_out = [n for n in q.graph.node if n.op_type == "QuantizeLinear" and n.output[0].endswith("_out_q")]
    assert [inits[n.input[1]].item() for n in relu_out] == pytest.approx([1.1 / 127, 1.2 / 127])
    x = np.random.default_rng(1).random((8, 1, 28, 28)).astype(np.float32)
    ref, got = _run(lenet_onnx, x), _run(out, x)
    assert np.abs(got - ref).max() < 0.1 * np.abs(ref).max()  # int8 error, not a different network


def test_online_distillation_keeps_the_teacher_frozen_in_eval_mode():
    from host_tools import msenv
    from host_tools.compress.distill import online_kd_loss_cell
    from host_tools.models.registry import create_model
    from host_tools.train.fit import FitConfig, fit

    msenv.graph_mode_cpu(0)
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

    from host_tools.models.registry import create_model

    net = create_model("lenet")
    out = export_onnx(net, tmp_path / "runs with space" / "slim+qat.onnx")
    assert sorted(p.name for p in out.parent.iterdir()) == [  # no temp or partial files left
        "slim+qat.ckpt", "slim+qat.ckpt.manifest.json", "slim+qat.onnx", "slim+qat.onnx.manifest.json"]
    onnx.checker.check_model(onnx.load(str(out)))


@pytest.fixture(scope="module")
def lenet_bn_onnx(tmp_path_factory):
    from host_tools import msenv
    from host_tools.models.lenet_bn import LeNetBN

    ms = msenv.graph_mode_cpu(0)
    net = LeNetBN(widths=(3, 10, 120, 84))  # slimmed widths: a 3-channel conv exposed a zero-point misread
    rng = np.random.default_rng(3)
    for bn in (net.bn1, net.bn2):
        n = bn.gamma.shape[0]
        for name, values in (("gamma", rng.uniform(-1.5, 1.5, n)), ("beta", rng.standard_normal(n)),
                             ("moving_mean", rng.standard_normal(n)), ("moving_variance", rng.uniform(0.2, 3, n))):
            getattr(bn, name).set_data(ms.Tensor(values.astype(np.float32)))
    net.set_train(False)
    return export_onnx(net, tmp_path_factory.mktemp("graphs_bn") / "lenet_bn.onnx", "lenet_bn",
                       {"widths": [3, 10, 120, 84]})


def test_folding_batchnorm_into_convolutions_keeps_outputs(lenet_bn_onnx, tmp_path):
    import onnx

    from host_tools.compress.qat import fold_batchnorm

    model = onnx.load(str(lenet_bn_onnx))
    assert fold_batchnorm(model) == 2
    assert "BatchNormalization" not in [n.op_type for n in model.graph.node]
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp_path / "folded.onnx"))
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(_run(tmp_path / "folded.onnx", x), _run(lenet_bn_onnx, x), rtol=1e-4, atol=1e-4)


@pytest.mark.integration
@pytest.mark.parametrize("which", ["lenet_onnx", "lenet_bn_onnx"])
def test_qdq_model_converts_and_runs_int8_on_the_lite_runtime_like_onnx_runtime(which, request, tmp_path):
    """The real converter and runtime: the .ms computes what ONNX Runtime computes from the same QDQ graph."""
    import onnx

    from converters.lite import ConvertOptions, convert
    from host_tools.compress.qat import LayerRange, to_qdq
    from host_tools.lite_runtime import ms_input_shape, run_ms, to_model_layout

    src = request.getfixturevalue(which)
    weights = [n.input[1] for n in onnx.load(str(src)).graph.node if n.op_type in ("Conv", "Gemm")]
    x = np.random.default_rng(2).random((8, 1, 28, 28)).astype(np.float32)
    ref = _run(src, x)
    scale = float(np.abs(ref).max()) / 100 + 1 / 127
    qdq = to_qdq(src, [LayerRange(w, scale, -128 if i else 0) for i, w in enumerate(weights)], tmp_path / "q.onnx")
    result = convert(qdq, tmp_path / "q.ms", ConvertOptions(enforce=False), say=lambda _: None)
    ms_path = result.output
    assert result.mode == "qdq" and manifest.load(ms_path).extra["precision"] == "int8 QDQ"
    got = run_ms(ms_path, to_model_layout(x, ms_input_shape(ms_path)))
    want = _run(qdq, x)
    err, top = np.abs(got - want), np.abs(want).max()
    # int8 requantization and int32 bias rounding differ from ORT's float simulation: a few percent, not garbage
    assert err.max() <= 0.1 * top and err.mean() <= 0.03 * top
