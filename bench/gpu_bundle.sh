#!/usr/bin/env bash
# Prepare, here, the wheels the GPU check carries to a lent GPU machine (no package registry
# there): every line of bench/gpu_bundle.txt, as binary wheels for CPython 3.12 on x86-64 Linux,
# into the ignored folder .whl/ (and bench/gpu_fallback.txt's into .whl/fallback/). Fails if the bundle is over 60 MiB (the device tool carries 64
# MiB of working tree in all).
#
#   bench/gpu_bundle.sh                         # .whl/ for the GPU machine (Python 3.12)
#   bench/gpu_bundle.sh --python-version 3.11 --dest .whl-dry   # the dry run's bundle, for here
#
# PYTHON names the interpreter whose pip downloads (default: python3). Nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYVER=3.12
DEST=.whl
MAX_MIB=60
LIST=bench/gpu_bundle.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --python-version) PYVER="$2"; shift 2 ;;
    --dest) DEST="$2"; shift 2 ;;
    --max-mib) MAX_MIB="$2"; shift 2 ;;
    --list) LIST="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "gpu_bundle.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
PY="${PYTHON:-python3}"
"$PY" -m pip --version >/dev/null 2>&1 || { echo "gpu_bundle.sh: $PY has no pip; set PYTHON" >&2; exit 2; }

# pip matches a manylinux_2_N tag only for the N given, so name the ones wheels use.
PLATFORMS=()
for n in 17 24 26 27 28 31 34 35 38 39; do PLATFORMS+=(--platform "manylinux_2_${n}_x86_64"); done
PLATFORMS+=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform linux_x86_64)

# A fresh folder each time, so a wheel dropped from the list (or an old version) never travels:
# two versions of one package stop the offline install. pip's cache makes a re-run cheap.
NEW="$DEST.new"
rm -rf "$NEW"
mkdir -p "$NEW"
download() {  # list file, folder: exactly one wheel per line of the list, or fail
  local wanted status
  mkdir -p "$2"
  grep -v '^\s*#' "$1" | grep -v '^\s*$' > "$2.requirements.txt"
  wanted=$(wc -l < "$2.requirements.txt")
  set +e
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" \
    --implementation cp "${PLATFORMS[@]}" -d "$2" -r "$2.requirements.txt" 2>&1 \
    | grep -v 'is ignored: it is neither a file nor a directory'
  status=${PIPESTATUS[0]}
  set -e
  rm -f "$2.requirements.txt"
  if [ "$status" != 0 ] || [ "$(ls "$2"/*.whl 2>/dev/null | wc -l)" != "$wanted" ]; then
    echo "gpu_bundle.sh: pip download of $1 failed (exit $status) or gave not one wheel per line" >&2
    exit 1
  fi
}
download "$LIST" "$NEW"
# Newer versions of a few packages the machine has, installed there only if needed.
download bench/gpu_fallback.txt "$NEW/fallback"
rm -rf "$DEST"
mv "$NEW" "$DEST"

count=$(ls "$DEST"/*.whl "$DEST"/fallback/*.whl | wc -l)
kib=$(du -sk "$DEST" | cut -f1)
mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
echo "gpu bundle: $count wheels, $mib MiB in $DEST (Python $PYVER; limit $MAX_MIB MiB)"
ls -S "$DEST" | head -5 | sed 's/^/  largest: /'
if awk -v k="$kib" -v m="$MAX_MIB" 'BEGIN { exit !(k > m * 1024) }'; then
  echo "gpu_bundle.sh: $mib MiB is over the $MAX_MIB MiB limit" >&2
  exit 1
fi
