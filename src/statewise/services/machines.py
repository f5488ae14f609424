"""State machines, versions and aliases: the rules of the Step Functions control plane."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from statewise import arns
from statewise.asl import validate
from statewise.asl.diagnostics import DefinitionError
from statewise.errors import (
    ConflictException,
    InvalidArn,
    InvalidDefinition,
    InvalidLoggingConfiguration,
    MissingRequiredParameter,
    ResourceNotFound,
    ServiceQuotaExceededException,
    StateMachineAlreadyExists,
    StateMachineDeleting,
    StateMachineDoesNotExist,
    ValidationException,
)
from statewise.services.names import check_alias_name, check_name
from statewise.store.base import (
    AliasRecord,
    ResourcePage,
    StateMachineRecord,
    Store,
    VersionRecord,
)

MAX_VERSIONS = 1000
CACHE_SECONDS = 1.0
MAX_ALIASES = 100


def check_logging(logging: dict[str, Any] | None) -> None:
    """InvalidLoggingConfiguration: a level other than OFF needs exactly one log group whose
    ARN ends with ``:*`` (API-1)."""
    if not logging:
        return
    level = logging.get("level", "OFF")
    destinations = logging.get("destinations") or []
    if level != "OFF" and len(destinations) != 1:
        raise InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination if "
            "logging level is not OFF."
        )
    for destination in destinations:
        group = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if not group.startswith("arn:") or not group.endswith(":*"):
            raise InvalidLoggingConfiguration(
                f"Invalid Logging Configuration: Log Group ARN must end with ':*': '{group}'"
            )


def check_definition(definition: str, *, express: bool) -> None:
    """Raise InvalidDefinition with AWS's message listing every problem (DEF-5)."""
    diagnostics = validate.validate_text(definition, express=express)
    if diagnostics:
        raise InvalidDefinition(DefinitionError(diagnostics).message)


@dataclass(frozen=True, slots=True)
class Target:
    """What an ARN passed to StartExecution or Describe names.

    ``machine`` is always the unqualified state machine; ``version`` is set for a version
    ARN and for an alias once it picked a version; ``alias`` for an alias ARN.
    """

    machine: StateMachineRecord
    version: VersionRecord | None = None
    alias: AliasRecord | None = None

    @property
    def definition(self) -> str:
        return self.version.definition if self.version else self.machine.definition

    @property
    def role_arn(self) -> str:
        return self.version.role_arn if self.version else self.machine.role_arn


