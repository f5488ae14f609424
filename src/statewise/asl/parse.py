"""Definition JSON -> the typed model. The one module that reads ASL's PascalCase keys.

``load`` validates first (every problem reported at once, see ``validate``) and only then
builds the model, so the builders here may assume well-formed input.
"""

from __future__ import annotations

from typing import Any

import orjson

from statewise.asl import choice, intrinsics, validate
from statewise.asl.diagnostics import DefinitionError
from statewise.asl.model import (
    AnyState,
    Branch,
    Catcher,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    QueryLanguage,
    Retrier,
    StateMachine,
    StateType,
    SucceedState,
    TaskState,
    WaitState,
)
from statewise.asl.paths import (
    Path,
    compile_path,
    compile_reference_path,
    compile_result_path,
)
from statewise.asl.templates import Template, compile_template
from statewise.asl.timestamps import parse_timestamp

_IDENTITY = compile_path("$")


def load(definition: str | dict[str, Any], *, express: bool = False) -> StateMachine:
    """Validate and compile a definition (JSON text or decoded object).

    Raises:
        DefinitionError: carrying every diagnostic when the definition is invalid.
    """
    if isinstance(definition, str):
        diagnostics = validate.validate_text(definition, express=express)
        if diagnostics:
            raise DefinitionError(diagnostics)
        definition = orjson.loads(definition)
    else:
        diagnostics = validate.validate(definition, express=express)
        if diagnostics:
            raise DefinitionError(diagnostics)
    assert isinstance(definition, dict)
    return build(definition)


def build(raw: dict[str, Any]) -> StateMachine:
    """Compile a definition already known to be valid."""
    language = QueryLanguage(raw.get("QueryLanguage", QueryLanguage.JSONPATH))
    return StateMachine(
        start_at=raw["StartAt"],
        states=_states(raw["States"], language),
        comment=raw.get("Comment"),
        timeout_seconds=raw.get("TimeoutSeconds"),
        query_language=language,
        definition=raw,
    )


def _states(raw: dict[str, Any], language: QueryLanguage) -> dict[str, AnyState]:
    return {name: _state(name, body, language) for name, body in raw.items()}


def _branch(raw: dict[str, Any], language: QueryLanguage) -> Branch:
    """A nested scope; its states inherit the machine's language, not the enclosing state's
    (as AWS does: a branch has no QueryLanguage of its own)."""
    return Branch(
        start_at=raw["StartAt"], states=_states(raw["States"], language), query_language=language
    )


def _io_path(raw: dict[str, Any], key: str) -> Path | None:
    """InputPath/OutputPath: absent is ``$``, null is None (IO-2, IO-3)."""
    if key not in raw:
        return _IDENTITY
    value = raw[key]
    return None if value is None else compile_path(value)


def _result_path(raw: dict[str, Any]) -> Path | None:
    if "ResultPath" not in raw:
        return _IDENTITY
    value = raw["ResultPath"]
    return None if value is None else compile_result_path(value)


def _optional_path(raw: dict[str, Any], key: str) -> Path | None:
    value = raw.get(key)
    return None if value is None else compile_reference_path(value)


def _optional_template(raw: dict[str, Any], key: str) -> Template | None:
    return compile_template(raw[key]) if key in raw else None


def _retriers(raw: list[dict[str, Any]]) -> tuple[Retrier, ...]:
    return tuple(
        Retrier(
            error_equals=tuple(r["ErrorEquals"]),
            interval_seconds=r.get("IntervalSeconds", 1),
            max_attempts=r.get("MaxAttempts", 3),
            backoff_rate=float(r.get("BackoffRate", 2.0)),
            max_delay_seconds=r.get("MaxDelaySeconds"),
            full_jitter=r.get("JitterStrategy", "NONE") == "FULL",
        )
        for r in raw
    )


def _catchers(raw: list[dict[str, Any]]) -> tuple[Catcher, ...]:
    return tuple(
        Catcher(error_equals=tuple(c["ErrorEquals"]), next=c["Next"], result_path=_result_path(c))
        for c in raw
    )


