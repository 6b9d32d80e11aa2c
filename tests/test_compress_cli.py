"""`mindedge compress` rejects bad input before any training."""

import pytest
from click.testing import CliRunner

from host_tools.cli import main


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--methods", "baseline,prune"], "unknown compression method 'prune'"),
        (["--ratio", "0"], "outside (0, 1)"),
        (["--ratio", "1.0"], "outside (0, 1)"),
        (["--model", "resnet9000"], "resnet9000"),
        (["--min-keep", "0"], "--min-keep 0.0 is outside (0, 1]"),
        (["--methods", "slim+qat+kd"], "unknown compression method 'slim+qat+kd'"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, needle):
    res = CliRunner().invoke(main, ["compress", "--out", str(tmp_path / "c"), *args])
    assert res.exit_code == 2, res.output
    assert needle in res.output and "Traceback" not in res.output
    assert not (tmp_path / "c" / "variants.json").exists()


def test_checkpoint_of_another_model_is_refused(tmp_path):
    ckpt = tmp_path / "x.ckpt"
    ckpt.write_bytes(b"\x00" * 64)
    res = CliRunner().invoke(main, ["compress", "--checkpoint", str(ckpt), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2, res.output
    assert "x.ckpt" in res.output
