#!/usr/bin/env bash
#
# A Hyperledger Fabric 2.5 network for the customs ledger, run natively from the official
# binaries (default) or with Docker Compose from the official images (--docker).
#
#   network/network.sh up [--docker]   crypto, channel, orderer, one peer per organisation
#   network/network.sh deploy          chaincode as a service, lifecycle, org:init, readiness probe
#   network/network.sh deploy-reference   a bare key-value chaincode beside it, for benchmarks
#   network/network.sh down            stop every process (state kept; `up` resumes it)
#   network/network.sh clean           stop, then remove every generated file
#   network/network.sh generate [--docker]   only the files that need no Fabric binary
#   network/network.sh status
#
# Organisations, ports, channel and chaincode: network/network.config.json. Fabric binaries: on
# PATH or in $FABRIC_BIN; Fabric's sample core.yaml/orderer.yaml: $FABRIC_CFG_PATH or
# $FABRIC_BIN/../config. See network/README.md. Written for bash 3.2 or later.

# CHANNEL, ORG_MSP[@], PEER_ADDR[@]… are assigned by eval "$(node lib/config.mjs shell MODE)" in
# load_config, which shellcheck cannot follow:
# shellcheck disable=SC2154

set -euo pipefail
# Command substitutions fail like other commands (bash 4.4+); functions used in $(...) also check
# their own errors for bash 3.2 (macOS).
shopt -s inherit_errexit 2>/dev/null || true

NETWORK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname "$NETWORK_DIR")
DATA_DIR=$NETWORK_DIR/data
LOG_DIR=$NETWORK_DIR/logs
PID_DIR=$DATA_DIR/pids
STATE_DIR=$DATA_DIR/state
TEMPLATE_DIR=$DATA_DIR/templates
LOCK_DIR=$DATA_DIR/lock
COMPOSE_ENV=$DATA_DIR/compose.env
COMPOSE_FILE=$NETWORK_DIR/compose/compose.yaml
CONFIG_JS=$NETWORK_DIR/lib/config.mjs
INSTALL_DOCS=https://hyperledger-fabric.readthedocs.io/en/release-2.5/install.html
REQUIRED_BINARIES="peer orderer configtxgen cryptogen osnadmin"
START_TIMEOUT=${NETWORK_START_TIMEOUT:-60}
READY_TIMEOUT=${NETWORK_READY_TIMEOUT:-120}
CLI_LOGGING_SPEC=${NETWORK_CLI_LOGGING_SPEC:-warning}
RAFT_LEADER_LINE='Start accepting requests as Raft leader'
PROFILE_NAME=ApplicationChannel

# FABRIC_BIN may name the bin/ folder or the folder Hyperledger's install script filled (bin/, config/).
if [ -n "${FABRIC_BIN:-}" ] && [ ! -e "$FABRIC_BIN/peer" ] && [ -e "$FABRIC_BIN/bin/peer" ]; then
  FABRIC_BIN=$FABRIC_BIN/bin
fi

MODE=native
COMMAND=help
TOOL_ENV=()
PROFILE_FLAGS=()
HOLD_LOCK=false

# ------------------------------------------------------------------ output

log() { printf '[network] %s\n' "$*"; }
warn() { printf '[network] warning: %s\n' "$*" >&2; }
die() {
  printf '[network] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage: network/network.sh <command> [--docker]

Commands:
  up [--docker]        Start the network (orderer, one peer per organisation, channel "${CHANNEL:-customs}").
                       Natively from the official Fabric 2.5 binaries, or with Docker Compose.
                       On a stopped network, resumes it with its ledgers. On a running one, does nothing.
  deploy               Package, install, approve and commit the chaincode (one chaincode server per
                       organisation), initialise the organisation registry, wait until every
                       organisation's peer can route transactions.
  down                 Stop every process of the network; ledgers and crypto are kept.
  clean                down, then delete every generated file (crypto, channel, ledgers, logs).
  deploy-reference     Deploy the reference key-value chaincode (bench/reference-chaincode) beside the
                       customs chaincode, for npm run bench:http to compare a write with (native only).
  generate [--docker]  Write the configuration that needs no Fabric binary (crypto-config.yaml,
                       configtx.yaml, collections, endorsement policy, env files, gateway profiles).
  status               Show what runs and where.
  stop-node NAME       Stop one node (orderer, or a peer as status names it), keeping its ledger.
  start-node NAME      Start that node again and wait until it is healthy (the orderer: until Raft
                       has a leader again). For fault drills: npm run test:fabric uses both.

Configuration: network/network.config.json (or \$FABRIC_NETWORK_CONFIG).
Environment: FABRIC_BIN (folder of peer, orderer, configtxgen, cryptogen, osnadmin),
  FABRIC_CFG_PATH (folder with Fabric's core.yaml and orderer.yaml), FABRIC_BATCH_TIMEOUT,
  FABRIC_VERSION (Docker image tag, default 2.5), NETWORK_READY_TIMEOUT (s, default 120),
  NETWORK_SKIP_BUILD=1 (deploy without npm run build:chaincode), CHAINCODE_LOGGING_LEVEL.
EOF
}

# ------------------------------------------------------------------ small helpers

# retry ATTEMPTS DELAY_SECONDS COMMAND...
retry() {
  local attempts=$1 delay=$2 n=1
  shift 2
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      return 1
    fi
    n=$((n + 1))
    sleep "$delay"
  done
}

# The first line of the file, or nothing.
read_state() {
  if [ -f "$STATE_DIR/$1" ]; then
    head -n 1 "$STATE_DIR/$1"
  fi
}

write_state() {
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$2" >"$STATE_DIR/$1"
}

http_ok() { # http_ok URL PATTERN
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "$1" 2>/dev/null | grep -q "$2"
  else
    node -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .then((t) => process.exit(t.includes(process.argv[2]) ? 0 : 1), () => process.exit(1));
    ' "$1" "$2"
  fi
}

acquire_lock() {
  mkdir -p "$DATA_DIR"
  if ! mkdir "$LOCK_DIR" 2>/dev/null; then
    die "another network.sh is running (lock $LOCK_DIR); if it is not, remove that folder"
  fi
  HOLD_LOCK=true
}

on_exit() {
  local status=$?
  # A hint about logs only once something was started (not for a failed prerequisite check).
  if [ "$status" -ne 0 ] && [ "$HOLD_LOCK" = true ]; then
    case $COMMAND in
      up | deploy)
        if [ "$MODE" = docker ]; then
          printf '[network] %s failed (exit %s). Logs: docker compose logs (see README)\n' "$COMMAND" "$status" >&2
        else
          printf '[network] %s failed (exit %s). Logs: %s/\n' "$COMMAND" "$status" "$LOG_DIR" >&2
        fi
        ;;
    esac
  fi
  if [ "$HOLD_LOCK" = true ]; then
    rmdir "$LOCK_DIR" 2>/dev/null || true
  fi
}
trap on_exit EXIT

