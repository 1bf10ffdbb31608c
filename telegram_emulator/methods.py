"""The Bot API methods the emulator implements, over `EmulatorState`.

Each handler receives a call already validated against the spec and returns the `result` Telegram
would return, or raises `ApiError` with Telegram's status and wording.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram_emulator.formatting import Formatted
from telegram_emulator.spec import ApiError, UploadedFile, ValidatedCall, bad_request
from telegram_emulator.state import (
    JSON,
    CallbackQuery,
    Chat,
    EmulatorState,
    StoredFile,
    StoredMessage,
    Webhook,
)

Handler = Callable[[ValidatedCall], Awaitable[Any]]

# Parts of a Message that are its content (copied by forwardMessage/copyMessage).
CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", "sticker", "photo", "voice", "audio",
    "video", "video_note", "animation", "document", "location", "contact", "venue", "dice",
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
MESSAGE_DELETE_WINDOW = 48 * 3600
# Bot API limits on files: getFile serves up to 20 MB; uploads up to 10 MB (photo), 50 MB.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
TOO_LARGE = ApiError(413, "Request Entity Too Large")


class BotApi:
    """Dispatches validated calls to handlers; unknown-to-the-emulator methods get a clear 400."""

    def __init__(self, state: EmulatorState, on_webhook_set: Callable[[], None]) -> None:
        self.state = state
        self._on_webhook_set = on_webhook_set
        self._poll_generation = 0
        self.closing = False
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "getFile": self.get_file,
            "forwardMessage": self.forward_message,
            "copyMessage": self.copy_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendChatAction": self.send_chat_action,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getChat": self.get_chat,
            "leaveChat": self.leave_chat,
        }

    async def call(self, call: ValidatedCall) -> Any:
        handler = self.handlers.get(call.name)
        if handler is None:
            raise bad_request("method not supported by the emulator")
        return await handler(call)

    # --- bot and updates -------------------------------------------------------------------------

    async def get_me(self, call: ValidatedCall) -> JSON:
        return {
            **self.state.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, call: ValidatedCall) -> list[JSON]:
        """Long polling: answer as soon as an update is there, or with [] after `timeout`."""
        state, params = self.state, call.params
        if state.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if "allowed_updates" in params:
            state.allowed_updates = list(params["allowed_updates"]) or None
        if "offset" in params:
            state.confirm(params["offset"])
        limit = min(max(params.get("limit", 100), 1), 100)
        deadline = time.monotonic() + max(params.get("timeout", 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        state.updates_changed.notify()  # an older poll still waiting must give way (409)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if state.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if state.updates or self.closing:
                return [state.updates[i] for i in range(min(limit, len(state.updates)))]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await state.updates_changed.wait(remaining)

    async def set_webhook(self, call: ValidatedCall) -> bool:
        params = call.params
        if not params.get("url"):
            return await self.delete_webhook(call)
        state = self.state
        allowed = params.get("allowed_updates")
        if allowed is None:  # not given: keep the previous setting, as Telegram does
            allowed = state.webhook.allowed_updates if state.webhook else state.allowed_updates
        state.webhook = Webhook(
            url=params["url"],
            secret_token=params.get("secret_token"),
            max_connections=params.get("max_connections", 40),
            allowed_updates=list(allowed) if allowed else None,
        )
        if params.get("drop_pending_updates"):
            state.drop_pending_updates()
        state.updates_changed.notify()
        self._on_webhook_set()
        return True

    async def delete_webhook(self, call: ValidatedCall) -> bool:
        state = self.state
        state.webhook = None
        if call.params.get("drop_pending_updates"):
            state.drop_pending_updates()
        state.updates_changed.notify()
        return True

    async def get_webhook_info(self, call: ValidatedCall) -> JSON:
        state = self.state
        info: JSON = {
            "url": state.webhook.url if state.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates),
        }
        hook = state.webhook
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    # --- sending ---------------------------------------------------------------------------------

    async def send_message(self, call: ValidatedCall) -> JSON:
        params = call.params
        chat = self.state.writable_chat(params["chat_id"])
        content = _text_content(call.formatted["text"])
        stored = self.state.add_message(
            chat,
            self.state.bot,
            content,
            reply_to=self._reply_target(chat, params.get("reply_parameters")),
            extra=_send_extras(params),
            method=call.name,
            raw_text=params["text"],
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
        )
        return stored.payload

    async def send_document(self, call: ValidatedCall) -> JSON:
        params = call.params
        chat = self.state.writable_chat(params["chat_id"])
        given = params["document"]
        if isinstance(given, UploadedFile):
            if given.size > UPLOAD_LIMIT:
                raise TOO_LARGE
            ids = self.state.new_file("document")
            media: JSON = {**ids, "file_size": given.size}
            if given.filename:
                media["file_name"] = given.filename
            mime = _mime_of(given)
            if mime:
                media["mime_type"] = mime
            stored = self.state.store_file(
                ids,
                "document",
                size=given.size,
                content=given.content,
                file_name=given.filename or None,
                mime_type=mime,
                uploaded_by_bot=True,
            )
        else:
            stored = self._known_file(given, "document")
            media = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
            for key in ("file_name", "mime_type"):
                if getattr(stored, key):
                    media[key] = getattr(stored, key)
            media["file_size"] = stored.file_size
        return self._send_file(call, chat, {"document": media}, stored)

    async def send_photo(self, call: ValidatedCall) -> JSON:
        params = call.params
        chat = self.state.writable_chat(params["chat_id"])
        given = params["photo"]
        if isinstance(given, UploadedFile):
            if given.size > PHOTO_UPLOAD_LIMIT:
                raise TOO_LARGE
            size = image_size(given.content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            ids = self.state.new_file("photo")
            stored = self.state.store_file(
                ids,
                "photo",
                size=given.size,
                content=given.content,
                mime_type=_mime_of(given),
                uploaded_by_bot=True,
            )
            width, height = size
        else:
            stored = self._known_file(given, "photo")
            width, height = image_size(stored.data()) or (1280, 960)
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.file_size,
            }
        ]
        return self._send_file(call, chat, {"photo": photo}, stored)

    def _known_file(self, given: str, kind: str) -> StoredFile:
        """A file sent again by its file_id (the emulator does not fetch URLs)."""
        stored = self.state.files.get(given)
        if stored is None:
            if given.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            raise bad_request("wrong file identifier/HTTP URL specified")
        if (kind == "photo") != (stored.kind == "photo"):
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def _send_file(
        self, call: ValidatedCall, chat: Chat, content: JSON, stored: StoredFile
    ) -> JSON:
        params = call.params
        caption = call.formatted.get("caption")
        if caption is not None:
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
        message = self.state.add_message(
            chat,
            self.state.bot,
            content,
            reply_to=self._reply_target(chat, params.get("reply_parameters")),
            extra=_send_extras(params),
            method=call.name,
            raw_text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
        )
        if stored.uploaded_by_bot and stored.message_id is None:
            stored.chat_id, stored.message_id = chat.id, message.message_id
        return message.payload

    async def get_file(self, call: ValidatedCall) -> JSON:
        stored = self.state.files.get(call.params["file_id"])
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def forward_message(self, call: ValidatedCall) -> JSON:
        params = call.params
        target = self.state.writable_chat(params["chat_id"])
        source = self._source_message(params, "message to forward not found")
        origin_sender = source.payload.get("from") or self.state.bot.to_json()
        extra: JSON = {
            **_send_extras(params),
            "forward_origin": {
                "type": "user",
                "sender_user": origin_sender,
                "date": source.payload.get("forward_origin", {}).get("date")
                or source.payload["date"],
            },
        }
        if "forward_origin" in source.payload:  # forwarding a forward keeps the first origin
            extra["forward_origin"] = source.payload["forward_origin"]
        stored = self.state.add_message(
            target,
            self.state.bot,
            _content_of(source),
            extra=extra,
            method=call.name,
            raw_text=source.raw_text or source.payload.get("text"),
        )
        return stored.payload

    async def copy_message(self, call: ValidatedCall) -> JSON:
        params = call.params
        target = self.state.writable_chat(params["chat_id"])
        source = self._source_message(params, "message to copy not found")
        content = _content_of(source)
        raw_text = source.raw_text or source.payload.get("text")
        if "caption" in call.formatted and "text" not in content:
            caption = call.formatted["caption"]
            content.pop("caption_entities", None)
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
            raw_text = params["caption"]
        stored = self.state.add_message(
            target,
            self.state.bot,
            content,
            reply_to=self._reply_target(target, params.get("reply_parameters")),
            extra=_send_extras(params),
            method=call.name,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
        )
        return {"message_id": stored.message_id}

    async def send_chat_action(self, call: ValidatedCall) -> bool:
        chat = self.state.writable_chat(call.params["chat_id"])
        chat.actions.append({"action": call.params["action"], "date": self.state.now()})
        del chat.actions[:-100]
        return True

    # --- editing and deleting --------------------------------------------------------------------

    async def edit_message_text(self, call: ValidatedCall) -> JSON:
        params = call.params
        stored = self._editable(params)
        payload = stored.payload
        if "text" not in payload:
            raise bad_request("there is no text in the message to edit")
        content = _text_content(call.formatted["text"])
        markup = params.get("reply_markup")
        if (
            content["text"] == payload["text"]
            and content.get("entities", []) == payload.get("entities", [])
            and markup == payload.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        self._record_edit(stored, call, markup, params["text"])
        payload["text"] = content["text"]
        payload.pop("entities", None)
        payload.update(content)
        payload["edit_date"] = self.state.now()
        stored.raw_text = params["text"]
        stored.parse_mode = params.get("parse_mode")
        return payload

    async def edit_message_reply_markup(self, call: ValidatedCall) -> JSON:
        stored = self._editable(call.params)
        markup = call.params.get("reply_markup")
        if markup == stored.payload.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        self._record_edit(stored, call, markup, None)
        return stored.payload

    async def delete_message(self, call: ValidatedCall) -> bool:
        chat = self.state.resolve_chat(call.params["chat_id"])
        stored = self.state.find_message(chat.id, call.params["message_id"])
        if stored is None:
            raise bad_request("message to delete not found")
        too_old = self.state.now() - stored.payload["date"] > MESSAGE_DELETE_WINDOW
        if too_old or (not stored.from_bot and chat.type != "private"):
            raise bad_request("message can't be deleted")
        stored.deleted = True
        stored.deleted_date = self.state.now()
        self.state.messages_changed.notify()
        return True

    # --- callback queries, commands, menu --------------------------------------------------------

    async def answer_callback_query(self, call: ValidatedCall) -> bool:
        query: CallbackQuery = self.state.live_callback(call.params["callback_query_id"])
        query.answered = True
        query.answered_date = self.state.now()
        query.answer = {
            key: call.params[key]
            for key in ("text", "show_alert", "url", "cache_time")
            if key in call.params
        }
        self.state.requests_changed.notify()
        return True

    async def set_my_commands(self, call: ValidatedCall) -> bool:
        key = self._commands_key(call.params)
        self.state.commands[key] = list(call.params["commands"])
        return True

    async def get_my_commands(self, call: ValidatedCall) -> list[JSON]:
        return list(self.state.commands.get(self._commands_key(call.params), []))

    async def delete_my_commands(self, call: ValidatedCall) -> bool:
        self.state.commands.pop(self._commands_key(call.params), None)
        return True

    async def set_chat_menu_button(self, call: ValidatedCall) -> bool:
        button = call.params.get("menu_button")
        if "chat_id" in call.params:
            chat = self.state.resolve_chat(call.params["chat_id"])
            if chat.type != "private":
                raise bad_request("chat not found")
            chat.menu_button = button
        else:
            self.state.default_menu_button = button or {"type": "commands"}
        return True

    async def get_chat_menu_button(self, call: ValidatedCall) -> JSON:
        if "chat_id" in call.params:
            chat = self.state.resolve_chat(call.params["chat_id"])
            if chat.menu_button is not None:
                return chat.menu_button
        return self.state.default_menu_button

    # --- chats -----------------------------------------------------------------------------------

    async def get_chat(self, call: ValidatedCall) -> JSON:
        return self.state.resolve_chat(call.params["chat_id"]).full_info()

    async def leave_chat(self, call: ValidatedCall) -> bool:
        chat = self.state.resolve_chat(call.params["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if not chat.member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        chat.member = False
        bot = self.state.bot.to_json()
        self.state.enqueue(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": bot,
                "date": self.state.now(),
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": "left", "user": bot},
            },
        )
        return True

    # --- helpers ---------------------------------------------------------------------------------

    def _reply_target(self, chat: Chat, reply: Mapping[str, Any] | None) -> StoredMessage | None:
        if not reply:
            return None
        target_chat = chat
        if "chat_id" in reply:
            target_chat = self.state.resolve_chat(reply["chat_id"])
        stored = self.state.find_message(target_chat.id, reply["message_id"])
        if stored is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return stored

    def _source_message(self, params: Mapping[str, Any], missing: str) -> StoredMessage:
        source_chat = self.state.resolve_chat(params["from_chat_id"])
        stored = self.state.find_message(source_chat.id, params["message_id"])
        if stored is None:
            raise bad_request(missing)
        return stored

    def _editable(self, params: Mapping[str, Any]) -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("message to edit not found")  # no inline mode in the emulator
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self.state.writable_chat(params["chat_id"])
        stored = self.state.find_message(chat.id, params["message_id"])
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def _record_edit(
        self, stored: StoredMessage, call: ValidatedCall, markup: JSON | None, raw: str | None
    ) -> None:
        before = {k: stored.payload[k] for k in ("text", "caption") if k in stored.payload}
        stored.edits.append(
            {
                "date": self.state.now(),
                "method": call.name,
                "before": {**before, "reply_markup": stored.payload.get("reply_markup")},
                "raw_text": raw,
                "reply_markup": markup,
            }
        )
        stored.reply_markup = markup
        if markup is None:
            stored.payload.pop("reply_markup", None)
        else:
            stored.payload["reply_markup"] = markup
        self.state.messages_changed.notify()

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        return self.state.scope_key(params.get("scope")), params.get("language_code", "")


def _text_content(formatted: Formatted) -> JSON:
    content: JSON = {"text": formatted.text}
    if formatted.entities:
        content["entities"] = formatted.entities
    return content


def _content_of(stored: StoredMessage) -> JSON:
    return {k: v for k, v in stored.payload.items() if k in CONTENT_KEYS}


def _send_extras(params: Mapping[str, Any]) -> JSON:
    extra: JSON = {}
    if params.get("protect_content"):
        extra["has_protected_content"] = True
    if params.get("link_preview_options"):
        extra["link_preview_options"] = params["link_preview_options"]
    return extra


def _mime_of(upload: UploadedFile) -> str | None:
    """The MIME type Telegram records: the part's own, or guessed from the file name."""
    given = (upload.content_type or "").split(";")[0].strip().lower()
    if given and given != "application/octet-stream":
        return given
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or (given or None)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG (None when it is neither: Telegram cannot process it)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(b"\xff\xd8"):
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if marker in _JPEG_FRAMES:
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + length
    return None


# Start-of-frame markers that carry a JPEG's dimensions (not DHT 0xC4, JPG 0xC8, DAC 0xCC).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
