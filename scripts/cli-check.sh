#!/usr/bin/env bash
# cli-check.sh — drive the local AWS with the AWS CLI (issue 2, "the AWS CLI
# works against it with --endpoint-url").
#
# Starts `go run ./cmd/localaws` with the fleet seed on a free loopback port
# and a fast clock, then runs the AWS CLI against it with --endpoint-url and
# dummy credentials: ElastiCache create/describe/copy/export/delete snapshot,
# the serverless snapshot commands, MemoryDB snapshots and export, Redshift
# Serverless snapshots, and `aws s3 ls` of the exported objects. Exits
# non-zero on the first failure; the server is stopped on exit.
#
#   scripts/cli-check.sh                  # the `aws` on PATH
#   AWS_CLI=/usr/bin/aws scripts/cli-check.sh
#   SPEED=600 KEEP_LOG=1 scripts/cli-check.sh
#
# Commands the CLI does not know (Debian's awscli 2.9.19 predates the
# ElastiCache Serverless and Redshift Serverless copy-configuration
# commands) are skipped with a message.
set -euo pipefail

cd "$(dirname "$0")/.."

AWS_CLI=${AWS_CLI:-aws}
SPEED=${SPEED:-600}
SEED=${SEED:-internal/localaws/testdata/fleet.json}
GO=${GO:-go}
BUCKET=snapflow-exports

command -v "$AWS_CLI" >/dev/null || { echo "cli-check: no AWS CLI ($AWS_CLI) on PATH" >&2; exit 2; }
command -v curl >/dev/null || { echo "cli-check: curl is needed" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=""
passed=0
skipped=0
started=$(date +%s)

cleanup() {
  local rc=$?
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    # go run is in its own process group (setsid): stop it and the server.
    kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 || -n ${KEEP_LOG:-} ]]; then
    echo "--- server log ($tmp/server.log) ---" >&2
    tail -n 20 "$tmp/server.log" >&2 || true
  fi
  [[ -n ${KEEP_LOG:-} ]] || rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); printf 'skip  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

# --- the server ---

# free_port: a port nothing on 127.0.0.1 answers on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
port=$(free_port) || fail "no free port"
url="http://127.0.0.1:$port"
setsid "$GO" run ./cmd/localaws --addr "127.0.0.1:$port" --seed "$SEED" --speed "$SPEED" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do # go run compiles first: up to 2 minutes
  curl -sf "$url/_localaws/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || fail "localaws exited: $(cat "$tmp/server.log")"
  sleep 0.2
done
curl -sf "$url/_localaws/health" >/dev/null || fail "localaws not healthy on $url"
ok "localaws up on $url (seed $SEED, speed $SPEED)"

# --- the CLI, with dummy credentials and nothing from ~/.aws ---

cat >"$tmp/config" <<EOF
[default]
region = us-east-1
output = json
s3 =
  addressing_style = path
EOF
export AWS_CONFIG_FILE="$tmp/config" AWS_SHARED_CREDENTIALS_FILE="$tmp/credentials"
export AWS_ACCESS_KEY_ID=AKIDLOCALCLI AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE 2>/dev/null || true

awsl() { "$AWS_CLI" --endpoint-url "$url" "$@"; }

# has SERVICE COMMAND: does this CLI know the command?
has() { "$AWS_CLI" "$1" "$2" help >/dev/null 2>&1; }

# expect VALUE DESCRIPTION COMMAND...: run it, compare its text output.
expect() {
  local want=$1 what=$2 got
  shift 2
  got=$("$@") || fail "$what: command failed"
  [[ $got == "$want" ]] || fail "$what: got '$got', want '$want'"
  ok "$what: $got"
}

# expect_error CODE DESCRIPTION COMMAND...: it must fail with the error code.
expect_error() {
  local code=$1 what=$2 out
  shift 2
  if out=$("$@" 2>&1); then fail "$what: succeeded, want $code"; fi
  [[ $out == *"($code)"* ]] || fail "$what: want $code, got: $out"
  ok "$what: $code"
}

