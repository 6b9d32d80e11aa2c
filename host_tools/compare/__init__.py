"""Architecture comparison (``mindedge compare-archs``): ``run`` orchestrates, ``train`` trains one arch,
``measure`` exports, converts, runs and benchmarks it."""
