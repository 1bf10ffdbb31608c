#!/usr/bin/env bash
# Start the whole assistant: migrate, seed content on first run, train the NLU model when its
# data changed, then run the Procfile's processes under honcho. Ctrl-C, SIGINT or SIGTERM
# stop them all; it works with or without a terminal, and piped (`make run | tee log`). The bot
# prints one "[ready]" line once Rasa has its model and the action server is healthy. Without TELEGRAM_BOT_TOKEN the bot talks to
# the local Bot API emulator: `.venv/bin/asnbot demo`, then `.venv/bin/asnbot chat --as pegawai`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/asnbot db upgrade
.venv/bin/asnbot seed --if-empty
scripts/train.sh

# Rasa calls the action server on ACTION_SERVER_PORT with the shared ACTION_SERVER_TOKEN
# (environment or .env; a random one for this run when unset): hand it an endpoints file that
# says so, readable only by us, and the action server the same token.
mkdir -p var
ACTION_SERVER_TOKEN="$(.venv/bin/python - <<'PY'
import json, os, secrets
from pathlib import Path
from asnkarier.settings import get_settings
settings = get_settings()
token = settings.action_server_token.get_secret_value() if settings.action_server_token else ""
token = token or secrets.token_urlsafe(32)
path = Path("var/endpoints.yml")
path.unlink(missing_ok=True)
with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
    url = f"http://127.0.0.1:{settings.action_server_port}/webhook"
    out.write(f"action_endpoint:\n  url: {url}\n  token: {json.dumps(token)}\n")
print(token)
PY
)"
export ACTION_SERVER_TOKEN
export RASA_ENDPOINTS="$PWD/var/endpoints.yml"

token="${TELEGRAM_BOT_TOKEN:-}"
if [[ -z "$token" && -f .env ]]; then
  token="$(sed -n 's/^TELEGRAM_BOT_TOKEN=//p' .env | tail -1)"
fi
# The web console signs its session cookies with WEB_SECRET_KEY: one for this run when unset
# (officers sign in again after a restart). It prints the console's address.
if [[ -z "${WEB_SECRET_KEY:-}" ]] && ! grep -qs '^WEB_SECRET_KEY=.' .env; then
  WEB_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
  export WEB_SECRET_KEY
fi
# Workshop check-in tokens are signed with CHECKIN_SECRET, shared by the console and the action
# server: one for this run when unset (a QR code on screen stops working after a restart).
if [[ -z "${CHECKIN_SECRET:-}" ]] && ! grep -qs '^CHECKIN_SECRET=.' .env; then
  CHECKIN_SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
  export CHECKIN_SECRET
fi
web_url="$(.venv/bin/python -c 'from asnkarier.settings import get_settings; print(get_settings().web_base_url)')"
processes=(rasa actions bot scheduler dispatcher web)
if [[ -z "$token" ]]; then
  # Local try-out: start the emulator and hand the bot and the dispatcher its URL and token
  # explicitly (production code never falls back to the emulator on its own).
  processes=(emulator "${processes[@]}")
  emulator_port="$(.venv/bin/python -c 'from asnkarier.settings import get_settings; print(get_settings().emulator_port)')"
  export TELEGRAM_BOT_TOKEN="1000000001:local-try-out-token"
  export TELEGRAM_BASE_URL="http://127.0.0.1:${emulator_port}/bot"
  export EMULATOR_PORT="$emulator_port"
  # The emulator's bot is @asn_karier_bot: the check-in page's QR links and activation sheets.
  if [[ -z "${TELEGRAM_BOT_USERNAME:-}" ]] && ! grep -qs '^TELEGRAM_BOT_USERNAME=.' .env; then
    export TELEGRAM_BOT_USERNAME=asn_karier_bot
  fi
  echo "[run] no TELEGRAM_BOT_TOKEN: using the local Telegram emulator; chat with: .venv/bin/asnbot chat"
fi
echo "[run] Konsol BKPSDM: ${web_url}  (sign in: send /konsol to the bot, or .venv/bin/asnbot admin login-link NIP)"
echo "[run] starting: ${processes[*]}  (Ctrl-C stops all)"

# honcho starts each process in a session of its own and stops them all on SIGINT or SIGTERM;
# this script passes on what it receives (a service manager signals this pid only). Piped
# (`make run | tee log`), Ctrl-C also ends the reader (tee): honcho would die on its next write
# ("SIGINT received") and leave every process running. So honcho writes into this relay, which
# ignores Ctrl-C and a broken pipe and drains until honcho is done.
relay() {
  trap '' INT PIPE
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    printf '%s\n' "$line" 2>/dev/null || :
  done
}
set +e
.venv/bin/honcho --no-colour start -f Procfile "${processes[@]}" > >(relay) 2>&1 &
honcho=$!
trap 'kill -TERM "$honcho" 2>/dev/null' TERM HUP
trap 'kill -INT "$honcho" 2>/dev/null' INT
while :; do
  wait "$honcho"
  status=$?
  kill -0 "$honcho" 2>/dev/null || break
done
exit "$status"
