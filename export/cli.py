"""Command line for the exporter.

    python -m export --help
    python -m export efficientnet_lite0 --out build/models
    python -m export all --allow-untrained --out build/models

Exit codes: 0 success; 2 bad arguments (unknown model, unknown variant); 3 weights missing
or unusable; 4 output folder not writable.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lwm.records import ModelEntry
from lwm.constants import MODELS_DIR

from . import convert, manifest
from .weights import WeightsError, WeightsNotFoundError

EXIT_USAGE, EXIT_WEIGHTS, EXIT_OUTPUT = 2, 3, 4


def _parser(names: list[str]) -> argparse.ArgumentParser:
    from .pipeline import ExportOptions

    default = ExportOptions(out_dir=MODELS_DIR)  # the exporter's defaults are the command's
    p = argparse.ArgumentParser(
        prog="lightweight-export",
        description="Export our PyTorch models to compact ONNX (fp32, fp16, int8), validate "
        "them against PyTorch, measure them and write models.json.",
        epilog="models: " + ", ".join(names),
    )
    p.add_argument("models", nargs="*", default=["all"], metavar="MODEL",
                   help="model names, or 'all' (default)")
    p.add_argument("--out", type=Path, default=MODELS_DIR, help=f"output folder (default: {MODELS_DIR})")
    p.add_argument("--variants", default=",".join(default.variants),
                   help=f"comma-separated subset of {','.join(convert.VARIANTS)} (default: %(default)s)")
    p.add_argument("--weights-dir", type=Path, default=default.weights_dir,
                   help="folder searched first for official weight files (default: %(default)s/)")
    p.add_argument("--allow-untrained", action="store_true",
                   help="export architectures whose weights are missing, marked pretrained: false")
    p.add_argument("--no-download", action="store_true", help="never try the official URLs")
    p.add_argument("--calibration", choices=("percentile", "minmax", "entropy"), default=default.calibration,
                   help="int8 calibration method (default: %(default)s)")
    p.add_argument("--threads", default=",".join(map(str, default.latency_threads)),
                   help="thread counts to time onnxruntime with (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=0,
                   help="models exported at once, in worker processes (default: one per core)")
    p.add_argument("--force", action="store_true",
                   help="export every model again, even those unchanged since the last export into --out")
    p.add_argument("--list", action="store_true", help="print the model names and exit")
    return p


def _fail(code: int, msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    from .registry import list_models

    names = list_models()
    args = _parser(names).parse_args(argv)
    if args.list:
        print("\n".join(names))
        return 0

    wanted = names if "all" in args.models else list(dict.fromkeys(args.models))
    unknown = [m for m in wanted if m not in names]
    if unknown:
        return _fail(EXIT_USAGE, f"unknown model(s): {', '.join(unknown)}. Valid names: {', '.join(names)}, all")
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    bad = [v for v in variants if v not in convert.VARIANTS]
    if bad or not variants:
        return _fail(EXIT_USAGE, f"unknown variant(s): {', '.join(bad) or '(none given)'}; choose from {', '.join(convert.VARIANTS)}")
    try:
        threads = tuple(int(t) for t in args.threads.split(","))
    except ValueError:
        return _fail(EXIT_USAGE, f"--threads must be comma-separated integers, got {args.threads!r}")

    if args.jobs < 0:
        return _fail(EXIT_USAGE, f"--jobs must be 0 (one per core) or more, got {args.jobs}")

    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return _fail(EXIT_OUTPUT, f"cannot write to output folder {out}: {exc.strerror or exc}")

    from .pipeline import ExportOptions, export_models

    convert.quiet_known_warnings()
    opts = ExportOptions(
        out_dir=out,
        variants=variants,
        weights_dir=args.weights_dir,
        allow_download=not args.no_download,
        allow_untrained=args.allow_untrained,
        calibration=args.calibration,
        latency_threads=threads,
        jobs=args.jobs,
        reuse=not args.force,
        log=lambda msg: print(msg, flush=True),
    )
    samples = manifest.write_samples(out)
    previous = manifest.load(out / manifest.MANIFEST_NAME)
    done: dict = {}
    t0 = time.perf_counter()

    def record(name: str, entry: ModelEntry) -> None:
        done[name] = entry

    try:
        export_models(wanted, opts, previous=(previous or {}).get("models"), on_done=record)
    except WeightsNotFoundError as exc:
        return _fail(EXIT_WEIGHTS, f"{exc}\n(pass --allow-untrained to export it untrained, marked pretrained: false)")
    except WeightsError as exc:
        return _fail(EXIT_WEIGHTS, str(exc))
    finally:
        # whatever finished is recorded, even when a later model fails
        if done:
            path = manifest.write(manifest.build(done, samples, previous), out)
            untrained = [n for n, e in done.items() if not e.pretrained]
            print(f"wrote {path}: {len(done)} model(s) in {time.perf_counter() - t0:.0f} s"
                  + (f"; untrained (no weights on this machine, see docs/export.md, \"Official weights\"): "
                     f"{', '.join(untrained)}" if untrained else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