def _string_source(value: str | None) -> Path | intrinsics.Intrinsic | None:
    if value is None:
        return None
    if intrinsics.is_intrinsic(value):
        return intrinsics.compile_intrinsic(value)
    return compile_reference_path(value)


def _state(name: str, raw: dict[str, Any], inherited: QueryLanguage) -> AnyState:
    kind = StateType(raw["Type"])
    common: dict[str, Any] = {
        "name": name,
        "type": kind,
        "comment": raw.get("Comment"),
        "query_language": QueryLanguage(raw.get("QueryLanguage", inherited)),
        "next": raw.get("Next"),
        "end": bool(raw.get("End", False)),
        "input_path": _io_path(raw, "InputPath"),
        "output_path": _io_path(raw, "OutputPath"),
    }
    result_fields: dict[str, Any] = {}
    if kind in (StateType.TASK, StateType.PARALLEL, StateType.MAP):
        result_fields = {
            "result_selector": _optional_template(raw, "ResultSelector"),
            "result_path": _result_path(raw),
            "retry": _retriers(raw.get("Retry", [])),
            "catch": _catchers(raw.get("Catch", [])),
        }
    match kind:
        case StateType.PASS:
            return PassState(
                **common,
                parameters=_optional_template(raw, "Parameters"),
                result=raw.get("Result"),
                has_result="Result" in raw,
                result_path=_result_path(raw),
            )
        case StateType.TASK:
            return TaskState(
                **common,
                **result_fields,
                parameters=_optional_template(raw, "Parameters"),
                resource=raw["Resource"],
                timeout_seconds=raw.get("TimeoutSeconds"),
                timeout_seconds_path=_optional_path(raw, "TimeoutSecondsPath"),
                heartbeat_seconds=raw.get("HeartbeatSeconds"),
                heartbeat_seconds_path=_optional_path(raw, "HeartbeatSecondsPath"),
                credentials=_optional_template(raw, "Credentials"),
            )
        case StateType.CHOICE:
            return ChoiceState(
                **common,
                choices=tuple(choice.compile_rule(rule) for rule in raw["Choices"]),
                default=raw.get("Default"),
            )
        case StateType.WAIT:
            timestamp = raw.get("Timestamp")
            return WaitState(
                **common,
                seconds=raw.get("Seconds"),
                timestamp=None if timestamp is None else parse_timestamp(timestamp),
                seconds_path=_optional_path(raw, "SecondsPath"),
                timestamp_path=_optional_path(raw, "TimestampPath"),
            )
        case StateType.SUCCEED:
            return SucceedState(**common)
        case StateType.FAIL:
            return FailState(
                **common,
                error=raw.get("Error"),
                cause=raw.get("Cause"),
                error_path=_string_source(raw.get("ErrorPath")),
                cause_path=_string_source(raw.get("CausePath")),
            )
        case StateType.PARALLEL:
            return ParallelState(
                **common,
                **result_fields,
                parameters=_optional_template(raw, "Parameters"),
                branches=tuple(_branch(b, inherited) for b in raw["Branches"]),
            )
        case StateType.MAP:
            return _map(raw, common, result_fields, inherited)
    raise AssertionError(kind)  # pragma: no cover


def _map(
    raw: dict[str, Any],
    common: dict[str, Any],
    result_fields: dict[str, Any],
    inherited: QueryLanguage,
) -> MapState:
    processor = raw.get("ItemProcessor") or raw["Iterator"]
    config = processor.get("ProcessorConfig", {})
    # The legacy Map `Parameters` is the item selector (ASL-MAP-1).
    selector = raw.get("ItemSelector", raw.get("Parameters"))
    return MapState(
        **common,
        **result_fields,
        processor=_branch(
            {k: v for k, v in processor.items() if k != "ProcessorConfig"},
            inherited,
        ),
        items_path=_optional_path(raw, "ItemsPath"),
        item_selector=None if selector is None else compile_template(selector),
        max_concurrency=raw.get("MaxConcurrency", 0),
        max_concurrency_path=_optional_path(raw, "MaxConcurrencyPath"),
        distributed=config.get("Mode") == "DISTRIBUTED",
        label=raw.get("Label"),
    )
