"""Fuzz the API from its own OpenAPI document with schemathesis, against a real server.

For every operation, schemathesis generates requests that fit the schema and requests that
do not (wrong types, missing fields, out-of-range values, garbage path parameters), half of
them aimed at things that exist (seeded in conftest.py), half at random identifiers. Every
answer must be: not a 5xx; a status the operation declares; the declared content type
(problems are application/problem+json); a body matching the declared schema.

Deterministic: Hypothesis runs derandomized, without a database of past failures, and
operations run in a fixed order (deletes last, so the other operations see the seeded data).
CI runs a short pass; for a longer one set DOCKET_FUZZ_EXAMPLES (see docs/operations.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import FuzzServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("fuzz"),  # one worker builds its server (--dist loadgroup)
]

EXAMPLES = int(os.environ.get("DOCKET_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_REPORTED_PER_OPERATION = 3


def _real_path_parameters(seeded: dict[str, Any], path: str) -> dict[str, st.SearchStrategy]:
    """Values of existing things for the path parameters of `path`."""
    values: dict[str, list[Any]] = {
        "key": seeded["issue_keys"] if path.startswith("/api/v1/issues/") else ["WEB", "OPS"],
        "comment_id": [seeded["comment_id"]],
        "filter_id": [seeded["filter_id"]],
        "token_id": [seeded["spare_token_id"]],
        "state": seeded["states"],
        "transition_id": seeded["transition_ids"],
        "username": ["bob"],
        "rule_id": [seeded["rule_id"]],
        "policy_id": [seeded["policy_id"]],
        "repository_id": [seeded["repository_id"]],
    }
    if "/webhooks/" in path:  # a hook's id; the forge delivery address's hook_id is a string
        values["hook_id"] = [seeded["hook_id"]]
    if "/alert-intakes/" in path:
        values["intake_id"] = [seeded["intake_id"]]
    return {
        name: st.sampled_from(options) for name, options in values.items() if f"{{{name}}}" in path
    }


def _cases(operation: Any, seeded: dict[str, Any]) -> st.SearchStrategy:
    real = _real_path_parameters(seeded, operation.path)

    def aimed(mode: GenerationMode) -> st.SearchStrategy:
        if not real:
            return operation.as_strategy(generation_mode=mode)
        return st.fixed_dictionaries(real).flatmap(
            lambda params: operation.as_strategy(generation_mode=mode, path_parameters=params)
        )

    return st.one_of(
        aimed(GenerationMode.POSITIVE),
        aimed(GenerationMode.NEGATIVE),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


@dataclass
class Outcome:
    answered: dict[str, set[int]] = field(default_factory=dict)  # statuses seen per operation
    failures: list[str] = field(default_factory=list)

    def reaching(self) -> float:
        """The share of operations that succeeded at least once (not only refusals)."""
        ok = [op for op, statuses in self.answered.items() if any(s < 300 for s in statuses)]
        return len(ok) / max(1, len(self.answered))

    def report(self, server: FuzzServer) -> str:
        found = f"{len(self.failures)} failure(s):\n\n" + "\n\n".join(self.failures)
        return found + "\n\nThe server's log ends with:\n" + server.log_tail()


def _fuzz_operation(
    operation: Any,
    server: FuzzServer,
    session: requests.Session,
    headers: dict[str, str],
    examples: int,
    skip: Callable[[Any], bool],
) -> tuple[set[int], list[str]]:
    """Run one operation's examples; returns the statuses seen and the first failures."""
    statuses: set[int] = set()
    found: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report what was found, quickly
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=_cases(operation, server.seeded))
    def run(case: Any) -> None:
        if skip(case):
            return
        response = case.call(base_url=server.url, session=session, headers=headers, timeout=30)
        statuses.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:  # a Failure or a FailureGroup
            if len(found) < MAX_REPORTED_PER_OPERATION:
                text = str(exc)
                if "Reproduce with" not in text:
                    text += f"\n    {case.as_curl_command(headers=headers)}"
                found.append(f"{operation.label}: {text}")

    run()
    return statuses, found


def _fuzz(
    server: FuzzServer,
    headers: dict[str, str],
    examples: int,
    skip: Callable[[Any], bool] = lambda case: False,
) -> Outcome:
    """Run every operation of the live OpenAPI document, in a fixed order."""
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # stable: deletes last
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: the server is on loopback
    outcome = Outcome()
    for operation in operations:
        statuses, found = _fuzz_operation(operation, server, session, headers, examples, skip)
        outcome.answered[operation.label] = statuses
        outcome.failures.extend(found)
    return outcome


def test_fuzz_anonymously(fuzz_server: FuzzServer):
    """No token: reads of the public project, and 401s for everything else."""
    outcome = _fuzz(fuzz_server, headers={}, examples=max(4, EXAMPLES // 3))
    assert not outcome.failures, outcome.report(fuzz_server)


def test_fuzz_as_a_site_admin(fuzz_server: FuzzServer):
    """A site admin's token with every scope: every operation can succeed."""
    token = fuzz_server.token

    def own_token(case: Any) -> bool:  # revoking it would turn the rest of the run into 401s
        return bool(case.path_parameters) and (
            case.path_parameters.get("token_id") == fuzz_server.token_id
        )

    outcome = _fuzz(
        fuzz_server, headers={"Authorization": f"Bearer {token}"}, examples=EXAMPLES, skip=own_token
    )
    assert not outcome.failures, outcome.report(fuzz_server)
    # The run must have got past the refusals: most operations succeeded at least once.
    never = sorted(op for op, seen in outcome.answered.items() if not any(s < 300 for s in seen))
    assert outcome.reaching() > 0.6, "\n".join(never)
