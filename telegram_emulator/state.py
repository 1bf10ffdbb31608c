"""In-memory world of the emulator: users, chats, messages, callback queries and the update queue.

Everything here runs on the emulator's event loop thread, so no locking is needed; waiters (long
polling, test helpers) are woken through `Notifier`s.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram_emulator.formatting import utf16_len
from telegram_emulator.spec import ApiError, bad_request

JSON = dict[str, Any]

# Update types a bot gets when it never set allowed_updates (Bot API: all but these three).
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CALLBACK_QUERY_TTL = 15 * 60  # seconds Telegram accepts an answer to a callback query
REQUEST_LOG_SIZE = 50_000  # newest requests kept for GET /_control/requests
# Folders of file_path as the Bot API server names them, by the kind of file.
FILE_FOLDERS = {"photo": "photos", "document": "documents", "voice": "voice", "audio": "music"}

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)


class Clock:
    """Wall and monotonic time that tests can freeze and move forward.

    It drives message dates, callback query expiry and the rate limiter's windows (long polling
    and waits always use real time).
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self._frozen: tuple[float, float] | None = None  # (time, monotonic) when frozen

    def _now(self) -> tuple[float, float]:
        return self._frozen or (time.time(), time.monotonic())

    def time(self) -> float:
        return self._now()[0] + self.offset

    def monotonic(self) -> float:
        return self._now()[1] + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) the clock; `advance` still moves it."""
        if frozen and self._frozen is None:
            self._frozen = (time.time(), time.monotonic())
        elif not frozen and self._frozen is not None:
            mono = self._frozen[1]
            self._frozen = None
            self.offset -= time.monotonic() - mono  # carry on from the frozen instant

    def reset(self) -> None:
        self.offset = 0.0
        self._frozen = None


class Notifier:
    """Wake every coroutine waiting for "something changed"; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, within: float) -> bool:
        """Wait for the next notification; False when `within` seconds passed first."""
        event = self._event
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # races with the event being set, which left the webhook task running at shutdown.
        try:
            async with asyncio.timeout(max(within, 0)):
                await event.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    user: User | None = None  # the other party of a private chat
    username: str | None = None
    blocked: bool = False  # private chat: the user blocked the bot
    member: bool = True  # group: the bot is (still) a member
    menu_button: JSON | None = None
    last_message_id: int = 0
    actions: list[JSON] = field(default_factory=list)  # sendChatAction calls, newest last

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or f"Group {self.id}"
            if self.username:
                data["username"] = self.username
        return data

    def full_info(self) -> JSON:
        """ChatFullInfo as getChat returns it (only the fields the emulator knows)."""
        return {
            **self.to_json(),
            "accent_color_id": abs(self.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }


@dataclass
class StoredMessage:
    """One message in a chat, with what the control API reports about it."""

    chat_id: int
    message_id: int
    from_bot: bool
    payload: JSON  # current state as a Bot API Message
    method: str | None = None  # Bot API method that created it (bot messages only)
    raw_text: str | None = None  # text or caption exactly as the bot sent it (before parsing)
    parse_mode: str | None = None
    reply_markup: JSON | None = None  # any markup the bot sent, reply keyboards included
    edits: list[JSON] = field(default_factory=list)
    deleted: bool = False
    deleted_date: int | None = None

    def to_json(self) -> JSON:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "method": self.method,
            "date": self.payload["date"],
            "text": self.payload.get("text", self.payload.get("caption")),
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.payload.get("entities", self.payload.get("caption_entities", [])),
            "reply_markup": self.reply_markup,
            "edits": self.edits,
            "deleted": self.deleted,
            "deleted_date": self.deleted_date,
            "message": self.payload,
        }

    def as_reply_target(self) -> JSON:
        """The message as Telegram embeds it in reply_to_message (one level only)."""
        return {k: v for k, v in self.payload.items() if k != "reply_to_message"}


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float  # Clock.monotonic()
    date: int
    forged: bool = False
    answered: bool = False
    answer: JSON | None = None
    answered_date: int | None = None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "date": self.date,
            "forged": self.forged,
            "answered": self.answered,
            "answer": self.answer,
            "answered_date": self.answered_date,
        }


