"""Registry semantics: create, update, publish, aliases, concurrency, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewise.clock import ManualClock
from statewise.functions import names
from statewise.functions.code import StoredCode
from statewise.functions.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from statewise.functions.registry import Registry, timestamp

from .conftest import settings, zipped


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path, now=ManualClock().now)


def _code(registry: Registry, text: str = "x = 1") -> StoredCode:
    return registry.code.put(zipped({"app.py": text}))


def test_create_and_resolve(registry: Registry) -> None:
    config = registry.create(name="f", code=_code(registry), settings=settings(timeout=9))
    assert config.version == "$LATEST" and config.timeout == 9 and config.memory_size == 128
    assert registry.resolve(names.FunctionId("f")) == config
    assert registry.resolve(names.FunctionId("f", "$LATEST")) == config
    assert config.last_modified == "2026-01-01T00:00:00.000+0000"


def test_last_modified_format() -> None:
    """FunctionConfiguration.LastModified: ISO-8601 with milliseconds and +0000."""
    assert timestamp(1_767_225_600.5) == "2026-01-01T00:00:00.500+0000"


def test_create_twice_conflicts(registry: Registry) -> None:
    registry.create(name="f", code=_code(registry), settings=settings())
    with pytest.raises(ResourceConflictException, match="Function already exist: f"):
        registry.create(name="f", code=_code(registry), settings=settings())


def test_not_found_names_the_arn(registry: Registry) -> None:
    with pytest.raises(ResourceNotFoundException) as caught:
        registry.resolve(names.FunctionId("nope", "7"))
    assert caught.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:7"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({"runtime": None}, "Runtime and Handler are mandatory", id="no-runtime"),
        pytest.param({"handler": None}, "Runtime and Handler are mandatory", id="no-handler"),
        pytest.param({"runtime": "nodejs20.x"}, "not supported by statewise", id="node"),
        pytest.param(
            {"environment": {"AWS_REGION": "x", "_HANDLER": "y"}},
            "Reserved keys used in this request: AWS_REGION, _HANDLER",
            id="reserved-keys",
        ),
        pytest.param({"environment": {"K": "v" * 5000}}, "exceeded the 4KB limit", id="4kb"),
        pytest.param({"timeout": 901}, "between 1 and 900", id="timeout"),
        pytest.param({"memory_size": 10241}, "between 128 and 10240", id="memory"),
    ],
)
def test_settings_lambda_refuses(
    registry: Registry, extra: dict[str, object], message: str
) -> None:
    """CreateFunction's InvalidParameterValueException cases (configuration-envvars)."""
    with pytest.raises(InvalidParameterValueException, match=message):
        registry.create(name="f", code=_code(registry), settings={**settings(), **extra})
    assert not registry.exists("f")


def test_publish_snapshots_and_skips_unchanged(registry: Registry) -> None:
    """PublishVersion: nothing changed since the last version returns that version."""
    registry.create(name="f", code=_code(registry), settings=settings(description="d"))
    one = registry.publish("f", description="first")
    assert one.version == "1" and one.description == "first"
    assert registry.publish("f").version == "1"
    registry.update_configuration("f", {"timeout": 5})
    two = registry.publish("f")
    assert two.version == "2" and two.timeout == 5
    assert registry.resolve(names.FunctionId("f", "1")).timeout == 3


def test_publish_checks_code_sha_and_revision(registry: Registry) -> None:
    latest = registry.create(name="f", code=_code(registry), settings=settings())
    with pytest.raises(InvalidParameterValueException, match="CodeSHA256"):
        registry.publish("f", code_sha256="nope")
    with pytest.raises(PreconditionFailedException, match="Revision Id"):
        registry.publish("f", revision_id="stale")
    assert registry.publish("f", code_sha256=latest.code_sha256).version == "1"


def test_version_numbers_are_never_reused(registry: Registry) -> None:
    registry.create(name="f", code=_code(registry), settings=settings())
    registry.publish("f")
    registry.delete("f", "1")
    registry.update_configuration("f", {"timeout": 4})
    assert registry.publish("f").version == "2"


def test_update_code_changes_revision(registry: Registry) -> None:
    first = registry.create(name="f", code=_code(registry), settings=settings())
    second = registry.update_code("f", _code(registry, "x = 2"))
    assert second.code_sha256 != first.code_sha256
    assert second.revision_id != first.revision_id
    with pytest.raises(PreconditionFailedException):
        registry.update_code("f", _code(registry), revision_id=first.revision_id)


def test_aliases_and_weights(registry: Registry) -> None:
    registry.create(name="f", code=_code(registry), settings=settings())
    registry.publish("f")
    registry.update_configuration("f", {"timeout": 4})
    registry.publish("f")
    alias = registry.create_alias("f", "live", function_version="1", weights={"2": 1.0})
    assert alias.function_version == "1"
    # All of the traffic shifted to version 2: routing picks it every time.
    routed = {registry.resolve(names.FunctionId("f", "live"), route=True).version for _ in "abc"}
    assert routed == {"2"}
    assert registry.resolve(names.FunctionId("f", "live")).version == "1"
    with pytest.raises(ResourceConflictException, match="Alias already exists"):
        registry.create_alias("f", "live", function_version="1")
    with pytest.raises(ResourceNotFoundException, match="function:f:9"):
        registry.create_alias("f", "other", function_version="9")
    with pytest.raises(ResourceConflictException, match=r"aliases reference it: \[live\]"):
        registry.delete("f", "2")
    with pytest.raises(ResourceNotFoundException, match="Cannot find alias arn"):
        registry.alias("f", "missing")


def test_latest_cannot_be_deleted_alone(registry: Registry) -> None:
    registry.create(name="f", code=_code(registry), settings=settings())
    with pytest.raises(InvalidParameterValueException, match=r"\$LATEST version cannot"):
        registry.delete("f", "$LATEST")


def test_concurrency_keeps_100_unreserved(registry: Registry) -> None:
    """PutFunctionConcurrency: the account keeps at least 100 unreserved."""
    registry.create(name="f", code=_code(registry), settings=settings())
    assert registry.put_concurrency("f", 900) == 900
    registry.create(name="g", code=_code(registry), settings=settings())
    with pytest.raises(InvalidParameterValueException, match=r"minimum value of \[100\]"):
        registry.put_concurrency("g", 1)


def test_survives_restart_and_prunes_code(tmp_path: Path) -> None:
    registry = Registry(tmp_path, now=ManualClock().now)
    registry.create(name="f", code=_code(registry), settings=settings())
    registry.publish("f")
    registry.create_alias("f", "live", function_version="1")
    registry.create(name="g", code=_code(registry, "y = 1"), settings=settings())
    reloaded = Registry(tmp_path, now=ManualClock().now)
    reloaded.load()
    assert reloaded.record("f") == registry.record("f")
    assert reloaded.alias("f", "live").function_version == "1"
    g_code = reloaded.record("g").latest.code_digest
    reloaded.delete("g")
    assert not reloaded.code.path(g_code).exists()
    assert reloaded.code.path(reloaded.record("f").latest.code_digest).is_dir()