# ------------------------------------------------------------------ prerequisites

require_node() {
  command -v node >/dev/null 2>&1 || die "Node.js 20 or later is required (node not found on PATH)"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or later is required (found $(node --version))"
  if [ ! -d "$REPO_DIR/node_modules/tsx" ] || [ ! -d "$REPO_DIR/node_modules/@hyperledger/fabric-gateway" ]; then
    die "the project's dependencies are not installed: run npm install in $REPO_DIR"
  fi
}

# Loads the derived configuration (organisation arrays, paths, addresses) for MODE.
load_config() {
  local vars
  vars=$(node "$CONFIG_JS" shell "$MODE") || die "invalid network configuration (see above)"
  eval "$vars"
  set_profiles "$KNOWN_MSPS"
}

# Compose profiles: every organisation's peer, the chaincode servers and the tools container.
set_profiles() {
  local msp
  PROFILE_FLAGS=(--profile tools --profile chaincode)
  for msp in $1; do
    PROFILE_FLAGS+=(--profile "$msp")
  done
}

bin_path() {
  if [ -n "${FABRIC_BIN:-}" ]; then
    printf '%s\n' "$FABRIC_BIN/$1"
  else
    command -v "$1" || true
  fi
}

missing_binaries_message() {
  local where
  if [ -n "${FABRIC_BIN:-}" ]; then
    where="in \$FABRIC_BIN ($FABRIC_BIN)"
  else
    where="on PATH (and FABRIC_BIN is not set)"
  fi
  cat >&2 <<EOF
[network] error: Hyperledger Fabric binaries not found $where: $1
[network]
[network] This network runs the official Hyperledger Fabric 2.5 binaries (peer, orderer,
[network] configtxgen, cryptogen, osnadmin, plus Fabric's config/ folder with core.yaml and
[network] orderer.yaml). The project neither ships nor downloads them. Install them yourself with
[network] Hyperledger's install script ("install-fabric.sh", component "binary", Fabric 2.5.x),
[network] as described in the official documentation:
[network]     $INSTALL_DOCS
[network] It unpacks bin/ and config/ into the folder it runs in. Then either
[network]     export FABRIC_BIN=<that folder>/bin      (config/ is found next to it)
[network] or put that bin/ folder on PATH, and run this command again.
[network] With Docker instead of native binaries: network/network.sh up --docker
EOF
}

require_binaries() {
  local missing="" b path
  for b in $REQUIRED_BINARIES; do
    path=$(bin_path "$b")
    if [ -z "$path" ] || [ ! -x "$path" ]; then
      missing="$missing $b"
    fi
  done
  if [ -n "$missing" ]; then
    missing_binaries_message "${missing# }"
    exit 1
  fi
  local version
  version=$("$(bin_path peer)" version 2>&1) || die "cannot run $(bin_path peer) (binary for another platform?): $version"
  version=$(printf '%s\n' "$version" | sed -n 's/^ *Version: *v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n 1)
  case $version in
    2.5.*) ;;
    2.[0-4].* | 1.*) die "peer $version is too old: this network needs Fabric 2.5 (application capability V2_5)" ;;
    *) warn "peer version '${version:-unknown}' is not 2.5; this network was written for Fabric 2.5" ;;
  esac
}

# Fabric's sample config folder (core.yaml and orderer.yaml) of the binaries in use.
find_config_dir() {
  local peer_path candidates=() d
  if [ -n "${FABRIC_CFG_PATH:-}" ]; then candidates+=("$FABRIC_CFG_PATH"); fi
  if [ -n "${FABRIC_BIN:-}" ]; then candidates+=("$FABRIC_BIN/../config"); fi
  peer_path=$(bin_path peer)
  if [ -n "$peer_path" ]; then candidates+=("$(dirname "$peer_path")/../config"); fi
  for d in ${candidates[@]+"${candidates[@]}"}; do
    if [ -f "$d/core.yaml" ] && [ -f "$d/orderer.yaml" ]; then
      (cd "$d" && pwd -P)
      return 0
    fi
  done
  return 1
}

require_docker() {
  command -v docker >/dev/null 2>&1 || die "--docker needs Docker (docker not found on PATH)"
  docker compose version >/dev/null 2>&1 ||
    die "--docker needs the Docker Compose v2 plugin ('docker compose version' failed)"
  docker info >/dev/null 2>&1 || die "--docker: cannot reach the Docker daemon ('docker info' failed)"
}

gnu_tar() {
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    echo tar
  elif command -v gtar >/dev/null 2>&1; then
    echo gtar
  else
    die "GNU tar is needed to build deterministic chaincode packages (macOS: brew install gnu-tar)"
  fi
}

# ------------------------------------------------------------------ running Fabric tools

compose() {
  docker compose -f "$COMPOSE_FILE" --env-file "$COMPOSE_ENV" "${PROFILE_FLAGS[@]}" "$@"
}

# fabric TOOL ARGS...: runs a Fabric CLI with the variables in TOOL_ENV, natively or in the
# tools container (same absolute paths there, so arguments need no translation).
fabric() {
  local tool=$1
  shift
  if [ "$MODE" = docker ]; then
    local flags=() e
    for e in ${TOOL_ENV[@]+"${TOOL_ENV[@]}"}; do
      flags+=(-e "$e")
    done
    compose exec -T --user "$(id -u):$(id -g)" -e "FABRIC_LOGGING_SPEC=$CLI_LOGGING_SPEC" \
      ${flags[@]+"${flags[@]}"} tools "$tool" "$@"
  else
    env "FABRIC_LOGGING_SPEC=$CLI_LOGGING_SPEC" ${TOOL_ENV[@]+"${TOOL_ENV[@]}"} "$(bin_path "$tool")" "$@"
  fi
}

# The peer CLI acting as organisation I's admin against its own peer.
use_org() {
  local i=$1
  TOOL_ENV=(
    "FABRIC_CFG_PATH=$CLI_CONFIG_DIR"
    "CORE_PEER_TLS_ENABLED=true"
    "CORE_PEER_LOCALMSPID=${ORG_MSP[$i]}"
    "CORE_PEER_MSPCONFIGPATH=${ADMIN_MSP[$i]}"
    "CORE_PEER_ADDRESS=${PEER_ADDR[$i]}"
    "CORE_PEER_TLS_ROOTCERT_FILE=${PEER_TLS_CA[$i]}"
  )
}

no_org() { TOOL_ENV=(); }

