"""The control API client for tests, benchmarks and the chat tool.

`AsyncEmulatorClient` is the one implementation: each call builds a `_Call` (path and JSON) and
unwraps `{"ok", "result"}`. `EmulatorClient` is its blocking face for sync code: the same
methods, run on a private event loop in a thread of its own (so it works even from code that is
itself inside a running event loop).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

JSON = dict[str, Any]


class ControlApiError(RuntimeError):
    """The control API refused a request (a mistake in the test, not a Bot API error)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


@dataclass(frozen=True)
class InjectedUpdate:
    """What an injection produced; `update` is None when Telegram would not deliver it."""

    update_id: int | None
    delivered: bool
    update: JSON | None
    chat_id: int | None
    message_id: int | None
    callback_query_id: str | None

    @classmethod
    def from_json(cls, data: JSON) -> InjectedUpdate:
        return cls(
            update_id=data["update_id"],
            delivered=data["delivered"],
            update=data["update"],
            chat_id=data["chat_id"],
            message_id=data["message_id"],
            callback_query_id=data["callback_query_id"],
        )


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    body: JSON | None = None
    params: dict[str, Any] | None = None
    wait: float = 0.0  # the server may hold the request this long


def _compact(data: JSON) -> JSON:
    return {k: v for k, v in data.items() if v is not None}


def _user(user: JSON) -> JSON:
    allowed = {"first_name", "last_name", "username", "language_code"}
    unknown = set(user) - allowed
    if unknown:
        raise TypeError(f"unexpected user fields: {', '.join(sorted(unknown))}")
    return _compact(user)


def _unwrap(response: httpx.Response) -> Any:
    try:
        data = response.json()
    except ValueError:
        raise ControlApiError(response.status_code, response.text[:200]) from None
    if not data.get("ok"):
        raise ControlApiError(response.status_code, str(data.get("error")))
    return data["result"]


def _waited(result: JSON, what: str, count: int, timeout: float, key: str) -> list[JSON]:
    if not result["satisfied"]:
        seen = [m.get("text") or m.get("method") for m in result[key]]
        raise TimeoutError(
            f"waited {timeout:.1f} s for {count} {what}, got {result['count']}: {seen}"
        )
    return list(result[key])