def split_qualified(arn: str) -> tuple[str, str | None]:
    """A state machine ARN and its qualifier (version number or alias name), if any."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.service != "states":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    parts = parsed.resource.split(":")
    if parts[0] != "stateMachine" or len(parts) not in (2, 3) or not parts[1]:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {parts[0]}'")
    if "/" in parts[1]:
        raise ValidationException(
            "This API does not support labeled ARNs.", reason="API_DOES_NOT_SUPPORT_LABELED_ARNS"
        )
    base = f"arn:{parsed.partition}:states:{parsed.region}:{parsed.account}:{parts[0]}:{parts[1]}"
    return base, parts[2] if len(parts) == 3 else None


class Deletions(Protocol):
    """What carries a state machine's deletion through its DELETING phase (API-4).

    The executions service implements it: ending running executions needs the engine,
    which this module does not know.
    """

    async def proceed(self, machine: StateMachineRecord) -> bool:
        """Delete a DELETING machine if none of its executions runs (True), else see that
        they end at their next transition and the machine goes after them (False)."""
        ...


class Machines:
    """Control-plane operations over the store. Times come from ``now``."""

    def __init__(
        self, store: Store, *, region: str, account: str, now: Callable[[], float]
    ) -> None:
        self.store = store
        self.region = region
        self.account = account
        self.now = now
        # Starts look their machine up on every call; AWS applies updates to new starts
        # "within seconds" (API-3), so a short-lived cache is faithful and saves a read.
        self._cache: dict[str, tuple[float, StateMachineRecord]] = {}
        # Set by the executions service; without it a deletion is immediate.
        self.deletions: Deletions | None = None

    async def _machine(self, arn: str) -> StateMachineRecord | None:
        cached = self._cache.get(arn)
        moment = time.monotonic()
        if cached is not None and moment - cached[0] < CACHE_SECONDS:
            return cached[1]
        record = await self.store.get_state_machine(arn)
        if record is None:
            self._cache.pop(arn, None)
        else:
            self._cache[arn] = (moment, record)
        return record

    def forget(self, arn: str) -> None:
        """Drop a machine from the starts' cache (it changed or went)."""
        self._cache.pop(arn, None)

    async def _settle(self, record: StateMachineRecord) -> StateMachineRecord | None:
        """A DELETING machine whose executions have all ended is deleted now: None.

        Every read of a machine goes through here, so the machine disappears exactly when
        its last execution ends, also after a restart, whoever else finishes the deletion.
        """
        if record.status != "DELETING" or self.deletions is None:
            return record
        if await self.deletions.proceed(record):
            self.forget(record.arn)
            return None
        return record

    async def create(
        self,
        *,
        name: str,
        definition: str,
        role_arn: str,
        type: str = "STANDARD",
        logging: dict[str, Any] | None = None,
        tracing: dict[str, Any] | None = None,
        encryption: dict[str, Any] | None = None,
        publish: bool = False,
        version_description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> tuple[StateMachineRecord, VersionRecord | None]:
        """CreateStateMachine (API-1), idempotent for an identical request."""
        check_name(name)
        if version_description is not None and not publish:
            raise ValidationException("Version description can only be set when publish is true")
        check_definition(definition, express=type == "EXPRESS")
        check_logging(logging)
        arn = arns.state_machine(name, self.region, self.account)
        record = StateMachineRecord(
            arn=arn,
            name=name,
            type=type,
            definition=definition,
            role_arn=role_arn,
            creation_date=self.now(),
            revision_id=str(uuid.uuid4()),
            logging_configuration=_dump(logging or {"level": "OFF", "includeExecutionData": False}),
            tracing_configuration=_dump(tracing or {"enabled": False}),
            encryption_configuration=_dump(encryption) if encryption else None,
        )
        if not await self.store.insert_state_machine(record):
            existing = await self._existing(record, publish, version_description)
            if existing is not None:
                return existing
            # The machine of that name finished its deletion just now: the name is free.
            if not await self.store.insert_state_machine(record):
                raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
        if tags:
            await self.store.tag(arn, tags)
        version = None
        if publish:
            version = await self.publish(arn, description=version_description)
        return record, version

    async def _existing(
        self, wanted: StateMachineRecord, publish: bool, description: str | None
    ) -> tuple[StateMachineRecord, VersionRecord | None] | None:
        """The machine an identical create made already; None when it has just gone."""
        found = await self.store.get_state_machine(wanted.arn)
        existing = None if found is None else await self._settle(found)
        if existing is None:
            return None
        if existing.status == "DELETING":
            raise StateMachineDeleting(f"State Machine is being deleted: '{wanted.arn}'")
        same = (
            existing.definition == wanted.definition
            and existing.type == wanted.type
            and existing.logging_configuration == wanted.logging_configuration
            and existing.tracing_configuration == wanted.tracing_configuration
            and existing.encryption_configuration == wanted.encryption_configuration
        )
        version = None
        if same and publish:
            page = await self.store.list_versions(existing.arn, limit=1)
            version = page.items[0] if page.items else None
            same = version is not None and version.revision_id == existing.revision_id
            same = same and version is not None and version.description == description
        if not same:
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{wanted.arn}'")
        return existing, version

    async def get(self, arn: str) -> StateMachineRecord:
        """An unqualified state machine, or StateMachineDoesNotExist."""
        base, qualifier = split_qualified(arn)
        record = await self.store.get_state_machine(base)
        if record is not None:
            record = await self._settle(record)
        if record is None or qualifier is not None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return record

    async def list_machines(self, *, limit: int = 100, token: str | None = None) -> ResourcePage:
        """ListStateMachines (API-5). A machine being deleted is listed until it is gone,
        as DescribeStateMachine still finds it (AWS's docs say nothing either way)."""
        page = await self.store.list_state_machines(limit=limit, token=token)
        items = []
        for record in page.items:
            settled = await self._settle(record)
            if settled is not None:
                items.append(settled)
        return replace(page, items=items)

    async def resolve(self, arn: str, *, pick: Callable[[], float] = random.random) -> Target:
        """The machine, version or alias an ARN names (ARN-3); an alias picks a version by
        its routing weights (API-15)."""
        base, qualifier = split_qualified(arn)
        machine = await self._machine(base)
        if machine is not None:
            machine = await self._settle(machine)
        if machine is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        if qualifier is None:
            return Target(machine)
        if qualifier.isdigit():
            version = await self.store.get_version(arn)
            if version is None:
                raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
            return Target(machine, version)
        alias = await self.store.get_alias(arn)
        if alias is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        routes = orjson.loads(alias.routing)
        point = pick() * 100
        chosen = routes[-1]["stateMachineVersionArn"]
        for route in routes:
            point -= route["weight"]
            if point < 0:
                chosen = route["stateMachineVersionArn"]
                break
        version = await self.store.get_version(chosen)
        if version is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{chosen}'")
        return Target(machine, version, alias)

    async def update(
        self,
        arn: str,
        *,
        definition: str | None = None,
        role_arn: str | None = None,
        logging: dict[str, Any] | None = None,
        tracing: dict[str, Any] | None = None,
        encryption: dict[str, Any] | None = None,
        publish: bool = False,
        version_description: str | None = None,
    ) -> tuple[StateMachineRecord, VersionRecord | None]:
        """UpdateStateMachine (API-3): a new revision; running executions keep theirs."""
        if all(v is None for v in (definition, role_arn, logging, tracing, encryption)):
            raise MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, "
                "or the TracingConfiguration must be specified"
            )
        if version_description is not None and not publish:
            raise ValidationException("Version description can only be set when publish is true")
        record = await self.get(arn)
        if record.status == "DELETING":
            raise StateMachineDeleting(f"State Machine is being deleted: '{arn}'")
        if definition is not None:
            check_definition(definition, express=record.type == "EXPRESS")
        check_logging(logging)
        changes: dict[str, Any] = {}
        if definition is not None:
            changes["definition"] = definition
        if role_arn is not None:
            changes["role_arn"] = role_arn
        if logging is not None:
            changes["logging_configuration"] = _dump(logging)
        if tracing is not None:
            changes["tracing_configuration"] = _dump(tracing)
        if encryption is not None:
            changes["encryption_configuration"] = _dump(encryption)
        updated = replace(record, **changes)
        self.forget(record.arn)
        if updated != record:
            updated = replace(updated, revision_id=str(uuid.uuid4()), update_date=self.now())
            await self.store.update_state_machine(updated)
        elif updated.update_date is None:
            updated = replace(updated, update_date=self.now())
            await self.store.update_state_machine(updated)
        version = None
        if publish:
            version = await self.publish(updated.arn, description=version_description)
        return updated, version

    async def delete(self, arn: str) -> None:
        """DeleteStateMachine (API-4): the machine, its versions and aliases go.

        A Standard machine turns DELETING and goes once none of its executions runs; they
        end at their next state transition. An Express machine goes at once: its
        executions run in memory and finish on their own ("Running executions may emit
        logs after DeleteStateMachine API is called").
        """
        base, qualifier = split_qualified(arn)
        if qualifier is not None:
            if qualifier.isdigit():
                await self.delete_version(arn)
            else:
                await self.store.delete_alias(arn)
            return
        self.forget(base)
        record = await self.store.get_state_machine(base)
        if record is None:
            return
        if record.type == "EXPRESS" or self.deletions is None:
            await self.store.delete_state_machine(base)
            return
        if record.status != "DELETING":
            record = replace(record, status="DELETING")
            await self.store.update_state_machine(record)
            # Again: a start may have cached the ACTIVE row while this update ran.
            self.forget(base)
        await self._settle(record)

    async def publish(
        self, arn: str, *, revision_id: str | None = None, description: str | None = None
    ) -> VersionRecord:
        """PublishStateMachineVersion (API-7): idempotent for an unchanged revision."""
        machine = await self.get(arn)
        if machine.status == "DELETING":
            raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
        if revision_id is not None and revision_id != machine.revision_id:
            raise ConflictException(
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {machine.revision_id}."
            )
        page = await self.store.list_versions(machine.arn, limit=1)
        latest: VersionRecord | None = page.items[0] if page.items else None
        if latest is not None and latest.revision_id == machine.revision_id:
            return latest
        # The quota counts versions that exist: deleting some makes room (API-7).
        if await self.store.count_versions(machine.arn) >= MAX_VERSIONS:
            raise ServiceQuotaExceededException(
                f"Too many versions for State Machine '{machine.arn}' (maximum {MAX_VERSIONS})"
            )
        # The store numbers it: one more than any number the machine ever had, deleted
        # versions included, as AWS never reuses one ("If you delete version 10 of your
        # state machine and then publish a new version, Step Functions publishes it as
        # version 11", concepts-state-machine-version.html). The arn and number given
        # here are placeholders.
        draft = VersionRecord(
            arn=machine.arn,
            state_machine_arn=machine.arn,
            version=0,
            definition=machine.definition,
            role_arn=machine.role_arn,
            type=machine.type,
            revision_id=machine.revision_id,
            creation_date=self.now(),
            description=description,
            logging_configuration=machine.logging_configuration,
            tracing_configuration=machine.tracing_configuration,
            encryption_configuration=machine.encryption_configuration,
        )
        return await self.store.insert_next_version(draft)

    async def delete_version(self, arn: str) -> None:
        """DeleteStateMachineVersion (API-9): refused while an alias routes to it."""
        base, qualifier = split_qualified(arn)
        if qualifier is None or not qualifier.isdigit():
            raise ValidationException(f"Invalid version ARN: '{arn}'")
        token = None
        while True:
            page = await self.store.list_aliases(base, limit=100, token=token)
            for alias in page.items:
                routes = orjson.loads(alias.routing)
                if any(r["stateMachineVersionArn"] == arn for r in routes):
                    raise ConflictException(
                        f"Version to be deleted must not be referenced by an alias. Current "
                        f"list of aliases referencing this version: [{alias.arn}]"
                    )
            token = page.next_token
            if token is None:
                break
        await self.store.delete_version(arn)

    async def create_alias(
        self, *, name: str, routing: list[dict[str, Any]], description: str | None
    ) -> AliasRecord:
        """CreateStateMachineAlias (API-10), idempotent for identical arguments."""
        check_alias_name(name)
        machine_arn = await self._check_routing(routing)
        arn = f"{machine_arn}:{name}"
        existing = await self.store.get_alias(arn)
        routing_text = _dump(routing)
        if existing is not None:
            if existing.routing == routing_text and existing.description == description:
                return existing
            raise ConflictException(
                f"Failed to create alias because an alias with the same name and a "
                f"different routing configuration already exists: '{arn}'"
            )
        page = await self.store.list_aliases(machine_arn, limit=MAX_ALIASES)
        if len(page.items) >= MAX_ALIASES:
            raise ServiceQuotaExceededException(
                f"Too many aliases for State Machine '{machine_arn}' (maximum {MAX_ALIASES})"
            )
        alias = AliasRecord(
            arn=arn,
            state_machine_arn=machine_arn,
            name=name,
            routing=routing_text,
            creation_date=self.now(),
            description=description,
        )
        await self.store.put_alias(alias)
        return alias

    async def get_alias(self, arn: str) -> AliasRecord:
        _, qualifier = split_qualified(arn)
        alias = None if qualifier is None else await self.store.get_alias(arn)
        if alias is None:
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        return alias

    async def update_alias(
        self, arn: str, *, routing: list[dict[str, Any]] | None, description: str | None
    ) -> AliasRecord:
        """UpdateStateMachineAlias (API-12)."""
        alias = await self.get_alias(arn)
        if routing is None and description is None:
            raise MissingRequiredParameter(
                "Either the description or the RoutingConfiguration must be specified"
            )
        if routing is not None:
            machine_arn = await self._check_routing(routing)
            if machine_arn != alias.state_machine_arn:
                raise ValidationException(
                    "Routing configuration must reference versions of the alias's state machine",
                    reason="INVALID_ROUTING_CONFIGURATION",
                )
            alias = replace(alias, routing=_dump(routing))
        if description is not None:
            alias = replace(alias, description=description)
        alias = replace(alias, update_date=self.now())
        await self.store.put_alias(alias)
        return alias

    async def _check_routing(self, routing: list[dict[str, Any]]) -> str:
        """Validate a routing configuration; returns the state machine it belongs to."""
        invalid = "INVALID_ROUTING_CONFIGURATION"
        if not 1 <= len(routing) <= 2:
            raise ValidationException(
                "Routing configuration must contain one or two versions", reason=invalid
            )
        if sum(int(r.get("weight", 0)) for r in routing) != 100:
            raise ValidationException(
                "Sum of routing configuration weights must be equal to 100", reason=invalid
            )
        machines = set()
        seen = set()
        for route in routing:
            version_arn = route["stateMachineVersionArn"]
            base, qualifier = split_qualified(version_arn)
            if qualifier is None or not qualifier.isdigit():
                raise ValidationException(
                    f"Routing configuration must use version ARNs: '{version_arn}'",
                    reason=invalid,
                )
            if version_arn in seen:
                raise ValidationException(
                    "Routing configuration must not contain duplicate versions", reason=invalid
                )
            seen.add(version_arn)
            if await self.store.get_version(version_arn) is None:
                raise ResourceNotFound(f"Resource not found: '{version_arn}'")
            machines.add(base)
        if len(machines) != 1:
            raise ValidationException(
                "Routing configuration versions must belong to the same state machine",
                reason=invalid,
            )
        machine_arn = machines.pop()
        machine = await self.store.get_state_machine(machine_arn)
        if machine is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{machine_arn}'")
        if machine.status == "DELETING":
            raise StateMachineDeleting(f"State Machine is being deleted: '{machine_arn}'")
        return machine_arn


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