orderer_flags() {
  printf '%s\n' -o "$ORDERER_ADDR" --tls --cafile "$ORDERER_TLS_CA"
}

# ------------------------------------------------------------------ native processes

# True when the recorded process of NAME runs and is the program we started (not a reused pid).
pid_alive() {
  local file="$PID_DIR/$1.pid" pid comm stat
  [ -f "$file" ] || return 1
  pid=$(head -n 1 "$file")
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(ps -p "$pid" -o stat= 2>/dev/null) || return 1
  case $stat in Z*) return 1 ;; esac
  comm=$(ps -p "$pid" -o comm= 2>/dev/null | sed 's/^ *//; s/ *$//')
  comm=$(basename "$comm")
  case $1 in
    orderer) [ "$comm" = orderer ] ;;
    peer0.*) [ "$comm" = peer ] ;;
    chaincode-*) [ "$comm" = node ] ;;
    *) return 1 ;;
  esac
}

# start_daemon NAME ENV_FILE WORKDIR COMMAND...: one background statement per daemon, its pid
# recorded (FABRIC.md step 10); the daemon sees only PATH, HOME, FABRIC_LOGGING_SPEC and its env file.
start_daemon() {
  local name=$1 env_file=$2 workdir=$3
  shift 3
  local logfile="$LOG_DIR/$name.log"
  mkdir -p "$LOG_DIR" "$PID_DIR"
  printf '\n==== %s network.sh: starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$logfile"
  (
    vars=("PATH=$PATH" "HOME=${HOME:-/tmp}")
    if [ -n "${FABRIC_LOGGING_SPEC:-}" ]; then vars+=("FABRIC_LOGGING_SPEC=$FABRIC_LOGGING_SPEC"); fi
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in '' | '#'*) continue ;; esac
      vars+=("$line")
    done <"$env_file"
    cd "$workdir"
    exec nohup env -i "${vars[@]}" "$@"
  ) >>"$logfile" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$PID_DIR/$name.pid"
  log "started $name (pid $!, log ${logfile#"$REPO_DIR"/})"
}

