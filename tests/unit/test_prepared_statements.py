"""Prepared statements on PostgreSQL, on unless DOCKET_DB_PREPARED_STATEMENTS=false
(config/settings.py `postgres_statements`): what the settings ask of the driver, and what a
server does with it, a statement run a fifth time prepared and then run on the plan mode asked for
(docs/benchmark.md, "Prepared statements on PostgreSQL")."""

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from docket.config import settings as docket_settings

# They run in CI's PostgreSQL pass; SQLite has no prepared statements or plan cache.
ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's plan cache (run by the PostgreSQL pass)"
)


def test_on_unless_turned_off(monkeypatch):
    monkeypatch.setenv("DOCKET_DB_PREPARED_STATEMENTS", "false")
    assert docket_settings.postgres_statements() == {}


def test_by_default_it_binds_on_the_server_and_prepares(monkeypatch):
    monkeypatch.delenv("DOCKET_DB_PREPARED_STATEMENTS", raising=False)
    monkeypatch.delenv("DOCKET_DB_PLAN_CACHE_MODE", raising=False)
    assert docket_settings.postgres_statements() == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=auto",
    }
    monkeypatch.setenv("DOCKET_DB_PLAN_CACHE_MODE", "force_generic_plan")
    merged = docket_settings.with_statements({"sslmode": "require", "options": "-c a=b"})
    assert merged["sslmode"] == "require"
    assert merged["options"] == "-c a=b -c plan_cache_mode=force_generic_plan"  # the URL's kept
    monkeypatch.setenv("DOCKET_DB_PLAN_CACHE_MODE", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="DOCKET_DB_PLAN_CACHE_MODE"):
        docket_settings.postgres_statements()


@pytest.mark.django_db
@ONLY_POSTGRESQL
def test_a_server_prepares_a_repeated_statement_and_runs_its_generic_plan(monkeypatch):
    monkeypatch.setenv("DOCKET_DB_PREPARED_STATEMENTS", "true")
    monkeypatch.setenv("DOCKET_DB_PLAN_CACHE_MODE", "force_generic_plan")
    options = docket_settings.postgres_statements()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)  # psycopg's own Cursor binds on the server
    params.update(prepare_threshold=options["prepare_threshold"], options=options["options"])
    with psycopg.connect(**params, autocommit=True) as raw:
        for number in range(1, 9):
            raw.execute("SELECT %s::bigint + 1 AS docket_probe", [number]).fetchone()
        prepared = raw.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%docket_probe%"],
        ).fetchall()
    assert len(prepared) == 1  # one server-side statement for eight values
    assert prepared[0][0] >= 3  # runs since it was prepared, each on the one generic plan


def _plan_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


@pytest.fixture
def prepared_on_generic_plans(settings):
    """This connection as DOCKET_DB_PLAN_CACHE_MODE=force_generic_plan starts it."""
    settings.DOCKET_DB_PLAN_CACHE_MODE = "force_generic_plan"
    connection.ensure_connection()
    raw = connection.connection
    kept = raw.prepare_threshold
    raw.prepare_threshold = 5
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    yield raw
    raw.prepare_threshold = kept
    with connection.cursor() as cursor:
        cursor.execute("RESET plan_cache_mode")


@pytest.mark.django_db
@ONLY_POSTGRESQL
def test_a_bulk_load_runs_unprepared_on_plans_for_its_values_then_restores_the_session(
    prepared_on_generic_plans,
):
    """core/bulk.unprepared, as the importer uses it: prepared on generic plans, a known-ids
    lookup over a table the load is filling scanned the whole source every batch."""
    from docket.core.bulk import unprepared

    raw = prepared_on_generic_plans
    with unprepared():
        assert raw.prepare_threshold is None
        assert _plan_mode() == "auto"
    assert raw.prepare_threshold == 5
    assert _plan_mode() == "force_generic_plan"


@pytest.mark.django_db
@ONLY_POSTGRESQL
def test_a_bulk_load_that_fails_in_the_database_raises_its_own_error(prepared_on_generic_plans):
    """The load's error, not "current transaction is aborted" from putting the session back
    (the transaction's rollback takes the SET back)."""
    from docket.core.bulk import unprepared

    failing = pytest.raises(DatabaseError, match="division by zero")
    with failing, transaction.atomic(), unprepared(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert prepared_on_generic_plans.prepare_threshold == 5
    assert _plan_mode() == "force_generic_plan"


@pytest.mark.parametrize(("asked", "prepared"), [(None, False), ("true", True)])
def test_the_worker_binds_on_the_client_unless_told_otherwise(monkeypatch, asked, prepared):
    """`docket worker`: its batches bind ~1,000 ids a statement, which server-side binding
    made a quarter slower after a big import (docs/benchmark.md)."""
    from typer.testing import CliRunner

    from docket.cli import main as cli

    seen: list[dict] = []

    class Stub:
        def __init__(self, **_: object) -> None:
            seen.append(docket_settings.postgres_statements())

        def step(self) -> int:
            return 0

        def close(self) -> None:
            pass

    # setenv first, so the value the command sets is taken back after the test
    monkeypatch.setenv("DOCKET_DB_PREPARED_STATEMENTS", asked or "")
    if not asked:
        monkeypatch.delenv("DOCKET_DB_PREPARED_STATEMENTS")
    monkeypatch.setattr(cli, "_migrate", lambda **_: None)
    monkeypatch.setattr("docket.worker.runner.Worker", Stub)
    monkeypatch.setattr("docket.worker.runner.run_ready_jobs", lambda: 0)
    result = CliRunner().invoke(cli.app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert bool(seen[0]) is prepared
