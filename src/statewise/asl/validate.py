"""Definition validation: every problem in an ASL definition, with AWS's code and a location.

One walk over the definition, in document order: the top level, then each scope (the machine,
each Parallel branch, each Map processor) with its states; each state's fields are checked by
``validate_fields``. Nothing raises: every problem becomes a :class:`Diagnostic`.

Message texts follow AWS's where they are known. Observed in AWS responses (recorded in public
AWS-compatibility reports and user reports; DEF-5, API-38): ``These fields are required:
[...]``, ``Field 'X' is not supported`` (located at the object, not the field), ``The
QueryLanguage is set to 'JSONPath', but field 'X' is only supported for the 'JSONata'
QueryLanguage``, ``'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state
machine``, ``Value should be one of the following: [...]``, ``Expected value of type
[STRING]``, ``Minimum value is N``, ``Maximum value is N``, ``Value cannot be empty``, ``The
field 'RoleArn' is required but was missing``, ``Missing 'Next' target: X`` (for every kind of
target, StartAt included), ``State "X" is not reachable.`` (MISSING_TRANSITION_TARGET),
``Workflow has no terminal state`` (machine level only; it replaces the reachability report),
``Duplicate State name: X``, ``The field 'Type' should have one of these values: [...]``,
``The value for the field 'k.$' must be a valid JSONPath or a valid intrinsic function call``,
the unrecognised-resource text and DEF-6's Express texts. The other texts are ours, in the
same style.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from statewise.asl.diagnostics import Code, Diagnostic
from statewise.asl.jsonata import is_expression
from statewise.asl.jsonata_check import ALWAYS
from statewise.asl.limits import MAX_DEFINITION_CHARS, MAX_NAME_LENGTH
from statewise.asl.validate_fields import (
    ENUMS,
    MAX_DELAY_SECONDS,
    MAX_NESTING,
    MAX_SECONDS,
    OPERATORS,
    PART_INTEGERS,
    QUERY_LANGUAGES,
    STATE_TYPES,
    FieldChecker,
    StateCtx,
    expected,
    is_number,
    missing_target,
    not_supported,
    required,
)
from statewise.asl.validate_jsonata import PART_EXPRESSION_FIELDS, Loc, members_for

__all__ = ["validate", "validate_text"]

NOT_AN_OBJECT = "Definition must be a valid JSON object"
_TYPE_VALUES = f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}]"
_DOWNGRADE = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
_TARGET = Code.MISSING_TRANSITION_TARGET
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_LABEL_LENGTH = 40  # NAME-3
# What a Map Label may not contain (NAME-1): whitespace, brackets, wildcards, specials,
# control characters, non-characters and lone surrogates.
_BAD_LABEL_CHAR = re.compile(
    r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]"
)
_COMBINATORS = ("And", "Or", "Not")
_ARN = re.compile(r"arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[^:\s]*:[^:\s]*:\S+")
_SYNC = re.compile(r"\.sync(?::\d+)?")


def validate(definition: object, *, express: bool = False) -> list[Diagnostic]:
    """Every problem in a decoded definition, in document order; ``[]`` when it is valid.

    Args:
        definition: the decoded JSON value (a dict for anything that can be valid).
        express: check it as an Express state machine (no ``.sync``, callbacks or activities).
    """
    walker = _Walker(express)
    walker.machine(definition)
    return walker.diagnostics


def validate_text(text: str, *, express: bool = False) -> list[Diagnostic]:
    """Decode a definition's JSON text and validate it (Q-3, API-38).

    Malformed JSON gives one INVALID_JSON_DESCRIPTION in Jackson's wording (AWS parses with
    Jackson), with the line and column of the problem.
    """
    if len(text) > MAX_DEFINITION_CHARS:
        return [
            Diagnostic(
                Code.SCHEMA_VALIDATION_FAILED,
                f"Definition must have length less than or equal to {MAX_DEFINITION_CHARS} "
                f"characters, but has {len(text)}",
            )
        ]
    if not text.strip():
        return [Diagnostic(Code.SCHEMA_VALIDATION_FAILED, NOT_AN_OBJECT)]
    try:
        definition = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return [_json_error(text, exc)]
    return validate(definition, express=express)


class _Walker(FieldChecker):
    """Scopes, state names, transitions and reachability; fields are checked by the base."""

    def __init__(self, express: bool) -> None:
        super().__init__()
        self.express = express
        self.machine_jsonata = False
        self.state_names: dict[str, Loc] = {}
        self.labels: set[str] = set()

    def machine(self, definition: object) -> None:
        """The top level (DEF-1), then the machine's own scope."""
        if not isinstance(definition, dict):
            self.error(NOT_AN_OBJECT, ())
            return
        missing = [name for name in ("States", "StartAt") if name not in definition]
        if missing:
            self.error(required(*missing), ())
        self.check_keys(definition, "StateMachine", (), False)
        # Only the exact string selects JSONPath; any other value is JSONata (DEF-7, measured).
        language = definition.get("QueryLanguage", "JSONPath")
        self.machine_jsonata = language != "JSONPath"
        for key, value in definition.items():
            loc = (key,)
            if key == "Comment":
                self.need_string(value, loc)
            elif key == "Version":
                self.enum(value, ("1.0",), loc)
            elif key == "TimeoutSeconds":
                self.integer(value, loc, 0, MAX_SECONDS)
            elif key == "QueryLanguage":
                self.enum(value, QUERY_LANGUAGES, loc)
        self.walk_scope(definition, (), 0, self.express, top=True)
        self.scoped_assignments()

    def walk_scope(
        self, obj: dict[str, Any], loc: Loc, depth: int, express: bool, *, top: bool = False
    ) -> None:
        """StartAt, the states, then terminal states and reachability (DEF-2, DEF-3)."""
        if depth > MAX_NESTING:
            self.error(
                f"The state machine is nested more than {MAX_NESTING} levels deep",
                loc,
                Code.TOO_DEEPLY_NESTED,
            )
            return
        if not top:
            missing = [name for name in ("StartAt", "States") if name not in obj]
            if missing:
                self.error(required(*missing), loc)
        states = obj.get("States")
        names: dict[str, Any] = states if isinstance(states, dict) else {}
        start = obj.get("StartAt")
        if "StartAt" in obj and self.need_string(start, (*loc, "StartAt")):
            if isinstance(states, dict) and start not in names:
                self.error(missing_target(start), (*loc, "StartAt"), _TARGET)
        if "States" not in obj or not self.need_object(states, (*loc, "States")):
            return
        graph: dict[str, list[str]] = {}
        terminal = False
        for name, body in names.items():
            where = (*loc, "States", name)
            graph[name], ends = self.state(name, body, where, names, depth, express)
            terminal = terminal or ends
        if top and not terminal:
            # AWS checks this for the machine only, and then skips the reachability report.
            self.error("Workflow has no terminal state", (), Code.MISSING_END_STATE)
            return
        reached: set[str] = set()
        todo = [start] if isinstance(start, str) and start in names else []
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo.extend(t for t in graph[name] if t in names and t not in reached)
        for name in names:
            if name not in reached:
                self.error(
                    f'State "{name}" is not reachable.',
                    (*loc, "States", name),
                    Code.MISSING_TRANSITION_TARGET,
                )

    def state(
        self,
        name: str,
        body: object,
        loc: Loc,
        names: dict[str, Any],
        depth: int,
        express: bool,
    ) -> tuple[list[str], bool]:
        """Check one state; return the states it moves to and whether it may end the scope."""
        self.state_name(name, loc)
        if not self.need_object(body, loc):
            return [], True
        kind = body.get("Type")
        if "Type" not in body:
            self.error(required("Type"), loc)
            return _targets(body), True
        if not self.need_string(kind, (*loc, "Type")):
            return _targets(body), True
        if kind not in STATE_TYPES:
            self.error(_TYPE_VALUES, (*loc, "Type"))
            return _targets(body), True
        downgraded = False
        if "QueryLanguage" not in body:
            jsonata = self.machine_jsonata
        else:
            jsonata = body["QueryLanguage"] != "JSONPath"
            downgraded = self.machine_jsonata and not jsonata
            if downgraded:
                self.error(_DOWNGRADE, loc)
        st = StateCtx(name, kind, loc, jsonata, downgraded, names, depth, express)
        self.check_state(body, st)
        return st.targets, kind in ("Succeed", "Fail") or body.get("End") is True

    def state_name(self, name: str, loc: Loc) -> None:
        """Names are unique machine-wide and at most 80 characters (DEF-2, NAME-1)."""
        if name in self.state_names:
            self.error(f"Duplicate State name: {name}", loc, Code.DUPLICATE_STATE_NAME)
        else:
            self.state_names[name] = loc
        if not name:
            self.error("State name cannot be empty", loc, Code.INVALID_STATE_NAME)
        elif len(name) > MAX_NAME_LENGTH:
            self.error(
                f"State name '{name}' exceeds the {MAX_NAME_LENGTH}-character limit allowed by "
                "the service",
                loc,
                Code.INVALID_STATE_NAME,
            )
        elif _CONTROL.search(name):
            self.error(
                f"State name '{name}' contains control characters", loc, Code.INVALID_STATE_NAME
            )

    # --- fields that hold structure ------------------------------------------------------

    def check_structure(self, kind: str, value: object, loc: Loc, st: StateCtx) -> None:
        match kind:
            case "retry" | "catch":
                if not isinstance(value, list):
                    self.error(expected("ARRAY"), loc)
                    return
                for i, item in enumerate(value):
                    last = i == len(value) - 1
                    if kind == "retry":
                        self.retrier(item, (*loc, i), last, st)
                    else:
                        self.catcher(item, (*loc, i), last, st)
            case "choices":
                if self.need_array(value, loc):
                    for i, rule in enumerate(value):
                        self.choice_rule(rule, (*loc, i), st, 0)
            case "branches":
                if self.need_array(value, loc):
                    for i, branch in enumerate(value):
                        self.nested_scope(branch, (*loc, i), "Branch", st)
            case "processor":
                self.nested_scope(value, loc, str(loc[-1]), st)
            case "label":
                self.label(value, loc)
            case "resource":
                self.resource(value, loc, st.express)
            case "map-part":
                self.map_part(value, loc, str(loc[-1]), st)
                if loc[-1] == "ResultWriter" and value == {}:
                    self.error("Value cannot be empty", loc)

    def resource(self, value: object, loc: Loc, express: bool) -> None:
        """A Task Resource is an ARN (ASL-TASK-7); Express rejects some of them (DEF-6)."""
        if not self.need_string(value, loc):
            return
        if _ARN.fullmatch(value) is None:
            self.error(
                f"The resource provided {value} is not recognized. The value is not a valid "
                "resource ARN, or the resource is not available in this region.",
                loc,
                Code.INVALID_RESOURCE,
            )
            return
        if not express:
            return
        parts = value.split(":")
        if _SYNC.search(value):
            what = "'.sync' service integration"
        elif value.endswith(".waitForTaskToken"):
            what = "'.waitForTaskToken' service integration"
        elif parts[2] == "states" and parts[5] == "activity":
            what = "Activity ARN"
        else:
            return
        self.error(f"Express state machine does not support {what}", loc)

    def retrier(self, retrier: object, loc: Loc, last: bool, st: StateCtx) -> None:
        """One retrier (RETRY-1, Q-17)."""
        if not self.need_object(retrier, loc):
            return
        self.check_keys(retrier, "Retrier", loc, st.jsonata)
        if "ErrorEquals" not in retrier:
            self.error(required("ErrorEquals"), loc)
        for key, value in retrier.items():
            at = (*loc, key)
            match key:
                case "ErrorEquals":
                    self.error_equals(value, at, last, "retrier")
                case "IntervalSeconds":
                    self.integer(value, at, 1, MAX_SECONDS)
                case "MaxAttempts":
                    self.integer(value, at, 0, MAX_SECONDS)
                case "BackoffRate":
                    self.number(value, at, 1.0)
                case "MaxDelaySeconds":
                    self.integer(value, at, 1, MAX_DELAY_SECONDS)
                case "JitterStrategy":
                    self.enum(value, ("FULL", "NONE"), at)
                case "Comment":
                    self.need_string(value, at)

    def catcher(self, catcher: object, loc: Loc, last: bool, st: StateCtx) -> None:
        """One catcher (CATCH-1): its Next is a transition of the state."""
        if not self.need_object(catcher, loc):
            return
        self.check_keys(catcher, "Catcher", loc, st.jsonata)
        missing = [name for name in ("ErrorEquals", "Next") if name not in catcher]
        if missing:
            self.error(required(*missing), loc)
        for key, value in catcher.items():
            at = (*loc, key)
            if key == "ErrorEquals":
                self.error_equals(value, at, last, "catcher")
            elif key == "Next":
                self.transition(value, at, st)
            elif key == "ResultPath" and not st.jsonata:
                self.reference_path(value, at, result=True)
            elif key == "Assign":
                self.assign(value, at, st)
            elif key == "Comment":
                self.need_string(value, at)
            if st.jsonata and key in ("Output", "Assign"):
                self.jsonata_value(value, at, members_for(st.type, key, catcher=True))

    def error_equals(self, value: object, loc: Loc, last: bool, what: str) -> None:
        """Non-empty error names; States.ALL alone, and only in the last one (RETRY-4)."""
        if not self.need_array(value, loc):
            return
        for i, name in enumerate(value):
            self.need_string(name, (*loc, i))
        if "States.ALL" in value:
            if len(value) > 1:
                self.error("The error name 'States.ALL' must appear alone in ErrorEquals", loc)
            if not last:
                self.error(f"A {what} with 'States.ALL' must be the last {what}", loc)

    def choice_rule(self, rule: object, loc: Loc, st: StateCtx, depth: int) -> None:
        """A choice rule (ASL-CHOICE-1/3/11); ``depth`` 0 is a rule directly in Choices."""
        if not self.need_object(rule, loc):
            return
        if depth > MAX_NESTING:
            self.error("The choice rule is nested too deeply", loc, Code.TOO_DEEPLY_NESTED)
            return
        kind = "NestedChoiceRule" if depth else "ChoiceRule"
        self.check_keys(rule, kind, loc, st.jsonata)
        if not depth and "Next" not in rule:
            self.error(required("Next"), loc)
        if st.jsonata and "Condition" not in rule:
            self.error(required("Condition"), loc)
        if not st.jsonata:
            self.rule_shape(rule, loc)
        for key, value in rule.items():
            if not self.allowed(kind, key, st.jsonata):
                continue
            at = (*loc, key)
            compared = OPERATORS.get(key)
            if key == "Next":
                self.transition(value, at, st)
            elif key == "Assign":
                self.assign(value, at, st)
            elif key == "Comment":
                self.need_string(value, at)
            elif key == "Condition":
                if not is_expression(value):
                    self.need_bool(value, at)
            if st.jsonata and key in ("Condition", "Output", "Assign"):
                self.jsonata_value(value, at, ALWAYS)
            elif key == "Variable" or compared == "path":
                self.path(value, at)
            elif key in ("And", "Or"):
                if self.need_array(value, at):
                    for i, sub in enumerate(value):
                        self.choice_rule(sub, (*at, i), st, depth + 1)
            elif key == "Not":
                self.choice_rule(value, at, st, depth + 1)
            elif compared == "string":
                self.need_string(value, at)
            elif compared == "number" and not is_number(value):
                self.error(expected("NUMBER"), at)
            elif compared == "boolean":
                self.need_bool(value, at)
            elif compared == "timestamp":
                self.timestamp(value, at)

    def rule_shape(self, rule: dict[str, Any], loc: Loc) -> None:
        """Exactly one operator; comparisons need a Variable, And/Or/Not take none."""
        operators = [key for key in rule if key in OPERATORS or key in _COMBINATORS]
        if not operators:
            self.error(
                "A choice rule must have exactly one comparison operator, And, Or or Not", loc
            )
        elif len(operators) > 1:
            self.error(
                f"A choice rule may have only one comparison operator: [{', '.join(operators)}]",
                loc,
            )
        elif operators[0] in _COMBINATORS:
            if "Variable" in rule:
                self.error(not_supported("Variable"), loc)
        elif "Variable" not in rule:
            self.error(required("Variable"), loc)

    def nested_scope(self, obj: object, loc: Loc, kind: str, st: StateCtx) -> None:
        """A Parallel branch or a Map ItemProcessor/Iterator and the states inside it."""
        if not self.need_object(obj, loc):
            return
        self.check_keys(obj, kind, loc, st.jsonata)
        if "Comment" in obj:
            self.need_string(obj["Comment"], (*loc, "Comment"))
        express = st.express
        config = obj.get("ProcessorConfig") if kind == "ItemProcessor" else None
        if config is not None:
            self.map_part(config, (*loc, "ProcessorConfig"), "ProcessorConfig", st)
            if isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED":
                if "ExecutionType" not in config:
                    self.error(required("ExecutionType"), (*loc, "ProcessorConfig"))
                # An EXPRESS child workflow is an Express execution (DEF-6).
                express = express or config.get("ExecutionType") == "EXPRESS"
        # A Distributed Map's children are executions of their own: no outer variables.
        distributed = isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"
        outer = self.enter_scope(loc, isolated=distributed)
        self.walk_scope(obj, loc, st.depth + 1, express)
        self.scope = outer

    def label(self, value: object, loc: Loc) -> None:
        """A Map Label (NAME-3): 1-40 name-safe characters, unique in the machine."""
        if not self.need_string(value, loc):
            return
        if not value or len(value) > MAX_LABEL_LENGTH or _BAD_LABEL_CHAR.search(value):
            self.error(
                f"Invalid Label name: '{value}' (1-{MAX_LABEL_LENGTH} characters, without "
                "whitespace, brackets, wildcards, special or control characters)",
                loc,
                Code.INVALID_LABEL_NAME,
            )
        elif value in self.labels:
            self.error(f"Duplicate Label name: {value}", loc, Code.DUPLICATE_LABEL_NAME)
        else:
            self.labels.add(value)

    def map_part(self, value: object, loc: Loc, kind: str, st: StateCtx) -> None:
        """ItemReader, ItemBatcher, ResultWriter, ProcessorConfig and their configs."""
        if not self.need_object(value, loc):
            return
        self.check_keys(value, kind, loc, st.jsonata)
        for key, item in value.items():
            if not self.allowed(kind, key, st.jsonata):
                continue
            at = (*loc, key)
            if (kind, key) in ENUMS:
                self.enum(item, ENUMS[kind, key], at)
            elif key in ("ReaderConfig", "WriterConfig"):
                self.map_part(item, at, key, st)
            elif key in PART_INTEGERS:
                self.bounded(item, at, PART_INTEGERS[key], None, integral=True, jsonata=st.jsonata)
            elif key.endswith("Path"):
                self.reference_path(item, at)
            elif key == "Parameters":
                self.check_value("template", item, at, st)
            elif key == "BatchInput" and not st.jsonata:
                self.template(item, at)
            elif key == "Arguments":
                self.check_value("arguments", item, at, st)
            elif key in ("Resource", "ItemsPointer"):
                self.need_string(item, at)
            elif key == "CSVHeaders" and self.need_array(item, at):
                for i, header in enumerate(item):
                    self.need_string(header, (*at, i))
            if st.jsonata and key in PART_EXPRESSION_FIELDS:
                self.jsonata_value(item, at, ALWAYS)


