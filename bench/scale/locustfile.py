"""Jira Data Center's action mix against Docket, as an open model (issue 20).

    SCALE_HOSTS=http://127.0.0.1:8931,http://127.0.0.1:8932 SCALE_RATE=30 SCALE_USERS=60 \
    SCALE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/docket_scale SCALE_WARMUP=120 \
        .venv/bin/locust -f bench/scale/locustfile.py --headless -u 60 -r 10 -t 720s \
        --csv bench/out/scale/run/locust

(bench/scale/run.py starts the servers, the worker and this, and writes the report.)

Open model: every locust user keeps its own schedule of Poisson arrivals at
SCALE_RATE / SCALE_USERS actions a second (30 / 60 = one every 2 s on average). The next
action is due at the previous *scheduled* time plus an exponential gap, not at the previous
response's end, so a slow response does not lower the rate: the user is late for its next
action and sends it at once, catching up. How late sends were is recorded (`lateness` in
lateness.json): near zero means the arrivals were as scheduled. With 60 users the schedule
holds as long as a user's responses average less than its 2 s gap.

Each locust user signs in once (POST /api/v1/auth/login: a real session and CSRF cookie) as
a distinct Docket user, a member of one or more projects, and works in the projects it can see
(its own, weighted by size, plus the `internal` ones everyone sees). Requests alternate
between the app processes in SCALE_HOSTS (the session lives in the database, so any process
serves any request, as behind a load balancer).

Jira's actions → Docket (weights are Jira's percentages):
  view_issue 34        GET /<KEY>-<n>                  the issue page, a random issue
  jql_search 11        GET /issues/?q=<query>          the issue list with a query-language
                                                        query (a mix of 7, see JQL)
  dashboard 10         GET /dashboard                  the personal dashboard
  browse_projects 9    GET /projects/                  the project list
  view_board 15        GET /p/<KEY>/board              the project's board
  backlog 6            GET /p/<KEY>/?q=is:open milestone:none sort:priority-desc
                                                        open issues not planned into a sprint
                                                        (milestone), by priority: Docket has no
                                                        rank; the closest to Jira's backlog
  edit_issue 5         PATCH /api/v1/issues/<KEY>-<n>  a field change (priority, due date or
                                                        labels), with the session and CSRF
  create_issue 4       POST /api/v1/projects/<KEY>/issues
  project_summary 3    GET /p/<KEY>/dashboard          the project dashboard
  comment 2            POST /api/v1/issues/<KEY>-<n>/comments
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gevent
from locust import HttpUser, events, task

HOSTS = [h.rstrip("/") for h in os.environ.get("SCALE_HOSTS", "http://127.0.0.1:8931").split(",")]
RATE = float(os.environ.get("SCALE_RATE", "30"))
USERS = int(os.environ.get("SCALE_USERS", "60"))
WARMUP = float(os.environ.get("SCALE_WARMUP", "120"))
PASSWORD = os.environ.get("SCALE_PASSWORD", "scale-bench-pass-1")
DATABASE_URL = os.environ.get(
    "SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/docket_scale"
)
OUT = Path(os.environ.get("SCALE_OUT", "bench/out/scale/run"))
SEED = int(os.environ.get("SCALE_SEED", "7"))

JQL = [
    "project:{key} is:open sort:priority-desc",
    "is:open assignee:me sort:updated-desc",
    'project:{key} status:"in progress"',
    "project:{key} label:bug is:open",
    "project:{key} priority:>=high is:open sort:updated-desc",
    "project:{key} {word}",
    "reporter:me sort:created-desc",
]
WORDS = ["login", "timeout", "invoice", "dashboard", "regression", "upload", "webhook"]
PRIORITIES = ["lowest", "low", "medium", "high", "highest"]

_people: list[dict[str, Any]] = []
_next_person = itertools.count()
_lateness: list[float] = []
_lock = threading.Lock()
_window: dict[str, float] = {}
_times: dict[str, list[float]] = {}
_errors: dict[str, int] = {}
_error_samples: list[str] = []


def _load_people() -> list[dict[str, Any]]:
    """USERS distinct people who may edit issues (role member or admin) somewhere, spread
    over projects of every size; each with the projects it can see."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        projects = {
            pid: {"key": key, "issues": nxt - 1, "internal": vis == "internal"}
            for pid, key, nxt, vis in conn.execute(
                "SELECT id, key, next_number, visibility FROM projects_project"
            )
        }
        rows = conn.execute(
            """SELECT u.username, m.project_id, m.role FROM projects_membership m
               JOIN docket_user u ON u.id = m.user_id
               WHERE NOT u.is_superuser AND u.is_active ORDER BY u.id"""
        ).fetchall()
    mine: dict[str, list[tuple[int, str]]] = {}
    for name, pid, role in rows:
        mine.setdefault(name, []).append((pid, role))
    # Round-robin over projects (largest first) picking a member of each not yet taken.
    by_project: dict[int, list[str]] = {}
    for name, memberships in mine.items():
        for pid, role in memberships:
            if role in ("member", "admin"):
                by_project.setdefault(pid, []).append(name)
    order = sorted(by_project, key=lambda p: -projects[p]["issues"])
    rng = random.Random(SEED)
    chosen: list[str] = []
    taken: set[str] = set()
    while len(chosen) < USERS:
        progressed = False
        for pid in order:
            free = [n for n in by_project[pid] if n not in taken]
            if free:
                name = rng.choice(free)
                taken.add(name)
                chosen.append(name)
                progressed = True
                if len(chosen) == USERS:
                    break
        if not progressed:
            raise SystemExit(f"only {len(chosen)} people can edit issues; asked for {USERS}")
    internal = [pid for pid, p in projects.items() if p["internal"] and p["issues"]]
    people = []
    for name in chosen:
        own = [pid for pid, _ in mine[name] if projects[pid]["issues"]]
        editable = [pid for pid, role in mine[name] if role in ("member", "admin")]
        seen = sorted(set(own) | set(internal))
        people.append(
            {
                "username": name,
                "editable": [(projects[p]["key"], projects[p]["issues"]) for p in editable],
                "own": [(projects[p]["key"], projects[p]["issues"]) for p in own],
                "visible": [(projects[p]["key"], projects[p]["issues"]) for p in seen],
            }
        )
    return people


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    _people.extend(_load_people())

    def end_warmup() -> None:
        gevent.sleep(WARMUP)
        environment.runner.stats.reset_all()
        with _lock:
            _lateness.clear()
            _times.clear()
            _errors.clear()
            _error_samples.clear()
        _window["start"] = time.time()
        print(f"warm-up over after {WARMUP:.0f}s: statistics reset", flush=True)

    if environment.runner is not None:
        gevent.spawn(end_warmup)