@dataclass
class StoredFile:
    """A file Telegram holds: sent by a user (injected) or uploaded by the bot.

    `content` is None for files a test did not give bytes for; they download as `file_size`
    filler bytes, so getFile and the download still behave as on Telegram.
    """

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    file_size: int
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    uploaded_by_bot: bool = False
    chat_id: int | None = None
    message_id: int | None = None

    def data(self) -> bytes:
        return self.content if self.content is not None else b"\0" * self.file_size

    def to_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "kind": self.kind,
            "file_path": self.file_path,
            "file_size": self.file_size,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "uploaded_by_bot": self.uploaded_by_bot,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "has_content": self.content is not None,
        }


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    deliveries: list[JSON] = field(default_factory=list)


class EmulatorState:
    """The whole in-memory world for one bot token."""

    def __init__(self, token: str, bot_username: str, bot_name: str, clock: Clock) -> None:
        self.token = token
        self.clock = clock
        prefix = token.split(":", 1)[0]
        self.bot = User(
            id=int(prefix) if prefix.isdigit() else 1_000_000_001,
            first_name=bot_name,
            username=bot_username,
            is_bot=True,
        )
        self.updates_changed = Notifier()
        self.messages_changed = Notifier()
        self.requests_changed = Notifier()
        self.reset()

    def reset(self) -> None:
        """Forget everything but the bot's identity (waiters are woken to re-check)."""
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.updates: deque[JSON] = deque()
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.default_menu_button: JSON = {"type": "commands"}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.requests: deque[JSON] = deque(maxlen=REQUEST_LOG_SIZE)
        self.files: dict[str, StoredFile] = {}
        self._update_ids = itertools.count(100_000_001)
        self._request_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._group_ids = itertools.count(1)
        self.updates_changed.notify()
        self.messages_changed.notify()
        self.requests_changed.notify()

    def now(self) -> int:
        return int(self.clock.time())

    # --- users and chats -------------------------------------------------------------------------

    def ensure_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> User:
        """The user with this id, created on first sight (without a private chat with the bot)."""
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name or f"User {user_id}", language_code=language_code)
            self.users[user_id] = user
        if first_name:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name or None
        if username is not None:
            user.username = username or None
        if language_code is not None:
            user.language_code = language_code or None
        return user

    def private_chat(self, user: User) -> Chat:
        """The user's chat with the bot, opened once they write to it (or press /start)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(user.id, "private", user=user)
            self.chats[user.id] = chat
        return chat

    def ensure_group(
        self, chat_id: int | None, chat_type: str, title: str | None, *, join: bool = False
    ) -> Chat:
        """A group the bot is in (created on first sight); `join` re-adds the bot if it left."""
        if chat_type not in {"group", "supergroup"}:
            raise ValueError(f"chat_type must be private, group or supergroup, not {chat_type!r}")
        if chat_id is None:
            base = -1_001_000_000_000 if chat_type == "supergroup" else -1_000
            chat_id = base - next(self._group_ids)
        if chat_id >= 0:
            raise ValueError("group and supergroup chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, chat_type, title=title or f"Group {chat_id}")
            self.chats[chat_id] = chat
        elif title:
            chat.title = title
        if join:
            chat.member = True
        return chat

    def resolve_chat(self, chat_id: int | str) -> Chat:
        """The chat a Bot API call names, or Telegram's "chat not found"."""
        if isinstance(chat_id, str):
            username = chat_id.removeprefix("@").lower()
            for candidate in self.chats.values():
                names = {candidate.username, candidate.user.username if candidate.user else None}
                if chat_id.startswith("@") and username in {n.lower() for n in names if n}:
                    return candidate
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id in self.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")

    def writable_chat(self, chat_id: int | str) -> Chat:
        """A chat the bot may post to, or the 403 Telegram gives (blocked, left the group)."""
        chat = self.resolve_chat(chat_id)
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type != "private" and not chat.member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    # --- messages --------------------------------------------------------------------------------

    def chat_messages(self, chat_id: int) -> dict[int, StoredMessage]:
        return self.messages.setdefault(chat_id, {})

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        message = self.messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def add_message(
        self,
        chat: Chat,
        sender: User,
        content: JSON,
        *,
        reply_to: StoredMessage | None = None,
        extra: Mapping[str, Any] | None = None,
        method: str | None = None,
        raw_text: str | None = None,
        parse_mode: str | None = None,
        reply_markup: JSON | None = None,
    ) -> StoredMessage:
        """Store a new message (ids per chat, increasing) and return it."""
        chat.last_message_id += 1
        payload: JSON = {
            "message_id": chat.last_message_id,
            "from": sender.to_json(),
            "chat": chat.to_json(),
            "date": self.now(),
        }
        if reply_to is not None:
            payload["reply_to_message"] = reply_to.as_reply_target()
        payload.update(extra or {})
        payload.update(content)
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            payload["reply_markup"] = reply_markup  # Message.reply_markup is inline-only
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.last_message_id,
            from_bot=sender.is_bot,
            payload=payload,
            method=method,
            raw_text=raw_text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
        )
        self.chat_messages(chat.id)[message.message_id] = message
        self.messages_changed.notify()
        return message

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.messages.get(chat_id, {}).values() if m.from_bot]

    def new_file(self, kind: str) -> JSON:
        number = next(self._file_ids)
        return {"file_id": f"emu-{kind}-{number:06d}", "file_unique_id": f"u{kind[:3]}{number}"}

    def store_file(
        self,
        ids: Mapping[str, Any],
        kind: str,
        *,
        size: int,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        uploaded_by_bot: bool = False,
    ) -> StoredFile:
        """Keep a file under its ids (from `new_file`) so getFile and downloads find it."""
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1].lower()[:8]
        elif kind == "photo":
            suffix = ".jpg"
        folder = FILE_FOLDERS.get(kind, kind + "s")
        stored = StoredFile(
            file_id=str(ids["file_id"]),
            file_unique_id=str(ids["file_unique_id"]),
            kind=kind,
            file_path=f"{folder}/file_{len(self.files)}{suffix}",
            file_size=size,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            uploaded_by_bot=uploaded_by_bot,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_at(self, file_path: str) -> StoredFile | None:
        for stored in self.files.values():
            if stored.file_path == file_path:
                return stored
        return None

    # --- updates ---------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for the bot; dropped (but returned) when allowed_updates excludes it."""
        update: JSON = {"update_id": next(self._update_ids), kind: payload}
        allowed = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        if (kind in allowed) if allowed else (kind not in NOT_DEFAULT_UPDATES):
            self.updates.append(update)
            self.updates_changed.notify()
        return update

    def confirm(self, offset: int) -> None:
        """getUpdates offset semantics: positive confirms below it, negative keeps the last -N."""
        if offset < 0:
            keep = -offset
            while len(self.updates) > keep:
                self.updates.popleft()
            return
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()

    def drop_pending_updates(self) -> None:
        self.updates.clear()

    # --- callback queries ------------------------------------------------------------------------

    def new_callback(
        self, user: User, message: StoredMessage, data: str | None, *, forged: bool
    ) -> CallbackQuery:
        query = CallbackQuery(
            id=str(next(self._callback_ids)),
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            data=data,
            created=self.clock.monotonic(),
            date=self.now(),
            forged=forged,
        )
        self.callbacks[query.id] = query
        return query

    def live_callback(self, query_id: str) -> CallbackQuery:
        """A callback query the bot may still answer, or Telegram's "query is too old" error."""
        query = self.callbacks.get(query_id)
        if (
            query is None
            or query.answered
            or self.clock.monotonic() - query.created > CALLBACK_QUERY_TTL
        ):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return query

    # --- commands --------------------------------------------------------------------------------

    def scope_key(self, scope: Mapping[str, Any] | None) -> str:
        """A stable key for a BotCommandScope (chat scopes must name a known chat)."""
        if not scope:
            return "default"
        kind = str(scope["type"])
        if "chat_id" not in scope:
            return kind
        chat = self.resolve_chat(scope["chat_id"])
        return f"{kind}:{chat.id}" + (f":{scope['user_id']}" if "user_id" in scope else "")

    # --- request log -----------------------------------------------------------------------------

    def log_request(self, record: JSON) -> JSON:
        record = {"seq": next(self._request_ids), **record}
        self.requests.append(record)
        self.requests_changed.notify()
        return record


def detect_entities(text: str) -> list[JSON]:
    """Entities Telegram adds to a user's text by itself: commands, mentions, URLs."""
    found: list[JSON] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION), ("url", _URL)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    return sorted(found, key=lambda e: (e["offset"], -e["length"]))


