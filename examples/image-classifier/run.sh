#!/usr/bin/env bash
# The seed's image classifier, end to end, with real mlx commands:
#   an mlx.yaml pipeline (generate images → train two models) run by `mlx repro`, again (nothing to do), and
#   after a param change (one stage) → `mlx compare` → `mlx register` the better run's model
#   → check training/serving skew → `mlx serve` → the seed's curl on a held-out image → stop the server.
#
#   examples/image-classifier/run.sh [WORK_DIR]
#
# Everything goes into WORK_DIR (default: a new temporary folder): the images in data/, the mlx store in
# store/ (unless MLX_TRACKING_URI names another), the comparison chart and the server's log.
# PORT=8000 serves on that port; by default mlx picks a free one.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
if [ -n "${1:-}" ]; then mkdir -p "$1" && WORK=$(cd "$1" && pwd); else WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlx-image-classifier.XXXXXX"); fi
DATA="$WORK/data"
export MLX_TRACKING_URI="${MLX_TRACKING_URI:-$WORK/store}"
unset MLX_RUN_ID # this example makes runs of its own, not children of an outer `mlx run`
EXPERIMENT=image-classifier
MODEL=pets-classifier
# The seed's Resize((224, 224)) / ToTensor / Normalize(ImageNet mean, std), at this model's 32x32 input.
# preprocess.mjs prepares the training images exactly so; the registry keeps it for mlx serve and mlx predict.
PREPROCESS="image:32x32,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw"

# `mlx` from PATH (after `npm link`), else this repository's own build.
if ! command -v mlx >/dev/null 2>&1; then
  mkdir -p "$WORK/bin"
  printf '#!/bin/sh\nexec node "%s/bin/mlx.js" "$@"\n' "$REPO" >"$WORK/bin/mlx"
  chmod +x "$WORK/bin/mlx"
  export PATH="$WORK/bin:$PATH"
fi

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
# json EXPR: a JavaScript expression over `doc`, the JSON document on stdin (strings printed as they are).
json() {
  node -e 'const doc = JSON.parse(require("fs").readFileSync(0, "utf8")); const v = eval(process.argv[1]);
    console.log(typeof v === "string" ? v : JSON.stringify(v))' "$1"
}

echo "work folder: $WORK   store: $MLX_TRACKING_URI"

step "1. The project: mlx.yaml declares the pipeline (generate the images, train one model per entry of params.yaml)"
# The pipeline's files live in the work folder; src/ is this example's folder, so the scripts are deps of their stages.
cp "$HERE/mlx.yaml" "$HERE/params.yaml" "$WORK/"
ln -sfn "$HERE" "$WORK/src"
cd "$WORK"
show mlx dag

step "2. Run the pipeline: each stage is a run nested under one pipeline run"
show mlx repro --experiment "$EXPERIMENT"

step "2b. Run it again: nothing changed, so nothing runs"
show mlx repro --experiment "$EXPERIMENT"

step "2c. Change one param (models.narrow-slow.lr in params.yaml, 0.002 -> 0.004): only the stage that uses it runs again"
node -e 'const fs = require("fs"); fs.writeFileSync("params.yaml", fs.readFileSync("params.yaml", "utf8").replace("lr: 0.002\n", "lr: 0.004\n"))'
show mlx repro --dry-run
show mlx repro --experiment "$EXPERIMENT"

RUNS=()
for stage in train@wide-fast train@narrow-slow; do
  RUNS+=("$(mlx runs list --experiment "$EXPERIMENT" --filter "attributes.run_name = '$stage'" \
    --order-by "attributes.start_time DESC" --max 1 --json | json 'doc.runs[0].run_id')")
done

step "3. Compare the two runs (params that differ: ≠, best metric: *)"
show mlx compare "${RUNS[@]}" --plot "$WORK/compare.svg"
echo "training curves of both runs: $WORK/compare.svg"

step "4. Register the better run's model, with its labels and preprocessing"
BEST_RUN=$(mlx runs list --experiment "$EXPERIMENT" \
  --filter "attributes.run_id IN ('${RUNS[0]}', '${RUNS[1]}')" \
  --order-by "metrics.val_accuracy DESC" --max 1 --json | json 'doc.runs[0]')
BEST=$(echo "$BEST_RUN" | json 'doc.run_id')
BEST_NAME=$(echo "$BEST_RUN" | json 'doc.run_name')
echo "best run: $BEST_NAME ($BEST), val_accuracy $(echo "$BEST_RUN" | json 'doc.metrics.val_accuracy')"
show mlx register "runs:/$BEST/model/model.onnx" --name "$MODEL" --alias champion \
  --labels "$DATA/labels.txt" --preprocess "$PREPROCESS" \
  --description "Classifies pet photos into cat, dog, bird, fish and other (the seed tutorial's classes)"
show mlx models show "$MODEL@champion"

step "5. Training/serving skew: does the registered model, preprocessed by mlx, agree with train.mjs?"
show mlx predict "models:/$MODEL@champion" --input "$DATA/heldout" --output "$WORK/served_predictions.csv"
# train.mjs wrote its own predictions for the held-out images (also logged as the run's eval/ artifact).
show node "$HERE/check-skew.mjs" "$WORK/outputs/${BEST_NAME#train@}/heldout_predictions.csv" "$WORK/served_predictions.csv"

step "6. Serve it, and classify a held-out image with the seed's curl command"
mlx serve "models:/$MODEL@champion" --port "${PORT:-0}" 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 150); do # the port, from the server's first line (up to 15 s)
  PORT=$(sed -n 's#.*listening on http://[^:]*:\([0-9]*\).*#\1#p' "$WORK/serve.log" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "mlx serve did not start:"; cat "$WORK/serve.log"; exit 1; }
until curl -sf "http://localhost:$PORT/ready" >/dev/null; do # 200 once the model is loaded and warmed up
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
cat "$WORK/serve.log"
cd "$DATA" # test_image.jpg is a dog the model never saw
show curl -X POST "http://localhost:$PORT/predict" -H "accept: application/json" -H "Content-Type: multipart/form-data" -F "file=@test_image.jpg"
echo
show curl -s "http://localhost:$PORT/health"
echo

step "7. Stop the server"
kill "$SERVER_PID"
wait "$SERVER_PID" && echo "mlx serve stopped cleanly"
SERVER_PID=
echo
echo "Everything is in $WORK. Browse it with: MLX_TRACKING_URI=$MLX_TRACKING_URI mlx ui"
