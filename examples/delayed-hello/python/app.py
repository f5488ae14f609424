"""The Python half of delayed-hello: greets in the language asked for."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger()
logger.setLevel(logging.INFO)

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola"}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = event.get("name") or "world"
    language = event.get("language", "en")
    if language not in GREETINGS:
        # An unhandled exception: the Task state fails with error "ValueError".
        raise ValueError(f"no greeting in {language!r}")
    logger.info("greeting %s in %s", name, language)
    return {
        "greeting": f"{GREETINGS[language]}, {name}!",
        "requestId": context.aws_request_id,
        "remainingMs": context.get_remaining_time_in_millis(),
    }
