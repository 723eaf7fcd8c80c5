"""``python -m models train|classify`` (``commentguard train|classify`` delegates here)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import IO

from models.types import TextInput

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
BATCH = 512


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="rebuild the model artifacts from a data folder")
    train.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"default {DEFAULT_DATA}")
    train.add_argument("--out", type=Path, default=None, help="default models/artifacts")
    train.add_argument("--version", default=None, help="version name of the result")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    classify = sub.add_parser("classify", help="score JSON lines: {text, author_*} per line")
    classify.add_argument("--input", type=Path, default=None, help="default stdin")
    classify.add_argument("--output", type=Path, default=None, help="default stdout")
    classify.add_argument("--models", type=Path, default=None, help="deployment models folder")
    return parser


def _read(lines: IO[str]) -> Iterator[TextInput]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"line {n}: not JSON ({exc})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise SystemExit(f'line {n}: expected an object with a "text" string')
        yield TextInput(
            obj["text"],
            str(obj.get("author_name") or ""),
            str(obj.get("author_url") or ""),
            str(obj.get("author_email") or ""),
        )


def _classify(args: argparse.Namespace) -> int:
    from models.registry import load_scorer

    scorer = load_scorer(args.models)
    src = args.input.open(encoding="utf-8") if args.input else sys.stdin
    dst = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        items = _read(src)
        while batch := list(islice(items, BATCH)):
            for row in scorer.score(batch):
                dst.write(json.dumps({k: round(v, 6) for k, v in row.items()}) + "\n")
        dst.flush()
    finally:
        if args.input:
            src.close()
        if args.output:
            dst.close()
    return 0


def _train(args: argparse.Namespace) -> int:
    from models.registry import SHIPPED_DIR
    from models.train import train_all

    if not args.data.is_dir():
        print(f"data folder {args.data} not found (pass --data DIR)", file=sys.stderr)
        return 2
    out = args.out or SHIPPED_DIR
    report = train_all(args.data, out, progress=not args.no_progress, version=args.version)
    print(f"wrote {report.version} to {out}")
    for key in ("olid_test_a", "wiki_fpr_at_threshold"):
        if key in report.metrics:
            print(f"  {key}: {json.dumps(report.metrics[key])}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    return _classify(args)


if __name__ == "__main__":
    raise SystemExit(main())