# wait_for VALUE DESCRIPTION COMMAND...: poll until the output is VALUE.
wait_for() {
  local want=$1 what=$2 got="" start=$SECONDS
  shift 2
  while ((SECONDS - start < 60)); do
    got=$("$@" 2>/dev/null) || true
    [[ $got == "$want" ]] && { ok "$what: $got after $((SECONDS - start)) s"; return; }
    sleep 0.3
  done
  fail "$what: still '$got' after 60 s"
}

"$AWS_CLI" --version 2>&1 | sed 's/^/info  /'

# clock SPEED: stop (0) or restart the simulated clock through the admin
# API, so that "busy while it snapshots" is checked while time stands still
# (each CLI call takes most of a real second).
clock() { curl -sf -X POST -d "{\"speed\": $1}" "$url/_localaws/clock" >/dev/null || fail "POST /_localaws/clock"; }

# --- ElastiCache (node-based) ---

clock 0
expect creating "elasticache create-snapshot (3-shard group)" \
  awsl elasticache create-snapshot --replication-group-id sessions --snapshot-name cli-sessions-1 --query Snapshot.SnapshotStatus --output text
expect snapshotting "elasticache describe-replication-groups while it snapshots" \
  awsl elasticache describe-replication-groups --replication-group-id sessions --query 'ReplicationGroups[0].Status' --output text
expect_error InvalidReplicationGroupState "elasticache create-snapshot again while snapshotting" \
  awsl elasticache create-snapshot --replication-group-id sessions --snapshot-name cli-sessions-2
clock "$SPEED"
wait_for available "elasticache describe-snapshots until available" \
  awsl elasticache describe-snapshots --snapshot-name cli-sessions-1 --query 'Snapshots[0].SnapshotStatus' --output text
expect 3 "elasticache describe-snapshots --show-node-group-config: node snapshots" \
  awsl elasticache describe-snapshots --replication-group-id sessions --show-node-group-config --query 'length(Snapshots[0].NodeSnapshots)' --output text
expect creating "elasticache copy-snapshot" \
  awsl elasticache copy-snapshot --source-snapshot-name cli-sessions-1 --target-snapshot-name cli-sessions-1-copy --query Snapshot.SnapshotStatus --output text
wait_for available "elasticache copy available" \
  awsl elasticache describe-snapshots --snapshot-name cli-sessions-1-copy --query 'Snapshots[0].SnapshotStatus' --output text
wait_for available "elasticache source available after the copy" \
  awsl elasticache describe-snapshots --snapshot-name cli-sessions-1 --query 'Snapshots[0].SnapshotStatus' --output text
expect exporting "elasticache copy-snapshot --target-bucket (export to S3)" \
  awsl elasticache copy-snapshot --source-snapshot-name cli-sessions-1 --target-snapshot-name cli-sessions-1 --target-bucket "$BUCKET" --query Snapshot.SnapshotStatus --output text
wait_for available "elasticache export done" \
  awsl elasticache describe-snapshots --snapshot-name cli-sessions-1 --query 'Snapshots[0].SnapshotStatus' --output text
expect_error InvalidParameterValue "elasticache export to a bucket without grants" \
  awsl elasticache copy-snapshot --source-snapshot-name cli-sessions-1 --target-snapshot-name x --target-bucket snapflow-nogrant
expect_error SnapshotFeatureNotSupportedFault "elasticache create-snapshot of Memcached" \
  awsl elasticache create-snapshot --cache-cluster-id pages --snapshot-name cli-pages-1
expect deleting "elasticache delete-snapshot" \
  awsl elasticache delete-snapshot --snapshot-name cli-sessions-1-copy --query Snapshot.SnapshotStatus --output text
expect "daily" "elasticache list-tags-for-resource" \
  awsl elasticache list-tags-for-resource --resource-name arn:aws:elasticache:us-east-1:123456789012:replicationgroup:orders --query "TagList[?Key=='backup'].Value | [0]" --output text

# --- ElastiCache Serverless ---

