"""Files in the emulator: photos and documents a user sends (getFile, download), and what the
bot uploads with sendDocument/sendPhoto (multipart, checked against the Bot API description)."""

from __future__ import annotations

import io
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest

from telegram_emulator import AsyncEmulatorClient, EmulatorServer
from tests.bot.emulator_support import server_fixture

USER = 5_101
server = server_fixture(rate_limit=False)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width: int, height: int) -> bytes:
    """A real (tiny, grey) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _fresh(server: EmulatorServer) -> None:
    with server.client() as client:
        client.reset()


@pytest.fixture
async def control(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        await client.register_user(USER, "Sari")
        yield client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


async def test_a_document_a_user_sends_downloads_through_get_file(
    control: AsyncEmulatorClient, bot: Bot
) -> None:
    sent = await control.send_file(
        USER, "document", PDF, media={"file_name": "sertifikat.pdf"}, caption="Pelatihan"
    )
    assert sent.update is not None
    document = sent.update["message"]["document"]
    assert document["file_size"] == len(PDF)
    assert document["file_name"] == "sertifikat.pdf"
    file = await bot.get_file(document["file_id"])
    assert file.file_size == len(PDF)
    assert file.file_path is not None
    assert file.file_path.startswith("http")
    assert bytes(await file.download_as_bytearray()) == PDF


async def test_a_photo_keeps_its_bytes_in_the_largest_size(
    control: AsyncEmulatorClient, bot: Bot
) -> None:
    image = png(40, 30)
    sent = await control.send_file(USER, "photo", image)
    assert sent.update is not None
    sizes = sent.update["message"]["photo"]
    assert sizes[-1]["file_size"] == len(image)
    file = await bot.get_file(sizes[-1]["file_id"])
    assert bytes(await file.download_as_bytearray()) == image


async def test_get_file_refuses_unknown_and_too_big_files(
    control: AsyncEmulatorClient, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)wrong file_id"):
        await bot.get_file("no-such-file")
    sent = await control.send_document(USER, media={"file_size": 25 * 1024 * 1024})
    assert sent.update is not None
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(sent.update["message"]["document"]["file_id"])


async def test_downloads_need_the_right_token_and_path(
    server: EmulatorServer, control: AsyncEmulatorClient, bot: Bot
) -> None:
    sent = await control.send_file(USER, "document", PDF)
    assert sent.update is not None
    file = await bot.get_file(sent.update["message"]["document"]["file_id"])
    assert file.file_path is not None
    path = file.file_path.rsplit(f"/file/bot{server.token}/", 1)[1]
    async with httpx.AsyncClient() as http:
        good = await http.get(f"{server.url}/file/bot{server.token}/{path}")
        wrong_token = await http.get(f"{server.url}/file/bot123:wrong/{path}")
        wrong_path = await http.get(f"{server.url}/file/bot{server.token}/documents/nope.pdf")
    assert (good.status_code, good.content) == (200, PDF)
    assert wrong_token.status_code == 404
    assert wrong_path.status_code == 404


async def test_send_document_upload_is_recorded_with_its_bytes(
    control: AsyncEmulatorClient, bot: Bot
) -> None:
    message = await bot.send_document(
        USER,
        InputFile(io.BytesIO(PDF), filename="sertifikat-001.pdf"),
        caption="Sertifikat <b>Bapak</b>",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "sertifikat-001.pdf"
    assert message.document.mime_type == "application/pdf"
    assert message.caption == "Sertifikat Bapak"
    [uploaded] = await control.files(by="bot")
    assert uploaded["message_id"] == message.message_id
    assert await control.file_content(uploaded["file_id"]) == PDF
    # Sent again by file_id: no new file, same bytes.
    again = await bot.send_document(USER, message.document.file_id)
    assert again.document is not None
    assert again.document.file_id == message.document.file_id
    assert len(await control.files(by="bot")) == 1


async def test_send_photo_reads_the_image_and_refuses_what_is_not_one(
    control: AsyncEmulatorClient, bot: Bot
) -> None:
    message = await bot.send_photo(USER, InputFile(io.BytesIO(png(64, 48)), filename="qr.png"))
    assert [(p.width, p.height) for p in message.photo] == [(64, 48)]
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, InputFile(io.BytesIO(PDF), filename="bukan.png"))
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER, "emu-document-999999")


async def test_multipart_is_checked_against_the_description(server: EmulatorServer) -> None:
    """A file in a parameter that is not an InputFile is refused, as Telegram does."""
    async with httpx.AsyncClient() as http:
        await http.post(f"{server.control_url}/users", json={"user_id": USER})
        misplaced = await http.post(
            f"{server.api_url}/sendDocument",
            data={"chat_id": str(USER)},
            files={"caption": ("a.txt", b"hello", "text/plain")},
        )
        missing = await http.post(f"{server.api_url}/sendDocument", data={"chat_id": str(USER)})
        ok = await http.post(
            f"{server.api_url}/sendDocument",
            data={"chat_id": str(USER)},
            files={"document": ("laporan.pdf", PDF, "application/pdf")},
        )
    assert misplaced.status_code == 400
    assert "can't be a file" in misplaced.json()["description"]
    assert missing.status_code == 400
    assert 'parameter "document" is required' in missing.json()["description"]
    assert ok.status_code == 200
    assert ok.json()["result"]["document"]["file_size"] == len(PDF)
