#!/usr/bin/env bash
# The hub's two commands (see README.md):
#   ./dev.sh run    install what is missing, build, and run the hub with its embedded defaults
#   ./dev.sh test   install what is missing, build, and pass the whole test suite
# Both are idempotent and quick when nothing changed. Settings come from the environment:
#   HUB_BUILD_DIR (build), HUB_DATA_DIR (data), HUB_SEED (20261125), HUB_SANITIZERS (empty),
#   HUB_PORT (8080), HUB_SIMULATE (reports a second of the built-in workload, 20),
#   HUB_REDIS (empty: a private redis-server on 127.0.0.1:HUB_REDIS_PORT (6390) with its data
#   in $HUB_DATA_DIR/redis, stopped with the hub; HOST:PORT: your own Redis instead).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

build_dir=${HUB_BUILD_DIR:-build}
data_dir=${HUB_DATA_DIR:-data}
seed=${HUB_SEED:-20261125}

# Debian 12 packages the build, the tests and the run need.
packages=(g++ cmake ninja-build ccache pkg-config
          libcaf-dev libboost-dev libmsgpack-cxx-dev libhiredis-dev libssl-dev
          libgtest-dev libgmock-dev libbenchmark-dev redis-server clang libclang-rt-14-dev
          libjemalloc-dev)

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing from Debian: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

build() {
  local werror=OFF
  [ -n "${CI:-}" ] && werror=ON
  if [ ! -f "$build_dir/build.ninja" ]; then
    say "configuring $build_dir"
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DHUB_WERROR="$werror" -DHUB_SANITIZERS="${HUB_SANITIZERS:-}" >/dev/null
  fi
  say "building"
  cmake --build "$build_dir" -j "$(nproc)"
}

# The generated Xinyang hierarchy, made once per seed.
hierarchy_file() {
  local file="$data_dir/xinyang-$seed.tsv"
  if [ ! -s "$file" ]; then
    mkdir -p "$data_dir"
    "$build_dir/sim/hub-gen" --seed "$seed" --out "$file.tmp"
    mv "$file.tmp" "$file"
  fi
  echo "$file"
}

# The embedded default store: a private redis-server, AOF on (fsync every second), its data in
# the project's data folder. Sets `redis` to its address, and `started_redis` when this run
# started it (so that it stops with the hub); reuses one that already answers there.
private_redis() {
  local port=${HUB_REDIS_PORT:-6390} dir
  mkdir -p "$data_dir/redis"
  dir=$(cd "$data_dir/redis" && pwd)
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    # Something answers there already: ours from an earlier run, or somebody else's Redis,
    # which this must not write into.
    if [ "$(redis-cli -p "$port" config get dir | tail -1)" != "$dir" ]; then
      echo "a Redis on 127.0.0.1:$port keeps its data elsewhere: set HUB_REDIS_PORT to a free" \
        "port, or HUB_REDIS=127.0.0.1:$port to use that one" >&2
      exit 1
    fi
  else
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes \
      --appendfsync everysec --save "" --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" >/dev/null
    local i
    for i in $(seq 100); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
    redis-cli -p "$port" ping >/dev/null || { echo "redis-server did not start: see $dir/redis.log" >&2; exit 1; }
    started_redis=$port
  fi
  redis="127.0.0.1:$port"
}

stop_private_redis() {
  if [ -n "${started_redis:-}" ]; then
    redis-cli -p "$started_redis" shutdown >/dev/null 2>&1 || true
  fi
}

run() {
  local file port=${HUB_PORT:-8080} rate=${HUB_SIMULATE:-20} redis
  file=$(hierarchy_file)
  if [ -n "${HUB_REDIS:-}" ]; then
    redis=$HUB_REDIS
  else
    private_redis
    trap stop_private_redis EXIT
    say "state in Redis at $redis (data in $data_dir/redis, AOF fsync every second)"
  fi
  # A dashboard viewer's token: the city's first leader (ids are unit code * 100 + n).
  say "the city from $file, ${rate} reports/s simulated; watch it live with:"
  echo "  $build_dir/sim/hub-cli --url ws://127.0.0.1:$port/ --secret-file $data_dir/hub.secret \\" >&2
  echo "    --hierarchy $file --token-for 41150001 watch --unit 411500" >&2
  "$build_dir/gateway/hub" serve --hierarchy "$file" --port "$port" \
    --secret-file "$data_dir/hub.secret" --simulate "$rate" --redis "$redis" "$@"
}

run_tests() {
  say "testing"
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$(nproc)"
}

case "${1:-}" in
  run) shift; install_missing; build; run "$@" ;;
  test) shift; install_missing; build; run_tests "$@" ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