stop_daemon() {
  local name=$1 file="$PID_DIR/$1.pid" pid n=0
  [ -f "$file" ] || return 0
  pid=$(head -n 1 "$file")
  if pid_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    while pid_alive "$name" && [ "$n" -lt 100 ]; do
      sleep 0.1
      n=$((n + 1))
    done
    if pid_alive "$name"; then
      warn "$name (pid $pid) did not stop within 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

# ------------------------------------------------------------------ Docker services

service_running() {
  compose ps --status running --services 2>/dev/null | grep -qx "$1"
}

# ------------------------------------------------------------------ waiting

# wait_healthy NAME HOST:PORT [SERVICE]: the operations endpoint reports {"status":"OK"}.
wait_healthy() {
  local name=$1 address=$2 started=$SECONDS
  until http_ok "http://$address/healthz" '"status":"OK"'; do
    if [ "$MODE" = native ] && ! pid_alive "$name"; then
      tail -n 20 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up (log: $LOG_DIR/$name.log)"
    fi
    if [ "$MODE" = docker ] && ! service_running "$name"; then
      compose logs --tail 20 "$name" >&2 || true
      die "container $name exited during start-up (docker compose logs $name)"
    fi
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
      die "$name is not healthy after ${START_TIMEOUT} s (http://$address/healthz)"
    fi
    sleep 0.5
  done
  log "$name is healthy"
}

orderer_log() {
  if [ "$MODE" = docker ]; then
    compose logs --no-color orderer 2>/dev/null || true
  else
    cat "$LOG_DIR/orderer.log" 2>/dev/null || true
  fi
}

raft_leader_count() {
  orderer_log | grep -c "$RAFT_LEADER_LINE" || true
}

# "active" shows about 1 s before the single Raft node is leader; approvals fail until then
# (FABRIC.md step 7), so wait for the leader line that appeared after BEFORE earlier ones.
wait_raft_leader() {
  local before=$1 started=$SECONDS
  until [ "$(raft_leader_count)" -gt "$before" ]; do
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
      die "the orderer did not become Raft leader within ${START_TIMEOUT} s"
    fi
    sleep 0.3
  done
  log "orderer is Raft leader of channel $CHANNEL"
}

tcp_open() { # tcp_open HOST PORT
  if [ "$MODE" = docker ]; then
    # shellcheck disable=SC2016 # $1 and $2 are expanded by the container's bash
    compose exec -T tools bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

# ------------------------------------------------------------------ generation

# The configuration that needs no binary: node writes the YAML, env files and profiles; the
# collections and policy come from the chaincode's own functions through tsx.
generate_config() {
  log "generating configuration for $(node "$CONFIG_JS" validate)"
  node "$CONFIG_JS" generate "$MODE" || die "configuration generation failed"
  (cd "$REPO_DIR" && npx tsx "$NETWORK_DIR/lib/collections.ts" "$ORGANISATIONS_JSON" "$COLLECTIONS_CONFIG" "$POLICY_FILE") ||
    die "could not generate the collections config from chaincode/src/domain/collections.ts"
  log "  ${CRYPTO_CONFIG#"$REPO_DIR"/}"
  log "  ${ARTIFACTS_DIR#"$REPO_DIR"/}/configtx.yaml (BatchTimeout $BATCH_TIMEOUT)"
  log "  ${COLLECTIONS_CONFIG#"$REPO_DIR"/}, endorsement policy $(cat "$POLICY_FILE")"
  log "  ${GATEWAY_DIR#"$REPO_DIR"/}/ (connection profiles for the gateway)"
}

# Fabric's sample core.yaml/orderer.yaml → data/templates (from the install, or from the image).
fetch_templates() {
  mkdir -p "$TEMPLATE_DIR"
  local dir
  if [ "$MODE" = docker ] && [ -z "${FABRIC_CFG_PATH:-}" ]; then
    compose exec -T tools cat /etc/hyperledger/fabric/core.yaml >"$TEMPLATE_DIR/core.yaml"
    compose exec -T tools cat /etc/hyperledger/fabric/orderer.yaml >"$TEMPLATE_DIR/orderer.yaml"
    return 0
  fi
  dir=$(find_config_dir) || die "Fabric's config folder (core.yaml, orderer.yaml) not found: set FABRIC_CFG_PATH to the config/ folder unpacked by Hyperledger's install script ($INSTALL_DOCS)"
  cp "$dir/core.yaml" "$TEMPLATE_DIR/core.yaml"
  cp "$dir/orderer.yaml" "$TEMPLATE_DIR/orderer.yaml"
}

# Per-node copies: core.yaml with vm.endpoint "" and our ccaas builder (FABRIC.md step 2).
write_node_configs() {
  local i
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    node "$CONFIG_JS" core-yaml "$TEMPLATE_DIR/core.yaml" "${PEER_CONFIG_DIR[$i]}/core.yaml"
  done
  node "$CONFIG_JS" core-yaml "$TEMPLATE_DIR/core.yaml" "$CLI_CONFIG_DIR/core.yaml"
  mkdir -p "$ORDERER_CONFIG_DIR"
  cp "$TEMPLATE_DIR/orderer.yaml" "$ORDERER_CONFIG_DIR/orderer.yaml"
}

generate_crypto() {
  log "cryptogen: organisations and users"
  no_org
  fabric cryptogen generate --config="$CRYPTO_CONFIG" --output="$ORGS_DIR" >/dev/null
  local i key
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    for key in ${USER_KEYS[$i]} "${ADMIN_MSP[$i]}/keystore/priv_sk"; do
      [ -f "$key" ] || die "cryptogen did not write $key (Fabric 2.5's cryptogen names keys priv_sk)"
    done
  done
}

generate_genesis_block() {
  log "configtxgen: genesis block of channel $CHANNEL"
  no_org
  fabric configtxgen -configPath "$ARTIFACTS_DIR" -profile "$PROFILE_NAME" -channelID "$CHANNEL" \
    -outputBlock "$GENESIS_BLOCK"
}

# ------------------------------------------------------------------ network lifecycle

# start_node_daemon NAME OPS_ADDRESS ENV_FILE COMMAND...: starts a peer or the orderer. A process
# this network did not start, on the node's operations port, would answer the node's health check
# while the node itself failed to bind and died unseen.
start_node_daemon() {
  local name=$1 address=$2 env_file=$3
  shift 3
  ! tcp_open "${address%:*}" "${address##*:}" ||
    die "$address ($name's operations port) is in use by a process this network did not start; stop it, or change ports.base"
  start_daemon "$name" "$env_file" "$DATA_DIR" "$@"
}

start_orderer() {
  if [ "$MODE" = docker ]; then
    compose up -d orderer
  else
    start_node_daemon orderer "$ORDERER_OPS_ADDR" "$ORDERER_ENV" "$(bin_path orderer)"
  fi
  wait_healthy orderer "$ORDERER_OPS_ADDR"
}

# launch_peer INDEX: starts the peer process (or container) without waiting for it.
launch_peer() {
  local i=$1
  mkdir -p "${PEER_DATA_DIR[$i]}"
  if [ "$MODE" = docker ]; then
    compose up -d "${PEER_SERVICE[$i]}"
  else
    start_node_daemon "${PEER_NAME[$i]}" "${PEER_OPS_ADDR[$i]}" "${PEER_ENV[$i]}" "$(bin_path peer)" node start
  fi
}

wait_peer_healthy() {
  local i=$1
  if [ "$MODE" = docker ]; then
    wait_healthy "${PEER_SERVICE[$i]}" "${PEER_OPS_ADDR[$i]}"
  else
    wait_healthy "${PEER_NAME[$i]}" "${PEER_OPS_ADDR[$i]}"
  fi
}

start_peers() {
  local i
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do launch_peer "$i"; done
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do wait_peer_healthy "$i"; done
}

osnadmin_flags() {
  printf '%s\n' -o "$ORDERER_ADMIN_ADDR" --ca-file "$ORDERER_TLS_CA" --client-cert "$ORDERER_ADMIN_CERT" \
    --client-key "$ORDERER_ADMIN_KEY"
}

join_orderer() {
  local flags=() line started=$SECONDS
  while IFS= read -r line; do flags+=("$line"); done < <(osnadmin_flags)
  log "osnadmin: orderer joins channel $CHANNEL"
  no_org
  fabric osnadmin channel join --channelID "$CHANNEL" --config-block "$GENESIS_BLOCK" "${flags[@]}" >/dev/null
  until fabric osnadmin channel list --channelID "$CHANNEL" "${flags[@]}" 2>/dev/null | grep -q '"status": *"active"'; do
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || die "channel $CHANNEL did not become active on the orderer"
    sleep 0.3
  done
}

join_peers() {
  local i
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    log "peer channel join: ${PEER_NAME[$i]}"
    use_org "$i"
    retry 5 2 fabric peer channel join -b "$GENESIS_BLOCK" ||
      die "${PEER_NAME[$i]} could not join channel $CHANNEL"
  done
}

# ok / stopped / partial: whether the network's processes (or containers) run.
network_state() {
  local running=0 total=0 name
  if [ "$MODE" = docker ]; then
    [ -f "$COMPOSE_ENV" ] || {
      echo stopped
      return
    }
    local services=(orderer ${PEER_SERVICE[@]+"${PEER_SERVICE[@]}"})
    for name in "${services[@]}"; do
      total=$((total + 1))
      if service_running "$name"; then running=$((running + 1)); fi
    done
  else
    local names=(orderer ${PEER_NAME[@]+"${PEER_NAME[@]}"})
    for name in "${names[@]}"; do
      total=$((total + 1))
      if pid_alive "$name"; then running=$((running + 1)); fi
    done
  fi
  if [ "$running" -eq 0 ]; then
    echo stopped
  elif [ "$running" -eq "$total" ]; then
    echo running
  else
    echo partial
  fi
}

check_state_matches() {
  local recorded_mode fingerprint
  recorded_mode=$(read_state mode)
  if [ -n "$recorded_mode" ] && [ "$recorded_mode" != "$MODE" ]; then
    die "the existing network was created in $recorded_mode mode; run network/network.sh clean before switching to $MODE"
  fi
  fingerprint=$(node "$CONFIG_JS" fingerprint)
  if [ -f "$STATE_DIR/fingerprint" ] && [ "$(read_state fingerprint)" != "$fingerprint" ]; then
    die "network/network.config.json or config/organisations.json changed since this network was created (organisations, domains, ports, channel or user roles); run network/network.sh clean, then up (see README: adding an organisation)"
  fi
}

# The configuration, in the mode of an existing network unless --docker/--native chose one.
load_config_for_mode() {
  require_node
  local recorded
  recorded=$(read_state mode)
  if [ "$MODE_FLAG_GIVEN" = false ] && [ -n "$recorded" ]; then MODE=$recorded; fi
  load_config
  if [ -f "$STATE_DIR/created" ]; then check_state_matches; fi
}

cmd_up() {
  load_config_for_mode
  if [ "$MODE" = docker ]; then require_docker; fi

  if [ -f "$STATE_DIR/created" ]; then
    case $(network_state) in
      running)
        log "the network is already running ($MODE mode, channel $CHANNEL); nothing to do"
        log "  (network/network.sh status shows its processes; down stops it)"
        return 0
        ;;
      partial)
        die "the network is partly running; run network/network.sh down, then up again"
        ;;
    esac
  fi

  if [ "$MODE" = native ]; then require_binaries; fi
  acquire_lock

  if [ -f "$STATE_DIR/created" ]; then
    resume_network
    return 0
  fi

  # Leftovers of an earlier up that did not finish: nothing runs (checked below), so start afresh.
  if [ -d "$DATA_DIR/peers" ] || [ -d "$ORGS_DIR/peerOrganizations" ]; then
    if [ "$(network_state)" != stopped ]; then
      die "processes of an unfinished earlier up are still running; run network/network.sh down"
    fi
    log "removing the state of an earlier up that did not finish"
    remove_generated_state keep-lock
  fi

  log "creating the network ($MODE mode)"
  write_state mode "$MODE"
  write_state profiles "$KNOWN_MSPS"
  write_state fingerprint "$(node "$CONFIG_JS" fingerprint)"
  generate_config
  if [ "$MODE" = docker ]; then
    compose up -d tools
  fi
  fetch_templates
  write_node_configs
  generate_crypto
  generate_genesis_block

  local leaders
  leaders=$(raft_leader_count)
  start_orderer
  join_orderer
  wait_raft_leader "$leaders"
  start_peers
  join_peers
  write_state created "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  log "network is up: channel $CHANNEL, organisations ${ORG_MSP[*]}, BatchTimeout $BATCH_TIMEOUT"
  log "next: network/network.sh deploy (npm run network:deploy)"
}