class AsyncEmulatorClient:
    """The control client: every call of the control API (async tests and benchmarks)."""

    def __init__(self, control_url: str, *, timeout: float = 30.0) -> None:
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.control_url, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncEmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _do(self, call: _Call) -> Any:
        response = await self._http.request(
            call.method,
            call.path,
            json=call.body,
            params=call.params,
            timeout=self.timeout + call.wait,
        )
        return _unwrap(response)

    async def register_user(
        self, /, user_id: int, first_name: str | None = None, **user: Any
    ) -> JSON:
        """A user who started the bot earlier (the bot may message them); no update."""
        body = {"user_id": user_id, **_user({"first_name": first_name, **user})}
        result: JSON = await self._do(_Call("POST", "/users", body))
        return result

    async def send_text(
        self,
        /,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
        **user: Any,
    ) -> InjectedUpdate:
        body = {
            "text": text,
            "chat_id": chat_id,
            "chat_type": chat_type,
            "title": title,
            "reply_to_message_id": reply_to_message_id,
            "entities": entities,
            **_user(user),
        }
        call = _Call("POST", "/updates/message", {"user_id": user_id, **_compact(body)})
        return InjectedUpdate.from_json(await self._do(call))

    async def send_command(
        self, /, user_id: int, command: str, args: str | None = None, **kwargs: Any
    ) -> InjectedUpdate:
        """`/command args` (e.g. send_command(uid, "start", "CODE") for a deep link)."""
        text = "/" + command.removeprefix("/") + (f" {args}" if args else "")
        return await self.send_text(user_id, text, **kwargs)

    async def send_media(
        self,
        /,
        user_id: int,
        kind: str,
        *,
        caption: str | None = None,
        media: JSON | None = None,
        chat_id: int | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        **user: Any,
    ) -> InjectedUpdate:
        """Any kind: sticker, photo, voice, audio, video, video_note, animation, document,
        location, contact; `media` overrides fields of the generated object."""
        body = {
            "caption": caption,
            "media": media,
            "chat_id": chat_id,
            "chat_type": chat_type,
            "title": title,
            **_user(user),
        }
        call = _Call("POST", f"/updates/{kind}", {"user_id": user_id, **_compact(body)})
        return InjectedUpdate.from_json(await self._do(call))

    async def send_sticker(self, /, user_id: int, **kwargs: Any) -> InjectedUpdate:
        return await self.send_media(user_id, "sticker", **kwargs)

    async def send_photo(self, /, user_id: int, **kwargs: Any) -> InjectedUpdate:
        return await self.send_media(user_id, "photo", **kwargs)

    async def send_voice(self, /, user_id: int, **kwargs: Any) -> InjectedUpdate:
        return await self.send_media(user_id, "voice", **kwargs)

    async def send_document(self, /, user_id: int, **kwargs: Any) -> InjectedUpdate:
        return await self.send_media(user_id, "document", **kwargs)

    async def send_location(
        self, /, user_id: int, latitude: float, longitude: float, **kwargs: Any
    ) -> InjectedUpdate:
        media = {"latitude": latitude, "longitude": longitude}
        return await self.send_media(user_id, "location", media=media, **kwargs)

    async def send_contact(
        self, /, user_id: int, phone_number: str, first_name: str, **kwargs: Any
    ) -> InjectedUpdate:
        media = {"phone_number": phone_number, "first_name": first_name}
        return await self.send_media(user_id, "contact", media=media, **kwargs)

    async def edit_text(self, /, chat_id: int, message_id: int, text: str) -> InjectedUpdate:
        """The user edits an earlier text message of theirs (edited_message update)."""
        body = {"chat_id": chat_id, "message_id": message_id, "text": text}
        call = _Call("POST", "/updates/edited_message", body)
        return InjectedUpdate.from_json(await self._do(call))

    async def press(
        self,
        /,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        button: str | None = None,
        chat_id: int | None = None,
        forged: bool = False,
    ) -> InjectedUpdate:
        """Press an inline button by its callback data or its label (`button`)."""
        body = _compact(
            {
                "user_id": user_id,
                "message_id": message_id,
                "data": data,
                "button": button,
                "chat_id": chat_id,
                "forged": forged or None,
            }
        )
        return InjectedUpdate.from_json(await self._do(_Call("POST", "/updates/callback", body)))

    async def reply_to(
        self,
        /,
        user_id: int,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        chat_type: str | None = None,
        **user: Any,
    ) -> InjectedUpdate:
        """A user's text reply to a specific message (e.g. an officer in the HR group)."""
        chat_type = chat_type or ("private" if chat_id == user_id else "group")
        return await self.send_text(
            user_id,
            text,
            chat_id=chat_id,
            chat_type=chat_type,
            reply_to_message_id=message_id,
            **user,
        )

    async def inject_update(self, /, update: JSON) -> InjectedUpdate:
        """Any other update (no update_id), checked against the spec."""
        call = _Call("POST", "/updates/raw", {"update": update})
        return InjectedUpdate.from_json(await self._do(call))

    async def create_group(
        self, /, chat_id: int | None = None, title: str | None = None, *, chat_type: str = "group"
    ) -> JSON:
        """A group (or supergroup) with the bot in it."""
        body = _compact({"chat_id": chat_id, "title": title, "type": chat_type})
        result: JSON = await self._do(_Call("POST", "/chats", body))
        return result

    async def block(self, /, user_id: int) -> InjectedUpdate:
        """The user blocks the bot: sends to them get 403 until `unblock`."""
        return InjectedUpdate.from_json(await self._do(_Call("POST", f"/users/{user_id}/block")))

    async def unblock(self, /, user_id: int) -> InjectedUpdate:
        call = _Call("POST", f"/users/{user_id}/unblock")
        return InjectedUpdate.from_json(await self._do(call))

    async def messages(self, /, chat_id: int, *, sender: str = "bot") -> list[JSON]:
        """Messages in a chat (`sender`: bot, users or all), with markup, edits, deletions."""
        call = _Call("GET", f"/chats/{chat_id}/messages", params={"from": sender})
        result: list[JSON] = await self._do(call)
        return result

    async def chat(self, /, chat_id: int) -> JSON:
        result: JSON = await self._do(_Call("GET", f"/chats/{chat_id}"))
        return result

    async def wait_for(
        self,
        /,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the emulator waits; this only awaits it
        *,
        after: int = 0,
    ) -> list[JSON]:
        """Bot messages in the chat with id > `after`, once there are `count` of them."""
        params = {"count": count, "timeout": timeout, "after": after}
        call = _Call("GET", f"/chats/{chat_id}/wait", params=params, wait=timeout)
        result = await self._do(call)
        return _waited(result, "bot messages", count, timeout, "messages")

    async def requests(self, /, method: str | None = None, *, since: int = 0) -> list[JSON]:
        """Log of Bot API requests (method, params, status, error, result), oldest first."""
        params = _compact({"method": method, "since": since})
        result: list[JSON] = await self._do(_Call("GET", "/requests", params=params))
        return result

    async def wait_for_requests(
        self,
        /,
        method: str | None = None,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the emulator waits; this only awaits it
        *,
        since: int = 0,
    ) -> list[JSON]:
        params = _compact({"method": method, "count": count, "timeout": timeout, "since": since})
        call = _Call("GET", "/requests/wait", params=params, wait=timeout)
        result = await self._do(call)
        return _waited(result, f"{method or 'any'} requests", count, timeout, "requests")

    async def updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by the bot."""
        result: list[JSON] = await self._do(_Call("GET", "/updates"))
        return result

    async def commands(self) -> list[JSON]:
        result: list[JSON] = await self._do(_Call("GET", "/commands"))
        return result

    async def callbacks(self, /, answered: bool | None = None) -> list[JSON]:
        params = None if answered is None else {"answered": str(answered).lower()}
        result: list[JSON] = await self._do(_Call("GET", "/callbacks", params=params))
        return result

    async def webhook(self) -> JSON | None:
        result: JSON | None = await self._do(_Call("GET", "/webhook"))
        return result

    async def health(self) -> JSON:
        result: JSON = await self._do(_Call("GET", "/health"))
        return result

    async def set_fault(
        self,
        /,
        method: str | list[str] | None = None,
        *,
        chat_id: int | str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        description: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        body: str | None = None,
    ) -> JSON:
        """Script a fault for matching calls: an error `status` (500, 502, 403, ...), a flood
        wait (`retry_after`, 429) and/or a `delay`, for the next `times` calls or with a
        `probability`."""
        rule = {
            "methods": [method] if isinstance(method, str) else method,
            "chat_id": chat_id,
            "status": status,
            "retry_after": retry_after,
            "delay": delay,
            "description": description,
            "times": times,
            "probability": probability,
            "body": body,
        }
        result: list[JSON] = await self._do(_Call("POST", "/faults", _compact(rule)))
        return result[0]

    async def faults(self) -> list[JSON]:
        result: list[JSON] = await self._do(_Call("GET", "/faults"))
        return result

    async def clear_faults(self) -> None:
        await self._do(_Call("DELETE", "/faults"))

    async def set_limits(
        self,
        /,
        *,
        enabled: bool | None = None,
        global_per_second: int | None = None,
        chat_per_second: int | None = None,
        group_per_minute: int | None = None,
    ) -> JSON:
        body = _compact(
            {
                "enabled": enabled,
                "global_per_second": global_per_second,
                "chat_per_second": chat_per_second,
                "group_per_minute": group_per_minute,
            }
        )
        result: JSON = await self._do(_Call("POST", "/limits", body))
        return result

    async def advance_clock(self, /, seconds: float) -> JSON:
        """Move the emulator's clock (dates, callback query expiry, rate windows) forward."""
        result: JSON = await self._do(_Call("POST", "/clock", {"advance": seconds}))
        return result

    async def freeze_clock(self, /, frozen: bool = True) -> JSON:
        """Stop the emulator's clock (rate windows then only move with `advance_clock`)."""
        result: JSON = await self._do(_Call("POST", "/clock", {"freeze": frozen}))
        return result

    async def reset(self) -> None:
        """Forget users, chats, messages, updates, requests and faults; limits as configured."""
        await self._do(_Call("POST", "/reset"))