def media_content(state: EmulatorState, kind: str, options: Mapping[str, Any]) -> JSON:
    """Message content for a user-sent sticker, photo, voice, document, ... (file ids invented).

    `options` override fields of the media object; `content_base64` gives the file's bytes
    (its size becomes file_size), which the bot can then fetch through getFile.
    """
    options = dict(options)
    encoded = options.pop("content_base64", None)
    content = base64.b64decode(encoded, validate=True) if encoded is not None else None
    if content is not None:
        options["file_size"] = len(content)
    found = _media_content(state, kind, options)
    _store_media(state, kind, found, content)
    return found


def _store_media(state: EmulatorState, kind: str, found: JSON, content: bytes | None) -> None:
    """Register the files of a user's message (a photo: each size; the largest has the bytes)."""
    media = found.get(kind)
    if kind == "photo":
        sizes = found["photo"]
        for index, size in enumerate(sizes):
            given = content if index == len(sizes) - 1 else None
            state.store_file(size, "photo", size=int(size.get("file_size", 0)), content=given)
    elif isinstance(media, dict) and "file_id" in media:
        state.store_file(
            media,
            kind,
            size=int(media.get("file_size", 0)),
            content=content,
            file_name=media.get("file_name"),
            mime_type=media.get("mime_type"),
        )


