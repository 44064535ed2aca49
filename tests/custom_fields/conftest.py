"""WEB (alice admin, bob member, carol reporter, dave viewer) with one custom field of each
type: customer (text), points (number), due (date), tier (select), platforms (multi select),
owner (user)."""

from __future__ import annotations

import pytest

from docket.issues import custom_fields

DEFINITIONS = [
    {"name": "customer", "type": "text", "label": "Customer"},
    {"name": "points", "type": "number", "label": "Story points"},
    {"name": "deadline", "type": "date", "label": "Contract deadline"},
    {"name": "tier", "type": "select", "options": ["gold", "silver", "bronze"]},
    {"name": "platforms", "type": "multi_select", "options": ["web", "ios", "android"]},
    {"name": "owner", "type": "user", "label": "Business owner"},
]


@pytest.fixture
def fielded(cast):
    for values in DEFINITIONS:
        custom_fields.define(actor=cast.alice, project=cast.web, values=values)
    return cast


def history(api, key: str) -> list[dict]:
    response = api.get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return response.json()["items"]
