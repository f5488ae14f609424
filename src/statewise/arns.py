"""Building and reading the ARNs of state machines, executions, activities and functions."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True, slots=True)
class Arn:
    """The parts of an ARN: ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse(text: str) -> Arn | None:
    """Split an ARN into its parts; None when the text is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def state_machine(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """``arn:aws:states:<region>:<account>:stateMachine:<name>`` (ARN-1)."""
    return f"arn:aws:states:{region}:{account}:stateMachine:{name}"


def execution(
    state_machine_name: str,
    name: str,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
) -> str:
    """``arn:aws:states:<region>:<account>:execution:<machine>:<name>`` (ARN-2)."""
    return f"arn:aws:states:{region}:{account}:execution:{state_machine_name}:{name}"


def express_execution(
    state_machine_name: str,
    name: str,
    run_id: str,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
) -> str:
    """``arn:aws:states:...:express:<machine>:<name>:<uuid>`` (ARN-2)."""
    return f"arn:aws:states:{region}:{account}:express:{state_machine_name}:{name}:{run_id}"


def activity(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """``arn:aws:states:<region>:<account>:activity:<name>``."""
    return f"arn:aws:states:{region}:{account}:activity:{name}"


def function(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>``."""
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def resource_name(arn: str) -> str:
    """The last ``:``-separated part: the name in most Step Functions ARNs."""
    return arn.rsplit(":", 1)[-1]