resume_network() {
  log "resuming the stopped network ($MODE mode) with its ledgers"
  if [ "$MODE" = docker ]; then compose up -d tools; fi
  local leaders
  leaders=$(raft_leader_count)
  start_orderer
  wait_raft_leader "$leaders"
  start_peers
  local i restarted=false package_id
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    package_id=$(read_state "package-${ORG_MSP[$i]}")
    if [ -n "$package_id" ]; then
      start_chaincode_server "$i" "$package_id"
      restarted=true
    fi
  done
  package_id=$(read_state package-reference)
  if [ -n "$package_id" ]; then start_reference_server "$package_id"; fi
  if [ "$restarted" = true ]; then
    wait_ready
  else
    log "no chaincode deployed yet; next: network/network.sh deploy"
  fi
}

# ------------------------------------------------------------------ chaincode

chaincode_cli() {
  node -p "require.resolve('fabric-shim/cli.js', { paths: [process.argv[1]] })" "$REPO_DIR/chaincode" 2>/dev/null ||
    die "fabric-shim is not installed in $REPO_DIR (run npm install)"
}

# deterministic_tgz DIR OUT NAMES...: sorted, fixed mtime, owner 0, gzip -n → a stable package id.
deterministic_tgz() {
  local dir=$1 out=$2 tar_cmd
  shift 2
  tar_cmd=$(gnu_tar)
  (cd "$dir" && "$tar_cmd" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --mode='a=r,u+w' --format=ustar -cf - "$@") | gzip -n -9 >"$out"
}

# One package per organisation: a package has one connection.json, and each organisation runs its
# own chaincode server (with its CORE_PEER_LOCALMSPID), as it would in production. Package ids
# differ per organisation; the chaincode definition (name, version, sequence, policy,
# collections) is the same for all, which is what approval compares.
package_chaincode() {
  local i=$1 dir=${CC_PACKAGE_DIR[$1]}
  rm -rf "$dir"
  mkdir -p "$dir/src"
  node "$CONFIG_JS" package-files "$MODE" "${ORG_MSP[$i]}" "$dir/src"
  deterministic_tgz "$dir/src/code" "$dir/src/code.tar.gz" connection.json
  deterministic_tgz "$dir/src" "$dir/$CC_LABEL.tar.gz" code.tar.gz metadata.json
}

install_chaincode() {
  local i=$1 package package_id installed
  package="${CC_PACKAGE_DIR[$i]}/$CC_LABEL.tar.gz"
  use_org "$i"
  package_id=$(fabric peer lifecycle chaincode calculatepackageid "$package") ||
    die "peer lifecycle chaincode calculatepackageid $package failed"
  package_id=$(printf '%s' "$package_id" | tr -d '\r\n ')
  case $package_id in "$CC_LABEL":*) ;; *) die "unexpected package id '$package_id' for $package" ;; esac
  installed=$(mktemp)
  fabric peer lifecycle chaincode queryinstalled --output json >"$installed" || true
  if node "$CONFIG_JS" installed "$installed" "$package_id"; then
    log "${ORG_MSP[$i]}: $package_id already installed" >&2
  else
    log "${ORG_MSP[$i]}: installing $package_id on ${PEER_NAME[$i]}" >&2
    fabric peer lifecycle chaincode install "$package" >&2 || {
      rm -f "$installed"
      die "installing the chaincode package on ${PEER_NAME[$i]} failed"
    }
  fi
  rm -f "$installed"
  printf '%s\n' "$package_id"
}

start_chaincode_server() {
  local i=$1 package_id=$2 cli host port started=$SECONDS
  cli=$(chaincode_cli)
  mkdir -p "$(dirname "${CC_ENV[$i]}")"
  {
    echo "CORE_PEER_LOCALMSPID=${ORG_MSP[$i]}"
    echo "CHAINCODE_SERVER_ADDRESS=${CC_LISTEN[$i]}"
    echo "CHAINCODE_ID=$package_id"
    echo "CHAINCODE_CLI=$cli"
    echo "CORE_CHAINCODE_LOGGING_LEVEL=${CHAINCODE_LOGGING_LEVEL:-WARNING}"
  } >"${CC_ENV[$i]}"
  if [ "$MODE" = docker ]; then
    compose up -d --force-recreate "${CC_SERVICE[$i]}"
  else
    stop_daemon "chaincode-${ORG_MSP[$i]}"
    # Otherwise a stray process on the port would pass for the new server, which would die unseen.
    ! tcp_open "${CC_LISTEN[$i]%:*}" "${CC_LISTEN[$i]##*:}" ||
      die "${CC_LISTEN[$i]} is in use by a process this network did not start; stop it, or change ports.base"
    start_daemon "chaincode-${ORG_MSP[$i]}" "${CC_ENV[$i]}" "$REPO_DIR/chaincode" \
      node "$cli" server --chaincode-address="${CC_LISTEN[$i]}" --chaincode-id="$package_id"
  fi
  host=${CC_ADDRESS[$i]%:*}
  port=${CC_ADDRESS[$i]##*:}
  until tcp_open "$host" "$port"; do
    if [ "$MODE" = native ] && ! pid_alive "chaincode-${ORG_MSP[$i]}"; then
      tail -n 20 "$LOG_DIR/chaincode-${ORG_MSP[$i]}.log" >&2 || true
      die "the chaincode server of ${ORG_MSP[$i]} exited (log: $LOG_DIR/chaincode-${ORG_MSP[$i]}.log)"
    fi
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] ||
      die "the chaincode server of ${ORG_MSP[$i]} does not listen on ${CC_ADDRESS[$i]}"
    sleep 0.3
  done
}

