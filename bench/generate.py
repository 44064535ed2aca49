"""Write a deterministic benchmark dataset in Docket's JSON Lines import format.

    python bench/generate.py --issues 10000 --seed 42 -o bench/out/issues-10000.jsonl

Same --issues/--seed/--users, same bytes. No Django needed: it only uses
docket.cli.sampledata (50 users, 5 projects, issues with ~100-word descriptions,
0-5 comments and 0-3 labels each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from docket.cli.sampledata import write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000, help="how many issues")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--users", type=int, default=50, help="how many users")
    parser.add_argument("-o", "--output", default="-", help="output file, or - for stdout")
    args = parser.parse_args(argv)
    if args.issues < 0:
        parser.error("--issues must not be negative")

    started = time.perf_counter()
    if args.output == "-":
        write(sys.stdout, args.issues, seed=args.seed, user_count=args.users)
        return 0
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        write(out, args.issues, seed=args.seed, user_count=args.users)
    partial.replace(path)  # never leave a half-written file under the final name
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    print(
        f"wrote {args.issues} issues (seed {args.seed}, {args.users} users) to {path}: "
        f"{size / 1e6:.1f} MB in {seconds:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
