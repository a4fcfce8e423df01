#!/usr/bin/env bash
# The hub's two commands (see README.md):
#   ./dev.sh run    install what is missing, build, and run the hub with its embedded defaults
#   ./dev.sh test   install what is missing, build, and pass the whole test suite
# Both are idempotent and quick when nothing changed. Settings come from the environment:
#   HUB_BUILD_DIR (build), HUB_DATA_DIR (data), HUB_SEED (20261125), HUB_SANITIZERS (empty),
#   HUB_GENERATOR (Ninja; any CMake generator, e.g. "Unix Makefiles"),
#   HUB_PORT (8080), HUB_SCENARIO (sim/scenarios/small.scn, what hub-sim runs beside the hub),
#   HUB_SIMULATE (empty: the scenario's rate; N: a steady N reports a second; 0: no hub-sim),
#   HUB_TIME_SCALE (60: the hub's time limits divided by it, as small.scn runs 60 times faster),
#   HUB_REDIS (empty: a private redis-server on 127.0.0.1:HUB_REDIS_PORT (6390) with its data
#   in $HUB_DATA_DIR/redis, stopped with the hub; HOST:PORT: your own Redis instead).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

build_dir=${HUB_BUILD_DIR:-build}
data_dir=${HUB_DATA_DIR:-data}
seed=${HUB_SEED:-20261125}

# Debian 12 packages the build, the tests and the run need.
packages=(g++ cmake ninja-build make ccache pkg-config clang-format nodejs
          libcaf-dev libboost-dev libmsgpack-cxx-dev libhiredis-dev libssl-dev
          libgtest-dev libgmock-dev libbenchmark-dev redis-server clang libclang-rt-14-dev
          libjemalloc-dev chromium fonts-wqy-microhei)

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

