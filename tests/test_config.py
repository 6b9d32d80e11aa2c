from dataclasses import dataclass
from pathlib import Path

import pytest

from host_tools.config import from_dict, load_toml, save
from host_tools.errors import ConfigError


@dataclass
class Cfg:
    epochs: int = 3
    lr: float = 1e-3
    out: Path = Path("runs")
    data: Path | None = None
    augment: bool = True


def test_defaults_toml_and_overrides(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('epochs = 7\nlr = 1\nout = "x"\n')
    cfg = load_toml(Cfg, toml, {"epochs": 9, "data": None})
    assert cfg.epochs == 9  # explicit override wins
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)
    assert cfg.out == Path("x")
    assert cfg.data is None and cfg.augment is True


def test_unknown_key_is_rejected_with_valid_keys():
    with pytest.raises(ConfigError) as e:
        from_dict(Cfg, {"epoch": 3})
    assert "epoch" in e.value.message and "epochs" in (e.value.hint or "")


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigError, match="must be int"):
        from_dict(Cfg, {"epochs": "three"})


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(Cfg, bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_toml(Cfg, tmp_path / "nope.toml")


def test_save_writes_final_config(tmp_path):
    save(Cfg(epochs=4), tmp_path / "cfg.json")
    text = (tmp_path / "cfg.json").read_text()
    assert '"epochs": 4' in text and '"out": "runs"' in text
