#!/usr/bin/env bash
# Installs the Debian 12 packages mediagw needs to build, test and demo.
# Does nothing when they are all present already.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config clang lld libclang-rt-14-dev libfuzzer-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev rapidjson-dev libcurl4-openssl-dev libboost-dev libssl-dev
  libsqlite3-dev libpng-dev libjpeg-dev libgtest-dev libgmock-dev
  curl python3 file python3-prometheus-client python3-requests python3-yaml
  unzip
  nghttp2-client wrk ccache
  libavformat-dev libavcodec-dev libavutil-dev ffmpeg
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the third-party client tests; any existing install will do
# (Debian's npm conflicts with a Node.js that ships its own npm).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
