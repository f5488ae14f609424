"""The function registry: CreateFunction, Get, List, Update, Delete, versions, aliases.

The registry holds every function in memory and applies Lambda's rules to changes. On its
own (``persist``), each function is one JSON file under ``<root>/meta/``, rewritten
atomically on every change, so the registry survives restarts. Under a Store (see
``shared.py``) it is that store's cache instead: a change is computed here with
:meth:`Registry.stage`, written to the store, and only then installed. Code lives in the
content-addressed ``CodeStore``.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from statewise import arns
from statewise.functions import names
from statewise.functions.code import CodeStore, StoredCode
from statewise.functions.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from statewise.functions.model import LATEST, Alias, FunctionConfig, FunctionRecord, is_supported

_T = TypeVar("_T")

# Lambda's default account quota, and the share it keeps for functions without reservations.
ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
MAX_ENVIRONMENT_BYTES = 4096
# Limits of functions on Lambda's default capacity (the model allows more for others).
MAX_TIMEOUT_SECONDS = 900
MAX_MEMORY_MB = 10240
MAX_EPHEMERAL_MB = 10240
# Variables Lambda sets itself and refuses in a function's configuration.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
    }
)
# Configuration members a function's versions may differ in, besides code.
_FINGERPRINT_EXCLUDES = frozenset({"version", "revision_id", "last_modified", "description"})
_MUTABLE = frozenset(
    {
        "runtime",
        "handler",
        "role",
        "description",
        "timeout",
        "memory_size",
        "environment",
        "architectures",
        "ephemeral_storage",
        "tracing_mode",
        "log_format",
    }
)


def timestamp(moment: float) -> str:
    """Lambda's LastModified form: ``2026-01-01T00:00:00.000+0000``."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


def check_runtime(runtime: str | None, handler: str | None) -> None:
    """Runtime and Handler are required for zips, and the runtime must be one we run."""
    if not runtime or not handler:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages."
        )
    if not is_supported(runtime):
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not supported by statewise. Use python3.x, "
            "provided, provided.al2, provided.al2023 or go1.x."
        )


def check_environment(variables: Mapping[str, str]) -> None:
    """Reserved keys and the 4 KB limit, with Lambda's messages."""
    reserved = sorted(k for k in variables if k in RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are currently "
            f"not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}"
        )
    measured = orjson.dumps(dict(variables)).decode()
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )


def _fingerprint(config: FunctionConfig) -> dict[str, Any]:
    data = config.to_json()
    return {k: v for k, v in data.items() if k not in _FINGERPRINT_EXCLUDES}


