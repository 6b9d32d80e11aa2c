"""``mindedge report``: one self-contained HTML page (plots inline as SVG, pictures as data URIs) of what a
workspace holds: results store, ``variants.json``, ``summary.json``, ``eval.json`` and the manifests."""