P = ParamSpec("P")
R = TypeVar("R")


def _blocking(
    method: Callable[Concatenate[AsyncEmulatorClient, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[EmulatorClient, P], R]:
    """The async client's `method` as a blocking method of `EmulatorClient`."""

    def call(self: EmulatorClient, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._run(method(self._client, *args, **kwargs))

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


class EmulatorClient:
    """Blocking face of `AsyncEmulatorClient` (sync tests, benchmarks, `asnbot chat`)."""

    def __init__(self, control_url: str, *, timeout: float = 30.0) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="emulator-client", daemon=True
        )
        self._thread.start()

        async def make() -> AsyncEmulatorClient:  # its HTTP pool belongs to the private loop
            return AsyncEmulatorClient(control_url, timeout=timeout)

        self._client = self._run(make())

    @property
    def control_url(self) -> str:
        return self._client.control_url

    @property
    def timeout(self) -> float:
        return self._client.timeout

    def _run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    register_user = _blocking(AsyncEmulatorClient.register_user)
    send_text = _blocking(AsyncEmulatorClient.send_text)
    send_command = _blocking(AsyncEmulatorClient.send_command)
    send_media = _blocking(AsyncEmulatorClient.send_media)
    send_sticker = _blocking(AsyncEmulatorClient.send_sticker)
    send_photo = _blocking(AsyncEmulatorClient.send_photo)
    send_voice = _blocking(AsyncEmulatorClient.send_voice)
    send_document = _blocking(AsyncEmulatorClient.send_document)
    send_location = _blocking(AsyncEmulatorClient.send_location)
    send_contact = _blocking(AsyncEmulatorClient.send_contact)
    edit_text = _blocking(AsyncEmulatorClient.edit_text)
    press = _blocking(AsyncEmulatorClient.press)
    reply_to = _blocking(AsyncEmulatorClient.reply_to)
    inject_update = _blocking(AsyncEmulatorClient.inject_update)
    create_group = _blocking(AsyncEmulatorClient.create_group)
    block = _blocking(AsyncEmulatorClient.block)
    unblock = _blocking(AsyncEmulatorClient.unblock)
    messages = _blocking(AsyncEmulatorClient.messages)
    chat = _blocking(AsyncEmulatorClient.chat)
    wait_for = _blocking(AsyncEmulatorClient.wait_for)
    requests = _blocking(AsyncEmulatorClient.requests)
    wait_for_requests = _blocking(AsyncEmulatorClient.wait_for_requests)
    updates = _blocking(AsyncEmulatorClient.updates)
    commands = _blocking(AsyncEmulatorClient.commands)
    callbacks = _blocking(AsyncEmulatorClient.callbacks)
    webhook = _blocking(AsyncEmulatorClient.webhook)
    health = _blocking(AsyncEmulatorClient.health)
    set_fault = _blocking(AsyncEmulatorClient.set_fault)
    faults = _blocking(AsyncEmulatorClient.faults)
    clear_faults = _blocking(AsyncEmulatorClient.clear_faults)
    set_limits = _blocking(AsyncEmulatorClient.set_limits)
    advance_clock = _blocking(AsyncEmulatorClient.advance_clock)
    freeze_clock = _blocking(AsyncEmulatorClient.freeze_clock)
    reset = _blocking(AsyncEmulatorClient.reset)
