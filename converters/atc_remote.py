"""``mindedge convert MODEL.onnx --to om --on ssh:BOARD``: ATC run on the board (boards with the aarch64 CANN
toolkit have it: Atlas 200I DK A2, Orange Pi AIpro). The ONNX (and the AIPP config) go to a scratch folder
under the deploy folder, ATC runs there with CANN's environment sourced, its output is judged as on the host
(``atc_output``) and the ``.om`` comes back with the same manifest. Without ``--soc`` the soc is read from
the board's ``npu-smi info`` (``Ascend`` + its Name)."""

from __future__ import annotations

import dataclasses
import posixpath
import shlex
import tempfile
from pathlib import Path

from converters import atc_output
from converters.atc import AtcOptions, Progress, command, prepare, soc_version, write_manifest
from host_tools.errors import ConversionError, ToolMissing
from host_tools.files import sha256_file
from host_tools.targets.ascend_board import probe
from host_tools.targets.base import Target
from host_tools.targets.push import Item


def convert_om_on(model: Path, out: Path, opts: AtcOptions | None, target: Target, say: Progress = print,
                  soc: str | None = None) -> Path:
    """Convert ``model`` to ``out`` with the ATC of ``target``; ``soc`` None: the board's chip."""
    board = probe(target)
    if board.atc is None:
        raise ToolMissing(f"{target.name} has no ATC (the CANN toolkit's atc)" + (
            "" if board.set_env else "; no CANN set_env.sh was found either"),
            hint="install the CANN toolkit on the board, or convert on an x86 host with CANN (drop --on)")
    if soc is None:
        if board.chip is None:
            raise ConversionError(f"cannot tell the soc of {target.name}: npu-smi info gave no chip name",
                                  hint="give it with --soc (e.g. --soc Ascend310B1)")
        soc = soc_version(board.chip)
        say(f"the board's NPU is {soc} (npu-smi info)")
    opts = dataclasses.replace(opts or AtcOptions(soc=soc), soc=soc)
    prep = prepare(model, out, opts)
    scratch = posixpath.join(target.root, "atc", f"{model.stem}-{sha256_file(model)[:12]}")
    items = [Item(model, posixpath.join(scratch, model.name))]
    with tempfile.TemporaryDirectory(prefix="mindedge-atc-") as tmp:
        cfg_remote = None
        if prep.aipp is not None:
            cfg_local = Path(tmp) / f"{out.stem}.aipp.cfg"
            cfg_local.write_text(prep.aipp.text())
            out.parent.mkdir(parents=True, exist_ok=True)
            (out.parent / cfg_local.name).write_text(prep.aipp.text())
            cfg_remote = posixpath.join(scratch, cfg_local.name)
            items.append(Item(cfg_local, cfg_remote))
        target.push(items)
        stem = posixpath.join(scratch, out.stem)
        args = command(Path(items[0].remote), Path(stem), prep.name, prep.shape, opts,
                       Path(cfg_remote) if cfg_remote else None)
        shown = shlex.join(["atc", *args])
        say(f"running ATC on {target.name} for {soc}")
        res = target.run(board.shell(["atc", *args]), timeout=opts.timeout_s)
        outcome = atc_output.check(atc_output.parse(res.exit_code, res.stdout, res.stderr), shown, res.stdout,
                                   res.stderr)
        out.parent.mkdir(parents=True, exist_ok=True)
        target.pull(stem + ".om", out)
    version = target.properties().get("cann_version") or "unknown"
    write_manifest(prep, out, opts, version, args, outcome, target.name)
    return out
