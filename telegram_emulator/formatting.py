"""Telegram's text formatting (HTML, Markdown, MarkdownV2): plain text plus entities, or an error.

Mirrors the Bot API server (tdlib's `parse_html` and Markdown parsers) closely enough that text
Telegram rejects is rejected here with the same words, and accepted text yields the same plain
text and UTF-16 based entities PTB receives from Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "tg-time", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# What tdlib treats as a space while scanning tags; the end of the text counts as one ("\0").
_SPACES = frozenset(" \t\r\n\0\v")
_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


class FormatError(ValueError):
    """Text that Telegram refuses to parse; the message is Telegram's own wording."""


@dataclass(frozen=True)
class Formatted:
    """Text as Telegram stores it: plain text and entities in UTF-16 code units."""

    text: str
    entities: list[Entity] = field(default_factory=list)

    @property
    def length(self) -> int:
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def format_text(
    text: str, parse_mode: str | None, entities: list[Entity] | None = None
) -> Formatted:
    """Parse `text` as Telegram does; `parse_mode` wins over explicit `entities`.

    `parse_mode` must already be one of html, markdown, markdownv2 (any case) or None.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        result = parse_html(text)
    elif mode == "markdownv2":
        result = parse_markdown_v2(text)
    elif mode == "markdown":
        result = parse_markdown(text)
    else:
        result = Formatted(text, _checked_entities(text, entities or []))
    return _trim(result)


def _checked_entities(text: str, entities: list[Entity]) -> list[Entity]:
    size = utf16_len(text)
    checked = []
    for entity in entities:
        offset, length = int(entity["offset"]), int(entity["length"])
        if offset < 0 or offset > 1_000_000:
            raise FormatError(f"Receive an entity with incorrect offset {offset}")
        if length < 0 or length > 1_000_000:
            raise FormatError(f"Receive an entity with incorrect length {length}")
        if offset + length > size:
            raise FormatError(
                f"Entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        if length:
            checked.append(dict(entity))
    return _sorted(checked)


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _trim(result: Formatted) -> Formatted:
    """Strip leading/trailing spaces and newlines as Telegram does, keeping entities aligned."""
    text = result.text
    stripped = text.strip(" \n")
    if stripped == text:
        return result
    lead = utf16_len(text[: len(text) - len(text.lstrip(" \n"))])
    size = utf16_len(stripped)
    entities = []
    for entity in result.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return Formatted(stripped, _sorted(entities))


# --- HTML ----------------------------------------------------------------------------------------


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset of the entity start in the output
    start: int  # index into the output pieces where the entity text starts


def _decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    """Decode `&...;` at `pos`; None when Telegram would keep the ampersand literally."""
    end = pos + 1
    if src[end : end + 1] == "#":
        end += 1
        if src[end : end + 1] == "x":
            end += 1
            start = end
            while end < len(src) and src[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(src[start:end], 16) if end > start else 0
        else:
            start = end
            while end < len(src) and src[end].isdigit() and src[end].isascii():
                end += 1
            code = int(src[start:end]) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(src[pos + 1 : end])
        if named is None:
            return None
        char = named
    if src[end : end + 1] == ";":
        end += 1
    return char, end


def parse_html(src: str) -> Formatted:
    """Telegram's HTML: the tags it allows, the four named entities and numeric references."""
    out: list[str] = []
    utf16 = 0
    stack: list[_Open] = []
    entities: list[Entity] = []
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def fail(message: str) -> FormatError:
        return FormatError(message)

    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            decoded = _decode_entity(src, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            utf16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1 : i].lower()
            if tag not in HTML_TAGS:
                raise fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            attrs: dict[str, str] = {}
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                name_start = i
                while at(i) not in _SPACES and at(i) != "=" and at(i) != ">":
                    i += 1
                name = src[name_start:i]
                if not name:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(src, begin)}"
                    )
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    # The one valueless attribute Telegram knows: <blockquote expandable>.
                    if tag == "blockquote" and name.lower() == "expandable":
                        attrs["expandable"] = ""
                        continue
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise fail(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                if at(i) not in "'\"":
                    token_start = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = src[token_start:i].lower()
                    if at(i) not in _SPACES and at(i) != ">":
                        raise fail(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(src, token_start)}"
                        )
                else:
                    quote = src[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and src[i] != quote:
                        if src[i] == "&":
                            decoded = _decode_entity(src, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(src[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                attrs[name.lower()] = value
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append(_Open(tag, attrs, utf16, len(out)))
            i += 1  # past ">"
            continue

        # An end tag.
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        i += 1
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_tag = src[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        i += 1
        top = stack.pop()
        if end_tag and end_tag != top.tag:
            raise fail(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{top.tag}>", found "</{end_tag}>"'
            )
        if utf16 > top.offset:
            entity = _html_entity(top, utf16 - top.offset, "".join(out[top.start :]), entities)
            if entity is not None:
                entities.append(entity)
    if stack:
        raise FormatError(f"Can't find end tag corresponding to start tag {stack[-1].tag}")
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return Formatted("".join(out), _sorted(entities))


def _html_entity(top: _Open, length: int, inner: str, entities: list[Entity]) -> Entity | None:
    base: Entity = {"offset": top.offset, "length": length}
    if top.tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[top.tag], **base}
    if top.tag == "a":
        url = top.attrs.get("href") or inner
        return _link_entity(base, url)
    if top.tag == "code":
        language = top.attrs.get("class", "")
        previous = entities[-1] if entities else None
        if (
            previous is not None
            and previous["type"] == "pre"
            and (previous["offset"], previous["length"]) == (top.offset, length)
            and language.startswith("language-")
        ):
            previous["language"] = language.removeprefix("language-")
            return None
        code: Entity = {"type": "code", **base}
        if language.startswith("language-"):
            code["language"] = language.removeprefix("language-")  # dropped unless inside <pre>
        return code
    if top.tag == "pre":
        pre: Entity = {"type": "pre", **base}
        previous = entities[-1] if entities else None
        if (
            previous is not None
            and previous["type"] == "code"
            and (previous["offset"], previous["length"]) == (top.offset, length)
        ):
            entities.pop()
            if previous.get("language"):
                pre["language"] = previous["language"]
        return pre
    if top.tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in top.attrs else "blockquote"
        return {"type": kind, **base}
    if top.tag == "tg-emoji":
        emoji_id = top.attrs.get("emoji-id", "")
        if not emoji_id.isdigit() or int(emoji_id) == 0:
            raise FormatError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id, **base}
    if top.tag == "tg-time":
        unix = top.attrs.get("unix", "")
        if not unix.lstrip("-").isdigit():
            raise FormatError("Invalid Unix time specified")
        entity: Entity = {"type": "date_time", "unix_time": int(unix), **base}
        if top.attrs.get("format"):
            entity["date_time_format"] = top.attrs["format"]
        return entity
    raise AssertionError(f"unhandled tag {top.tag}")  # pragma: no cover - HTML_TAGS is closed


_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)


def _link_entity(base: Entity, url: str) -> Entity | None:
    """A text link, a mention by id, or nothing (Telegram silently drops unusable URLs)."""
    url = url.strip()
    user = _USER_LINK.match(url)
    if user:
        return {
            "type": "text_mention",
            **base,
            "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
        }
    if re.match(r"^(https?|tg|ton)://\S+$", url, re.IGNORECASE):
        return {"type": "text_link", **base, "url": url}
    if re.match(r"^[\w-]+(\.[\w-]+)+(/\S*)?$", url):
        return {"type": "text_link", **base, "url": f"http://{url}"}
    return None


# --- Markdown (legacy) ---------------------------------------------------------------------------


def parse_markdown(src: str) -> Formatted:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    entities: list[Entity] = []
    utf16 = 0
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        begin = i
        if c == "`" and src.startswith("```", i):
            end = src.find("```", i + 3)
            if end < 0:
                raise _unclosed_v1(src, begin)
            body = src[i + 3 : end]
            language = ""
            first_line, sep, rest = body.partition("\n")
            if sep and first_line and " " not in first_line:
                language, body = first_line, rest
            entity: Entity = {"type": "pre", "offset": utf16, "length": utf16_len(body)}
            if language:
                entity["language"] = language
            out.append(body)
            utf16 += utf16_len(body)
            entities.append(entity)
            i = end + 3
            continue
        if c == "[":
            close = src.find("]", i + 1)
            if close < 0 or src[close + 1 : close + 2] != "(":
                raise _unclosed_v1(src, begin)
            url_end = src.find(")", close + 2)
            if url_end < 0:
                raise _unclosed_v1(src, begin)
            text = src[i + 1 : close]
            link = _link_entity(
                {"offset": utf16, "length": utf16_len(text)}, src[close + 2 : url_end]
            )
            if link is not None and text:
                entities.append(link)
            out.append(text)
            utf16 += utf16_len(text)
            i = url_end + 1
            continue
        end = src.find(c, i + 1)
        if end < 0:
            raise _unclosed_v1(src, begin)
        text = src[i + 1 : end]
        kind = {"*": "bold", "_": "italic", "`": "code"}[c]
        if text:
            entities.append({"type": kind, "offset": utf16, "length": utf16_len(text)})
        out.append(text)
        utf16 += utf16_len(text)
        i = end + 1
    return Formatted("".join(out), _sorted(entities))


def _unclosed_v1(src: str, index: int) -> FormatError:
    return FormatError(
        f"Can't find end of the entity starting at byte offset {_byte_offset(src, index)}"
    )


# --- MarkdownV2 ----------------------------------------------------------------------------------

_V2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


@dataclass
class _V2Open:
    kind: str
    marker: str
    offset: int
    byte: int


def parse_markdown_v2(src: str) -> Formatted:
    """MarkdownV2: nested entities, and every reserved character escaped outside of them."""
    out: list[str] = []
    entities: list[Entity] = []
    stack: list[_V2Open] = []
    utf16 = 0
    i, n = 0, len(src)
    line_start = True
    quote_start: int | None = None

    def close_quote() -> None:
        nonlocal quote_start
        if quote_start is not None and utf16 > quote_start:
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start}
            )
        quote_start = None

    while i < n:
        c = src[i]
        if line_start:
            line_start = False
            if c == ">":
                if quote_start is None:
                    quote_start = utf16
                i += 1
                continue
            close_quote()
        if c == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                out.append(src[i + 1])
                utf16 += 1
                i += 2
                continue
            raise _reserved(c)
        if c == "\n":
            out.append(c)
            utf16 += 1
            i += 1
            line_start = True
            continue
        if c == "`":
            pre = src.startswith("```", i)
            width = 3 if pre else 1
            j = i + width
            body: list[str] = []
            while j < n and not src.startswith("`" * width, j):
                if src[j] == "\\" and j + 1 < n and src[j + 1] in "`\\":
                    body.append(src[j + 1])
                    j += 2
                    continue
                body.append(src[j])
                j += 1
            if j >= n:
                kind = "Pre" if pre else "Code"
                raise FormatError(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(src, i)}"
                )
            text = "".join(body)
            entity: Entity = {"type": "pre" if pre else "code", "offset": utf16}
            if pre:
                first_line, sep, rest = text.partition("\n")
                if sep and first_line and " " not in first_line:
                    entity["language"] = first_line
                    text = rest
            entity["length"] = utf16_len(text)
            if text:
                entities.append(entity)
            out.append(text)
            utf16 += utf16_len(text)
            i = j + width
            continue
        if c == "[" or (c == "!" and src[i + 1 : i + 2] == "["):
            stack.append(
                _V2Open("text_link", "!" if c == "!" else "[", utf16, _byte_offset(src, i))
            )
            i += 2 if c == "!" else 1
            continue
        if c == "]" and stack and stack[-1].kind == "text_link":
            opened = stack.pop()
            if src[i + 1 : i + 2] != "(":
                raise _reserved("]")
            j = i + 2
            url: list[str] = []
            while j < n and src[j] != ")":
                if src[j] == "\\" and j + 1 < n:
                    url.append(src[j + 1])
                    j += 2
                    continue
                url.append(src[j])
                j += 1
            if j >= n:
                raise FormatError(
                    f"Can't find end of a url at byte offset {_byte_offset(src, i + 1)}"
                )
            base = {"offset": opened.offset, "length": utf16 - opened.offset}
            target = "".join(url)
            if opened.marker == "!":
                emoji = re.match(r"^tg://emoji\?id=(\d+)$", target)
                if not emoji:
                    raise FormatError("Custom emoji URL must have an emoji identifier")
                entities.append({"type": "custom_emoji", **base, "custom_emoji_id": emoji.group(1)})
            elif base["length"]:
                link = _link_entity(base, target)
                if link is not None:
                    entities.append(link)
            i = j + 1
            continue
        marker = "__" if src.startswith("__", i) else "||" if src.startswith("||", i) else c
        if marker in _V2_MARKERS:
            if stack and stack[-1].marker == marker:
                opened = stack.pop()
                if utf16 > opened.offset:
                    entities.append(
                        {
                            "type": opened.kind,
                            "offset": opened.offset,
                            "length": utf16 - opened.offset,
                        }
                    )
            else:
                stack.append(_V2Open(_V2_MARKERS[marker], marker, utf16, _byte_offset(src, i)))
            i += len(marker)
            continue
        if c in _MARKDOWN_V2_RESERVED:
            raise _reserved(c)
        out.append(c)
        utf16 += utf16_len(c)
        i += 1
    if stack:
        opened = stack[-1]
        raise FormatError(
            f"Can't find end of {_V2_NAMES[opened.kind]} entity at byte offset {opened.byte}"
        )
    close_quote()
    return Formatted("".join(out), _sorted(entities))


def _reserved(char: str) -> FormatError:
    return FormatError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )
