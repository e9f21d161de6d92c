"""Marshmallow's validation messages as the API's field errors: `{field, code, message}` with
field paths like `events[3].amount` (api.md, Conventions).

A message of the form `code:<code>:<message>` carries its own code; the table maps
marshmallow's own messages to theirs; anything else is `invalid_format`.
"""

from __future__ import annotations

from typing import Any

_MESSAGE_CODES = {
    "Unknown field.": "unknown_field",
    "Missing data for required field.": "required",
    "Field may not be null.": "required",
}


def _code_for(message: str) -> str:
    if message in _MESSAGE_CODES:
        return _MESSAGE_CODES[message]
    if message.startswith("code:"):
        return message.split(":", 2)[1]
    return "invalid_format"


def _message_for(message: str) -> str:
    return message.split(":", 2)[2] if message.startswith("code:") else message


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str | None]]:
    """{'events': {3: {'amount': ['Not a valid ...']}}} → [{'field': 'events[3].amount', ...}]"""
    out: list[dict[str, str | None]] = []
    if isinstance(messages, dict):
        # by field path: list indexes numerically, names alphabetically
        for key in sorted(
            messages, key=lambda k: (1, 0, str(k)) if isinstance(k, str) else (0, k, "")
        ):
            value = messages[key]
            if key == "_schema":
                path = prefix or None
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, path or ""))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list)):
                out.extend(flatten_messages(item, prefix))
            else:
                out.append(
                    {
                        "field": prefix or None,
                        "code": _code_for(str(item)),
                        "message": _message_for(str(item)),
                    }
                )
    else:
        out.append(
            {
                "field": prefix or None,
                "code": _code_for(str(messages)),
                "message": _message_for(str(messages)),
            }
        )
    return out


def validation_errors(data: dict[str, Any] | None) -> list[dict[str, str | None]]:
    messages = (data or {}).get("messages") or {}
    # webargs nests by location: {"json": {...}, "query": {...}}
    flat: list[dict[str, str | None]] = []
    for location in ("json", "query", "form", "files", "headers", "view_args"):
        if location in messages:
            flat.extend(flatten_messages(messages[location]))
    if not flat and messages:
        flat = flatten_messages(messages)
    return flat
