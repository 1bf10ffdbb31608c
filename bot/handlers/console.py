"""`/konsol`: a linked HR officer (or unit operator) gets a one-time sign-in link to the web
console, valid WEB_LOGIN_LINK_MINUTES and usable once (asnkarier.services.console_auth)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from asnkarier.models import utcnow
from asnkarier.services import console_auth
from asnkarier.services.employees import by_telegram_user
from bot.context import in_db, settings
from bot.handlers.hr import require_hr


def _operator_id(session: Session, user_id: int) -> int | None:
    employee = by_telegram_user(session, user_id)
    if employee is None:
        return None
    who = console_auth.officer(session, employee.id)
    return who.employee_id if who is not None else None


async def konsol(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    # Unit operators are console officers without the bot's HR commands; everyone else goes
    # through the HR guard (which refuses politely and tidies a stale HR menu).
    employee_id = await in_db(context, lambda s: _operator_id(s, user.id))
    if employee_id is None:
        officer = await require_hr(update, context)
        if officer is None:
            return
        employee_id = officer.id
    config = settings(context)

    def issue(session: Session) -> str:
        return console_auth.issue_link(
            session,
            employee_id,
            utcnow(),
            valid_minutes=config.web_login_link_minutes,
            per_hour=config.web_login_links_per_hour,
            via="bot",
        )

    try:
        token = await in_db(context, issue)
    except console_auth.ConsoleAuthError as exc:
        await message.reply_text(str(exc))
        return
    url = console_auth.link_url(config.web_base_url, token)
    await message.reply_text(
        f"Tautan masuk Konsol BKPSDM (berlaku {config.web_login_link_minutes} menit, sekali "
        f"pakai):\n{url}\n\nJangan teruskan tautan ini kepada siapa pun.",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("konsol", konsol, filters=filters.ChatType.PRIVATE))
