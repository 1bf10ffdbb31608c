#!/usr/bin/env bash
# Train the Rasa model into nlu/models/asn.tar.gz, only when the NLU config, domain or data
# (or the Rasa pins) changed since the last successful training.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv-rasa/bin/rasa ]] || scripts/setup.sh rasa
export RASA_TELEMETRY_ENABLED=false

# Lookup tables and synonyms come from HR content (data/*.yml): a new position reaches the NLU.
.venv/bin/asnbot nlu generate

inputs=(nlu/config.yml nlu/domain nlu/data nlu/components nlu/requirements.lock)
hash="$(find "${inputs[@]}" -type f -not -path "*/__pycache__/*" -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [[ -f nlu/models/asn.tar.gz && -f nlu/models/.train-stamp && "$(cat nlu/models/.train-stamp)" == "$hash" ]]; then
  echo "[train] model is up to date (nlu/models/asn.tar.gz)"
  exit 0
fi
echo "[train] training the Rasa model (NLU data changed); this takes a few minutes on 2 cores"
started=$SECONDS
(cd nlu && ../.venv-rasa/bin/rasa train --domain domain --fixed-model-name asn --out models --quiet)
echo "$hash" > nlu/models/.train-stamp
echo "[train] done in $((SECONDS - started)) s"
