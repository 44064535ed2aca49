"""The one NinjaAPI object: every router mounts here, errors become RFC 9457 problems."""

from __future__ import annotations

from ninja.errors import HttpError, ValidationError

from docket.accounts.api import router as accounts_router
from docket.accounts.api_auth import TokenOrSession
from docket.accounts.idempotency import UserKeys
from docket.accounts.people_api import router as people_router
from docket.attachments.api import router as attachments_router
from docket.audit.api import router as audit_router
from docket.core import idempotency
from docket.core.api_base import DocketAPI
from docket.core.errors import DocketError
from docket.core.http import (
    StrictJSONParser,
    docket_error_response,
    http_error_response,
    validation_error_response,
)
from docket.issues.api import router as issues_router
from docket.issues.filters_api import router as filters_router
from docket.issues.offboarding_api import router as offboarding_router
from docket.issues.search_api import router as search_router
from docket.issues.sharing_api import router as sharing_router
from docket.issues.transitions_api import router as transitions_router
from docket.projects.api import router as projects_router
from docket.projects.workflow_api import router as workflow_router

api = DocketAPI(
    title="Docket API",
    version="1",
    description=(
        "Docket's REST API. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `docket token create USER` or `POST /api/v1/tokens`) or a browser "
        "session (with the CSRF token on writes). Errors are RFC 9457 problem details."
    ),
    auth=TokenOrSession(),
    parser=StrictJSONParser(),
    urls_namespace="api-v1",
)
api.add_exception_handler(DocketError, docket_error_response)  # type: ignore[arg-type]
api.add_exception_handler(HttpError, http_error_response)  # type: ignore[arg-type]
api.add_exception_handler(ValidationError, validation_error_response)  # type: ignore[arg-type]
idempotency.install(api, UserKeys())  # Idempotency-Key on writes, keys per user
api.add_router("", accounts_router)
api.add_router("", "docket.accounts.auth_api.router")  # sign-in, password reset
api.add_router("", projects_router)
api.add_router("", workflow_router)
api.add_router("", issues_router)
api.add_router("", filters_router)
api.add_router("", search_router)
api.add_router("", transitions_router)
api.add_router("", attachments_router)
api.add_router("", sharing_router)
api.add_router("", offboarding_router)  # deactivating people hands their issues over
api.add_router("", people_router)
api.add_router("", audit_router)
api.add_router("", "docket.issues.watchers_api.router")  # watching issues
api.add_router("", "docket.issues.links_api.router")  # links between issues
api.add_router("", "docket.issues.custom_fields_api.router")  # custom field definitions
api.add_router("", "docket.issues.worklog_api.router")  # time logged on issues
api.add_router("", "docket.worker.api.router")  # background jobs (site admins)
api.add_router("", "docket.notifications.api.router")  # inbox, preferences, mutes
api.add_router("", "docket.automation.api.router")  # rules, their run log, dry runs
api.add_router("", "docket.sla.api.router")  # SLA policies, an issue's clocks
api.add_router("", "docket.integrations.vcs.api.router")  # repositories, forge deliveries
api.add_router("", "docket.integrations.alerts.api.router")  # alert intakes
api.add_router("", "docket.integrations.hooks.api.router")  # outbound webhooks, deliveries
api.add_router("", "docket.mailin.api.router")  # project mail addresses, the mail quarantine
api.add_router("", "docket.transfer.export_api.router")  # exports: CSV, JSON Lines
