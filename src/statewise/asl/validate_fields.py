"""Field tables and per-field checks for definition validation (DEF-4, DEF-7, DEF-8, PATH, RETRY).

The tables say which fields each object of a definition may carry, split by query language;
:class:`FieldChecker` checks field values and field combinations, one state at a time. The
walk over scopes, names and transitions lives in ``validate``, which subclasses the checker.
Message texts follow what AWS answers where it is known (see ``validate``'s docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, TypeGuard

from statewise.asl import intrinsics
from statewise.asl.diagnostics import Code, Diagnostic, pointer
from statewise.asl.jsonata import is_expression
from statewise.asl.paths import compile_path, compile_reference_path, compile_result_path
from statewise.asl.timestamps import parse_timestamp
from statewise.asl.validate_jsonata import JsonataChecks, Loc

# The order AWS lists them in its enum message.
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
QUERY_LANGUAGES = ("JSONPath", "JSONata")
MAX_SECONDS = 99_999_999
MAX_DELAY_SECONDS = 31_622_400
# AWS documents no depth; this bounds Parallel/Map scopes and And/Or/Not rules alike.
MAX_NESTING = 100

# Errors a compile of user text may raise; PathSyntaxError and IntrinsicSyntaxError are
# ValueErrors, the rest guard against a third-party JSONPath parser choking on odd input.
_COMPILE_ERRORS = (ValueError, TypeError, LookupError, RecursionError)


class Fields(NamedTuple):
    """The fields one kind of object may carry: in any query language, or in only one."""

    any: frozenset[str]
    jsonpath: frozenset[str] = frozenset()
    jsonata: frozenset[str] = frozenset()


def _f(names: str) -> frozenset[str]:
    return frozenset(names.split())


_STATE = _f("Type Comment QueryLanguage")
_FLOW = _f("Next End")
_IO = _f("InputPath OutputPath")
_RESULT = _IO | _f("Parameters ResultSelector ResultPath")
_ERRORS = _f("Retry Catch")
_COMPARED = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")

# Choice rule operators and the kind of value each compares against (ASL-CHOICE-3).
OPERATORS: dict[str, str] = {
    **{f"String{op}": "string" for op in _COMPARED},
    **{f"Numeric{op}": "number" for op in _COMPARED},
    **{f"Timestamp{op}": "timestamp" for op in _COMPARED},
    **{f"{t}{op}Path": "path" for t in ("String", "Numeric", "Timestamp") for op in _COMPARED},
    "StringMatches": "string",
    "BooleanEquals": "boolean",
    "BooleanEqualsPath": "path",
    **{
        f"Is{t}": "boolean"
        for t in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")
    },
}
_COMBINATORS = _f("And Or Not")
_RULE = frozenset(OPERATORS) | _COMBINATORS | {"Variable"}

FIELDS: dict[str, Fields] = {
    # States (ASL-*-1, IO-5, VAR-1, QL-3).
    "Task": Fields(
        _STATE
        | _FLOW
        | _ERRORS
        | _f("Resource Assign TimeoutSeconds HeartbeatSeconds Credentials"),
        _RESULT | _f("TimeoutSecondsPath HeartbeatSecondsPath"),
        _f("Arguments Output"),
    ),
    "Wait": Fields(
        _STATE | _FLOW | _f("Seconds Timestamp Assign"),
        _IO | _f("SecondsPath TimestampPath"),
        _f("Output"),
    ),
    "Pass": Fields(
        _STATE | _FLOW | _f("Assign"), _IO | _f("Parameters Result ResultPath"), _f("Output")
    ),
    "Succeed": Fields(_STATE, _IO, _f("Output")),
    "Fail": Fields(_STATE | _f("Error Cause"), _f("ErrorPath CausePath")),
    "Choice": Fields(_STATE | _f("Choices Default Assign"), _IO, _f("Output")),
    "Parallel": Fields(
        _STATE | _FLOW | _ERRORS | _f("Branches Assign"), _RESULT, _f("Arguments Output")
    ),
    "Map": Fields(
        _STATE
        | _FLOW
        | _ERRORS
        | _f(
            "ItemProcessor Iterator ItemSelector MaxConcurrency Label Assign ItemReader "
            "ItemBatcher ResultWriter ToleratedFailurePercentage ToleratedFailureCount"
        ),
        _RESULT
        | _f(
            "ItemsPath MaxConcurrencyPath ToleratedFailurePercentagePath ToleratedFailureCountPath"
        ),
        _f("Items Output"),
    ),
    # Scopes: branches and processors carry no QueryLanguage of their own (DEF-7, measured).
    "StateMachine": Fields(_f("StartAt States Comment Version TimeoutSeconds QueryLanguage")),
    "Branch": Fields(_f("StartAt States Comment")),
    "ItemProcessor": Fields(_f("StartAt States Comment ProcessorConfig")),
    "Iterator": Fields(_f("StartAt States Comment")),
    # Parts of states (RETRY-1, CATCH-1, ASL-TASK-6, ASL-CHOICE-1/11, ASL-DMAP-3..5).
    "Retrier": Fields(
        _f(
            "ErrorEquals IntervalSeconds MaxAttempts BackoffRate MaxDelaySeconds JitterStrategy "
            "Comment"
        )
    ),
    "Catcher": Fields(_f("ErrorEquals Next Comment Assign"), _f("ResultPath"), _f("Output")),
    "ChoiceRule": Fields(_f("Next Comment Assign"), _RULE, _f("Condition Output")),
    "NestedChoiceRule": Fields(_f("Comment"), _RULE),
    "Credentials": Fields(_f("RoleArn"), _f("RoleArn.$")),
    "ProcessorConfig": Fields(_f("Mode ExecutionType")),
    "ItemReader": Fields(_f("Resource ReaderConfig"), _f("Parameters"), _f("Arguments")),
    "ReaderConfig": Fields(
        _f(
            "InputType CSVHeaderLocation CSVHeaders CSVDelimiter MaxItems ManifestType "
            "Transformation ItemsPointer"
        ),
        _f("MaxItemsPath"),
    ),
    "ItemBatcher": Fields(
        _f("MaxItemsPerBatch MaxInputBytesPerBatch BatchInput"),
        _f("MaxItemsPerBatchPath MaxInputBytesPerBatchPath"),
    ),
    "ResultWriter": Fields(_f("Resource WriterConfig"), _f("Parameters"), _f("Arguments")),
    "WriterConfig": Fields(_f("OutputType Transformation")),
}

# Enumerated values of fields inside Map parts, by (object kind, field).
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ProcessorConfig", "Mode"): ("INLINE", "DISTRIBUTED"),
    ("ProcessorConfig", "ExecutionType"): ("STANDARD", "EXPRESS"),
    ("ReaderConfig", "InputType"): ("CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"),
    ("ReaderConfig", "CSVHeaderLocation"): ("FIRST_ROW", "GIVEN"),
    ("ReaderConfig", "CSVDelimiter"): ("COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"),
    ("ReaderConfig", "ManifestType"): ("ATHENA_DATA", "S3_INVENTORY"),
    ("ReaderConfig", "Transformation"): ("NONE", "LOAD_AND_FLATTEN"),
    ("WriterConfig", "OutputType"): ("JSON", "JSONL"),
    ("WriterConfig", "Transformation"): ("NONE", "COMPACT", "FLATTEN"),
}
# Integer fields inside Map parts and their minimum.
PART_INTEGERS = {"MaxItems": 0, "MaxItemsPerBatch": 1, "MaxInputBytesPerBatch": 1}

# Field pairs where at most one may be set (DEF-8, ASL-MAP-1, ASL-FAIL-1).
EXCLUSIVE: dict[str, tuple[tuple[str, str], ...]] = {
    "Task": (
        ("TimeoutSeconds", "TimeoutSecondsPath"),
        ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ),
    "Fail": (("Error", "ErrorPath"), ("Cause", "CausePath")),
    "Map": (
        ("ItemProcessor", "Iterator"),
        ("ItemSelector", "Parameters"),
        ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "Task": ("Resource",),
    "Parallel": ("Branches",),
    "Choice": ("Choices",),
}
WAIT_FIELDS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")


# --- messages (AWS's wording where observed; see the module docstring of ``validate``) -----


def not_supported(name: str) -> str:
    return f"Field '{name}' is not supported"


def required(*names: str) -> str:
    return f"These fields are required: [{', '.join(names)}]"


def expected(*types: str) -> str:
    return f"Expected value of type [{', '.join(types)}]"


def one_of(values: Collection[str]) -> str:
    return f"Value should be one of the following: [{', '.join(values)}]"


def exclusive(*names: str) -> str:
    return f"These fields are mutually exclusive: [{', '.join(names)}]"


def exactly_one(*names: str) -> str:
    return f"Exactly one of these fields is required: [{', '.join(names)}]"


def missing_target(target: str) -> str:
    return f"Missing 'Next' target: {target}"


EMPTY = "Value cannot be empty"
_LANGUAGE = (
    "The QueryLanguage is set to '{0}', but field '{1}' is only supported for the '{2}' "
    "QueryLanguage"
)


# --- value predicates -------------------------------------------------------------------------


def is_int(value: object) -> TypeGuard[int]:
    return type(value) is int


def is_number(value: object) -> TypeGuard[int | float]:
    return type(value) is int or type(value) is float


def _show(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else str(bound)


# Definitions repeat the same paths ($, $.Payload); each text is compiled once per process.
@lru_cache(maxsize=8192)
def _compiles(compile_: Callable[[str], object], text: str) -> bool:
    try:
        compile_(text)
    except _COMPILE_ERRORS:
        return False
    return True


def valid_selector(value: object) -> bool:
    """A ``.$`` value: a path on ``$``, ``$$`` or a variable, or an intrinsic call (PATH-4)."""
    if not isinstance(value, str):
        return False
    if intrinsics.is_intrinsic(value):
        return _compiles(intrinsics.compile_intrinsic, value)
    return _compiles(compile_path, value)


@lru_cache(maxsize=1024)
def _string_intrinsic(value: str) -> bool:
    try:
        call = intrinsics.compile_intrinsic(value)
    except _COMPILE_ERRORS:
        return False
    return call.name in intrinsics.STRING_RESULT_FUNCTIONS


@dataclass(slots=True)
class StateCtx:
    """What the field checks need to know about the state being checked.

    Attributes:
        name: the state's name.
        type: its Type (one of STATE_TYPES).
        loc: its location.
        jsonata: whether its effective query language is JSONata.
        downgraded: a JSONPath state in a JSONata machine, reported once as a whole (DEF-7).
        scope_names: the state names a transition from this state may target.
        depth: how many Parallel/Map scopes enclose the state.
        express: whether the state runs in an Express workflow (DEF-6).
        targets: filled with the names this state transitions to, for the reachability walk.
    """

    name: str
    type: str
    loc: Loc
    jsonata: bool
    downgraded: bool
    scope_names: Collection[str]
    depth: int
    express: bool
    targets: list[str] = field(default_factory=list)


class FieldChecker(JsonataChecks):
    """Checks the fields of states and their parts, collecting diagnostics in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, loc: Loc, code: str = Code.SCHEMA_VALIDATION_FAILED) -> None:
        self.diagnostics.append(Diagnostic(code, message, pointer(*loc)))

    def check_structure(self, kind: str, value: object, loc: Loc, st: StateCtx) -> None:
        """Check a field that holds structure: retriers, catchers, rules, scopes, labels."""
        raise NotImplementedError

    # --- generic checks ---------------------------------------------------------------------

    def check_keys(
        self, obj: dict[str, Any], kind: str, loc: Loc, jsonata: bool, *, mixing: bool = True
    ) -> None:
        """Report fields the object may not carry; other-language fields get DEF-7's text."""
        fields = FIELDS[kind]
        own, other = (
            (fields.jsonata, fields.jsonpath) if jsonata else (fields.jsonpath, fields.jsonata)
        )
        for key in obj:
            if key in fields.any or key in own:
                continue
            if key in other:
                if mixing:
                    names = ("JSONata", "JSONPath") if jsonata else ("JSONPath", "JSONata")
                    self.error(_LANGUAGE.format(names[0], key, names[1]), loc)
            else:
                self.error(not_supported(str(key)), loc)

    def allowed(self, kind: str, key: str, jsonata: bool) -> bool:
        fields = FIELDS[kind]
        return key in fields.any or key in (fields.jsonata if jsonata else fields.jsonpath)

    def need_object(self, value: object, loc: Loc) -> TypeGuard[dict[str, Any]]:
        if isinstance(value, dict):
            return True
        self.error(expected("OBJECT"), loc)
        return False

    def need_string(self, value: object, loc: Loc) -> TypeGuard[str]:
        if isinstance(value, str):
            return True
        self.error(expected("STRING"), loc)
        return False

    def need_bool(self, value: object, loc: Loc) -> TypeGuard[bool]:
        if type(value) is bool:
            return True
        self.error(expected("BOOLEAN"), loc)
        return False

    def need_array(self, value: object, loc: Loc) -> TypeGuard[list[Any]]:
        if not isinstance(value, list):
            self.error(expected("ARRAY"), loc)
            return False
        if not value:
            self.error(EMPTY, loc)
            return False
        return True

    def enum(self, value: object, values: tuple[str, ...], loc: Loc) -> None:
        if self.need_string(value, loc) and value not in values:
            self.error(one_of(values), loc)

    def integer(self, value: object, loc: Loc, low: int, high: int | None = None) -> None:
        self.bounded(value, loc, low, high, integral=True, jsonata=False)

    def number(self, value: object, loc: Loc, low: float, high: float | None = None) -> None:
        self.bounded(value, loc, low, high, integral=False, jsonata=False)

    def bounded(
        self, value: object, loc: Loc, low: float, high: float | None, *, integral: bool,
        jsonata: bool,
    ) -> None:  # fmt: skip
        """A number within [low, high]; in a JSONata state a ``{% %}`` expression passes."""
        if jsonata and is_expression(value):
            return
        if not is_number(value) or (integral and type(value) is not int):
            self.error(expected("INTEGER" if integral else "NUMBER"), loc)
        elif value < low:
            self.error(f"Minimum value is {_show(low)}", loc)
        elif high is not None and value > high:
            self.error(f"Maximum value is {_show(high)}", loc)

    def path(self, value: object, loc: Loc, *, nullable: bool = False) -> None:
        """A Path (PATH-1): InputPath, OutputPath, Choice Variable and ``*Path`` comparisons."""
        if value is None and nullable:
            return
        if self.need_string(value, loc) and not _compiles(compile_path, value):
            self.error(f"The value for the field '{loc[-1]}' must be a valid JSONPath", loc)

    def reference_path(self, value: object, loc: Loc, *, result: bool = False) -> None:
        """A Reference Path (PATH-2); ResultPath may be null and only writes into ``$``."""
        if value is None and result:
            return
        compile_ = compile_result_path if result else compile_reference_path
        if self.need_string(value, loc) and not _compiles(compile_, value):
            self.error(f"The value for the field '{loc[-1]}' must be a valid ReferencePath", loc)

    def timestamp(self, value: object, loc: Loc) -> None:
        if self.need_string(value, loc) and parse_timestamp(value) is None:
            self.error(
                f"The value for the field '{loc[-1]}' must be a valid ISO-8601 extended offset "
                "date-time format string",
                loc,
            )

    def template(self, value: object, loc: Loc) -> None:
        """A payload template (PATH-4): every ``.$`` key, at any depth, holds a selector."""
        stack: list[tuple[object, Loc]] = [(value, loc)]
        while stack:
            node, where = stack.pop()
            children: list[tuple[object, Loc]] = []
            if isinstance(node, dict):
                for key, item in node.items():
                    if isinstance(key, str) and key.endswith(".$"):
                        if not valid_selector(item):
                            self.error(
                                f"The value for the field '{key}' must be a valid JSONPath or "
                                "a valid intrinsic function call",
                                (*where, key),
                            )
                    elif isinstance(item, (dict, list)):
                        children.append((item, (*where, key)))
            elif isinstance(node, list):
                children = [
                    (v, (*where, i)) for i, v in enumerate(node) if isinstance(v, (dict, list))
                ]
            stack.extend(reversed(children))

    def transition(self, target: object, loc: Loc, st: StateCtx) -> None:
        """A Next, Default or catcher Next: it must name a state of the same scope (DEF-2)."""
        if not self.need_string(target, loc):
            return
        st.targets.append(target)
        if target not in st.scope_names:
            self.error(missing_target(target), loc, Code.MISSING_TRANSITION_TARGET)

    def assign(self, value: object, loc: Loc, st: StateCtx) -> None:
        if not self.need_object(value, loc):
            return
        self.assign_names(value, loc, st.jsonata)
        if not st.jsonata:
            self.template(value, loc)

    # --- one state --------------------------------------------------------------------------

    def check_state(self, body: dict[str, Any], st: StateCtx) -> None:
        """Check a state's fields (names first, then each value in document order)."""
        self.check_keys(body, st.type, st.loc, st.jsonata, mixing=not st.downgraded)
        for key, value in body.items():
            kind = FIELD_KINDS.get(key)
            if kind is not None and self.allowed(st.type, key, st.jsonata):
                self.check_value(kind, value, (*st.loc, key), st)
        if st.jsonata:
            allowed = {k: v for k, v in body.items() if self.allowed(st.type, k, True)}
            self.jsonata_fields(allowed, st.type, st.loc)
        self._combinations(body, st)

    def _combinations(self, body: dict[str, Any], st: StateCtx) -> None:
        loc = st.loc
        missing = [name for name in REQUIRED.get(st.type, ()) if name not in body]
        if missing:
            self.error(required(*missing), loc)
        if st.type == "Map" and "ItemProcessor" not in body and "Iterator" not in body:
            self.error(required("ItemProcessor"), loc)
        for first, second in EXCLUSIVE.get(st.type, ()):
            if first in body and second in body:
                self.error(exclusive(first, second), (*loc, first))
        if "Next" in FIELDS[st.type].any:
            if "Next" in body and "End" in body:
                self.error(exclusive("Next", "End"), loc)
            elif "Next" not in body and "End" not in body:
                self.error(exactly_one("Next", "End"), loc)
        if st.type == "Wait":
            present = [name for name in WAIT_FIELDS if name in body]
            if not present:
                self.error(exactly_one(*WAIT_FIELDS), loc)
            elif len(present) > 1:
                self.error(exclusive(*present), loc)
        if st.type == "Task":
            timeout, heartbeat = body.get("TimeoutSeconds"), body.get("HeartbeatSeconds")
            if is_int(heartbeat) and is_int(timeout) and heartbeat >= timeout:
                self.error(
                    "The value for the field 'HeartbeatSeconds' must be smaller than the value "
                    "for the field 'TimeoutSeconds'",
                    (*loc, "HeartbeatSeconds"),
                )

    def check_value(self, kind: str, value: object, loc: Loc, st: StateCtx) -> None:
        """Check one state field's value by the kind FIELD_KINDS gives it."""
        jsonata = st.jsonata
        match kind:
            case "string":
                self.need_string(value, loc)
            case "query-language":
                self.enum(value, QUERY_LANGUAGES, loc)
            case "path-or-null":
                self.path(value, loc, nullable=True)
            case "result-path":
                self.reference_path(value, loc, result=True)
            case "reference-path":
                self.reference_path(value, loc)
            case "template":
                if self.need_object(value, loc):
                    self.template(value, loc)
            case "selector":  # ItemSelector: a template in JSONPath, any value in JSONata
                if not jsonata and self.need_object(value, loc):
                    self.template(value, loc)
            case "assign":
                self.assign(value, loc, st)
            case "arguments":
                if not is_expression(value):
                    self.need_object(value, loc)
            case "items":
                if not is_expression(value) and not isinstance(value, list):
                    self.error(expected("ARRAY"), loc)
            case "transition":
                self.transition(value, loc, st)
            case "end":
                if self.need_bool(value, loc) and value is not True:
                    self.error("The value for the field 'End' must be true", loc)
            case "timeout":  # ASL-TASK-2: a positive integer
                self.bounded(value, loc, 1, MAX_SECONDS, integral=True, jsonata=jsonata)
            case "seconds":
                self.bounded(value, loc, 0, MAX_SECONDS, integral=True, jsonata=jsonata)
            case "count":  # AWS caps MaxConcurrency at run time, with no upper bound here
                self.bounded(value, loc, 0, None, integral=True, jsonata=jsonata)
            case "percentage":
                self.bounded(value, loc, 0, 100, integral=False, jsonata=jsonata)
            case "timestamp":
                if not (jsonata and is_expression(value)):
                    self.timestamp(value, loc)
            case "fail-path":
                self.fail_path(value, loc)
            case "credentials":
                self.credentials(value, loc, jsonata)
            case "any":
                pass
            case _:
                self.check_structure(kind, value, loc, st)

    def fail_path(self, value: object, loc: Loc) -> None:
        """ErrorPath/CausePath: a Reference Path or a string-returning intrinsic (ASL-FAIL-1)."""
        if not self.need_string(value, loc):
            return
        if intrinsics.is_intrinsic(value):
            ok = _string_intrinsic(value)
        else:
            ok = _compiles(compile_reference_path, value)
        if not ok:
            self.error(
                f"The value for the field '{loc[-1]}' must be a valid ReferencePath or a valid "
                "intrinsic function call that returns a string",
                loc,
            )

    def credentials(self, value: object, loc: Loc, jsonata: bool) -> None:
        """``{"RoleArn": ...}`` or, in JSONPath, ``{"RoleArn.$": path}`` (ASL-TASK-6)."""
        if not self.need_object(value, loc):
            return
        self.check_keys(value, "Credentials", loc, jsonata)
        role, path = value.get("RoleArn"), value.get("RoleArn.$")
        if role is None and (path is None or jsonata):
            self.error("The field 'RoleArn' is required but was missing", loc)
        if role is not None:
            self.need_string(role, (*loc, "RoleArn"))
        if path is not None and not jsonata:
            self.template(value, loc)


