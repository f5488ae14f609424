"""The records of the function registry: configurations, versions and aliases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

LATEST = "$LATEST"

PYTHON_PREFIX = "python3."
# Runtimes whose code is a zip with a ``bootstrap`` executable speaking the Runtime API.
CUSTOM_RUNTIMES = frozenset({"provided", "provided.al2", "provided.al2023", "go1.x"})


def is_python(runtime: str) -> bool:
    """Whether ``runtime`` runs on the built-in Python worker (``python3.x``)."""
    return runtime.startswith(PYTHON_PREFIX) and runtime[len(PYTHON_PREFIX) :].isdigit()


def is_supported(runtime: str) -> bool:
    """Whether statewise can run functions of ``runtime``."""
    return is_python(runtime) or runtime in CUSTOM_RUNTIMES


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionConfig:
    """One version of a function (``$LATEST`` or a published number), as configured.

    Attributes:
        name: the function's name.
        version: ``$LATEST`` or the published version number as text.
        runtime: ``python3.12``, ``provided.al2023``, ...
        handler: ``module.function`` for Python; informational for custom runtimes.
        role: the execution role ARN (recorded, not assumed).
        description: free text.
        timeout: seconds an invocation may run (1..900).
        memory_size: MB (recorded and reported; not enforced).
        environment: the function's environment variables.
        architectures: ``x86_64`` or ``arm64`` (recorded).
        ephemeral_storage: MB of /tmp (recorded).
        code_sha256: base64 SHA-256 of the deployment package, as AWS reports it.
        code_size: bytes of the deployment package.
        code_digest: hex SHA-256 naming the unpacked code directory.
        last_modified: ``2026-01-01T00:00:00.000+0000``.
        revision_id: changes whenever the version's code or configuration changes.
        tracing_mode: ``PassThrough`` or ``Active``.
        log_format: ``Text`` or ``JSON``.
    """

    name: str
    version: str = LATEST
    runtime: str
    handler: str
    role: str
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage: int = 512
    code_sha256: str
    code_size: int
    code_digest: str
    last_modified: str
    revision_id: str
    tracing_mode: str = "PassThrough"
    log_format: str = "Text"

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the registry file."""
        data = asdict(self)
        data["environment"] = dict(self.environment)
        data["architectures"] = list(self.architectures)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FunctionConfig:
        values = dict(data)
        values["architectures"] = tuple(values.get("architectures") or ("x86_64",))
        values["environment"] = dict(values.get("environment") or {})
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alias:
    """A named pointer to a version, optionally splitting traffic with a second one.

    Attributes:
        name: the alias name.
        function_version: the version it points to.
        description: free text.
        revision_id: changes on every update.
        weights: extra version -> share of invocations (0..1), AWS's AdditionalVersionWeights.
    """

    name: str
    function_version: str
    description: str = ""
    revision_id: str
    weights: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["weights"] = dict(self.weights)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Alias:
        values = dict(data)
        values["weights"] = dict(values.get("weights") or {})
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionRecord:
    """Everything the registry keeps about one function.

    Attributes:
        latest: the ``$LATEST`` configuration.
        versions: published versions by number.
        aliases: aliases by name.
        reserved_concurrency: PutFunctionConcurrency's value, if set.
        tags: the function's tags.
        last_version: the highest version number ever published (numbers are never reused).
    """

    latest: FunctionConfig
    versions: Mapping[str, FunctionConfig] = field(default_factory=dict)
    aliases: Mapping[str, Alias] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    last_version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "latest": self.latest.to_json(),
            "versions": {k: v.to_json() for k, v in self.versions.items()},
            "aliases": {k: v.to_json() for k, v in self.aliases.items()},
            "reserved_concurrency": self.reserved_concurrency,
            "tags": dict(self.tags),
            "last_version": self.last_version,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FunctionRecord:
        return cls(
            latest=FunctionConfig.from_json(data["latest"]),
            versions={k: FunctionConfig.from_json(v) for k, v in data["versions"].items()},
            aliases={k: Alias.from_json(v) for k, v in data["aliases"].items()},
            reserved_concurrency=data.get("reserved_concurrency"),
            tags=dict(data.get("tags") or {}),
            last_version=int(data.get("last_version") or 0),
        )

    def code_digests(self) -> set[str]:
        """The code directories this function's versions use."""
        return {self.latest.code_digest, *(v.code_digest for v in self.versions.values())}