# Arguments shared by approveformyorg, checkcommitreadiness and commit.
definition_flags() {
  printf '%s\n' --channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$1" \
    --signature-policy "$POLICY"
  if [ -n "$COLLECTIONS_CONFIG" ]; then printf '%s\n' --collections-config "$COLLECTIONS_CONFIG"; fi
}

# "sequence version" of the committed definition, or nothing.
committed_definition() {
  local out
  out=$(mktemp)
  fabric peer lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" --output json \
    >"$out" 2>/dev/null || true
  node "$CONFIG_JS" committed "$out"
  rm -f "$out"
}

# MSP ids that have not approved the definition at SEQUENCE, one per line (asked through customs).
missing_approvals() {
  local out flags=() line
  while IFS= read -r line; do flags+=("$line"); done < <(definition_flags "$1")
  out=$(mktemp)
  use_org "$CUSTOMS_INDEX"
  if ! fabric peer lifecycle chaincode checkcommitreadiness "${flags[@]}" --output json >"$out"; then
    rm -f "$out"
    return 1
  fi
  node "$CONFIG_JS" missing-approvals "$out"
  rm -f "$out"
}

# approveformyorg, retried; an attempt that timed out may still have been committed, so each retry
# first checks whether the approval is already there (approving it again would be refused).
approve_for_org() {
  local i=$1 sequence=$2 package_id=$3 attempt flags=() orderer=() line missing
  while IFS= read -r line; do flags+=("$line"); done < <(definition_flags "$sequence")
  while IFS= read -r line; do orderer+=("$line"); done < <(orderer_flags)
  for attempt in 1 2 3; do
    use_org "$i"
    if fabric peer lifecycle chaincode approveformyorg "${orderer[@]}" "${flags[@]}" --package-id "$package_id"; then
      return 0
    fi
    sleep 3
    if missing=$(missing_approvals "$sequence") && ! printf '%s\n' "$missing" | grep -qx "${ORG_MSP[$i]}"; then
      return 0
    fi
    warn "approval by ${ORG_MSP[$i]} failed (attempt $attempt of 3)"
  done
  die "approval by ${ORG_MSP[$i]} failed"
}

approve_and_commit() {
  local package_ids=("$@") current sequence i flags=() orderer=() line missing peers=()
  use_org "$CUSTOMS_INDEX"
  current=$(committed_definition)
  if [ -n "$current" ] && [ "${current#* }" = "$CC_VERSION" ]; then
    log "chaincode $CC_NAME $CC_VERSION is already committed (sequence ${current%% *})"
    return 0
  fi
  if [ -n "$current" ]; then sequence=$((${current%% *} + 1)); else sequence=1; fi
  while IFS= read -r line; do flags+=("$line"); done < <(definition_flags "$sequence")
  while IFS= read -r line; do orderer+=("$line"); done < <(orderer_flags)

  missing=$(missing_approvals "$sequence") || die "checkcommitreadiness failed"
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    if printf '%s\n' "$missing" | grep -qx "${ORG_MSP[$i]}"; then
      log "${ORG_MSP[$i]}: approveformyorg $CC_NAME $CC_VERSION sequence $sequence"
      approve_for_org "$i" "$sequence" "${package_ids[$i]}"
    fi
  done
  missing=$(missing_approvals "$sequence") || die "checkcommitreadiness failed"
  [ -z "$missing" ] || die "approvals still missing after approveformyorg: $missing"

  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    peers+=(--peerAddresses "${PEER_ADDR[$i]}" --tlsRootCertFiles "${PEER_TLS_CA[$i]}")
  done
  log "commit $CC_NAME $CC_VERSION sequence $sequence (policy $POLICY)"
  fabric peer lifecycle chaincode commit "${orderer[@]}" "${flags[@]}" "${peers[@]}"

  local started=$SECONDS
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    use_org "$i"
    until [ "$(committed_definition)" = "$sequence $CC_VERSION" ]; do
      [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || die "${PEER_NAME[$i]} does not see the committed definition"
      sleep 0.5
    done
  done
}

# org:init once, as a governance identity (the customs organisation's admin), endorsed by customs
# and one other organisation (the chaincode-level policy needs two). A registry initialised before
# chaincode 1.12 lacks its key-level policy (listOrganisations says "protectedBy":[]): org:protectRegistry
# puts it on, endorsed likewise (the keys are under "any two" until then).
init_registry() {
  local other=-1 i out listed args='' what=org:init orderer=() line started=$SECONDS
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    if [ "$i" -ne "$CUSTOMS_INDEX" ]; then
      other=$i
      break
    fi
  done
  use_org "$CUSTOMS_INDEX"
  while :; do
    if out=$(fabric peer chaincode query -C "$CHANNEL" -n "$CC_NAME" \
      -c '{"function":"org:listOrganisations","Args":[]}' 2>&1); then
      log "organisation registry already initialised"
      case $out in *'"protectedBy":[]'*) ;; *) return 0 ;; esac
      what=org:protectRegistry
      args='{"function":"org:protectRegistry","Args":[]}'
      break
    fi
    case $out in *"not initialised"*) break ;; esac
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || die "the chaincode does not answer: $out"
    sleep 1
  done
  if [ -z "$args" ]; then
    args=$(node "$CONFIG_JS" init-args "$MODE")
    log "org:init as Admin of $CUSTOMS_MSP (organisations ${ORG_MSP[*]})"
  else
    log "org:protectRegistry as Admin of $CUSTOMS_MSP: the registry predates its key-level policy"
  fi
  while IFS= read -r line; do orderer+=("$line"); done < <(orderer_flags)
  if out=$(fabric peer chaincode invoke "${orderer[@]}" -C "$CHANNEL" -n "$CC_NAME" \
    --peerAddresses "${PEER_ADDR[$CUSTOMS_INDEX]}" --tlsRootCertFiles "${PEER_TLS_CA[$CUSTOMS_INDEX]}" \
    --peerAddresses "${PEER_ADDR[$other]}" --tlsRootCertFiles "${PEER_TLS_CA[$other]}" \
    --waitForEvent -c "$args" 2>&1); then
    return 0
  fi
  case $out in *"already initialised"*) return 0 ;; esac
  # The invoke may have timed out waiting for its commit event after all: ask again.
  sleep 3
  if listed=$(fabric peer chaincode query -C "$CHANNEL" -n "$CC_NAME" \
    -c '{"function":"org:listOrganisations","Args":[]}' 2>&1) && [[ $listed != *'"protectedBy":[]'* ]]; then
    return 0
  fi
  die "$what failed: $out"
}