# What each state field holds: FieldChecker.check_value checks the simple kinds, and the
# walker in ``validate`` the structural ones (retry, catch, choices, branches, processor,
# label, map-part). A field name means the same thing on every state type that allows it.
FIELD_KINDS: dict[str, str] = {
    **dict.fromkeys(("Comment", "Error", "Cause"), "string"),
    "QueryLanguage": "query-language",
    **dict.fromkeys(("InputPath", "OutputPath"), "path-or-null"),
    "ResultPath": "result-path",
    **dict.fromkeys(
        (
            "ItemsPath SecondsPath TimestampPath TimeoutSecondsPath HeartbeatSecondsPath "
            "MaxConcurrencyPath ToleratedFailureCountPath ToleratedFailurePercentagePath"
        ).split(),
        "reference-path",
    ),
    **dict.fromkeys(("Parameters", "ResultSelector"), "template"),
    "ItemSelector": "selector",
    "Assign": "assign",
    "Arguments": "arguments",
    "Items": "items",
    **dict.fromkeys(("Output", "Result"), "any"),
    **dict.fromkeys(("Next", "Default"), "transition"),
    "End": "end",
    "Resource": "resource",
    "Credentials": "credentials",
    **dict.fromkeys(("TimeoutSeconds", "HeartbeatSeconds"), "timeout"),
    "Seconds": "seconds",
    "Timestamp": "timestamp",
    **dict.fromkeys(("ErrorPath", "CausePath"), "fail-path"),
    **dict.fromkeys(("MaxConcurrency", "ToleratedFailureCount"), "count"),
    "ToleratedFailurePercentage": "percentage",
    "Retry": "retry",
    "Catch": "catch",
    "Choices": "choices",
    "Branches": "branches",
    **dict.fromkeys(("ItemProcessor", "Iterator"), "processor"),
    "Label": "label",
    **dict.fromkeys(("ItemReader", "ItemBatcher", "ResultWriter"), "map-part"),
}
