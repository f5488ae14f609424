"""Definition JSON -> the typed model. The one module that reads ASL's PascalCase keys.

``load`` validates first (every problem reported at once, see ``validate``) and only then
builds the model, so the builders here may assume well-formed input.
"""

from __future__ import annotations

from typing import Any

import orjson

from statewise.asl import choice, intrinsics, validate
from statewise.asl.diagnostics import DefinitionError
from statewise.asl.jsonata import is_expression
from statewise.asl.jsonata_values import Value, compile_value, optional_value
from statewise.asl.model import (
    AnyState,
    Assign,
    Branch,
    Catcher,
    ChoiceState,
    FailState,
    JsonataFields,
    JsonataRule,
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


def _assign(raw: dict[str, Any], jsonata: bool, location: str = "Assign") -> Assign | None:
    """Assign: a JSONata value, or a JSONPath template whose ``.$`` keys read the state's
    result (VAR-3)."""
    if "Assign" not in raw:
        return None
    return compile_value(raw["Assign"], location) if jsonata else compile_template(raw["Assign"])


def _catchers(raw: list[dict[str, Any]], jsonata: bool) -> tuple[Catcher, ...]:
    return tuple(
        Catcher(
            error_equals=tuple(c["ErrorEquals"]),
            next=c["Next"],
            result_path=None if jsonata else _result_path(c),
            output=optional_value(c, "Output", f"Catch[{i}]/Output") if jsonata else None,
            assign=_assign(c, jsonata, f"Catch[{i}]/Assign"),
        )
        for i, c in enumerate(raw)
    )


# JSONata scalar fields (QL-2) by model attribute: a literal stays in the plain field, an
# expression goes to ``JsonataFields``.
_SCALARS = {
    "timeout_seconds": "TimeoutSeconds",
    "heartbeat_seconds": "HeartbeatSeconds",
    "seconds": "Seconds",
    "timestamp": "Timestamp",
    "max_concurrency": "MaxConcurrency",
    "error": "Error",
    "cause": "Cause",
}


def _scalar(raw: dict[str, Any], key: str) -> Value | None:
    value = raw.get(key)
    return compile_value(value, key) if is_expression(value) else None


def _jsonata_rules(raw: list[dict[str, Any]]) -> tuple[JsonataRule, ...]:
    return tuple(
        JsonataRule(
            condition=compile_value(rule["Condition"], f"Choices[{i}]/Condition"),
            next=rule["Next"],
            assign=optional_value(rule, "Assign", f"Choices[{i}]/Assign"),
            output=optional_value(rule, "Output", f"Choices[{i}]/Output"),
        )
        for i, rule in enumerate(raw)
    )


def _jsonata_fields(raw: dict[str, Any], kind: StateType) -> JsonataFields:
    """The expression fields of a JSONata state; literal scalars stay in the plain fields."""
    expressions = {attribute: _scalar(raw, key) for attribute, key in _SCALARS.items()}
    return JsonataFields(
        output=optional_value(raw, "Output"),
        arguments=optional_value(raw, "Arguments"),
        items=optional_value(raw, "Items"),
        item_selector=optional_value(raw, "ItemSelector"),
        credentials=optional_value(raw, "Credentials"),
        rules=_jsonata_rules(raw["Choices"]) if kind is StateType.CHOICE else (),
        **expressions,
    )


def _string_source(value: str | None) -> Path | intrinsics.Intrinsic | None:
    if value is None:
        return None
    if intrinsics.is_intrinsic(value):
        return intrinsics.compile_intrinsic(value)
    return compile_reference_path(value)


def _state(name: str, raw: dict[str, Any], inherited: QueryLanguage) -> AnyState:
    kind = StateType(raw["Type"])
    language = QueryLanguage(raw.get("QueryLanguage", inherited))
    jsonata = language is QueryLanguage.JSONATA
    common: dict[str, Any] = {
        "name": name,
        "type": kind,
        "comment": raw.get("Comment"),
        "query_language": language,
        "next": raw.get("Next"),
        "end": bool(raw.get("End", False)),
        "input_path": _io_path(raw, "InputPath"),
        "output_path": _io_path(raw, "OutputPath"),
        "assign": _assign(raw, jsonata),
        "jsonata": _jsonata_fields(raw, kind) if jsonata else None,
    }
    if jsonata:
        raw = _literal_scalars(raw)
    result_fields: dict[str, Any] = {}
    if kind in (StateType.TASK, StateType.PARALLEL, StateType.MAP):
        result_fields = {
            "result_selector": _optional_template(raw, "ResultSelector"),
            "result_path": _result_path(raw),
            "retry": _retriers(raw.get("Retry", [])),
            "catch": _catchers(raw.get("Catch", []), jsonata),
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
                credentials=None if jsonata else _optional_template(raw, "Credentials"),
            )
        case StateType.CHOICE:
            rules = () if jsonata else raw["Choices"]
            return ChoiceState(
                **common,
                choices=tuple(choice.compile_rule(rule) for rule in rules),
                default=raw.get("Default"),
                rule_assign=tuple(_assign(rule, False) for rule in rules),
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


def _literal_scalars(raw: dict[str, Any]) -> dict[str, Any]:
    """A JSONata state's fields without the scalar expressions (kept in ``JsonataFields``),
    so the plain fields hold only literals."""
    keys = _SCALARS.values()
    return {k: v for k, v in raw.items() if not (k in keys and is_expression(v))}


def _map(
    raw: dict[str, Any],
    common: dict[str, Any],
    result_fields: dict[str, Any],
    inherited: QueryLanguage,
) -> MapState:
    processor = raw.get("ItemProcessor") or raw["Iterator"]
    config = processor.get("ProcessorConfig", {})
    # The legacy Map `Parameters` is the item selector (ASL-MAP-1); a JSONata state's
    # ItemSelector is a JSONata value, in ``common["jsonata"]``.
    selector = raw.get("ItemSelector", raw.get("Parameters"))
    if common["jsonata"] is not None:
        selector = None
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
