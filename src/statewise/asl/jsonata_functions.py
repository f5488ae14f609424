"""AWS's own JSONata functions and the built-ins Step Functions replaces (JFN-1, QL-1).

``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid`` and ``$parse`` are Step
Functions additions; ``$now()`` and ``$millis()`` read the engine's clock (virtual time
applies) instead of the host's; ``$eval`` is not available on AWS (observed: ``T1006``). Each
program registers only the functions its text names, so most programs register none.
"""

from __future__ import annotations

import hashlib
import math
import random
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jsonatapy
import orjson

if TYPE_CHECKING:
    from statewise.asl.jsonata import JsonataScope

Current = Callable[[], "JsonataScope"]

# The same algorithms as States.Hash (FN-12), spelled as AWS spells them.
_HASHES = {n: n.replace("-", "").lower() for n in ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")}
MAX_RANGE_ITEMS = 1000  # as States.ArrayRange
MAX_HASH_CHARS = 10_000
# Characters JavaScript's encodeURI leaves alone, which JSONata's $encodeUrl follows;
# jsonatapy 2.2.13 returns "a b" for $encodeUrl("a b") where the reference gives "a%20b".
_URI_SAFE = ";,/?:@&=+$-_.!~*'()#"
_T1006 = "T1006: Attempted to invoke a non-function"


def _fail(message: str) -> ValueError:
    # A ValueError raised by a host function reaches the caller as "host function raised
    # ValueError: <message>"; ``jsonata._split_message`` unwraps it.
    return ValueError(message)


def _is_number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _integer(value: Any, what: str, function: str) -> int:
    if not _is_number(value) or value != int(value):
        raise _fail(f"The {what} argument of ${function} must be an integer")
    return int(value)


def partition(array: Any = None, size: Any = None, *rest: Any) -> Any:
    """``$partition(array, size)``: chunks of ``size``, the last one possibly shorter."""
    if not isinstance(array, list):
        raise _fail("The first argument of $partition must be an array")
    chunk = _integer(size, "second", "partition")
    if chunk <= 0:
        raise _fail("The second argument of $partition must be a positive integer")
    return [array[i : i + chunk] for i in range(0, len(array), chunk)]


def range_(start: Any = None, end: Any = None, step: Any = None, *rest: Any) -> Any:
    """``$range(start, end, step)``: ``end`` included when the steps land on it.

    A one-element result is that element, not an array: AWS applies JSONata's singleton
    sequence rule here (observed ``$range(1, 9, 9)`` → ``1``, QL-9).
    """
    first = _integer(start, "first", "range")
    last = _integer(end, "second", "range")
    by = _integer(step, "third", "range")
    if by == 0:
        raise _fail("The third argument of $range must not be zero")
    values = list(range(first, last + (1 if by > 0 else -1), by))
    if len(values) > MAX_RANGE_ITEMS:
        raise _fail(f"$range cannot produce more than {MAX_RANGE_ITEMS} items")
    if len(values) == 1:
        return values[0]
    return values


def hash_(value: Any = None, algorithm: Any = None, *rest: Any) -> Any:
    """``$hash(value, algorithm)``: lowercase hex digest of the UTF-8 text (FN-12)."""
    if not isinstance(value, str):
        raise _fail("The first argument of $hash must be a string")
    if len(value) > MAX_HASH_CHARS:
        raise _fail(f"The first argument of $hash cannot exceed {MAX_HASH_CHARS} characters")
    name = _HASHES.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise _fail(f"The hash algorithm must be one of: {', '.join(_HASHES)}")
    return hashlib.new(name, value.encode()).hexdigest()


def parse(text: Any = None, *rest: Any) -> Any:
    """``$parse(jsonString)``: the JSON value a string holds (QL-11: for StringToJson)."""
    if not isinstance(text, str):
        raise _fail("The argument of $parse must be a string")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _fail(f"The argument of $parse is not valid JSON: {exc}") from None


def encode_url(text: Any = None, *rest: Any) -> Any:
    """``$encodeUrl(str)``, as JavaScript's encodeURI."""
    if text is None:
        return None
    try:
        return urllib.parse.quote(str(text), safe=_URI_SAFE)
    except UnicodeEncodeError:
        raise _fail("D3140: Malformed URL passed to $encodeUrl(): " + repr(text)) from None


def no_eval(*args: Any) -> Any:
    """``$eval`` is not offered by Step Functions (QL-1; observed T1006)."""
    raise _fail(_T1006)


_FROM_MILLIS = jsonatapy.compile("$fromMillis($m, $p, $t)")


def _iso_millis(moment: float) -> str:
    stamp = datetime.fromtimestamp(moment, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _clock(current: Current) -> dict[str, Callable[..., Any]]:
    def now(picture: Any = None, timezone: Any = None, *rest: Any) -> Any:
        """``$now([picture [, timezone]])`` at the engine's time."""
        moment = current().now
        if picture is None and timezone is None:
            return _iso_millis(moment)
        # An absent argument must stay unbound (undefined), not become null.
        bindings = {"m": int(moment * 1000)}
        if picture is not None:
            bindings["p"] = picture
        if timezone is not None:
            bindings["t"] = timezone
        return _FROM_MILLIS.evaluate(None, bindings)

    def millis(*args: Any) -> Any:
        """``$millis()``: the engine's time in epoch milliseconds."""
        return int(current().now * 1000)

    def random_(seed: Any = None, *rest: Any) -> Any:
        """``$random([seed])``: 0 <= n < 1; the same seed gives the same number (JFN-1)."""
        if seed is None:
            return current().entropy.random()
        if isinstance(seed, bool) or not _is_number(seed):
            raise _fail("The seed of $random must be a number")
        return random.Random(seed).random()

    def uuid() -> Any:
        """``$uuid()``: a random version 4 UUID."""
        return current().entropy.uuid()

    return {"now": now, "millis": millis, "random": random_, "uuid": uuid}


_PURE: dict[str, Callable[..., Any]] = {
    "partition": partition,
    "range": range_,
    "hash": hash_,
    "parse": parse,
    "encodeUrl": encode_url,
    "eval": no_eval,
}
IMPURE = frozenset({"now", "millis", "random", "uuid"})


def register(compiled: Any, text: str, current: Current) -> bool:
    """Register the functions ``text`` names on a compiled program.

    Returns whether the program reads the clock or entropy, so the caller must make the
    scope available through ``current`` while it runs.
    """
    named = {name for name in (*_PURE, *IMPURE) if "$" + name in text}
    if not named:
        return False
    functions = {**_PURE, **_clock(current)}
    for name in sorted(named):
        function = functions[name]
        try:
            compiled.register(name, function)
        except ValueError:
            # A name jsonatapy already defines (eval, now, millis, random, encodeUrl).
            compiled.register_override(name, function)
    return bool(named & IMPURE)
