"""Shared fixtures: the real MNIST cache and one small trained checkpoint per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.train.loop import TrainResult


@pytest.fixture(autouse=True)
def _isolated_cwd(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Integration tests run in a temp folder: MindSpore writes rank_0/ debug dirs into the CWD."""
    if request.node.get_closest_marker("integration"):
        monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The full MNIST in the real cache (downloaded once, then reused)."""
    from host_tools.data.mnist import fetch_mnist

    return fetch_mnist(progress=lambda _: None)


@pytest.fixture(scope="session")
def small_run(mnist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A short real LeNet training (2000 images, 2 epochs) shared by the train and export tests."""
    import os

    from host_tools.train.loop import TrainConfig, train
    from host_tools.train.progress import silent

    out = tmp_path_factory.mktemp("small_run")
    cwd = os.getcwd()
    os.chdir(out)
    try:
        cfg = TrainConfig(epochs=2, subset=2000, batch_size=32, lr=3e-3, augment=False, test_subset=2000, seed=0,
                          out=out / "run")
        return train(cfg, progress=silent)
    finally:
        os.chdir(cwd)
