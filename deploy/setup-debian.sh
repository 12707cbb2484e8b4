#!/usr/bin/env bash
# Installs the Debian 12 packages bdtx builds, tests and runs with. Idempotent.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev
  golang-github-gogo-googleapis-dev  # google/api/annotations.proto, http.proto (protos/)
  libboost1.81-dev  # Boost.Beast/Asio HTTP server of the gateway (ADR 014)
  prometheus-cpp-dev    # the gateway's /metrics
  libcurl4-openssl-dev curl  # the gateway's REST tests (libcurl; the CLI in peer_tls_e2e_test)
  nodejs            # the gateway's gRPC-Web and OpenAPI tests (tests/web, npm ci)
  libargon2-dev     # Argon2id password hashes of sign-in (common/crypto/password.h, ADR 015)
  clang libclang-rt-14-dev  # the ThreadSanitizer step of deploy/test.sh
  libutf8proc-dev   # NFC normalisation and case folding (common/text, ADR 007)
  chromium          # the web console's browser tests (puppeteer-core drives it; ADR 021)
  libcurl4-openssl-dev  # e-mail (SMTP, STARTTLS) and webhooks (https) delivery (ADR 010)
  golang-github-gogo-googleapis-dev  # google/api/*.proto on protoc's include path (cmake/bdtx.cmake)
  python3-aiosmtpd  # the real SMTP server the notifications tests deliver to
  openssl           # the notifications tests make their TLS certificates at run time
  prometheus-cpp-dev  # /metrics of every service (common/server/metrics.h)
  prometheus        # promtool: ctest checks the /metrics exposition and the alert rules
)
# Tools that may already be on the machine from elsewhere (a newer node, the cloud SDK's
# kubectl): Debian's package only when the command is missing, since they would conflict.
command -v node >/dev/null || PACKAGES+=(nodejs npm)        # k8s/check (ctest k8s_manifests)
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)  # kubectl kustomize (k8s/check)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[setup] installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "[setup] all packages present"
fi
# npm: Debian ships it apart from nodejs; NodeSource's nodejs already includes it.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[setup] installing: npm"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi
