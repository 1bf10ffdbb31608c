"""The official Bot API description (bot-api-10.1.json) and the checks Telegram makes on each call.

`BotApiSpec.validate_call` turns the raw string parameters of a request (query string, form,
multipart or JSON body, all flattened to strings as the Bot API server does) into typed values,
or raises `ApiError` with the status and wording Telegram uses.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram_emulator.formatting import FormatError, Formatted, format_text, utf16_len

SPEC_ENV = "TELEGRAM_BOT_API_SPEC"
# Vendored copy of the official description (see telegram_emulator/README.md for its source).
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "bot-api-10.1.json"
PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float"})
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
# Fields where an empty string means "not given" (tdlib tests `!value.empty()`).
_EMPTY_IS_ABSENT = frozenset({"url", "callback_data"})
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LIMITS = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Integers, also written as integral floats ("10.0": what json.dumps gives for 10.0).
_INTEGER = re.compile(r"\s*([-+]?\d+)(?:\.0*)?\s*")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# Error messages Telegram gives for a missing required parameter, by parameter name.
_MISSING = {
    "chat_id": "chat_id is empty",
    "message_id": "message identifier is not specified",
    "user_id": "invalid user_id specified",
}
_JSON_LABELS = {"reply_markup": "reply keyboard markup"}


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, Telegram's description."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(message: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def telegram_case(message: str) -> str:
    """Lower-case the first letter unless the message is an UPPER_CASE code (as Telegram does)."""
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request; `content` is kept so tests can fetch what was sent."""

    filename: str
    content_type: str
    size: int
    content: bytes = field(default=b"", repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


RawValue = str | UploadedFile


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str

    def limits(self) -> tuple[int, int, str] | None:
        """`(min, max, unit)` when the description states "N-M characters" or "N-M bytes"."""
        match = _LIMITS.search(self.description)
        return (int(match.group(1)), int(match.group(2)), match.group(3)) if match else None


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec] | None
    subtypes: tuple[str, ...]
    # (field, value) that marks this type among its parent's subtypes, e.g. ("type", "chat").
    tag: tuple[str, str] | None


@dataclass
class ValidatedCall:
    """A call that passed validation: typed parameters and parsed text/caption."""

    method: MethodSpec
    params: dict[str, Any]
    formatted: dict[str, Formatted] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.method.name


class _ObjectError(Exception):
    """A problem inside a JSON object; `owner` is the innermost object type (set on the way up)."""

    def __init__(self, message: str, owner: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.owner = owner


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=str(raw["name"]),
        types=tuple(raw["types"]),
        required=bool(raw.get("required", False)),
        description=str(raw.get("description", "")),
    )


def _tag(fields: Mapping[str, FieldSpec]) -> tuple[str, str] | None:
    for name in ("type", "status", "source"):
        spec = fields.get(name)
        if spec is None:
            continue
        match = re.search(r'always "([^"]+)"|must be ([a-z_]+)', spec.description)
        if match:
            return name, match.group(1) or match.group(2)
    return None


