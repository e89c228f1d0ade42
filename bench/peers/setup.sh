#!/usr/bin/env bash
# Install the peer engines the benchmark compares against, each in its own place under /tmp,
# never into the project's environment. Every step is optional: bench/run.py reports a peer it
# cannot find as "not installed". Override the locations with the same variables run.py reads.
set -u
MOTO_VENV=${ASL_BENCH_MOTO_VENV:-/tmp/peers-moto}
STATELINT_VENV=${ASL_BENCH_STATELINT_VENV:-/tmp/peers-statelint}
NODE_PEERS=${ASL_BENCH_NODE_PEERS:-/tmp/peers}

python3 -m venv "$MOTO_VENV" && "$MOTO_VENV/bin/pip" install -q 'moto[stepfunctions]' \
  || echo "moto: install failed" >&2
python3 -m venv "$STATELINT_VENV" && "$STATELINT_VENV/bin/pip" install -q statelint \
  || echo "statelint: install failed" >&2
if command -v npm >/dev/null; then
  mkdir -p "$NODE_PEERS" && (cd "$NODE_PEERS" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund aws-local-stepfunctions) \
    || echo "aws-local-stepfunctions: install failed" >&2
else
  echo "aws-local-stepfunctions: node/npm not found, skipped" >&2
fi
