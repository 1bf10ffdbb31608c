"""What people do in Telegram, injected by tests: messages, commands, edits, button presses.

Each injection stores the message in the emulator's chat history and queues the update Telegram
would send the bot (respecting group privacy mode); every object is checked against the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram_emulator.spec import BotApiSpec
from telegram_emulator.state import (
    CAPTIONED,
    JSON,
    MEDIA_KINDS,
    Chat,
    EmulatorState,
    StoredMessage,
    User,
    detect_entities,
    media_content,
    message_text_content,
)


@dataclass
class Injected:
    """The update produced (None when Telegram would not deliver it) and what it refers to."""

    update: JSON | None
    chat_id: int | None = None
    message_id: int | None = None
    callback_query_id: str | None = None

    def to_json(self) -> JSON:
        return {
            "update_id": self.update["update_id"] if self.update else None,
            "delivered": self.update is not None,
            "update": self.update,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "callback_query_id": self.callback_query_id,
        }


class Injector:
    """Creates updates on an `EmulatorState` the way Telegram would."""

    def __init__(self, state: EmulatorState, spec: BotApiSpec, *, group_privacy: bool) -> None:
        self.state = state
        self.spec = spec
        self.group_privacy = group_privacy

    def _user(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> User:
        return self.state.ensure_user(
            int(user_id), first_name, last_name, username, language_code or None
        )

    def register_user(
        self,
        *,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """A user who opened the bot earlier: the bot may message them; no update is queued."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        return self.state.private_chat(user).to_json()

    def message(
        self,
        *,
        user_id: int,
        text: str | None = None,
        kind: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        caption: str | None = None,
        media: Mapping[str, Any] | None = None,
        entities: list[JSON] | None = None,
        reply_to_message_id: int | None = None,
    ) -> Injected:
        """A message from a user in a private chat or a group (text or any media kind)."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        kind = kind or ("text" if text is not None else None)
        if kind is None:
            raise ValueError("give text, or kind with one of: " + ", ".join(MEDIA_KINDS))
        chat = self._chat_for(user, chat_id, chat_type, title)
        if kind == "text":
            if not text:
                raise ValueError("a text message needs a non-empty text")
            content = message_text_content(text, entities)
        else:
            if kind not in MEDIA_KINDS:
                raise ValueError(f"kind must be text or one of: {', '.join(MEDIA_KINDS)}")
            content = media_content(self.state, kind, media or {})
            if caption:
                if kind not in CAPTIONED:
                    raise ValueError(f"a {kind} has no caption")
                content["caption"] = caption
                found = detect_entities(caption)
                if found:
                    content["caption_entities"] = found
        reply_to = None
        if reply_to_message_id is not None:
            reply_to = self.state.find_message(chat.id, int(reply_to_message_id))
            if reply_to is None:
                raise ValueError(f"message {reply_to_message_id} not found in chat {chat.id}")
        stored = self.state.add_message(chat, user, content, reply_to=reply_to)
        self._check("Message", stored.payload)
        update = self._deliver(chat, "message", stored)
        return Injected(update, chat.id, stored.message_id)

    def command(
        self, *, user_id: int, command: str, args: str | None = None, **rest: Any
    ) -> Injected:
        """`/command args`, as typed or sent by a deep link (/start CODE)."""
        text = "/" + command.removeprefix("/")
        if args:
            text += f" {args}"
        return self.message(user_id=user_id, text=text, **rest)

    def edited_message(
        self,
        *,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        caption: str | None = None,
    ) -> Injected:
        """The user edits an earlier message of theirs."""
        stored = self.state.find_message(int(chat_id), int(message_id))
        if stored is None:
            raise ValueError(f"message {message_id} not found in chat {chat_id}")
        if stored.from_bot:
            raise ValueError("only a user's own messages can be edited this way")
        payload = stored.payload
        if text is not None:
            if "text" not in payload:
                raise ValueError("the message has no text; edit its caption")
            payload.update(message_text_content(text))
            if "entities" not in message_text_content(text):
                payload.pop("entities", None)
        elif caption is not None:
            payload["caption"] = caption
        else:
            raise ValueError("give the new text or caption")
        payload["edit_date"] = self.state.now()
        stored.edits.append({"date": payload["edit_date"], "text": text, "caption": caption})
        self._check("Message", payload)
        chat = self.state.chats[stored.chat_id]
        self.state.messages_changed.notify()
        return Injected(self._deliver(chat, "edited_message", stored), chat.id, stored.message_id)

    def callback(
        self,
        *,
        user_id: int,
        message_id: int,
        data: str | None = None,
        button: str | None = None,
        chat_id: int | None = None,
        forged: bool = False,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> Injected:
        """The user presses an inline button (by callback data or label) on a bot message.

        With `forged`, `data` need not be on the keyboard (a modified client sending anything).
        """
        user = self._user(user_id, first_name, last_name, username, language_code)
        target_chat = int(chat_id) if chat_id is not None else user.id
        stored = self.state.find_message(target_chat, int(message_id))
        if stored is None:
            raise ValueError(f"message {message_id} not found in chat {target_chat}")
        if not stored.from_bot:
            raise ValueError(f"message {message_id} was not sent by the bot")
        markup = stored.payload.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        offered = [b["callback_data"] for b in buttons if "callback_data" in b]
        if button is not None:
            labelled = [b for b in buttons if b.get("text") == button]
            if not labelled:
                labels = [b.get("text") for b in buttons]
                raise ValueError(f"no button labelled {button!r}; buttons: {labels}")
            if "callback_data" not in labelled[0]:
                raise ValueError(f"button {button!r} has no callback_data (a URL button?)")
            data = labelled[0]["callback_data"]
        if data is None:
            raise ValueError("give the button's data or its label (button)")
        if not forged and data not in offered:
            raise ValueError(
                f"no button with callback_data {data!r} on message {message_id}; offered: "
                f"{offered} (set forged=true to send it anyway)"
            )
        query = self.state.new_callback(user, stored, data, forged=forged)
        payload: JSON = {
            "id": query.id,
            "from": user.to_json(),
            "message": stored.payload,
            "chat_instance": str(abs(stored.chat_id) * 7919 % 10**12),
            "data": data,
        }
        self._check("CallbackQuery", payload)
        update = self.state.enqueue("callback_query", payload)
        return Injected(update, stored.chat_id, stored.message_id, query.id)

    def raw(self, *, update: Mapping[str, Any]) -> Injected:
        """Any other update, given as JSON without update_id (checked against the spec)."""
        kinds = [k for k in update if k != "update_id"]
        if len(kinds) != 1:
            raise ValueError("an update carries exactly one object besides update_id")
        kind = kinds[0]
        self.spec.check_object("Update", {"update_id": 1, kind: update[kind]})  # ValueError: 400
        return Injected(self.state.enqueue(kind, dict(update[kind])))

    def set_blocked(self, user_id: int, blocked: bool) -> Injected:
        """The user blocks (or unblocks) the bot; Telegram tells the bot with my_chat_member."""
        user = self.state.ensure_user(int(user_id))
        chat = self.state.private_chat(user)
        if chat.blocked == blocked:
            return Injected(None, chat.id)
        chat.blocked = blocked
        member: JSON = {"status": "member", "user": self.state.bot.to_json()}
        kicked: JSON = {"status": "kicked", "user": self.state.bot.to_json(), "until_date": 0}
        payload: JSON = {
            "chat": chat.to_json(),
            "from": user.to_json(),
            "date": self.state.now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        self._check("ChatMemberUpdated", payload)
        return Injected(self.state.enqueue("my_chat_member", payload), chat.id)

    # --- helpers ---------------------------------------------------------------------------------

    def _chat_for(
        self, user: User, chat_id: int | None, chat_type: str | None, title: str | None
    ) -> Chat:
        if chat_type is None:  # the private chat, or the type of the named group
            known = self.state.chats.get(int(chat_id)) if chat_id is not None else None
            private = chat_id is None or int(chat_id) == user.id
            chat_type = "private" if private else known.type if known else "group"
        if chat_type == "private":
            if chat_id is not None and int(chat_id) != user.id:
                raise ValueError("a private chat's id is the user's id")
            chat = self.state.private_chat(user)
            if chat.blocked:
                self.set_blocked(user.id, False)  # writing to a bot one blocked unblocks it
            return chat
        return self.state.ensure_group(
            int(chat_id) if chat_id is not None else None, chat_type, title
        )

    def _deliver(self, chat: Chat, kind: str, stored: StoredMessage) -> JSON | None:
        """Queue the update unless Telegram would keep it from the bot."""
        if chat.type != "private" and not self._bot_sees(chat, stored):
            return None
        return self.state.enqueue(kind, stored.payload)

    def _bot_sees(self, chat: Chat, stored: StoredMessage) -> bool:
        if not chat.member:
            return False
        if not self.group_privacy:
            return True
        payload = stored.payload
        text = payload.get("text") or payload.get("caption") or ""
        replied = payload.get("reply_to_message") or {}
        username = f"@{self.state.bot.username}".lower()
        return (
            text.startswith("/")
            or username in text.lower()
            or replied.get("from", {}).get("id") == self.state.bot.id
        )

    def _check(self, type_name: str, value: JSON) -> None:
        try:
            self.spec.check_object(type_name, value)
        except ValueError as exc:  # a bug in the emulator, not in the test
            raise RuntimeError(f"emulator built an invalid {type_name}: {exc}") from exc
