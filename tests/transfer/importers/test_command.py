"""The real `docket import` command, in its own process on a scratch database: the summary
it prints, --strict's exit, and a second run that only finds what is already there."""

from __future__ import annotations

from tests.servers import run_docket, scratch_environment
from tests.transfer.importers.conftest import BUGZILLA, JIRA_XML, sample


def test_docket_import_prints_a_summary_and_strict_fails_whole(tmp_path):
    bugs = str(sample(BUGZILLA))
    with scratch_environment(tmp_path / "data", ready=True) as env:
        first = run_docket(env, "import", "--format", "bugzilla", bugs, "--project", "BZ")
        assert first.returncode == 0, first.stderr
        assert "58 created, 0 updated, 0 unchanged (skipped), 0 failed, of 58 rows" in first.stderr
        assert "issues/s" in first.stderr
        again = run_docket(env, "import", "--format", "bugzilla", bugs, "--project", "BZ")
        assert "0 created, 0 updated, 58 unchanged (skipped), 0 failed" in again.stderr

        broken = sample(JIRA_XML).read_text("utf-8").replace('<key id="10000">AR-1</key>', "")
        path = tmp_path / "broken.xml"
        path.write_text(broken, "utf-8")
        strict = run_docket(
            env, "import", "--format", "jira-xml", "--strict", str(path), "--project", "AR"
        )
        assert strict.returncode == 1
        assert "nothing was imported: item 2: an item needs a key and a summary" in strict.stderr
        lenient = run_docket(env, "import", "--format", "jira-xml", str(path), "--project", "AR")
        assert lenient.returncode == 0 and "1 created" in lenient.stderr
        assert "skipped item 2: an item needs a key and a summary" in lenient.stderr