class BotApiSpec:
    """Methods and types of one Bot API version, with validation of calls and objects."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = str(data.get("version", "unknown"))
        self.methods: dict[str, MethodSpec] = {}
        for name, raw in data["methods"].items():
            fields = {f.name: f for f in map(_field, raw.get("fields", []))}
            self.methods[name] = MethodSpec(name, fields, tuple(raw.get("returns", [])))
        # Method names are case-insensitive for the Bot API server.
        self._by_lower = {name.lower(): spec for name, spec in self.methods.items()}
        self.types: dict[str, TypeSpec] = {}
        for name, raw in data["types"].items():
            type_fields = (
                {f.name: f for f in map(_field, raw["fields"])} if "fields" in raw else None
            )
            self.types[name] = TypeSpec(
                name, type_fields, tuple(raw.get("subtypes", [])), _tag(type_fields or {})
            )
        self._type_checks: dict[str, Callable[[dict[str, Any]], None]] = {
            "InlineKeyboardButton": self._check_inline_button,
            "BotCommand": self._check_bot_command,
        }

    @classmethod
    def load(cls, path: Path | str | None = None) -> BotApiSpec:
        """Read the JSON description (default: $TELEGRAM_BOT_API_SPEC or the vendored copy)."""
        path = Path(path or os.environ.get(SPEC_ENV) or DEFAULT_SPEC_PATH)
        with path.open(encoding="utf-8") as handle:
            return cls(json.load(handle))

    def method(self, name: str) -> MethodSpec | None:
        return self._by_lower.get(name.lower())

    # --- calls -----------------------------------------------------------------------------------

    def validate_call(self, method: MethodSpec, raw: Mapping[str, RawValue]) -> ValidatedCall:
        """Type-check every parameter, then apply the method's own rules (lengths, formats)."""
        params: dict[str, Any] = {}
        for name, value in raw.items():
            spec = method.fields.get(name)
            if spec is None:
                raise bad_request(f'unknown parameter "{name}"')
            if isinstance(value, str) and value == "":
                continue  # the Bot API server treats empty parameters as absent
            params[name] = self._coerce_parameter(spec, value)
        call = ValidatedCall(method, params)
        self._check_formatting(call)
        for spec in method.fields.values():
            if spec.required and spec.name not in params:
                raise bad_request(self._missing_message(method, spec.name))
        self._check_lengths(call)
        check = _METHOD_CHECKS.get(method.name)
        if check is not None:
            check(call)
        return call

    @staticmethod
    def _missing_message(method: MethodSpec, name: str) -> str:
        if name == "text" and "parse_mode" in method.fields:
            return "message text is empty"
        return _MISSING.get(name, f'parameter "{name}" is required')

    def _coerce_parameter(self, spec: FieldSpec, value: RawValue) -> Any:
        types = spec.types
        if isinstance(value, UploadedFile):
            if "InputFile" in types:
                return value
            raise bad_request(f'parameter "{spec.name}" can\'t be a file')
        integer = _INTEGER.fullmatch(value) if "Integer" in types else None
        if integer is not None:
            return int(integer.group(1))
        if "Float" in types:
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return number
        if "Boolean" in types and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        if "String" in types or "InputFile" in types:
            return value
        structured = [t for t in types if t not in PRIMITIVES and t != "InputFile"]
        if not structured:
            raise bad_request(f'parameter "{spec.name}" must be of type {" or ".join(types)}')
        try:
            decoded = json.loads(value)
        except ValueError:
            label = _JSON_LABELS.get(spec.name, spec.name)
            raise bad_request(f"can't parse {label} JSON object") from None
        try:
            self._check_union(structured, decoded, spec.name)
        except _ObjectError as exc:
            if exc.owner is None:
                raise bad_request(telegram_case(exc.message)) from None
            raise bad_request(telegram_case(f"Can't parse {exc.owner}: {exc.message}")) from None
        return decoded

    def _check_formatting(self, call: ValidatedCall) -> None:
        params = call.params
        fields = call.method.fields
        if "parse_mode" not in fields:
            return
        mode = params.get("parse_mode")
        if mode is not None and mode.lower() not in PARSE_MODES | {"none"}:
            raise bad_request("unsupported parse_mode")
        for name, entities_name in (("text", "entities"), ("caption", "caption_entities")):
            if name not in params or name not in fields:
                continue
            try:
                formatted = format_text(params[name], mode, params.get(entities_name))
            except FormatError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            call.formatted[name] = formatted

    def _check_lengths(self, call: ValidatedCall) -> None:
        name = call.name
        for param, value in call.params.items():
            spec = call.method.fields[param]
            if not isinstance(value, str) or "String" not in spec.types:
                continue
            if param in call.formatted:
                _check_text_length(name, param, call.formatted[param], spec)
                continue
            limits = spec.limits()
            if limits is None:
                continue
            low, high, unit = limits
            size = len(value.encode()) if unit == "bytes" else utf16_len(value)
            if low <= size <= high:
                continue
            if name == "answerCallbackQuery" and param == "text":
                raise bad_request("MESSAGE_TOO_LONG")
            raise bad_request(f'parameter "{param}" must be {low}-{high} {unit} long')

    # --- objects ---------------------------------------------------------------------------------

    def check_object(self, type_name: str, value: Any) -> None:
        """Raise ValueError unless `value` is a valid `type_name` (checks the emulator's output)."""
        try:
            self._check_union([type_name], value, type_name)
        except _ObjectError as exc:
            raise ValueError(f"{exc.owner or type_name}: {exc.message}") from None

    def _check_union(self, types: Sequence[str], value: Any, name: str) -> None:
        if len(types) == 1:
            self._check_type(types[0], value, name)
            return
        ranked = sorted(types, key=lambda t: self._affinity(t, value), reverse=True)
        first_error: _ObjectError | None = None
        for candidate in ranked:
            try:
                self._check_type(candidate, value, name)
            except _ObjectError as exc:
                first_error = first_error or exc
            else:
                return
        assert first_error is not None
        raise first_error

    def _affinity(self, type_name: str, value: Any) -> tuple[int, int, int]:
        """How likely `value` was meant as `type_name` (to report the most useful error)."""
        if type_name.startswith("Array of "):
            return (1 if isinstance(value, list) else 0, 0, 0)
        spec = self.types.get(type_name)
        if spec is None or not isinstance(value, dict):
            return (0, 0, 0)
        fields = spec.fields or {}
        if spec.tag and value.get(spec.tag[0]) == spec.tag[1]:
            return (3, 0, 0)
        required = [f for f in fields.values() if f.required]
        present = sum(1 for f in required if f.name in value)
        known = sum(1 for k in value if k in fields)
        return (2 if present == len(required) else 1, present, known)

    def _check_type(self, type_name: str, value: Any, name: str) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise _ObjectError(f'Field "{name}" must be of type Array')
            for item in value:
                self._check_union([type_name.removeprefix("Array of ")], item, name)
            return
        if type_name in PRIMITIVES:
            if not _is_primitive(type_name, value):
                raise _ObjectError(f'Field "{name}" must be of type {type_name}')
            return
        if type_name == "InputFile":
            if not isinstance(value, str | UploadedFile):
                raise _ObjectError(f'Field "{name}" must be of type String')
            return
        spec = self.types.get(type_name)
        if spec is None:
            raise _ObjectError(f'Field "{name}" has unknown type {type_name}')
        if spec.subtypes:
            self._check_subtypes(spec, value, name)
            return
        self._check_fields(spec, value, name)

    def _check_subtypes(self, spec: TypeSpec, value: Any, name: str) -> None:
        tagged = [self.types[t] for t in spec.subtypes if t in self.types and self.types[t].tag]
        if tagged and len(tagged) == len(spec.subtypes) and isinstance(value, dict):
            key = tagged[0].tag[0] if tagged[0].tag else "type"
            if key not in value:
                raise _ObjectError(f'Can\'t find field "{key}"', spec.name)
            for subtype in tagged:
                if subtype.tag == (key, value[key]):
                    self._check_fields(subtype, value, name)
                    return
            raise _ObjectError(f'Unsupported {key} "{value[key]}" specified', spec.name)
        self._check_union(list(spec.subtypes), value, name)

    def _check_fields(self, spec: TypeSpec, value: Any, name: str) -> None:
        if not isinstance(value, dict):
            raise _ObjectError(f'Field "{name}" must be of type {spec.name}')
        fields = spec.fields or {}
        try:
            for key, item in value.items():
                field_spec = fields.get(key)
                if field_spec is None:
                    raise _ObjectError(f'Unknown field "{key}"')
                self._check_union(field_spec.types, item, key)
            for field_spec in fields.values():
                if field_spec.required and field_spec.name not in value:
                    raise _ObjectError(f'Can\'t find field "{field_spec.name}"')
        except _ObjectError as exc:
            exc.owner = exc.owner or spec.name
            raise
        check = self._type_checks.get(spec.name)
        if check is not None:
            check(value)

    # --- rules Telegram adds on top of the types -------------------------------------------------

    def _check_inline_button(self, button: dict[str, Any]) -> None:
        actions = [
            key
            for key in INLINE_BUTTON_ACTIONS
            if key in button and not (key in _EMPTY_IS_ABSENT and button[key] == "")
        ]
        if not actions:
            raise _ObjectError(
                "Text buttons are not allowed in the inline keyboard", "InlineKeyboardButton"
            )
        if len(actions) > 1:
            # Telegram silently uses the first one; the emulator insists on the documented rule.
            raise _ObjectError(
                f"exactly one of the optional fields must be used, got {', '.join(actions)}",
                "InlineKeyboardButton",
            )
        data = button.get("callback_data")
        if isinstance(data, str) and len(data.encode()) > 64:
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if isinstance(url, str) and url and not _valid_button_url(url):
            raise bad_request("BUTTON_URL_INVALID")

    def _check_bot_command(self, command: dict[str, Any]) -> None:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        limits = (self.types["BotCommand"].fields or {})["description"].limits()
        low, high = (limits[0], limits[1]) if limits else (1, 256)
        if not low <= utf16_len(command["description"].strip()) <= high:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def _is_primitive(type_name: str, value: Any) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _valid_button_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme.lower() == "tg":
        return bool(parts.netloc or parts.path)
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _check_text_length(method: str, param: str, formatted: Formatted, spec: FieldSpec) -> None:
    limits = spec.limits()
    low, high = (limits[0], limits[1]) if limits else (0, 4096)
    if formatted.length > high:
        raise bad_request(
            "message caption is too long" if param == "caption" else "message is too long"
        )
    if low > 0 and not formatted.text:
        raise bad_request("message must be non-empty")


def _check_set_my_commands(call: ValidatedCall) -> None:
    if len(call.params["commands"]) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")


def _check_chat_action(call: ValidatedCall) -> None:
    if call.params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


def _check_set_webhook(call: ValidatedCall) -> None:
    url = call.params.get("url", "")
    if url and urlsplit(url).scheme.lower() not in {"http", "https"}:
        # Telegram demands HTTPS; the emulator also takes plain HTTP for local test servers.
        raise bad_request("bad webhook: HTTPS url must be provided for webhook")
    token = call.params.get("secret_token")
    if token is not None and not _SECRET_TOKEN.fullmatch(token):
        raise bad_request("secret token contains unallowed characters")


def _check_edit_text(call: ValidatedCall) -> None:
    if "text" not in call.params and "rich_message" not in call.params:
        raise bad_request("message text is empty")


_METHOD_CHECKS: dict[str, Callable[[ValidatedCall], None]] = {
    "setMyCommands": _check_set_my_commands,
    "sendChatAction": _check_chat_action,
    "setWebhook": _check_set_webhook,
    "editMessageText": _check_edit_text,
}


@functools.cache
def default_spec() -> BotApiSpec:
    """The spec every emulator shares unless given another file (parsed once per process)."""
    return BotApiSpec.load()
