#!/usr/bin/env bash
# The GPU check (issue 11): one command for a lent GPU machine (one H100 or H200, JAX with CUDA,
# no TensorFlow, no package registry), under 8 minutes. It installs the wheels of .whl/ (made
# here by bench/gpu_bundle.sh) offline into a scratch folder, then runs bench/gpu_check.py:
# kernels, cell contracts, a sweep on GPU and CPU, mixed precision and --gpus pinning on JAX.
# Results: gpu_check.md and gpu_check.log in $OUT when set (the device tool's folder), else bench/.
#
#   bench/gpu_check.sh              # on the GPU machine, from the repository root, .whl carried
#   bench/gpu_check.sh --dry-run    # here, on the CPU: the same steps, tiny, in a bare stand-in
#                                   # environment (bench/gpu_env.py) with a Python-3.11 bundle
# Other arguments go to bench/gpu_check.py (--budget SECONDS, --only STEP,STEP).
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=0
ARGS=()
for arg in "$@"; do
  if [ "$arg" = "--dry-run" ]; then DRY=1; else ARGS+=("$arg"); fi
done
WORK="${GPU_CHECK_WORK:-/tmp/gpu-check}"
rm -rf "$WORK"
mkdir -p "$WORK/audit"
SITE="$WORK/site"
started=$(date +%s)

if [ "$DRY" = 1 ]; then
  # Here: the project's interpreter downloads a bundle for its own Python version and builds a
  # bare environment holding only what the GPU machine holds (bench/gpu_machine.txt).
  HOST_PY="${PYTHON:-$(command -v python3)}"
  PYVER=$("$HOST_PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  BUNDLE=.whl-dry
  PYTHON="$HOST_PY" bench/gpu_bundle.sh --python-version "$PYVER" --dest "$BUNDLE" \
    | grep -v 'is ignored' || true
  PY=$("$HOST_PY" bench/gpu_env.py "$WORK/env")
  PIP=("$HOST_PY" -m pip)
  ARGS+=(--dry-run)
else
  BUNDLE=.whl
  PY=python3
  PIP=(python3 -m pip)
  if ! ls "$BUNDLE"/*.whl >/dev/null 2>&1; then
    echo "gpu_check.sh: no wheels in $BUNDLE: run bench/gpu_bundle.sh where pip can download," \
         "and carry .whl with the run" >&2
    exit 2
  fi
fi

install() {
  "${PIP[@]}" install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$@"
}
install "$BUNDLE"/*.whl
echo "gpu_check.sh: $(ls "$BUNDLE"/*.whl | wc -l) wheels installed into $SITE in" \
     "$(( $(date +%s) - started ))s; python: $PY"
# The bundle leans on packages the machine has (protobuf, typing-extensions, werkzeug); where one
# is too old, the newer wheels of .whl/fallback/ go in too (GPU_CHECK_FALLBACK=1 forces it).
IMPORTS='import keras, keras_tuner, mlflow, pydantic, sqlalchemy, alembic, flask, uvicorn'
if [ "${GPU_CHECK_FALLBACK:-0}" = 1 ] || ! KERAS_BACKEND=jax PYTHONPATH="$SITE" "$PY" -c "$IMPORTS" \
    > "$WORK/imports.log" 2>&1; then
  echo "gpu_check.sh: the bundle does not import with this machine's own packages" \
       "($(tail -n 1 "$WORK/imports.log" 2>/dev/null || echo 'GPU_CHECK_FALLBACK=1')); adding $(ls "$BUNDLE"/fallback/*.whl | xargs -n1 basename | tr '\n' ' ')"
  install "$BUNDLE"/fallback/*.whl
fi

export PYTHONPATH="$SITE:$PWD:$PWD/bench/gpu_audit"
export GPU_CHECK_SITE="$SITE" GPU_CHECK_AUDIT="$WORK/audit"
export TF_CPP_MIN_LOG_LEVEL=2 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
exec "$PY" bench/gpu_check.py --work "$WORK" "${ARGS[@]}"
