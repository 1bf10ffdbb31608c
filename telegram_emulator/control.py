"""The control API under /_control/: tests act as Telegram users and inspect what the bot did.

Answers are JSON `{"ok": true, "result": ...}`; a bad request to the control API itself gets
`{"ok": false, "error": "..."}` with status 400 (or 404 for unknown chats and messages).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tornado.web

from telegram_emulator.spec import ApiError
from telegram_emulator.state import JSON, MEDIA_KINDS

if TYPE_CHECKING:
    from telegram_emulator.core import Emulator
    from telegram_emulator.inject import Injected

logger = logging.getLogger("telegram_emulator.control")

MAX_WAIT = 300.0


class ControlError(Exception):
    """A mistake in a control request (not a Bot API error)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ControlHandler(tornado.web.RequestHandler):
    """Shared plumbing: JSON in, JSON out, client mistakes as 400 instead of 500."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.state = emulator.state

    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except ValueError as exc:
            raise ControlError(f"body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ControlError("body must be a JSON object")
        return data

    def number(self, name: str, default: float) -> float:
        value = self.get_query_argument(name, None)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise ControlError(f"{name} must be a number") from None

    def reply(self, result: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"ok": True, "result": result}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ControlError):
            status_code, message = error.status, str(error)
        elif isinstance(error, ApiError):  # e.g. "chat not found" while resolving a chat
            status_code, message = 404, error.description
        elif isinstance(error, ValueError | TypeError | KeyError):
            status_code, message = 400, f"{error.__class__.__name__}: {error}"
        else:
            message = self._reason
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"ok": False, "error": message}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ControlError | ApiError | ValueError | TypeError | KeyError):
            logger.info("control %s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)


class Health(ControlHandler):
    def get(self) -> None:
        self.reply(
            {
                "version": self.emulator.spec.version,
                "bot": self.state.bot.to_json(),
                "pending_updates": len(self.state.updates),
                "webhook": self.state.webhook.url if self.state.webhook else None,
            }
        )


class Reset(ControlHandler):
    def post(self) -> None:
        self.emulator.reset()
        self.reply(True)


class Users(ControlHandler):
    def get(self) -> None:
        self.reply(
            [
                {
                    **user.to_json(),
                    "blocked": bool(self.state.chats.get(uid) and self.state.chats[uid].blocked),
                    "started": uid in self.state.chats,
                }
                for uid, user in self.state.users.items()
            ]
        )

    def post(self) -> None:
        self.reply(self.emulator.inject.register_user(**self.body()))


class UserBlock(ControlHandler):
    def post(self, user_id: str, action: str) -> None:
        blocked = action == "block" and self.request.method == "POST"
        self.reply(self.emulator.inject.set_blocked(int(user_id), blocked).to_json())

    def delete(self, user_id: str, action: str) -> None:
        if action != "block":
            raise ControlError("use DELETE /users/{id}/block or POST /users/{id}/unblock")
        self.post(user_id, action)


class Chats(ControlHandler):
    def get(self) -> None:
        self.reply([_chat_info(self.emulator, chat_id) for chat_id in self.state.chats])

    def post(self) -> None:
        body = self.body()
        unknown = set(body) - {"chat_id", "type", "title"}
        if unknown:
            raise ControlError(f"unknown fields: {', '.join(sorted(unknown))}")
        chat = self.state.ensure_group(
            int(body["chat_id"]) if body.get("chat_id") is not None else None,
            body.get("type", "group"),
            body.get("title"),
            join=True,
        )
        self.reply(chat.to_json())


class ChatInfo(ControlHandler):
    def get(self, chat_id: str) -> None:
        self.reply(_chat_info(self.emulator, int(chat_id)))


class ChatMessages(ControlHandler):
    def get(self, chat_id: str) -> None:
        sender = self.get_query_argument("from", "all")
        if sender not in {"all", "bot", "users"}:
            raise ControlError("from must be all, bot or users")
        messages = self.state.messages.get(int(chat_id), {}).values()
        self.reply(
            [m.to_json() for m in messages if sender == "all" or m.from_bot == (sender == "bot")]
        )


class ChatWait(ControlHandler):
    async def get(self, chat_id: str) -> None:
        """Long-poll until the chat has `count` bot messages newer than message id `after`."""
        cid = int(chat_id)
        count = int(self.number("count", 1))
        after = int(self.number("after", 0))
        deadline = time.monotonic() + min(self.number("timeout", 10.0), MAX_WAIT)
        while True:
            found = [m for m in self.state.bot_messages(cid) if m.message_id > after]
            remaining = deadline - time.monotonic()
            if len(found) >= count or remaining <= 0 or self.emulator.api.closing:
                break
            await self.state.messages_changed.wait(remaining)
        self.reply(
            {
                "satisfied": len(found) >= count,
                "count": len(found),
                "messages": [m.to_json() for m in found],
            }
        )


class Inject(ControlHandler):
    def post(self, kind: str) -> None:
        inject = self.emulator.inject
        body = self.body()
        actions: dict[str, Callable[..., Injected]] = {
            "message": inject.message,
            "command": inject.command,
            "edited_message": inject.edited_message,
            "callback": inject.callback,
            "raw": inject.raw,
        }
        if kind == "reply":
            if "reply_to_message_id" not in body:
                raise ControlError("a reply needs reply_to_message_id")
            injected = inject.message(**body)
        elif kind in MEDIA_KINDS:
            injected = inject.message(kind=kind, **body)
        elif kind in actions:
            injected = actions[kind](**body)
        else:
            kinds = [*actions, "reply", *MEDIA_KINDS]
            raise ControlError(f"unknown update kind {kind!r}; one of: {', '.join(kinds)}", 404)
        self.reply(injected.to_json())


class Updates(ControlHandler):
    def get(self) -> None:
        self.reply(list(self.state.updates))


class Requests(ControlHandler):
    def get(self) -> None:
        self.reply(self._select())

    def _select(self) -> list[JSON]:
        method = self.get_query_argument("method", None)
        since = int(self.number("since", 0))
        records = [
            r
            for r in self.state.requests
            if r["seq"] > since and (method is None or r["method"].lower() == method.lower())
        ]
        limit = self.get_query_argument("limit", None)
        return records[-int(limit) :] if limit else records


class RequestsWait(Requests):
    async def get(self) -> None:  # type: ignore[override]
        """Long-poll until `count` matching requests (e.g. method=answerCallbackQuery) arrived."""
        count = int(self.number("count", 1))
        deadline = time.monotonic() + min(self.number("timeout", 10.0), MAX_WAIT)
        while True:
            found = self._select()
            remaining = deadline - time.monotonic()
            if len(found) >= count or remaining <= 0 or self.emulator.api.closing:
                break
            await self.state.requests_changed.wait(remaining)
        self.reply({"satisfied": len(found) >= count, "count": len(found), "requests": found})


class Commands(ControlHandler):
    def get(self) -> None:
        self.reply(
            [
                {"scope": scope, "language_code": language, "commands": commands}
                for (scope, language), commands in self.state.commands.items()
            ]
        )


class Callbacks(ControlHandler):
    def get(self) -> None:
        answered = self.get_query_argument("answered", None)
        queries = [q.to_json() for q in self.state.callbacks.values()]
        if answered is not None:
            wanted = answered.lower() in {"1", "true", "yes"}
            queries = [q for q in queries if q["answered"] == wanted]
        self.reply(queries)


class Faults(ControlHandler):
    def get(self) -> None:
        self.reply([rule.to_json() for rule in self.emulator.faults.rules])

    def post(self) -> None:
        body = self.body()
        if "seed" in body:
            self.emulator.faults.seed(body.pop("seed"))
        rules = body.pop("rules", None)
        if rules is None:
            rules = [body] if body else []
        elif body:
            raise ControlError("give either one rule or {'rules': [...]}")
        try:
            added = self.emulator.faults.add_all(rules)
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        self.reply([rule.to_json() for rule in added])

    def delete(self) -> None:
        self.emulator.faults.clear()
        self.reply(True)


class Fault(ControlHandler):
    def delete(self, rule_id: str) -> None:
        if not self.emulator.faults.remove(int(rule_id)):
            raise ControlError(f"no fault {rule_id}", 404)
        self.reply(True)


class LimitsHandler(ControlHandler):
    def get(self) -> None:
        self.reply(self.emulator.limits.to_json())

    def post(self) -> None:
        try:
            self.emulator.limits.update(self.body())
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        self.emulator.limiter.reset()
        self.reply(self.emulator.limits.to_json())


class ClockHandler(ControlHandler):
    def get(self) -> None:
        self.reply(self._state())

    def post(self) -> None:
        body = self.body()
        unknown = set(body) - {"advance", "freeze"}
        if unknown:
            raise ControlError(f"unknown fields: {', '.join(sorted(unknown))}")
        seconds = float(body.get("advance", 0))
        if seconds < 0:
            raise ControlError("the clock only moves forward")
        if "freeze" in body:
            self.emulator.clock.freeze(bool(body["freeze"]))
        self.emulator.clock.advance(seconds)
        self.reply(self._state())

    def _state(self) -> JSON:
        clock = self.emulator.clock
        return {"time": clock.time(), "offset": clock.offset, "frozen": clock.frozen}


class Files(ControlHandler):
    def get(self) -> None:
        """Every file the emulator holds; `?by=bot` only those the bot uploaded."""
        by = self.get_query_argument("by", "all")
        if by not in {"all", "bot", "users"}:
            raise ControlError("by must be all, bot or users")
        self.reply(
            [
                f.to_json()
                for f in self.state.files.values()
                if by == "all" or f.uploaded_by_bot == (by == "bot")
            ]
        )

    def post(self) -> None:
        """Store a file (base64 bytes) a user could send by its file_id, e.g. to forward."""
        body = self.body()
        unknown = set(body) - {"kind", "content_base64", "file_name", "mime_type"}
        if unknown:
            raise ControlError(f"unknown fields: {', '.join(sorted(unknown))}")
        kind = body.get("kind", "document")
        content = base64.b64decode(body.get("content_base64", ""), validate=True)
        stored = self.state.store_file(
            self.state.new_file(kind),
            kind,
            size=len(content),
            content=content,
            file_name=body.get("file_name"),
            mime_type=body.get("mime_type"),
        )
        self.reply(stored.to_json())


class FileContent(ControlHandler):
    def get(self, file_id: str) -> None:
        """One file's details and its bytes (base64), e.g. the certificate the bot sent."""
        stored = self.state.files.get(file_id)
        if stored is None:
            raise ControlError(f"no file {file_id}", 404)
        self.reply({**stored.to_json(), "content_base64": base64.b64encode(stored.data()).decode()})


