"""Server time of pages and API calls in-process (Django's test client, no HTTP), for same-run
before/after comparisons where HTTP timings are too noisy to show a 0.1 ms change.

    DOCKET_DATA_DIR=DIR python bench/page_times.py --user bench /p/WEB/board /p/WEB/ /WEB-5

Runs against the database in DOCKET_DATA_DIR (or DOCKET_DATABASE_URL), signed in as --user;
prints the median and 90th percentile of --repeat requests per path, after --warmup.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--user", required=True, help="username to sign in as")
    parser.add_argument("--repeat", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    import django

    django.setup()
    from django.test import Client

    from docket.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=args.user))
    for path in args.paths:
        for _ in range(args.warmup):
            client.get(path)
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        samples.sort()
        p90 = samples[int(len(samples) * 0.9)]
        print(f"{path:40s} p50 {statistics.median(samples):6.2f} ms  p90 {p90:6.2f} ms")


if __name__ == "__main__":
    main()
