#!/usr/bin/env bash
# The seed's drift scenario on a trained model, end to end, with real mlx commands:
#   make data → train under `mlx run` → `mlx register` → `mlx drift` (HTML report, CI exit code)
#   → `mlx predict` on the production sample → drift of the predictions.
#
#   examples/tabular-drift/run.sh [WORK_DIR]
#
# Everything goes into WORK_DIR (default: a new temporary folder): the CSV files in data/, the mlx store
# in store/ (unless MLX_TRACKING_URI names another), the drift report and the predictions.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
if [ -n "${1:-}" ]; then mkdir -p "$1" && WORK=$(cd "$1" && pwd); else WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlx-tabular-drift.XXXXXX"); fi
DATA="$WORK/data"
export MLX_TRACKING_URI="${MLX_TRACKING_URI:-$WORK/store}"
unset MLX_RUN_ID # this example makes a run of its own, not a child of an outer `mlx run`
EXPERIMENT=customer-value
MODEL=customer-value

# `mlx` from PATH (after `npm link`), else this repository's own build.
if ! command -v mlx >/dev/null 2>&1; then
  mkdir -p "$WORK/bin"
  printf '#!/bin/sh\nexec node "%s/bin/mlx.js" "$@"\n' "$REPO" >"$WORK/bin/mlx"
  chmod +x "$WORK/bin/mlx"
  export PATH="$WORK/bin:$PATH"
fi

step() { printf '\n=== %s\n' "$*"; }
# show CMD ARGS…: prints the command (quoted so it can be pasted into a shell), then runs it.
show() {
  local a line='$'
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then line+=" $a"; else line+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '%s\n' "$line"
  "$@"
}

echo "work folder: $WORK   store: $MLX_TRACKING_URI"

step "1. Make the data: training set, reference sample, shifted production sample"
show node "$HERE/make-data.mjs" "$DATA"

step "2. Train the customer-value classifier under mlx run"
show mlx run --experiment "$EXPERIMENT" --name mlp-16 --tag example=tabular-drift \
  -- node "$HERE/train.mjs" "$DATA" --hidden 16 --epochs 20 --lr 0.02
RUN=$(mlx runs list --experiment "$EXPERIMENT" --order-by "attributes.start_time DESC" --max 1 --json |
  node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).runs[0].run_id')

step "3. Register its model from the run"
show mlx register "runs:/$RUN/model/model.onnx" --name "$MODEL" --alias champion \
  --labels "$DATA/labels.txt" --preprocess tabular \
  --description "Predicts a customer's value class (low, medium, high) from age, income, score, clicks and time"

step "4. Did production data drift from the reference? (KS test per column, as the seed's DriftDetector)"
DRIFT_EXIT=0
show mlx drift --reference "$DATA/reference.csv" --current "$DATA/production.csv" \
  --html "$WORK/drift_report.html" --fail-on-drift || DRIFT_EXIT=$?
echo "exit code $DRIFT_EXIT (0: no drift, 3: drift detected; in CI, --fail-on-drift fails the step)"
[ "$DRIFT_EXIT" -eq 0 ] || [ "$DRIFT_EXIT" -eq 3 ] || exit "$DRIFT_EXIT"
echo "open $WORK/drift_report.html in a browser for the distributions, column by column"

step "5. Score the production sample (and the reference, to compare) with the registered model"
show mlx predict "models:/$MODEL@champion" --input "$DATA/production.csv" --output "$WORK/production_predictions.csv"
show mlx predict "models:/$MODEL@champion" --input "$DATA/reference.csv" --output "$WORK/reference_predictions.csv"
echo "first production predictions:"
head -4 "$WORK/production_predictions.csv"

step "6. Did the model's predictions drift too? (the seed's detect_prediction_drift)"
PREDICTION_EXIT=0
show mlx drift --reference "$WORK/reference_predictions.csv" --current "$WORK/production_predictions.csv" \
  --columns label --fail-on-drift || PREDICTION_EXIT=$?
echo "exit code $PREDICTION_EXIT"
[ "$PREDICTION_EXIT" -eq 0 ] || [ "$PREDICTION_EXIT" -eq 3 ] || exit "$PREDICTION_EXIT"
echo
echo "Everything is in $WORK. Browse the run and the model with: MLX_TRACKING_URI=$MLX_TRACKING_URI mlx ui"
