"""Play the patient's SMS reply: take the next message from the queue, answer its token.

    python reply.py QUEUE_URL YES --sqs-endpoint http://127.0.0.1:5000 \
        --statewise http://127.0.0.1:8083
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3


def reply(
    sqs: Any, sfn: Any, queue_url: str, answer: str, wait_seconds: int = 10
) -> dict[str, Any]:
    """Receive one SMS request from the queue and send ``answer`` back with its token."""
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=wait_seconds).get(
        "Messages", []
    )
    if not messages:
        raise SystemExit("no SMS request is waiting in the queue")
    message = messages[0]
    request = json.loads(message["Body"])
    print(f"SMS to {request['phone']}: {request['text']!r} -> {answer!r}")
    sfn.send_task_success(taskToken=request["taskToken"], output=json.dumps({"reply": answer}))
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return dict(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue_url")
    parser.add_argument("answer", help="the patient's reply, e.g. YES or NO")
    parser.add_argument("--sqs-endpoint", default=None, help="SQS endpoint (e.g. moto's)")
    parser.add_argument("--statewise", default="http://127.0.0.1:8083")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    sqs = boto3.client("sqs", endpoint_url=args.sqs_endpoint, region_name=args.region)
    sfn = boto3.client("stepfunctions", endpoint_url=args.statewise, region_name=args.region)
    reply(sqs, sfn, args.queue_url, args.answer)


if __name__ == "__main__":
    main()