class Registry:
    """Function configurations by name, with their versions and aliases."""

    def __init__(
        self,
        root: Path,
        *,
        region: str = arns.DEFAULT_REGION,
        account: str = arns.DEFAULT_ACCOUNT,
        now: Callable[[], float],
        persist: bool = True,
    ) -> None:
        self.root = root
        # False under a Store: the store is where functions live, and the caller installs
        # what it wrote there; nothing is written to (or pruned from) the data directory.
        self.persist = persist
        self.region = region
        self.account = account
        self.now = now
        self.code = CodeStore(root / "code")
        self._meta = root / "meta"
        self._functions: dict[str, FunctionRecord] = {}

    # --- persistence ------------------------------------------------------------------

    def load(self) -> None:
        """Read every function file (at server start)."""
        self._functions.clear()
        if not self._meta.is_dir():
            return
        for path in sorted(self._meta.glob("*.json")):
            record = FunctionRecord.from_json(orjson.loads(path.read_bytes()))
            self._functions[record.latest.name] = record

    def _save(self, record: FunctionRecord) -> None:
        self._functions[record.latest.name] = record
        if not self.persist:
            return
        self._meta.mkdir(parents=True, exist_ok=True)
        path = self._meta / f"{record.latest.name}.json"
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as sink:
            sink.write(orjson.dumps(record.to_json()))
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, path)

    def _forget(self, name: str) -> None:
        self._functions.pop(name, None)
        if self.persist:
            (self._meta / f"{name}.json").unlink(missing_ok=True)
            self.prune_code()

    def _prune(self) -> None:
        if self.persist:
            self.prune_code()

    def prune_code(self) -> None:
        """Delete the unpacked packages no function or version uses any more."""
        self.code.prune(self.digests())

    def digests(self) -> set[str]:
        """The code every function and version uses."""
        return {d for r in self._functions.values() for d in r.code_digests()}

    # --- a store's cache ----------------------------------------------------------------

    def stage(
        self, name: str, change: Callable[[], _T]
    ) -> tuple[_T, FunctionRecord | None, FunctionRecord | None]:
        """Run ``change`` (a mutation of function ``name``) without keeping its effect.

        Returns what ``change`` returned, the record before and the record after (None:
        absent); the registry is left as it was, for the caller to write ``after`` to the
        store and :meth:`install` it only once that write landed. Errors ``change`` raises
        (Lambda's rules) leave the registry as it was too.
        """
        before = self._functions.get(name)
        try:
            result = change()
            after = self._functions.get(name)
        finally:
            if before is None:
                self._functions.pop(name, None)
            else:
                self._functions[name] = before
        return result, before, after

    def install(self, record: FunctionRecord) -> None:
        """Hold ``record`` as the function's current state (read from the store)."""
        self._functions[record.latest.name] = record

    def drop(self, name: str) -> None:
        """Forget a function (deleted in the store)."""
        self._functions.pop(name, None)

    def function_names(self) -> list[str]:
        return list(self._functions)

    # --- lookups ----------------------------------------------------------------------

    def arn(self, name: str, qualifier: str | None = None) -> str:
        base = arns.function(name, self.region, self.account)
        return f"{base}:{qualifier}" if qualifier else base

    def _not_found(self, name: str, qualifier: str | None = None) -> ResourceNotFoundException:
        return ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")

    def record(self, name: str) -> FunctionRecord:
        """The function's record.

        Raises:
            ResourceNotFoundException: no such function.
        """
        record = self._functions.get(name)
        if record is None:
            raise self._not_found(name)
        return record

    def exists(self, name: str) -> bool:
        return name in self._functions

    def resolve(self, ref: names.FunctionId, *, route: bool = False) -> FunctionConfig:
        """The version a (possibly qualified) reference names.

        With ``route``, an alias with AdditionalVersionWeights picks one of its versions at
        random in those proportions, as an invocation through it does.

        Raises:
            ResourceNotFoundException: no such function, version or alias.
        """
        record = self._functions.get(ref.name)
        if record is None:
            raise self._not_found(ref.name, ref.qualifier)
        qualifier = ref.qualifier
        if qualifier is None or qualifier == LATEST:
            return record.latest
        if names.is_version(qualifier):
            version = record.versions.get(qualifier)
            if version is None:
                raise self._not_found(ref.name, qualifier)
            return version
        alias = record.aliases.get(qualifier)
        if alias is None:
            raise self._not_found(ref.name, qualifier)
        target = alias.function_version
        if route and alias.weights:
            roll = random.random()
            for version_name, weight in alias.weights.items():
                if roll < weight:
                    target = version_name
                    break
                roll -= weight
        return record.latest if target == LATEST else record.versions[target]

    def list_functions(self, *, all_versions: bool = False) -> list[FunctionConfig]:
        """Every function's $LATEST (and, with ``all_versions``, every version), by name."""
        result: list[FunctionConfig] = []
        for name in sorted(self._functions):
            record = self._functions[name]
            result.append(record.latest)
            if all_versions:
                result.extend(record.versions[v] for v in sorted(record.versions, key=int))
        return result

    def versions(self, name: str) -> list[FunctionConfig]:
        """ListVersionsByFunction: $LATEST, then the published versions in order."""
        record = self.record(name)
        return [record.latest, *(record.versions[v] for v in sorted(record.versions, key=int))]

    # --- functions --------------------------------------------------------------------

    def create(
        self,
        *,
        name: str,
        code: StoredCode,
        settings: Mapping[str, Any],
        publish: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> FunctionConfig:
        """CreateFunction: ``settings`` holds FunctionConfig members (runtime, handler, ...).

        Raises:
            ResourceConflictException: the function exists.
            InvalidParameterValueException: a setting Lambda refuses.
        """
        if name in self._functions:
            raise ResourceConflictException(f"Function already exist: {name}")
        self.check_settings(settings)
        values = {k: v for k, v in settings.items() if k in _MUTABLE and v is not None}
        latest = FunctionConfig(
            name=name,
            code_sha256=code.sha256,
            code_size=code.size,
            code_digest=code.digest,
            last_modified=timestamp(self.now()),
            revision_id=str(uuid.uuid4()),
            **values,
        )
        record = FunctionRecord(latest=latest, tags=dict(tags or {}))
        self._save(record)
        if publish:
            return self.publish(name)
        return latest

    def update_code(
        self,
        name: str,
        code: StoredCode,
        *,
        publish: bool = False,
        revision_id: str | None = None,
        architectures: tuple[str, ...] | None = None,
    ) -> FunctionConfig:
        """UpdateFunctionCode on $LATEST (then PublishVersion when asked)."""
        record = self.record(name)
        self._check_revision(record.latest, revision_id)
        latest = replace(
            record.latest,
            code_sha256=code.sha256,
            code_size=code.size,
            code_digest=code.digest,
            architectures=architectures or record.latest.architectures,
            last_modified=timestamp(self.now()),
            revision_id=str(uuid.uuid4()),
        )
        self._save(replace(record, latest=latest))
        self._prune()
        return self.publish(name) if publish else latest

    def update_configuration(
        self, name: str, changes: Mapping[str, Any], *, revision_id: str | None = None
    ) -> FunctionConfig:
        """UpdateFunctionConfiguration: only the members given change."""
        record = self.record(name)
        self._check_revision(record.latest, revision_id)
        values = {k: v for k, v in changes.items() if k in _MUTABLE and v is not None}
        merged = {**record.latest.to_json(), **values}
        self.check_settings(merged)
        latest = replace(
            record.latest,
            **values,
            last_modified=timestamp(self.now()),
            revision_id=str(uuid.uuid4()),
        )
        self._save(replace(record, latest=latest))
        return latest

    def delete(self, name: str, qualifier: str | None = None) -> None:
        """DeleteFunction: the whole function, or one published version."""
        record = self.record(name)
        if qualifier is None:
            self._forget(name)
            return
        if qualifier == LATEST:
            raise InvalidParameterValueException(
                "$LATEST version cannot be deleted without deleting the function."
            )
        if not names.is_version(qualifier):
            raise InvalidParameterValueException(
                "Deletion of aliases is not supported with the DeleteFunction operation: use "
                "DeleteAlias."
            )
        if qualifier not in record.versions:
            raise self._not_found(name, qualifier)
        users = sorted(
            a.name
            for a in record.aliases.values()
            if a.function_version == qualifier or qualifier in a.weights
        )
        if users:
            raise ResourceConflictException(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )
        versions = {k: v for k, v in record.versions.items() if k != qualifier}
        self._save(replace(record, versions=versions))
        self._prune()

    def publish(
        self,
        name: str,
        *,
        code_sha256: str | None = None,
        description: str | None = None,
        revision_id: str | None = None,
    ) -> FunctionConfig:
        """PublishVersion: a numbered snapshot of $LATEST, unless nothing changed since the
        last one (then that version is returned, as Lambda does)."""
        record = self.record(name)
        latest = record.latest
        if code_sha256 is not None and code_sha256 != latest.code_sha256:
            raise InvalidParameterValueException(
                f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        self._check_revision(latest, revision_id)
        if record.versions:
            newest = record.versions[str(max(int(v) for v in record.versions))]
            if _fingerprint(newest) == _fingerprint(latest):
                return newest
        number = str(record.last_version + 1)
        version = replace(
            latest,
            version=number,
            description=latest.description if description is None else description,
            last_modified=timestamp(self.now()),
            revision_id=str(uuid.uuid4()),
        )
        self._save(
            replace(
                record,
                versions={**record.versions, number: version},
                last_version=record.last_version + 1,
            )
        )
        return version

    # --- aliases ----------------------------------------------------------------------

    def alias(self, name: str, alias: str) -> Alias:
        record = self.record(name)
        found = record.aliases.get(alias)
        if found is None:
            raise ResourceNotFoundException(f"Cannot find alias arn: {self.arn(name, alias)}")
        return found

    def aliases(self, name: str, function_version: str | None = None) -> list[Alias]:
        record = self.record(name)
        found = [record.aliases[a] for a in sorted(record.aliases)]
        if function_version:
            found = [a for a in found if a.function_version == function_version]
        return found

    def create_alias(
        self,
        name: str,
        alias: str,
        *,
        function_version: str,
        description: str = "",
        weights: Mapping[str, float] | None = None,
    ) -> Alias:
        record = self.record(name)
        if alias in record.aliases:
            raise ResourceConflictException(f"Alias already exists: {self.arn(name, alias)}")
        self._check_alias_target(record, function_version, weights or {})
        created = Alias(
            name=alias,
            function_version=function_version,
            description=description,
            revision_id=str(uuid.uuid4()),
            weights=dict(weights or {}),
        )
        self._save(replace(record, aliases={**record.aliases, alias: created}))
        return created

    def update_alias(
        self,
        name: str,
        alias: str,
        *,
        function_version: str | None = None,
        description: str | None = None,
        weights: Mapping[str, float] | None = None,
        revision_id: str | None = None,
    ) -> Alias:
        record = self.record(name)
        current = self.alias(name, alias)
        if revision_id is not None and revision_id != current.revision_id:
            raise _revision_mismatch()
        target = function_version or current.function_version
        new_weights = current.weights if weights is None else weights
        self._check_alias_target(record, target, new_weights)
        updated = replace(
            current,
            function_version=target,
            description=current.description if description is None else description,
            weights=dict(new_weights),
            revision_id=str(uuid.uuid4()),
        )
        self._save(replace(record, aliases={**record.aliases, alias: updated}))
        return updated

    def delete_alias(self, name: str, alias: str) -> None:
        record = self.record(name)
        # Lambda answers a missing alias's deletion with success.
        if alias in record.aliases:
            aliases = {k: v for k, v in record.aliases.items() if k != alias}
            self._save(replace(record, aliases=aliases))

    # --- concurrency and tags ---------------------------------------------------------

    def reserved_total(self, *, excluding: str | None = None) -> int:
        """Concurrency reserved by all functions (but ``excluding``)."""
        return sum(
            r.reserved_concurrency or 0
            for n, r in self._functions.items()
            if n != excluding and r.reserved_concurrency is not None
        )

    def put_concurrency(self, name: str, reserved: int) -> int:
        record = self.record(name)
        if ACCOUNT_CONCURRENCY - self.reserved_total(excluding=name) - reserved < MIN_UNRESERVED:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )
        self._save(replace(record, reserved_concurrency=reserved))
        return reserved

    def delete_concurrency(self, name: str) -> None:
        self._save(replace(self.record(name), reserved_concurrency=None))

    def tag(self, name: str, tags: Mapping[str, str]) -> None:
        record = self.record(name)
        self._save(replace(record, tags={**record.tags, **tags}))

    def untag(self, name: str, keys: list[str]) -> None:
        record = self.record(name)
        self._save(replace(record, tags={k: v for k, v in record.tags.items() if k not in keys}))

    # --- rules ------------------------------------------------------------------------

    def check_settings(self, settings: Mapping[str, Any]) -> None:
        """The rules CreateFunction and UpdateFunctionConfiguration apply to settings."""
        check_runtime(settings.get("runtime"), settings.get("handler"))
        check_environment(settings.get("environment") or {})
        timeout = settings.get("timeout")
        if timeout is not None and not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            raise InvalidParameterValueException(
                f"Timeout must be between 1 and {MAX_TIMEOUT_SECONDS} seconds."
            )
        memory = settings.get("memory_size")
        if memory is not None and not 128 <= memory <= MAX_MEMORY_MB:
            raise InvalidParameterValueException(
                f"MemorySize must be between 128 and {MAX_MEMORY_MB} MB."
            )
        storage = settings.get("ephemeral_storage")
        if storage is not None and not 512 <= storage <= MAX_EPHEMERAL_MB:
            raise InvalidParameterValueException(
                f"EphemeralStorage Size must be between 512 and {MAX_EPHEMERAL_MB} MB."
            )

    def _check_revision(self, config: FunctionConfig, revision_id: str | None) -> None:
        if revision_id is not None and revision_id != config.revision_id:
            raise _revision_mismatch()

    def _check_alias_target(
        self, record: FunctionRecord, version: str, weights: Mapping[str, float]
    ) -> None:
        name = record.latest.name
        for target in (version, *weights):
            if target != LATEST and target not in record.versions:
                raise self._not_found(name, target)
        if weights:
            if len(weights) > 1:
                raise InvalidParameterValueException(
                    "Number of items in AdditionalVersionWeights cannot be greater than 1"
                )
            if LATEST in (version, *weights):
                raise InvalidParameterValueException(
                    "$LATEST is not supported for an alias pointing to more than 1 version"
                )
            if version in weights:
                raise InvalidParameterValueException(
                    "Alias primary version cannot be in AdditionalVersionWeights."
                )
            for weight in weights.values():
                if not 0.0 <= weight <= 1.0:
                    raise InvalidParameterValueException(
                        "The weight for a version in AdditionalVersionWeights must be between "
                        "0.0 and 1.0."
                    )


def _revision_mismatch() -> PreconditionFailedException:
    return PreconditionFailedException(
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