@events.request.add_listener
def _on_request(name: str, response_time: float, exception: Any, **_: Any) -> None:
    """Every response time (ms) and error, for exact percentiles (locust's own statistics
    round times above 100 ms)."""
    if "start" not in _window or "end" in _window:
        return
    if exception is not None:
        _errors[name] = _errors.get(name, 0) + 1
        if len(_error_samples) < 50:
            _error_samples.append(f"{name}: {exception}"[:300])
    else:
        _times.setdefault(name, []).append(response_time)


@events.test_stop.add_listener
def _on_stop(environment: Any, **_: Any) -> None:
    _window["end"] = time.time()
    with _lock:
        late = sorted(_lateness)

    def pct(q: float) -> float:
        return late[min(len(late) - 1, int(q * len(late)))] if late else 0.0

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "responses.json").write_text(
        json.dumps({"times": _times, "errors": _errors, "error_samples": _error_samples})
    )
    (OUT / "lateness.json").write_text(
        json.dumps(
            {
                "window": _window,
                "sends": len(late),
                "late_over_100ms": sum(1 for x in late if x > 0.1),
                "lateness_p50_s": round(pct(0.50), 4),
                "lateness_p95_s": round(pct(0.95), 4),
                "lateness_p99_s": round(pct(0.99), 4),
                "lateness_max_s": round(late[-1], 4) if late else 0.0,
            },
            indent=2,
        )
    )


def _weighted(rng: random.Random, projects: list[tuple[str, int]]) -> tuple[str, int]:
    """People look at big projects more: weight sqrt(issues)."""
    return rng.choices(projects, weights=[n**0.5 for _, n in projects])[0]


def _failure(response: Any, path: str) -> str:
    """What went wrong: the status and body, or (status 0) the connection's own error."""
    said = response.text[:200] if response.status_code else repr(response.error)[:200]
    return f"HTTP {response.status_code} for {path}: {said}"