def _targets(body: dict[str, Any]) -> list[str]:
    """The transitions of a state whose type is unknown, so it causes no unreachable noise."""
    found = [body.get("Next"), body.get("Default")]
    for key in ("Choices", "Catch"):
        items = body.get(key)
        if isinstance(items, list):
            found.extend(item.get("Next") for item in items if isinstance(item, dict))
    return [target for target in found if isinstance(target, str)]


# --- malformed JSON, described the way Jackson (and so AWS) does ---------------------------

_EXPECTING = {
    "expected a string key": "was expecting double-quote to start field name",
    "expected ':' after key": "was expecting a colon to separate field name and value",
    "expected ',' or ']'": "was expecting comma to separate Array entries",
    "expected ',' or '}'": "was expecting comma to separate Object entries",
    "unexpected content after document": "expected end-of-input",
}
_TOKEN = re.compile(r"[\w$]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]|\\u[dD][89abAB][0-9a-fA-F]{2}")
_SOURCE_CHARS = 500


def _json_error(text: str, exc: orjson.JSONDecodeError) -> Diagnostic:
    """An INVALID_JSON_DESCRIPTION like Jackson's, e.g. ``Unrecognized token 'not': ...``."""
    if exc.msg.startswith("depth limit"):
        return Diagnostic(
            Code.TOO_DEEPLY_NESTED, "The definition nests JSON values more than 1024 levels deep"
        )
    pos = min(max(exc.pos, 0), len(text))
    if exc.msg.startswith("trailing comma"):
        # Jackson complains about what follows the comma.
        pos = len(text) - len(text[pos + 1 :].lstrip())
    char = text[pos] if pos < len(text) else ""
    if "surrogate" in exc.msg:
        # Jackson keeps lone UTF-16 surrogates; orjson (and so the engine) cannot.
        match = _SURROGATE.search(text)
        description = f"Invalid string value: {exc.msg.split(':')[0]}"
        end = match.end() if match else pos + 1
    elif not char or exc.msg.startswith("unexpected end"):
        description, end = "Unexpected end-of-input", len(text)
    elif char.isalpha() and (exc.msg.startswith("invalid literal") or "JSON value" in exc.msg):
        match = _TOKEN.match(text, pos)
        token = match.group(0) if match else char
        description = (
            f"Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object "
            "or token 'null', 'true' or 'false')"
        )
        end = pos + len(token)
    else:
        shown = f"CTRL-CHAR, code {ord(char)}" if ord(char) < 32 else f"'{char}' (code {ord(char)})"
        if exc.msg.startswith("trailing comma"):
            expecting = _EXPECTING["expected a string key"] if char == "}" else "expected a value"
        elif "control character" in exc.msg:
            expecting = "has to be escaped using backslash to be included in string value"
        elif exc.msg.startswith("invalid escaped"):
            expecting = "invalid escape sequence in string value"
        elif "number" in exc.msg or "digit" in exc.msg:
            expecting = f"invalid numeric value ({exc.msg})"
        else:
            expecting = next(
                (phrase for key, phrase in _EXPECTING.items() if key in exc.msg),
                "expected a value",
            )
        description, end = f"Unexpected character ({shown}): {expecting}", pos + 1
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    source = text[:_SOURCE_CHARS]
    if len(text) > _SOURCE_CHARS:
        source += f'"[truncated {len(text) - _SOURCE_CHARS} chars]'
    else:
        source += '"'
    return Diagnostic(
        Code.INVALID_JSON_DESCRIPTION,
        f'{description}\n at [Source: (String)"{source}; line: {line}, column: {column}]',
    )
