"""`python -m telegram_emulator`: run the Telegram Bot API emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence

from asnkarier.settings import configure_logging
from telegram_emulator.core import DEFAULT_TOKEN, EmulatorConfig
from telegram_emulator.faults import Limits
from telegram_emulator.server import serve_forever


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m telegram_emulator",
        description="Telegram Bot API emulator (see docs/emulator.md)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the one bot token accepted")
    parser.add_argument("--bot-username", default="asn_karier_bot")
    parser.add_argument("--bot-name", default="Asisten Karier ASN")
    parser.add_argument(
        "--rate-limit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="enforce Telegram's sending limits (default: on)",
    )
    parser.add_argument(
        "--global-rate", type=int, default=30, help="messages per second, all chats"
    )
    parser.add_argument("--chat-rate", type=int, default=1, help="messages per second, per chat")
    parser.add_argument("--group-rate", type=int, default=20, help="messages per minute, per group")
    parser.add_argument(
        "--group-privacy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="privacy mode: in groups the bot only sees commands, mentions and replies to it",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help='a fault rule as in POST /_control/faults, e.g. \'{"method": "sendMessage", '
        '"status": 502, "probability": 0.1}\' (repeatable)',
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for probabilistic faults")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    faults = []
    for text in args.fault:
        try:
            faults.append(json.loads(text))
        except ValueError as exc:
            raise SystemExit(f"--fault must be JSON: {exc}") from None
    return EmulatorConfig(
        token=args.token,
        bot_username=args.bot_username,
        bot_name=args.bot_name,
        limits=Limits(
            enabled=args.rate_limit,
            global_per_second=args.global_rate,
            chat_per_second=args.chat_rate,
            group_per_minute=args.group_rate,
        ),
        faults=faults,
        group_privacy=args.group_privacy,
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(args.log_level)
    config = config_from_args(args)
    asyncio.run(serve_forever(config, args.host, args.port))


if __name__ == "__main__":
    main()