class WebhookState(ControlHandler):
    def get(self) -> None:
        hook = self.state.webhook
        self.reply(
            None
            if hook is None
            else {
                "url": hook.url,
                "secret_token": hook.secret_token,
                "allowed_updates": hook.allowed_updates,
                "pending_update_count": len(self.state.updates),
                "last_error_date": hook.last_error_date,
                "last_error_message": hook.last_error_message,
                "deliveries": hook.deliveries,
            }
        )


def _chat_info(emulator: Emulator, chat_id: int) -> JSON:
    chat = emulator.state.chats.get(chat_id)
    if chat is None:
        raise ControlError(f"no chat {chat_id}", 404)
    return {
        **chat.to_json(),
        "blocked": chat.blocked,
        "bot_is_member": chat.member,
        "menu_button": chat.menu_button,
        "actions": chat.actions,
        "bot_messages": len(emulator.state.bot_messages(chat_id)),
    }


def routes(emulator: Emulator) -> list[tuple[str, type[ControlHandler], dict[str, Any]]]:
    """URL patterns of the control API, all under /_control/."""
    args: dict[str, Any] = {"emulator": emulator}
    table: list[tuple[str, type[ControlHandler]]] = [
        (r"health", Health),
        (r"reset", Reset),
        (r"users", Users),
        (r"users/(-?\d+)/(block|unblock)", UserBlock),
        (r"chats", Chats),
        (r"chats/(-?\d+)", ChatInfo),
        (r"chats/(-?\d+)/messages", ChatMessages),
        (r"chats/(-?\d+)/wait", ChatWait),
        (r"updates", Updates),
        (r"updates/([a-z_]+)", Inject),
        (r"requests", Requests),
        (r"requests/wait", RequestsWait),
        (r"commands", Commands),
        (r"callbacks", Callbacks),
        (r"faults", Faults),
        (r"faults/(\d+)", Fault),
        (r"limits", LimitsHandler),
        (r"clock", ClockHandler),
        (r"webhook", WebhookState),
        (r"files", Files),
        (r"files/([A-Za-z0-9_-]+)", FileContent),
    ]
    return [(f"/_control/{pattern}", handler, args) for pattern, handler in table]