if has elasticache create-serverless-cache-snapshot; then
  expect creating "elasticache create-serverless-cache-snapshot" \
    awsl elasticache create-serverless-cache-snapshot --serverless-cache-name carts --serverless-cache-snapshot-name cli-carts-1 --query ServerlessCacheSnapshot.Status --output text
  wait_for available "elasticache describe-serverless-cache-snapshots until available" \
    awsl elasticache describe-serverless-cache-snapshots --serverless-cache-snapshot-name cli-carts-1 --query 'ServerlessCacheSnapshots[0].Status' --output text
  expect creating "elasticache copy-serverless-cache-snapshot" \
    awsl elasticache copy-serverless-cache-snapshot --source-serverless-cache-snapshot-name cli-carts-1 --target-serverless-cache-snapshot-name cli-carts-1-copy --query ServerlessCacheSnapshot.Status --output text
  wait_for available "elasticache serverless copy available" \
    awsl elasticache describe-serverless-cache-snapshots --serverless-cache-snapshot-name cli-carts-1-copy --query 'ServerlessCacheSnapshots[0].Status' --output text
  wait_for available "elasticache serverless source available after the copy" \
    awsl elasticache describe-serverless-cache-snapshots --serverless-cache-snapshot-name cli-carts-1 --query 'ServerlessCacheSnapshots[0].Status' --output text
  expect exporting "elasticache export-serverless-cache-snapshot" \
    awsl elasticache export-serverless-cache-snapshot --serverless-cache-snapshot-name cli-carts-1 --s3-bucket-name "$BUCKET" --query ServerlessCacheSnapshot.Status --output text
  wait_for available "elasticache serverless export done" \
    awsl elasticache describe-serverless-cache-snapshots --serverless-cache-snapshot-name cli-carts-1 --query 'ServerlessCacheSnapshots[0].Status' --output text
  expect deleting "elasticache delete-serverless-cache-snapshot" \
    awsl elasticache delete-serverless-cache-snapshot --serverless-cache-snapshot-name cli-carts-1-copy --query ServerlessCacheSnapshot.Status --output text
else
  skip "elasticache serverless snapshot commands: not in $("$AWS_CLI" --version 2>&1 | cut -d' ' -f1)"
fi

# --- MemoryDB ---

clock 0
expect creating "memorydb create-snapshot (2 shards)" \
  awsl memorydb create-snapshot --cluster-name ledger --snapshot-name cli-ledger-1 --query Snapshot.Status --output text
expect snapshotting "memorydb describe-clusters while it snapshots" \
  awsl memorydb describe-clusters --cluster-name ledger --query 'Clusters[0].Status' --output text
expect_error InvalidClusterStateFault "memorydb create-snapshot again while snapshotting" \
  awsl memorydb create-snapshot --cluster-name ledger --snapshot-name cli-ledger-2
clock "$SPEED"
wait_for available "memorydb describe-snapshots until available" \
  awsl memorydb describe-snapshots --snapshot-name cli-ledger-1 --query 'Snapshots[0].Status' --output text
expect creating "memorydb copy-snapshot" \
  awsl memorydb copy-snapshot --source-snapshot-name cli-ledger-1 --target-snapshot-name cli-ledger-1-copy --query Snapshot.Status --output text
wait_for available "memorydb copy available" \
  awsl memorydb describe-snapshots --snapshot-name cli-ledger-1-copy --query 'Snapshots[0].Status' --output text
expect cli-ledger-1-copy "memorydb copy-snapshot --target-bucket (export to S3)" \
  awsl memorydb copy-snapshot --source-snapshot-name cli-ledger-1-copy --target-snapshot-name cli-ledger-1 --target-bucket "$BUCKET" --query Snapshot.Name --output text
wait_for available "memorydb export done" \
  awsl memorydb describe-snapshots --snapshot-name cli-ledger-1-copy --query 'Snapshots[0].Status' --output text
expect 2 "memorydb describe-snapshots --cluster-name ledger" \
  awsl memorydb describe-snapshots --cluster-name ledger --query 'length(Snapshots)' --output text
