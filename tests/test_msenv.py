import os

from host_tools import msenv

AVX512 = "processor : 0\nflags : fpu sse avx2 avx512f avx512bw\n"
AVX2 = "processor : 0\nflags : fpu sse avx2\n"


def test_sets_avx2_on_avx512_cpu(monkeypatch, capsys):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.setattr(msenv, "_announced", False)
    assert msenv.configure_onednn(AVX512) is True
    import os

    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in capsys.readouterr().err


def test_respects_user_choice_and_other_cpus(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert msenv.configure_onednn(AVX512) is False
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    assert msenv.configure_onednn(AVX2) is False
    import os

    assert "ONEDNN_MAX_CPU_ISA" not in os.environ


def test_mindspore_is_quieted_without_leaking_glog_to_children(monkeypatch):
    """GLOG_v=3 would reach device_bench, and MindSpore Lite would then hide the warnings it records what ran by."""
    from host_tools import msenv

    monkeypatch.delenv("GLOG_v", raising=False)
    msenv.import_mindspore()
    assert "GLOG_v" not in os.environ
    monkeypatch.setenv("GLOG_v", "1")  # the user's own setting stays
    msenv.import_mindspore()
    assert os.environ.get("GLOG_v") == "1"  # noqa: SIM112