def _media_content(state: EmulatorState, kind: str, options: Mapping[str, Any]) -> JSON:
    if kind == "sticker":
        return {
            "sticker": {
                **state.new_file("sticker"),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
                "file_size": 24_000,
                **options,
            }
        }
    if kind == "photo":
        base = state.new_file("photo")
        sizes = []
        largest = int(options.get("file_size", 98_000))
        for index, (width, height, size) in enumerate(((90, 67, 1_200), (1280, 960, largest))):
            sizes.append(
                {
                    "file_id": f"{base['file_id']}-{index}",
                    "file_unique_id": f"{base['file_unique_id']}{index}",
                    "width": width,
                    "height": height,
                    "file_size": min(size, largest),
                }
            )
        return {"photo": sizes}
    files: dict[str, JSON] = {
        "voice": {"duration": 3, "mime_type": "audio/ogg", "file_size": 9_000},
        "audio": {"duration": 180, "mime_type": "audio/mpeg", "file_size": 3_000_000},
        "video": {
            "width": 1280,
            "height": 720,
            "duration": 10,
            "mime_type": "video/mp4",
            "file_size": 2_000_000,
        },
        "video_note": {"length": 240, "duration": 5, "file_size": 300_000},
        "animation": {
            "width": 320,
            "height": 240,
            "duration": 2,
            "mime_type": "video/mp4",
            "file_size": 150_000,
        },
        "document": {
            "file_name": "dokumen.pdf",
            "mime_type": "application/pdf",
            "file_size": 120_000,
        },
    }
    if kind in files:
        content: JSON = {kind: {**state.new_file(kind), **files[kind], **options}}
        if kind == "animation":  # Telegram sends an animation as a document too
            content["document"] = {
                **content[kind],
                "file_name": "animation.mp4",
            }
            for key in ("width", "height", "duration"):
                content["document"].pop(key, None)
        return content
    if kind == "location":
        return {"location": {"latitude": -6.2, "longitude": 106.816666, **options}}
    if kind == "contact":
        return {"contact": {"phone_number": "+6281234567890", "first_name": "Kontak", **options}}
    raise ValueError(f"unknown message kind {kind!r}")


MEDIA_KINDS = (
    "sticker", "photo", "voice", "audio", "video", "video_note", "animation", "document",
    "location", "contact",
)  # fmt: skip
CAPTIONED = frozenset({"photo", "voice", "audio", "video", "animation", "document"})


def message_text_content(text: str, entities: Iterable[JSON] | None = None) -> JSON:
    content: JSON = {"text": text}
    found = list(entities) if entities is not None else detect_entities(text)
    if found:
        content["entities"] = found
    return content