wait_ready() {
  log "readiness probe: every organisation's peer evaluates and gets endorsements with each other organisation"
  (cd "$REPO_DIR" && node "$NETWORK_DIR/lib/probe.mjs" "$GATEWAY_DIR/network.json" "$READY_TIMEOUT") ||
    die "the network did not become ready within ${READY_TIMEOUT} s"
}

# The running network, its configuration loaded and its lock held: what deploy commands start from.
require_running_network() {
  require_node
  MODE=$(read_state mode)
  if [ -z "$MODE" ] || [ ! -f "$STATE_DIR/created" ]; then
    die "no network: run network/network.sh up first"
  fi
  load_config
  if [ "$MODE" = docker ]; then require_docker; else require_binaries; fi
  check_state_matches
  [ "$(network_state)" = running ] || die "the network is not running: run network/network.sh up first"
  acquire_lock
}

cmd_deploy() {
  require_running_network
  if [ "$MODE" = docker ] && ! service_running tools; then compose up -d tools; fi

  if [ "${NETWORK_SKIP_BUILD:-}" != 1 ]; then
    log "building the chaincode (npm run build:chaincode)"
    (cd "$REPO_DIR" && npm run --silent build:chaincode) || die "chaincode build failed"
  fi
  [ -f "$REPO_DIR/chaincode/dist/index.js" ] || die "chaincode/dist/index.js is missing: run npm run build:chaincode"
  POLICY=$(head -n 1 "$POLICY_FILE")

  local i package_ids=()
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    package_chaincode "$i"
    package_ids[i]=$(install_chaincode "$i")
    write_state "package-${ORG_MSP[$i]}" "${package_ids[$i]}"
  done
  # Servers (re)start on every deploy: with chaincode as a service a code change needs no new
  # package or definition, only a server running the new build.
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    log "${ORG_MSP[$i]}: chaincode server on ${CC_LISTEN[$i]} (CORE_PEER_LOCALMSPID=${ORG_MSP[$i]})"
    start_chaincode_server "$i" "${package_ids[$i]}"
  done
  approve_and_commit "${package_ids[@]}"
  init_registry
  wait_ready
  log "deployed: chaincode $CC_NAME $CC_VERSION on channel $CHANNEL"
  log "gateway connection profiles: ${GATEWAY_DIR#"$REPO_DIR"/}/ (see network/README.md to run the gateway with LEDGER=fabric)"
}

# The reference chaincode (bench/reference-chaincode, one putState per transaction) beside the
# customs chaincode, under the same endorsement policy and with no collections: `npm run bench:http`
# with LEDGER=fabric measures a customs write against it on the same network. One server serves
# every peer (it does not call getMspID), so every organisation installs the same package.
start_reference_server() {
  local package_id=$1 cli started=$SECONDS env_file=$DATA_DIR/env/chaincode-reference.env
  cli=$(chaincode_cli)
  mkdir -p "$(dirname "$env_file")"
  {
    echo "CHAINCODE_SERVER_ADDRESS=$REFERENCE_CC_ADDRESS"
    echo "CHAINCODE_ID=$package_id"
    echo "CORE_CHAINCODE_LOGGING_LEVEL=${CHAINCODE_LOGGING_LEVEL:-WARNING}"
  } >"$env_file"
  stop_daemon chaincode-reference
  ! tcp_open "${REFERENCE_CC_ADDRESS%:*}" "${REFERENCE_CC_ADDRESS##*:}" ||
    die "$REFERENCE_CC_ADDRESS is in use by a process this network did not start; stop it, or change ports.base"
  start_daemon chaincode-reference "$env_file" "$REPO_DIR/bench/reference-chaincode" \
    node "$cli" server --chaincode-address="$REFERENCE_CC_ADDRESS" --chaincode-id="$package_id"
  until tcp_open "${REFERENCE_CC_ADDRESS%:*}" "${REFERENCE_CC_ADDRESS##*:}"; do
    pid_alive chaincode-reference ||
      die "the reference chaincode server exited (log: $LOG_DIR/chaincode-reference.log)"
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] ||
      die "the reference chaincode server does not listen on $REFERENCE_CC_ADDRESS"
    sleep 0.3
  done
}

cmd_deploy_reference() {
  require_running_network
  [ "$MODE" = native ] || die "deploy-reference is for the native network (the Compose file has no reference service)"
  POLICY=$(head -n 1 "$POLICY_FILE")
  CC_NAME=kv
  CC_VERSION=1.0
  CC_LABEL=kv_1.0
  COLLECTIONS_CONFIG=
  local dir=$DATA_DIR/chaincode/reference i package_ids=()
  rm -rf "$dir"
  mkdir -p "$dir/src/code"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$REFERENCE_CC_ADDRESS" \
    >"$dir/src/code/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$CC_LABEL" >"$dir/src/metadata.json"
  deterministic_tgz "$dir/src/code" "$dir/src/code.tar.gz" connection.json
  deterministic_tgz "$dir/src" "$dir/$CC_LABEL.tar.gz" code.tar.gz metadata.json
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    CC_PACKAGE_DIR[i]=$dir
    package_ids[i]=$(install_chaincode "$i")
  done
  write_state package-reference "${package_ids[0]}"
  start_reference_server "${package_ids[0]}"
  approve_and_commit "${package_ids[@]}"
  log "deployed: reference chaincode $CC_NAME $CC_VERSION on channel $CHANNEL (server $REFERENCE_CC_ADDRESS)"
}

