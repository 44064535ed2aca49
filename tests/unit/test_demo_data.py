"""The demo's records (cli/demo_data.py): each issue's history is one the actions could have
written — versions in order, times in the past and after its filing, a resolution with each
move into a done state — and ends where the issue stands."""

from __future__ import annotations

import datetime as dt

from docket.cli.demo_data import DONE, STORIES, records

NOW = dt.datetime(2026, 12, 6, 14, 0, tzinfo=dt.UTC)


def _issues(count: int = 300) -> list[dict]:
    return [r for r in records(count, now=NOW) if r["kind"] == "issue"]


def test_each_history_ends_where_the_issue_stands() -> None:
    for issue in _issues():
        history = issue["history"]
        assert history[0]["kind"] == "created" and history[0]["version"] == 1
        moves = [e for e in history if e.get("field") == "status"]
        assert (moves[-1]["new"] if moves else history[0]["new"]["status"]) == issue["status"]
        versions = [e["version"] for e in history if e["kind"] == "changed"]
        assert versions == sorted(versions)
        times = [dt.datetime.fromisoformat(e["at"]) for e in history]
        assert times == sorted(times) and times[-1] < NOW
        assert ("resolved_at" in issue) == (issue["status"] in DONE)


def test_a_resolution_comes_and_goes_with_the_done_states() -> None:
    reopened = 0
    for issue in _issues():
        for event in issue["history"]:
            if event.get("field") == "status":
                into_done = event["new"] in DONE and event["old"] not in DONE
                out_of_done = event["old"] in DONE and event["new"] not in DONE
                reopened += out_of_done
                resolution = [
                    e for e in issue["history"]
                    if e.get("field") == "resolution" and e["version"] == event["version"]
                ]  # fmt: skip
                assert bool(resolution) == (into_done or out_of_done)
    assert reopened > 0  # some issues were reopened


def test_the_count_is_kept_and_the_story_is_in_it() -> None:
    for count in (120, 300, 451):
        issues = _issues(count)
        assert len(issues) == count
        titles = [i["title"] for i in issues]
        assert all(titles.count(story.title) == 1 for story in STORIES)


def test_same_seed_same_demo() -> None:
    assert list(records(50, now=NOW, seed=3)) == list(records(50, now=NOW, seed=3))
