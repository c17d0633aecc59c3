#!/usr/bin/env bash
# The baseline of the end-to-end benchmark row: the job a team writes by hand instead of DindBuild, the way a GitLab
# docker:dind service or a Jenkins stage does it. Every step is the plain docker CLI; nothing is tuned beyond what
# such a script does:
#   - docker:dind's TLS recipe (its dockerd-entrypoint.sh): a CA, a server and a client certificate, RSA-4096 keys
#     made with openssl;
#   - docker run of the DinD image with the capabilities profile DindBuild's dind mode uses on this host (the host
#     refuses --privileged), data root on the image's VOLUME as docker:dind has it, TLS on a loopback port;
#   - a poll of the API until /_ping answers;
#   - docker save | docker load of the base image into the DinD daemon;
#   - docker build, docker run of the tests with a volume at /artifacts, docker cp of the results out;
#   - docker rm -f and volume rm, the DinD container with its data volume last.
# Usage: hand-written-dind.sh DIND_IMAGE ENTRYPOINT CAPABILITIES BASE_IMAGE CONTEXT OUT_DIR
#   ENTRYPOINT:   the DinD entry script (DindBuild's; the trixie image has no docker:dind entrypoint of its own)
#   CAPABILITIES: comma-separated, as 'docker run --cap-add' takes them
set -euo pipefail

dind_image=$1 entrypoint=$2 capabilities=$3 base_image=$4 context=$5 out=$6
work=$(mktemp -d /tmp/dindbuild-bench-script-XXXXXX)
name="dindbuild-bench-script-$$-$RANDOM"
certs="$work/certs"
cleanup() {
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# docker:dind's _tls_generate_certs: 825 days, RSA 4096, the CA signs both.
mkdir -p "$certs/ca" "$certs/server" "$certs/client"
openssl genrsa -out "$certs/ca/key.pem" 4096 2>/dev/null
openssl req -new -key "$certs/ca/key.pem" -out "$certs/ca/cert.pem" -subj '/CN=docker:dind CA' -x509 -days 825
for side in server client; do
  openssl genrsa -out "$certs/$side/key.pem" 4096 2>/dev/null
  openssl req -new -key "$certs/$side/key.pem" -out "$certs/$side/csr.pem" -subj "/CN=docker:dind $side"
  if [[ $side == server ]]; then
    printf '[ x509_exts ]\nsubjectAltName = DNS:docker, DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' > "$certs/$side/openssl.cnf"
  else
    printf '[ x509_exts ]\nextendedKeyUsage = clientAuth\n' > "$certs/$side/openssl.cnf"
  fi
  openssl x509 -req -in "$certs/$side/csr.pem" -CA "$certs/ca/cert.pem" -CAkey "$certs/ca/key.pem" -CAcreateserial \
    -out "$certs/$side/cert.pem" -days 825 -extfile "$certs/$side/openssl.cnf" -extensions x509_exts 2>/dev/null
  cp "$certs/ca/cert.pem" "$certs/$side/ca.pem"
done

cap_args=()
IFS=, read -r -a caps <<<"$capabilities"
for cap in "${caps[@]}"; do cap_args+=(--cap-add "$cap"); done
docker run -d --name "$name" --label org.dindbuild.benchmark=1 --cap-drop ALL "${cap_args[@]}" \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined -e DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1 \
  -p 127.0.0.1::2376 -v "$certs/server:/certs/server:ro" -v "$entrypoint:/e.sh:ro" --entrypoint /bin/sh "$dind_image" /e.sh \
  --host=tcp://0.0.0.0:2376 --tlsverify --tlscacert=/certs/server/ca.pem --tlscert=/certs/server/cert.pem --tlskey=/certs/server/key.pem >/dev/null
port=$(docker port "$name" 2376/tcp | head -n 1 | sed 's/.*://')

# The CLI against the DinD daemon, as a job's DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH give it.
inner() { DOCKER_HOST="tcp://127.0.0.1:$port" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs/client" docker "$@"; }

until curl -sf --cacert "$certs/client/ca.pem" --cert "$certs/client/cert.pem" --key "$certs/client/key.pem" "https://127.0.0.1:$port/_ping" >/dev/null; do
  [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || { docker logs "$name" >&2; exit 1; }
  sleep 0.02
done

docker save "$base_image" | inner load -q >/dev/null
inner build -q -t dindbuild-sample:latest "$context" >/dev/null
inner run --name tests -v artifacts:/artifacts dindbuild-sample:latest >/dev/null
mkdir -p "$out"
inner cp tests:/artifacts/. "$out/"
inner rm -f tests >/dev/null
inner volume rm artifacts >/dev/null
[[ -f "$out/junit.xml" ]] || { echo "hand-written-dind.sh: no junit.xml came out" >&2; exit 1; }
