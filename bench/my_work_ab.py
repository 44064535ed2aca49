"""My work (`/`) before and after issue 20, alternated in one process (Django's test client, no
HTTP): the issue-18 view (a `run_query` per table, each with its own Blocked lookup, rows from
web/markup.py with plain label spans) against the current one (web/views/home.py: one Blocked
lookup and label colours for the four tables, rows from web/list_rows.py `work_rows` with chips).

    DOCKET_DATA_DIR=DIR python bench/my_work_ab.py --user ada.lovelace --rounds 6 --per 15

Prints the median and 95th percentile of each, in wall time and in the process's CPU time (on
a machine shared with other work the CPU time moves less with the load), and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True)
    parser.add_argument("--rounds", type=int, default=6, help="rounds after one warm-up round")
    parser.add_argument("--per", type=int, default=15, help="requests per view per round")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    import django

    django.setup()
    from django.http import HttpRequest, HttpResponse
    from django.test import Client
    from django.urls import URLPattern, get_resolver

    from docket.accounts.middleware import actor_of
    from docket.accounts.models import User
    from docket.web.views import home
    from docket.web.views.common import page, web_view
    from docket.web.views.tables import run_query, table

    @web_view()
    def issue_18(request: HttpRequest) -> HttpResponse:
        sections = []
        for slug, title, query in home.SECTIONS:
            issues, more = run_query(actor_of(request), query, limit=home.PER_SECTION)
            sections.append(
                {"slug": slug, "title": title, "query": query, "more": more, **table(issues)}
            )
        return page(request, "web/home.html", {"nav": "home", "sections": sections})

    def find(patterns: list[Any]) -> URLPattern | None:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                found = find(p.url_patterns)
                if found:
                    return found
            elif getattr(p, "name", None) == "home":
                return p  # type: ignore[no-any-return]
        return None

    route = find(get_resolver().url_patterns)
    assert route is not None
    views = {"issue 18": issue_18, "issue 20": route.callback}
    client = Client()
    client.force_login(User.objects.get(username=args.user))
    wall: dict[str, list[float]] = {name: [] for name in views}
    cpu: dict[str, list[float]] = {name: [] for name in views}
    for round_ in range(args.rounds + 1):
        for name, view in views.items():
            route.callback = view
            for _ in range(args.per):
                started, used = time.perf_counter(), time.process_time()
                response = client.get("/")
                if round_:  # the first round warms up
                    wall[name].append((time.perf_counter() - started) * 1000)
                    cpu[name].append((time.process_time() - used) * 1000)
                assert response.status_code == 200
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    for name in views:
        for kind, samples in (("wall", wall[name]), ("cpu", cpu[name])):
            samples.sort()
            p95 = samples[int(len(samples) * 0.95)]
            print(
                f"{name} {kind}: p50 {statistics.median(samples):6.1f} ms  p95 {p95:6.1f} ms"
                f"  (n={len(samples)}, load {load})"
            )


if __name__ == "__main__":
    main()
