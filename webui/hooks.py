"""``POST /hooks/<name>``: inbound webhooks for third parties (``scheduler/api/webhooks.py``).

No login and no CSRF token: the HMAC signature is the authentication (the route is in the
guard's public endpoints). Every answer is JSON: 200 with the run started, 400 for a body
that is not a JSON object (or nested too deep), 401 for a missing, stale or wrong
signature, 404 for an unknown name, 409 for a replayed delivery, 413 for a body larger than
BATON_MAX_CONF_SIZE (checked before anything else reads it), 503 when the webhook's secret
connection is missing (the reason goes to the server's log, not to the caller).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from scheduler.api.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, receive
from scheduler.errors import (
    BatonError,
    ConfLimitError,
    WebhookAuthError,
    WebhookNotFoundError,
    WebhookReplayError,
)
from scheduler.json_limits import JsonLimits
from webui.auth.identity import settings
from webui.auth.responses import json_error

log = logging.getLogger(__name__)
hooks_bp = Blueprint("webhooks", __name__)


@hooks_bp.post("/hooks/<name>")
def receive_webhook(name: str) -> Response:
    limit = JsonLimits.from_settings(settings()).max_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    body = request.get_data(cache=False)
    if len(body) > limit:
        return _too_large(limit)
    try:
        run = receive(
            settings(),
            name,
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
        )
    except WebhookNotFoundError as exc:
        return json_error(404, str(exc))
    except WebhookAuthError as exc:
        return json_error(401, str(exc))
    except WebhookReplayError as exc:
        return json_error(409, str(exc))
    except (ValueError, ConfLimitError) as exc:
        return json_error(400, str(exc), "body")
    except BatonError as exc:  # the webhook's own configuration is broken
        log.error("webhook %r: %s", name, exc)
        return json_error(503, f"webhook {name!r} cannot take deliveries now")
    response = jsonify({"dag_id": run.dag_id, "dag_run_id": run.run_id, "state": run.state})
    return response


@hooks_bp.errorhandler(RequestEntityTooLarge)
def _over_server_limit(_exc: RequestEntityTooLarge) -> Response:
    return _too_large(JsonLimits.from_settings(settings()).max_bytes)


def _too_large(limit: int) -> Response:
    return json_error(413, f"the body is larger than {limit} bytes (BATON_MAX_CONF_SIZE)", "body")
