"""Human in the loop: a refund that waits for a person, without holding a worker slot.

``approve_refund`` asks an Op to approve (a rejection skips the rest), ``choose_channel``
lets them pick how the money goes back (a branch), ``note_for_customer`` asks for a text.
Each waits ``deferred`` until someone answers: the "Required actions" page of the web UI
(or the form on the task's page), the REST API or the CLI:

    baton dags trigger example_hitl --conf '{"amount": 120, "order": "A-17"}'
    baton hitl list
    baton hitl respond example_hitl <run_id> approve_refund --option Approve \\
        --params-input '{"reason": "damaged on arrival"}' --username <an Op user>
    curl -X PATCH -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
        -d '{"chosen_options": ["Voucher"]}' \\
        http://127.0.0.1:8080/api/v1/dags/example_hitl/dagRuns/<run_id>/taskInstances/choose_channel/-1/hitlDetails

Unanswered after four hours, ``approve_refund`` takes its default, "Reject".
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scheduler import (
    DAG,
    ApprovalOperator,
    BaseNotifier,
    HITLBranchOperator,
    HITLEntryOperator,
    HITLOperator,
    Param,
    task,
)

log = logging.getLogger(__name__)


class LogTheLink(BaseNotifier):
    """Tells whoever reads the task log where to answer (a Slack or SMTP notifier from
    ``scheduler.notifications`` would send the same message to people)."""

    template_fields = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def notify(self, context):
        link = HITLOperator.generate_link_to_ui_from_context(context=context)
        log.info("%s: answer at %s", self.message, link)


with DAG(
    "example_hitl",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    tags=["example", "hitl"],
    doc_md=__doc__,
):

    @task
    def check_order(dag_run=None):
        conf = dag_run.conf
        return {"order": conf.get("order", "A-1"), "amount": conf.get("amount", 50)}

    approve = ApprovalOperator(
        task_id="approve_refund",
        subject="Refund {{ dag_run.conf.get('amount', 50) }} EUR for order "
        "{{ dag_run.conf.get('order', 'A-1') }}?",
        body="The customer asked for a refund. **Approve** sends the money back; "
        "**Reject** ends the run here.",
        defaults="Reject",
        params={"reason": Param("", type="string", description="Why (kept in the XCom)")},
        execution_timeout=timedelta(hours=4),
        notifiers=[LogTheLink("A refund waits for approval: {{ task.subject }}")],
    )

    channel = HITLBranchOperator(
        task_id="choose_channel",
        subject="How does the money go back?",
        options=["Card", "Voucher"],
        options_mapping={"Card": "refund_card", "Voucher": "send_voucher"},
    )

    @task
    def refund_card(order):
        return f"refunded {order['amount']} EUR of {order['order']} to the card"

    @task
    def send_voucher(order):
        return f"voucher of {order['amount']} EUR for {order['order']}"

    note = HITLEntryOperator(
        task_id="note_for_customer",
        subject="A note for the customer?",
        params={"note": Param("Sorry for the trouble.", type="string")},
        trigger_rule="none_failed_min_one_success",
    )

    @task
    def send_note(entry, approval):
        approver = (approval["responded_by_user"] or {}).get("name")
        return f"sent {entry['params_input']['note']!r} (refund approved by {approver})"

    order = check_order()
    order >> approve >> channel >> [refund_card(order), send_voucher(order)] >> note
    send_note(note.output, approve.output)
