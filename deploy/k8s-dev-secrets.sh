#!/usr/bin/env bash
# Secrets for the local overlay (kind, minikube): a throw-away CA, one TLS certificate per
# service (its Service name as DNS SAN, as the other services dial it), the token key.
# Prints them as Kubernetes Secret YAML; nothing is sent anywhere:
#   bash deploy/k8s-dev-secrets.sh | kubectl apply -f -
# Needs openssl and kubectl (offline: `kubectl create secret --dry-run=client`). Never
# use these in production (the production overlay gets its certificates from cert-manager).
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
ns=bdtx
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=bdtx dev CA" -keyout ca.key -out ca.crt 2>/dev/null
emit() { kubectl create "$@" --namespace "$ns" --dry-run=client -o yaml; echo "---"; }
emit secret generic bdtx-ca --from-file=ca.crt=ca.crt
emit secret generic bdtx-auth --from-literal=hs256="$(openssl rand -base64 48)"
for s in directory plans approvals grading notifications; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$s" \
    -keyout "$s.key" -out "$s.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local,DNS:*.%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
    "$s" "$s" "$ns" "$s" "$ns" "$s" "$ns" "$s" "$ns" > "$s.ext"
  openssl x509 -req -in "$s.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -extfile "$s.ext" -out "$s.crt" 2>/dev/null
  openssl verify -CAfile ca.crt "$s.crt" >/dev/null
  emit secret tls "bdtx-$s-tls" --cert="$s.crt" --key="$s.key"
done