class JiraMix(HttpUser):
    host = HOSTS[0]

    def on_start(self) -> None:
        self.index = next(_next_person)
        self.person = _people[self.index % len(_people)]
        self.rng = random.Random(SEED * 1000 + self.index)
        self.turn = self.index
        self.csrf = ""
        self.next_at = time.monotonic() + self.rng.random() * USERS / RATE
        body = {"username": self.person["username"], "password": PASSWORD}
        for attempt in range(30):  # a shed sign-in (503, Retry-After) is tried again
            with self.client.post(
                f"{self._host()}/api/v1/auth/login", json=body, name="(sign in)",
                catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code == 200:
                    self.csrf = response.json().get("csrf_token", "") or self.client.cookies.get(
                        "csrftoken", ""
                    )
                    return
                response.failure(f"sign-in {response.status_code}: {response.text[:200]}")
                if response.status_code not in (429, 503):
                    break
                gevent.sleep(float(response.headers.get("Retry-After", "1")) + min(attempt, 5))
        raise RuntimeError(f"sign-in failed for {self.person['username']}: {response.status_code}")

    def wait_time(self) -> float:
        """The open model: the next arrival is scheduled from the last *scheduled* one."""
        self.next_at += self.rng.expovariate(RATE / USERS)
        delay = self.next_at - time.monotonic()
        if delay < 0:
            with _lock:
                _lateness.append(-delay)
            return 0.0
        with _lock:
            _lateness.append(0.0)
        return delay

    # --- helpers ----------------------------------------------------------------------------

    def _host(self) -> str:
        self.turn += 1
        return HOSTS[self.turn % len(HOSTS)]

    def _get(self, path: str, name: str) -> None:
        with self.client.get(
            f"{self._host()}{path}",
            name=name,
            headers={"Accept": "text/html"},
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                response.failure(_failure(response, path))

    def _send(self, method: str, path: str, body: dict[str, Any], name: str, ok: int) -> None:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        with self.client.request(
            method, f"{self._host()}{path}", json=body, headers=headers, name=name,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != ok:
                response.failure(_failure(response, path))

    def _issue(self, projects: list[tuple[str, int]]) -> str:
        key, count = _weighted(self.rng, projects)
        return f"{key}-{self.rng.randint(1, count)}"

    # --- Jira's actions -----------------------------------------------------------------------

    @task(34)
    def view_issue(self) -> None:
        self._get(f"/{self._issue(self.person['visible'])}", "view_issue")

    @task(11)
    def jql_search(self) -> None:
        key, _ = _weighted(self.rng, self.person["visible"])
        query = self.rng.choice(JQL).format(key=key, word=self.rng.choice(WORDS))
        self._get(f"/issues/?q={quote(query)}", "jql_search")

    @task(10)
    def dashboard(self) -> None:
        self._get("/dashboard", "dashboard")

    @task(9)
    def browse_projects(self) -> None:
        self._get("/projects/", "browse_projects")

    @task(15)
    def view_board(self) -> None:
        key, _ = _weighted(self.rng, self.person["own"])
        self._get(f"/p/{key}/board", "view_board")

    @task(6)
    def backlog(self) -> None:
        key, _ = _weighted(self.rng, self.person["own"])
        query = quote("is:open milestone:none sort:priority-desc")
        self._get(f"/p/{key}/?q={query}", "backlog")

    @task(5)
    def edit_issue(self) -> None:
        key = self._issue(self.person["editable"])
        choice = self.rng.random()
        if choice < 0.5:
            change: dict[str, Any] = {"priority": self.rng.choice(PRIORITIES)}
        elif choice < 0.8:
            day = 1 + self.rng.randrange(28)
            change = {"due_date": f"2027-0{1 + self.rng.randrange(9)}-{day:02d}"}
        else:
            change = {"labels": self.rng.sample(["bug", "ux", "backend", "docs"], 2)}
        self._send("PATCH", f"/api/v1/issues/{key}", change, "edit_issue", 200)

    @task(4)
    def create_issue(self) -> None:
        key, _ = _weighted(self.rng, self.person["editable"])
        body = {
            "title": f"Load test: {self.rng.choice(WORDS)} fails {self.rng.randint(2, 99)} times",
            "description": "Filed by the scale benchmark (bench/scale/locustfile.py). "
            "Steps to reproduce: open the page, wait, and reload it.",
            "type": self.rng.choice(["bug", "task", "feature"]),
            "priority": self.rng.choice(PRIORITIES),
        }
        self._send("POST", f"/api/v1/projects/{key}/issues", body, "create_issue", 201)

    @task(3)
    def project_summary(self) -> None:
        key, _ = _weighted(self.rng, self.person["own"])
        self._get(f"/p/{key}/dashboard", "project_summary")

    @task(2)
    def comment(self) -> None:
        key = self._issue(self.person["editable"])
        body = {"body": f"Seen again during the load run ({self.rng.randint(1, 9999)})."}
        self._send("POST", f"/api/v1/issues/{key}/comments", body, "comment", 201)
