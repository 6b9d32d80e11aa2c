"""Several threads (``mindedge bench --all``) or processes creating the same new results store at once."""

from __future__ import annotations

import threading
from pathlib import Path

from host_tools.bench.store import open_store


def test_concurrent_first_opens_all_succeed(tmp_path: Path) -> None:
    """Before the fix about one in ten rounds failed with "not a mindedge results store": a connection read
    the header while another was creating the schema."""
    failures: list[Exception] = []
    for i in range(60):
        db = tmp_path / f"r{i}" / "results.db"

        def first_open(db: Path = db) -> None:
            try:
                with open_store(db) as store:
                    assert store.list(limit=1) == []
            except Exception as e:  # collected for the assertion below
                failures.append(e)

        threads = [threading.Thread(target=first_open) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
