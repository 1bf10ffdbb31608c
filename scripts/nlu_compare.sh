#!/usr/bin/env bash
# Compare the NLU pipeline variants in nlu/pipelines/ by 5-fold cross-validation on the
# project's own training data; prints one table row per variant (intent macro/weighted F1,
# entity micro F1, wall time). The reports land in nlu/results/compare/<variant>/.
# Usage: scripts/nlu_compare.sh [FOLDS] [VARIANT.yml ...]   (default: 5 folds, every variant)
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
folds="${1:-5}"
shift || true
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(nlu/pipelines/*.yml)

.venv/bin/asnbot nlu generate >/dev/null
mkdir -p nlu/results
echo "| variant | intent macro-F1 | intent weighted-F1 | entity micro-F1 | wall time |"
echo "| --- | --- | --- | --- | --- |"
for variant in "${variants[@]}"; do
  name="$(basename "$variant" .yml)"
  out="results/compare/$name"
  started=$SECONDS
  (cd nlu && ../.venv-rasa/bin/rasa test nlu --domain domain --config "../$variant" \
    --cross-validation --folds "$folds" --out "$out" >"../nlu/results/compare-$name.log" 2>&1) || {
    echo "| $name | failed: see nlu/results/compare-$name.log | | | |"
    continue
  }
  .venv/bin/python - "$name" "nlu/$out" "$((SECONDS - started))" <<'PY'
import json, sys
from pathlib import Path
name, out, seconds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
intent = json.loads((out / "intent_report.json").read_text())
entity_path = out / "DIETClassifier_report.json"
entity = "n/a"
if entity_path.exists():
    report = json.loads(entity_path.read_text())
    micro = report.get("micro avg") or report.get("accuracy")
    entity = f"{micro['f1-score']:.4f}" if isinstance(micro, dict) else str(micro)
print(
    f"| {name} | {intent['macro avg']['f1-score']:.4f} | "
    f"{intent['weighted avg']['f1-score']:.4f} | {entity} | {seconds} s |"
)
PY
done
