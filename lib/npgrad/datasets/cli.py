"""`python -m npgrad.datasets fetch`: fetch and verify the datasets into the cache."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from npgrad.datasets import fetching
from npgrad.datasets.verify import DatasetError


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m npgrad.datasets fetch [--root DIR] [mnist] [fashion-mnist]`."""
    parser = argparse.ArgumentParser(prog="python -m npgrad.datasets")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_parser = commands.add_parser("fetch", help="fetch and verify datasets")
    known = list(fetching.DATASETS)
    fetch_parser.add_argument("names", nargs="*", help=f"any of {known} (default: all)")
    fetch_parser.add_argument(
        "--root", help="cache folder (default: $NPGRAD_DATA, else ~/.cache/npgrad)"
    )
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(known):
        parser.error(f"unknown dataset(s) {sorted(unknown)}; choose from {known}")
    root = fetching.data_root(args.root)
    for name in args.names or known:
        try:
            origins = fetching.fetch(name, root)
        except DatasetError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for filename, origin in origins.items():
            print(f"{name + '/' + filename:<38} {origin}", flush=True)
    print(f"all files verified (SHA256 of the decompressed IDX bytes) in {root}")
    return 0