# The browser pages' npm packages (gateway/www/package-lock.json), installed with `npm ci` when
# node_modules is missing or was installed from another lockfile (a stamp holds its hash).
web_packages() {
  local www=gateway/www stamp=gateway/www/node_modules/.hub-lock-sha256 sum
  command -v npm >/dev/null || { packages=(npm); install_missing; }
  sum=$(sha256sum "$www/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "npm ci in $www"
    (cd "$www" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$sum" >"$stamp"
  fi
}

# build [TARGET...]: configures once, then builds the targets named (every target when none).
build() {
  local werror=OFF targets=()
  [ -n "${CI:-}" ] && werror=ON
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    say "configuring $build_dir"
    cmake -S . -B "$build_dir" -G "${HUB_GENERATOR:-Ninja}" -DCMAKE_BUILD_TYPE=Release \
      -DHUB_WERROR="$werror" -DHUB_SANITIZERS="${HUB_SANITIZERS:-}" >/dev/null
  fi
  (($#)) && targets=(--target "$@")
  say "building${1:+ $*}"
  cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
}

# The generated Xinyang hierarchy, made once per seed.
hierarchy_file() {
  local file="$data_dir/xinyang-$seed.tsv"
  if [ ! -s "$file" ]; then
    mkdir -p "$data_dir"
    "$build_dir/sim/gen/hub-gen" --seed "$seed" --out "$file.tmp"
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

# Waits until something accepts connections on 127.0.0.1:$1 while process $2 lives.
wait_listening() {
  local port=$1 pid=$2
  while kill -0 "$pid" 2>/dev/null; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

run() {
  local file port=${HUB_PORT:-8080} rate=${HUB_SIMULATE:-} redis
  local scenario=${HUB_SCENARIO:-sim/scenarios/small.scn} time_scale=${HUB_TIME_SCALE:-60}
  hub_pid= sim_pid= # global: the EXIT trap stops them
  file=$(hierarchy_file)
  if [ -n "${HUB_REDIS:-}" ]; then
    redis=$HUB_REDIS
  else
    private_redis
    say "state in Redis at $redis (data in $data_dir/redis, AOF fsync every second)"
  fi
  # Open311 (gateway/open311/README.md): one api_key, made once, for the first hotline operator.
  local keys="$data_dir/open311.keys" operator
  if [ ! -f "$keys" ]; then
    operator=$(grep -P -m1 '^person\t[^\t]*\t[^\t]*\thotline_operator\t' "$file" | cut -f2)
    (umask 077 && printf '%s\t%s\n' "$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')" \
      "$operator" >"$keys")
  fi
  "$build_dir/gateway/hub" serve --hierarchy "$file" --port "$port" \
    --secret-file "$data_dir/hub.secret" --redis "$redis" --open311-keys "$keys" \
    --time-scale "$time_scale" "$@" &
  hub_pid=$!
  # Ctrl-C reaches the whole process group; the hub and hub-sim stop on it by themselves. A
  # second Ctrl-C while they close does not cut this short: the private Redis is stopped too.
  # Under `set -e` a failing command ends the trap: `kill` fails when they have already gone.
  trap 'trap "" INT TERM; kill -TERM $hub_pid $sim_pid 2>/dev/null || true; wait || true
        stop_private_redis' EXIT
  trap 'exit 130' INT TERM
  if ! wait_listening "$port" "$hub_pid"; then
    wait "$hub_pid" && exit 1 || exit $?
  fi
  # One ready-to-open page per role, logged in by the token in the URL fragment (which the
  # browser keeps to itself: it never reaches the hub's logs).
  say "open in a browser (each link logs in as the person named; tokens last a day):"
  local role person page
  for role in "city dashboard (city leader 41150001):41150001:dashboard" \
              "leader console, one-key directives (city leader 41150001):41150001:leader" \
              "township console, whistle button (township head 41150200101):41150200101:township" \
              "township console, propose a whistle (module head 41150200106):41150200106:township" \
              "department console (浉河区生态环境分局 head 41150290301):41150290301:department" \
              "grid worker's phone page (41150200100100102):41150200100100102:grid"; do
    person=${role#*:}; page=${person#*:}; person=${person%%:*}
    printf '  %-72s http://127.0.0.1:%s/%s.html#token=%s\n' "${role%%:*}" "$port" "$page" \
      "$("$build_dir/gateway/hub" token --hierarchy "$file" --secret-file "$data_dir/hub.secret" \
         --person "$person")" >&2
  done
  say "the city from $file; watch it live with:"
  echo "  $build_dir/sim/client/hub-cli --url ws://127.0.0.1:$port/ --secret-file $data_dir/hub.secret \\" >&2
  echo "    --hierarchy $file --token-for 41150001 watch --unit 411500" >&2
  say "the 12345 hotline over Open311 (key in $keys):"
  echo "  curl -s -X POST http://127.0.0.1:$port/open311/v2/requests.json -d api_key=$(cut -f1 "$keys") \\" >&2
  echo "    -d service_code=enforce.noise -d lat=32.1285 -d long=114.0913 -d 'attribute[ticket_id]=SR-1'" >&2
  if [ "$rate" != 0 ]; then
    say "hub-sim: $scenario${rate:+ at a steady $rate reports/s}, as the city's people over" \
      "WebSocket and the 12345 feed over Open311 (HUB_SIMULATE=0: none)"
    "$build_dir/sim/load/hub-sim" --url "ws://127.0.0.1:$port/" --hierarchy "$file" \
      --secret-file "$data_dir/hub.secret" --scenario "$scenario" --open311-keys "$keys" \
      ${rate:+--rate "$rate"} &
    sim_pid=$!
  fi
  wait "$hub_pid"
}

run_tests() {
  say "testing"
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$(nproc)"
}

case "${1:-}" in
  run) shift; install_missing; web_packages; build hub hub-gen hub-sim hub-cli; run "$@" ;;
  test) shift; install_missing; web_packages; build; run_tests "$@" ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