# Needs no valid configuration: native processes are found by their pid files, containers by the
# recorded Compose profiles.
cmd_down() {
  MODE=$(read_state mode)
  if [ -z "$MODE" ]; then
    log "no network state; nothing to stop"
    return 0
  fi
  if [ "$MODE" = docker ]; then
    require_docker
    set_profiles "$(read_state profiles)"
    if [ -f "$COMPOSE_ENV" ]; then
      compose down -v --remove-orphans
    fi
  else
    local file name
    # Chaincode servers first, then peers, then the orderer; anything else recorded last.
    for file in "$PID_DIR"/chaincode-*.pid "$PID_DIR"/peer0.*.pid "$PID_DIR"/orderer.pid "$PID_DIR"/*.pid; do
      [ -f "$file" ] || continue
      name=$(basename "$file" .pid)
      stop_daemon "$name"
    done
  fi
  log "network stopped; ledgers kept (up resumes, clean removes them)"
}

remove_generated_state() {
  local keep_lock=${1:-}
  case $NETWORK_DIR in */network) ;; *) die "refusing to delete under unexpected folder $NETWORK_DIR" ;; esac
  [ -f "$NETWORK_DIR/network.sh" ] || die "refusing to delete: $NETWORK_DIR is not the network folder"
  rm -rf -- "$NETWORK_DIR/organizations" "$NETWORK_DIR/channel-artifacts" "$LOG_DIR"
  if [ "$keep_lock" = keep-lock ]; then
    local entry
    for entry in "$DATA_DIR"/* "$DATA_DIR"/.[!.]*; do
      [ -e "$entry" ] || continue
      [ "$entry" = "$LOCK_DIR" ] || rm -rf -- "$entry"
    done
  else
    rm -rf -- "$DATA_DIR"
  fi
}

cmd_clean() {
  cmd_down
  local name file
  for file in "$PID_DIR"/*.pid; do
    [ -f "$file" ] || continue
    name=$(basename "$file" .pid)
    if pid_alive "$name"; then die "$name is still running; not deleting its files"; fi
  done
  remove_generated_state || die "could not remove every generated file (files written by root in a container?)"
  log "removed crypto, channel artifacts, ledgers, logs and generated configuration"
}

cmd_generate() {
  load_config_for_mode
  generate_config
  local dir
  if [ "$MODE" = native ] && dir=$(find_config_dir); then
    mkdir -p "$TEMPLATE_DIR"
    cp "$dir/core.yaml" "$TEMPLATE_DIR/core.yaml"
    cp "$dir/orderer.yaml" "$TEMPLATE_DIR/orderer.yaml"
    write_node_configs
    log "  per-node core.yaml/orderer.yaml copies from $dir"
  else
    log "  (per-node core.yaml copies are made by up, from Fabric's config folder or image)"
  fi
}

cmd_status() {
  MODE=$(read_state mode)
  if [ -z "$MODE" ]; then
    log "no network (network/network.sh up creates one)"
    return 0
  fi
  require_node
  load_config
  log "mode $MODE, channel $CHANNEL, chaincode $CC_NAME $CC_VERSION, created $(read_state created)"
  local i name state
  if [ "$MODE" = docker ]; then
    require_docker
    compose ps
    return 0
  fi
  for name in orderer ${PEER_NAME[@]+"${PEER_NAME[@]}"}; do
    if pid_alive "$name"; then state="running (pid $(head -n 1 "$PID_DIR/$name.pid"))"; else state=stopped; fi
    log "  $name: $state"
  done
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    name="chaincode-${ORG_MSP[$i]}"
    if pid_alive "$name"; then state="running (pid $(head -n 1 "$PID_DIR/$name.pid"))"; else state=stopped; fi
    log "  $name: $state, peer ${PEER_HOST_ADDR[$i]}"
  done
  if [ -n "$(read_state package-reference)" ]; then
    if pid_alive chaincode-reference; then state="running (pid $(head -n 1 "$PID_DIR/chaincode-reference.pid"))"; else state=stopped; fi
    log "  chaincode-reference: $state, $REFERENCE_CC_ADDRESS"
  fi
}

# node_index NAME: the organisation index of a peer named as `status` lists it; fails for others.
node_index() {
  local i
  for ((i = 0; i < ${#ORG_MSP[@]}; i++)); do
    if [ "${PEER_NAME[$i]}" = "$1" ] || [ "${PEER_SERVICE[$i]}" = "$1" ]; then
      printf '%s\n' "$i"
      return 0
    fi
  done
  return 1
}

# stop-node / start-node: one orderer or peer down and up again, for fault drills (the ledgers stay).
cmd_stop_node() {
  [ -n "$NODE" ] || die "stop-node needs a node name: orderer or a peer as network/network.sh status lists it"
  MODE=$(read_state mode)
  [ -n "$MODE" ] || die "no network (network/network.sh up creates one)"
  require_node
  load_config
  local i
  if [ "$NODE" != orderer ] && ! i=$(node_index "$NODE"); then die "no node '$NODE' in this network"; fi
  if [ "$MODE" = docker ]; then
    require_docker
    compose stop "$( [ "$NODE" = orderer ] && echo orderer || echo "${PEER_SERVICE[$i]}")"
  else
    stop_daemon "$( [ "$NODE" = orderer ] && echo orderer || echo "${PEER_NAME[$i]}")"
  fi
}

cmd_start_node() {
  [ -n "$NODE" ] || die "start-node needs a node name: orderer or a peer as network/network.sh status lists it"
  MODE=$(read_state mode)
  [ -n "$MODE" ] || die "no network (network/network.sh up creates one)"
  require_node
  load_config_for_mode
  if [ "$MODE" = docker ]; then require_docker; else require_binaries; fi
  local i leaders name service
  if [ "$NODE" = orderer ]; then
    name=orderer service=orderer
  else
    i=$(node_index "$NODE") || die "no node '$NODE' in this network"
    name=${PEER_NAME[$i]} service=${PEER_SERVICE[$i]}
  fi
  # A second copy would fail to bind while the first answered for it, and its pid would replace the
  # first's, which down would then leave running.
  if { [ "$MODE" = native ] && pid_alive "$name"; } || { [ "$MODE" = docker ] && service_running "$service"; }; then
    log "$name is already running; nothing to do"
    return 0
  fi
  if [ "$NODE" = orderer ]; then
    leaders=$(raft_leader_count)
    start_orderer
    wait_raft_leader "$leaders"
    return 0
  fi
  launch_peer "$i"
  wait_peer_healthy "$i"
}

# ------------------------------------------------------------------ main

MODE_FLAG_GIVEN=false
NODE=
if [ $# -gt 0 ]; then
  COMMAND=$1
  shift
fi
while [ $# -gt 0 ]; do
  case $1 in
    --docker)
      MODE=docker
      MODE_FLAG_GIVEN=true
      ;;
    --native)
      MODE=native
      MODE_FLAG_GIVEN=true
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option '$1' (network/network.sh help)" ;;
    *)
      case $COMMAND in
        stop-node | start-node) [ -z "${NODE:-}" ] || die "one node at a time"; NODE=$1 ;;
        *) die "unexpected argument '$1' (network/network.sh help)" ;;
      esac
      ;;
  esac
  shift
done

case $COMMAND in
  up) cmd_up ;;
  deploy | down | clean | status | deploy-reference | stop-node | start-node)
    [ "$MODE_FLAG_GIVEN" = false ] || die "$COMMAND uses the mode the network was created with; drop --docker/--native"
    "cmd_${COMMAND//-/_}"
    ;;
  generate) cmd_generate ;;
  help | -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
