"""The import page: a site admin uploads a file, the worker runs it, the run's page shows
its progress and then the summary with the rows that failed."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from docket.issues.models import Issue
from docket.transfer.importers.models import ImportRun
from docket.worker.runner import run_ready_jobs
from tests.transfer.importers.conftest import BUGZILLA, SEAMONKEY, docket_import, sample


def _admin(cast) -> Client:
    client = Client()
    client.force_login(cast.root)
    return client


def test_an_upload_runs_in_the_worker_and_shows_its_summary(cast):
    data = sample(BUGZILLA).read_bytes()
    client = _admin(cast)
    answer = client.post(
        "/settings/import",
        {"format": "bugzilla", "project": "WEB", "file": SimpleUploadedFile("bugs.jsonl", data)},
    )
    assert answer.status_code == 302
    run = ImportRun.objects.get()
    assert run.state == "queued" and Issue.objects.filter(project=cast.web).count() == 0
    waiting = client.get(answer["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "Queued" in waiting

    assert run_ready_jobs() >= 1
    run.refresh_from_db()
    assert (run.state, run.total, run.created, run.failed) == ("done", 58, 58, 0)
    assert Issue.objects.filter(project=cast.web).count() == 58
    assert run.content == b""  # the upload is not kept
    shown = client.get(answer["Location"]).content.decode()
    assert "Done" in shown and "<td>58</td>" in shown and "every 1s" not in shown


def test_failed_rows_are_listed_and_a_csv_needs_a_mapping(cast):
    client = _admin(cast)
    text = sample(SEAMONKEY).read_text("utf-8").split("\n")
    upload = SimpleUploadedFile(
        "s.csv", "\n".join(text[:1] + ['"",1,NEW,--,,2020-01-02,,x']).encode()
    )
    refused = client.post("/settings/import", {"format": "csv", "project": "WEB", "file": upload})
    assert refused.status_code == 422 and "needs a mapping or a preset" in refused.content.decode()
    upload.seek(0)
    client.post(
        "/settings/import",
        {"format": "csv", "project": "WEB", "preset": "gitbugs-bugzilla", "file": upload},
    )
    run_ready_jobs()
    run = ImportRun.objects.get()
    assert (run.state, run.created, run.failed) == ("done", 0, 1)
    assert run.errors == ["line 2: title: is empty"]
    assert "line 2: title: is empty" in client.get(f"/settings/import/{run.pk}").content.decode()


def test_only_site_admins_import(cast):
    alice = Client()
    alice.force_login(cast.alice)  # a project admin, not a site admin
    assert alice.get("/settings/import").status_code == 403
    upload = SimpleUploadedFile("b.jsonl", b"{}")
    assert (
        alice.post(
            "/settings/import", {"format": "github", "project": "WEB", "file": upload}
        ).status_code
        == 403
    )
    assert not ImportRun.objects.exists()


def test_a_run_whose_worker_died_goes_on_where_it_stopped(cast, tmp_path):
    """A worker killed mid-import leaves the run 'running' and the job handed back to the
    next worker, which finishes it: what the first got in is left alone, the rest comes in."""
    lines = sample(BUGZILLA).read_text("utf-8").splitlines()
    client = _admin(cast)
    upload = SimpleUploadedFile("bugs.jsonl", "\n".join(lines).encode())
    client.post("/settings/import", {"format": "bugzilla", "project": "WEB", "file": upload})
    run = ImportRun.objects.get()
    first_part = tmp_path / "first.jsonl"
    first_part.write_text("\n".join(lines[:20]), "utf-8")
    assert docket_import("--format", "bugzilla", str(first_part), "--project", "WEB").exit_code == 0
    ImportRun.objects.filter(pk=run.pk).update(state="running", processed=20)  # as it was left

    run_ready_jobs()
    run.refresh_from_db()
    assert (run.state, run.created, run.unchanged, run.failed) == ("done", 38, 20, 0)
    assert Issue.objects.filter(project=cast.web).count() == len(lines) == 58


def test_the_hadoop_csv_through_the_page(cast):
    """2.7 MB: larger than an ordinary request may be, but the import page takes it."""
    import csv

    from tests.transfer.importers.conftest import HADOOP

    data = sample(HADOOP).read_bytes()
    with HADOOP.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.DictReader(handle))
    client = _admin(cast)
    answer = client.post(
        "/settings/import",
        {
            "format": "csv",
            "project": "WEB",
            "preset": "gitbugs-jira",
            "file": SimpleUploadedFile("hadoop_jira_bugs.csv", data),
        },
    )
    assert len(data) > 2 * 1024 * 1024 and answer.status_code == 302
    run_ready_jobs()
    run = ImportRun.objects.get()
    assert (run.state, run.total, run.created, run.failed) == ("done", rows, rows, 0)
    assert Issue.objects.filter(project=cast.web).count() == rows == 2503