expect deleting "memorydb delete-snapshot" \
  awsl memorydb delete-snapshot --snapshot-name cli-ledger-1-copy --query Snapshot.Status --output text

# --- Redshift Serverless ---

clock 0
expect CREATING "redshift-serverless create-snapshot" \
  awsl redshift-serverless create-snapshot --namespace-name finance --snapshot-name cli-finance-1 --retention-period 7 --query snapshot.status --output text
expect_error ConflictException "redshift-serverless create-snapshot while one runs" \
  awsl redshift-serverless create-snapshot --namespace-name finance --snapshot-name cli-finance-2
expect $'CREATING\t240' "redshift-serverless get-snapshot while it runs: status, estimatedSecondsToCompletion" \
  awsl redshift-serverless get-snapshot --snapshot-name cli-finance-1 --query '[snapshot.status, snapshot.estimatedSecondsToCompletion]' --output text
clock "$SPEED"
wait_for AVAILABLE "redshift-serverless get-snapshot until available" \
  awsl redshift-serverless get-snapshot --snapshot-name cli-finance-1 --query snapshot.status --output text
expect $'4096\t0' "redshift-serverless get-snapshot: size, estimatedSecondsToCompletion" \
  awsl redshift-serverless get-snapshot --snapshot-name cli-finance-1 --query '[snapshot.totalBackupSizeInMegaBytes, snapshot.estimatedSecondsToCompletion]' --output text
expect cli-finance-1 "redshift-serverless list-snapshots" \
  awsl redshift-serverless list-snapshots --namespace-name finance --query 'snapshots[].snapshotName' --output text
expect "-1" "redshift-serverless update-snapshot --retention-period -1" \
  awsl redshift-serverless update-snapshot --snapshot-name cli-finance-1 --retention-period=-1 --query snapshot.snapshotRetentionPeriod --output text
if has redshift-serverless list-snapshot-copy-configurations; then
  expect us-west-2 "redshift-serverless list-snapshot-copy-configurations" \
    awsl redshift-serverless list-snapshot-copy-configurations --namespace-name analytics --query 'snapshotCopyConfigurations[0].destinationRegion' --output text
else
  skip "redshift-serverless snapshot copy configuration commands: not in $("$AWS_CLI" --version 2>&1 | cut -d' ' -f1)"
fi
expect DELETED "redshift-serverless delete-snapshot" \
  awsl redshift-serverless delete-snapshot --snapshot-name cli-finance-1 --query snapshot.status --output text

# --- S3: the exported objects ---

"$AWS_CLI" --endpoint-url "$url" s3 ls "s3://$BUCKET/" >"$tmp/ls" || fail "aws s3 ls s3://$BUCKET/"
sed 's/^/info  /' "$tmp/ls"
want=(cli-sessions-1-0001.rdb cli-sessions-1-0002.rdb cli-sessions-1-0003.rdb cli-ledger-1-0001.rdb cli-ledger-1-0002.rdb)
if has elasticache create-serverless-cache-snapshot; then want+=(cli-carts-1-0001.rdb cli-carts-1-0002.rdb); fi
for k in "${want[@]}"; do
  grep -q " $k\$" "$tmp/ls" || fail "aws s3 ls: $k missing"
done
ok "aws s3 ls s3://$BUCKET/ shows ${#want[@]} exported objects"
awsl s3 cp "s3://$BUCKET/cli-sessions-1-0001.rdb" "$tmp/dump.rdb" >/dev/null || fail "aws s3 cp"
[[ $(head -c 5 "$tmp/dump.rdb") == REDIS ]] || fail "cli-sessions-1-0001.rdb does not start with REDIS"
ok "aws s3 cp: cli-sessions-1-0001.rdb is an RDB file ($(wc -c <"$tmp/dump.rdb") bytes)"

calls=$(curl -sf "$url/_localaws/calls" | grep -o '"seq"' | wc -l)
echo "PASS  $passed checks, $skipped skipped, $calls calls recorded, $(($(date +%s) - started)) s"
