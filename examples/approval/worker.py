"""An activity worker: long-poll for approval tasks and answer each one.

    python worker.py ACTIVITY_ARN --statewise http://127.0.0.1:8083 [--once]

Amounts up to the limit are approved, larger ones rejected (a real worker would ask a
person and heartbeat while waiting).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3
from botocore.config import Config

LIMIT = 500


def decide(expense: dict[str, Any]) -> tuple[bool, str]:
    """The approver's decision and reason."""
    if expense.get("amount", 0) <= LIMIT:
        return True, "within the limit"
    return False, f"{expense.get('amount')} is above the limit of {LIMIT}"


def work_once(sfn: Any, activity_arn: str, worker_name: str = "approver-1") -> bool:
    """Handle at most one task; False when the 60-second poll came back empty."""
    task = sfn.get_activity_task(activityArn=activity_arn, workerName=worker_name)
    token = task.get("taskToken")
    if not token:
        return False
    sfn.send_task_heartbeat(taskToken=token)  # still thinking
    expense = json.loads(task["input"])["expense"]
    approved, reason = decide(expense)
    if approved:
        sfn.send_task_success(
            taskToken=token, output=json.dumps({"approver": worker_name, "reason": reason})
        )
    else:
        sfn.send_task_failure(taskToken=token, error="Rejected", cause=reason)
    print(f"{expense}: {'approved' if approved else 'rejected'} ({reason})")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activity_arn")
    parser.add_argument("--statewise", default="http://127.0.0.1:8083")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--once", action="store_true", help="handle one task, then stop")
    args = parser.parse_args()
    # GetActivityTask holds the request up to 60 s: the socket timeout must be longer.
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=args.statewise,
        region_name=args.region,
        config=Config(read_timeout=70),
    )
    while True:
        handled = work_once(sfn, args.activity_arn)
        if handled and args.once:
            return


if __name__ == "__main__":
    main()
