"""Everything that is not text: stickers, voice, video, places, contacts, edits; photos and
documents are certificates for a training report (bot/handlers/training_report.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.context import Handler
from bot.handlers import training_report

REPLIES = (
    (
        filters.Sticker.ALL,
        "Terima kasih stikernya! 😊 Silakan tulis pertanyaan Bapak/Ibu dalam bentuk teks.",
    ),
    (
        filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE,
        "Maaf, saya belum bisa mendengarkan pesan suara. Mohon tulis pertanyaannya dalam teks.",
    ),
    (
        # Before documents: Telegram sends an animation (GIF) as a document too.
        filters.VIDEO | filters.ANIMATION,
        "Maaf, saya belum bisa memutar video. Mohon tulis pertanyaannya dalam teks. Untuk "
        "melaporkan pelatihan, kirim foto atau PDF sertifikatnya.",
    ),
    (
        filters.LOCATION | filters.VENUE | filters.CONTACT,
        "Terima kasih, tetapi saya tidak memerlukan lokasi atau kontak. Silakan tulis pertanyaan "
        "Bapak/Ibu.",
    ),
)
OTHER = (
    "Maaf, jenis pesan ini belum bisa saya proses. Silakan tulis pertanyaan dalam teks atau "
    "ketik /menu."
)
EDITED = (
    "Pesan yang diedit tidak saya proses ulang. Silakan kirim pertanyaannya sebagai pesan baru."
)


def _reply(text: str) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(text)

    return handle


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(filters.UpdateType.EDITED & private, _reply(EDITED)))
    for kind, text in REPLIES:
        application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & private & kind, _reply(text))
        )
    # A photo or a file is a certificate: the training report form checks and keeps it.
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & private & (filters.PHOTO | filters.Document.ALL),
            training_report.received,
        )
    )
    # Anything else still gets an answer (polls, dice, games, ...), but not service messages.
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & private & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            _reply(OTHER),
        )
    )
