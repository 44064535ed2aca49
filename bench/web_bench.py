"""Server time and page weight of the web app's main pages, over real HTTP.

    python bench/web_bench.py --url http://127.0.0.1:8765 --username admin --password PW \
        --project WEB --seconds 10 --json-out bench/out/web.json

Signs in through POST /api/v1/auth/login (a real session cookie), then measures sequential
keep-alive GETs (warmed up first), as bench/run.py does for the API:

  list_page     /p/P/ : the project's issue list (first page, 50 rows)
  query_page    /p/P/?q=is:open assignee:U sort:priority-desc : a filtered list
  issue_page    /P-N  : random issues of P (fields, description, timeline)
  board_page    /p/P/board : the kanban board

and the first-load weight of the issue list: the bytes the server actually sends, with gzip
accepted as a browser accepts it, for the HTML and every stylesheet and script it links.
Targets (issue 5): p95 <= 20 ms for list, issue page and board at 100k issues; list first load
< 150 KB transferred.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).parent))
from run import Client, latency_phase  # noqa: E402

TARGET_P95_MS = 20.0
TARGET_WEIGHT_KB = 150.0


class SessionClient(Client):
    def __init__(self, url: str, username: str, password: str):
        super().__init__(url, token="")
        self.headers = {"Accept": "text/html", "Accept-Encoding": "gzip"}
        body = json.dumps({"username": username, "password": password}).encode()
        self.post_headers = {"Content-Type": "application/json"}
        status, _ = self.request("GET", "/healthz")
        self.conn.request(  # type: ignore[union-attr]
            "POST", "/api/v1/auth/login", body=body, headers=self.post_headers
        )
        response = self.conn.getresponse()  # type: ignore[union-attr]
        response.read()
        cookies = response.headers.get_all("Set-Cookie") or []
        session = next((c.split(";")[0] for c in cookies if c.startswith("sessionid=")), None)
        if response.status != 200 or session is None:
            raise SystemExit(f"sign-in failed: HTTP {response.status}")
        self.headers["Cookie"] = session


def discover(client: SessionClient, project: str, seed: int) -> dict[str, Any]:
    client.headers["Accept"] = "application/json"
    keys: list[str] = []
    assignees: set[str] = set()
    cursor = None
    while len(keys) < 2000:
        params = {"project": project, "limit": 200, **({"cursor": cursor} if cursor else {})}
        status, data = client.request("GET", "/api/v1/issues?" + urlencode(params))
        if status != 200:
            raise SystemExit(f"listing {project} failed: HTTP {status} {data[:200]!r}")
        page = json.loads(data)
        keys += [item["key"] for item in page["items"]]
        assignees |= {item["assignee"] for item in page["items"] if item["assignee"]}
        cursor = page.get("next_cursor")
        if not cursor:
            break
    client.headers["Accept"] = "text/html"
    random.Random(seed).shuffle(keys)
    return {"keys": keys, "assignees": sorted(assignees)[:20]}


def first_load_weight(client: SessionClient, path: str) -> dict[str, Any]:
    status, html = client.request("GET", path)
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}")
    sizes = {"html": client.transferred}
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    for asset in assets:
        status, _ = client.request("GET", asset.decode())
        if status != 200:
            raise SystemExit(f"{asset.decode()}: HTTP {status}")
        sizes[asset.decode()] = client.transferred
    total = sum(sizes.values())
    return {"transferred_bytes": sizes, "total_kb": round(total / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    project = args.project.upper()
    client = SessionClient(args.url.rstrip("/"), args.username, args.password)
    found = discover(client, project, args.seed)
    if not found["keys"]:
        raise SystemExit(f"no issues in {project}")
    rng = random.Random(args.seed)
    budget = {
        "seconds": args.seconds,
        "requests": None,
        "warmup": args.warmup,
        "server_pid": args.server_pid,
    }
    queries = [
        f"/p/{project}/?" + urlencode({"q": f"is:open assignee:{quote(a)} sort:priority-desc"})
        for a in found["assignees"] or ["none"]
    ]
    pages = {
        "list_page": lambda i: ("GET", f"/p/{project}/", None),
        "query_page": lambda i: ("GET", queries[i % len(queries)], None),
        "issue_page": lambda i: ("GET", f"/{rng.choice(found['keys'])}", None),
        "board_page": lambda i: ("GET", f"/p/{project}/board", None),
    }
    results: dict[str, Any] = {}
    for name, make in pages.items():
        print(f"{name} ...", file=sys.stderr, flush=True)
        results[name] = latency_phase(client, make, 200, **budget)
    results["list_first_load"] = first_load_weight(client, f"/p/{project}/")
    print(f"{'page':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}  target p95")
    for name in pages:
        r = results[name]
        mark = "ok" if r.get("p95_ms", 1e9) <= TARGET_P95_MS else "MISS"
        print(
            f"{name:<12} {r.get('p50_ms', 0):>8} {r.get('p95_ms', 0):>8} {r.get('p99_ms', 0):>8}"
            f" {r['rps']:>7}  <= {TARGET_P95_MS:g} {mark}"
        )
    weight = results["list_first_load"]["total_kb"]
    print(f"issue list first load: {weight} KB transferred (target < {TARGET_WEIGHT_KB:g} KB)")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
