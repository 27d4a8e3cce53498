#!/usr/bin/env bash
# Load test of vendorsim: builds and starts its own binary with a file database.
#
#   scripts/load.sh                          # 15s per phase, 32 connections
#   DURATION=3s CONCURRENCY=8 scripts/load.sh
#
# It builds bin/vendorsim, starts it on a free loopback port with a SQLite file
# in a temporary directory, measures the time to ready, seeds contacts, runs hey
# against a list endpoint and a send endpoint, drives more GETs until
# TOTAL_REQUESTS requests have been served, reads the server's memory from
# /proc and prints a summary. Only 127.0.0.1 is targeted; every phase is bounded
# in time or count; the server and the temporary directory are removed on exit.
#
# Environment:
#   DURATION        length of each hey phase (hey -z), default 15s
#   CONCURRENCY     hey connections (hey -c), default 32
#   TOTAL_REQUESTS  requests to serve before RSS is read, default 100000
#   SEED_CONTACTS   contacts created before the load, default 1000 (max 8000)
#   ZW_MESSAGES     Zipwhip messages sent before its list phase, default 1000
#   SEED_MEETINGS   Whereby meetings created before the load, default 1000
#   PHASES          which vendors' phases run, default "whippy zipwhip whereby"
#   READY_TIMEOUT   seconds to wait for /_sandbox/health, default 60
#   HEY_VERSION     version of github.com/rakyll/hey to install, default latest
#   QUIET_TIMEOUT   seconds a read phase waits at most for the server to be
#                   idle first, default 60 (0: no wait)
#   PROFILE_DIR     when set, the server runs with --pprof-addr and a CPU
#                   and an allocation profile (5 s) and an execution trace
#                   (2 s) of each phase are saved there (<phase>.cpu.pprof,
#                   <phase>.allocs.pprof, <phase>.trace), with the
#                   server's log (GODEBUG=gctrace=1 writes the GCs into it)
#                   and the heap when the RSS is read (end.heap.pprof)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-32}
TOTAL_REQUESTS=${TOTAL_REQUESTS:-100000}
SEED_CONTACTS=${SEED_CONTACTS:-1000}
ZW_MESSAGES=${ZW_MESSAGES:-1000}
SEED_MEETINGS=${SEED_MEETINGS:-1000}
PHASES=${PHASES:-whippy zipwhip whereby}
WHEREBY_KEY=load-test-whereby-key
READY_TIMEOUT=${READY_TIMEOUT:-60}
HEY_VERSION=${HEY_VERSION:-latest}
QUIET_TIMEOUT=${QUIET_TIMEOUT:-60}
PROFILE_DIR=${PROFILE_DIR:-}
API_KEY=load-test-key

die() {
	echo "load.sh: $*" >&2
	exit 1
}
say() { echo "--> $*"; }

for n in CONCURRENCY TOTAL_REQUESTS SEED_CONTACTS ZW_MESSAGES SEED_MEETINGS READY_TIMEOUT QUIET_TIMEOUT; do
	[[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number, got '${!n}'"
done
[ "$CONCURRENCY" -ge 1 ] || die "CONCURRENCY must be at least 1"
# Seed phones run from +14155552000 upward and must stay within 2000..9999.
[ "$SEED_CONTACTS" -le 8000 ] || die "SEED_CONTACTS must be at most 8000"
for ph in $PHASES; do
	case $ph in whippy | zipwhip | whereby) ;; *) die "PHASES names $ph; known: whippy zipwhip whereby" ;; esac
done
phase() { [[ " $PHASES " == *" $1 "* ]]; }
command -v go >/dev/null || die "go is needed"
command -v curl >/dev/null || die "curl is needed"
[ -r /proc/self/status ] || die "/proc is needed to read the server's memory"

now_ms() { date +%s%3N; }

# ---- tools -----------------------------------------------------------------
hey=$(command -v hey || true)
if [ -z "$hey" ]; then
	hey="$root/bin/hey"
	if [ ! -x "$hey" ]; then
		say "installing hey@${HEY_VERSION} into bin/"
		GOBIN="$root/bin" go install "github.com/rakyll/hey@${HEY_VERSION}"
	fi
fi

say "building bin/vendorsim"
go build -o bin/vendorsim ./cmd/vendorsim

# ---- server ----------------------------------------------------------------
tmpdir=$(mktemp -d -t vendorsim-load.XXXXXX)
server_pid=""

cleanup() {
	local rc=$?
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ] && [ -s "$tmpdir/server.log" ]; then
		echo "---- last lines of the server log ----" >&2
		tail -n 40 "$tmpdir/server.log" >&2 || true
	fi
	if [ -n "$PROFILE_DIR" ] && [ -f "$tmpdir/server.log" ]; then
		cp "$tmpdir/server.log" "$PROFILE_DIR/server.log" || true
	fi
	rm -rf "$tmpdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port is taken when something accepts a connection on it.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=""
for p in $(seq 18080 18180); do
	if ! port_in_use "$p"; then
		port=$p
		break
	fi
done
[ -n "$port" ] || die "no free port in 18080..18180"
base="http://127.0.0.1:$port"

server_args=(--addr "127.0.0.1:$port" --db "$tmpdir/load.db" --log-level warn)
pprof_base=""
if [ -n "$PROFILE_DIR" ]; then
	mkdir -p "$PROFILE_DIR"
	pport=""
	for p in $(seq $((port + 1)) 18190); do
		if ! port_in_use "$p"; then
			pport=$p
			break
		fi
	done
	[ -n "$pport" ] || die "no free port for pprof"
	pprof_base="http://127.0.0.1:$pport/debug/pprof"
	server_args+=(--pprof-addr "127.0.0.1:$pport")
fi

say "starting vendorsim on $base with a file database"
start_ms=$(now_ms)
"$root/bin/vendorsim" "${server_args[@]}" >"$tmpdir/server.log" 2>&1 &
server_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS --max-time 2 -o "$tmpdir/health.json" "$base/_sandbox/health" 2>/dev/null; do
	kill -0 "$server_pid" 2>/dev/null || die "vendorsim exited before it was ready"
	[ "$SECONDS" -lt "$deadline" ] || die "vendorsim not ready after ${READY_TIMEOUT}s"
	sleep 0.02
done
ready_ms=$(($(now_ms) - start_ms))
grep -q '"status"[[:space:]]*:[[:space:]]*"ok"' "$tmpdir/health.json" ||
	die "unexpected health response: $(cat "$tmpdir/health.json")"
say "ready after ${ready_ms} ms"

# ---- seed ------------------------------------------------------------------
# One curl process, one keep-alive connection: a config file with a transfer
# per contact, each printing its status code.
seeded=0
if phase whippy; then
say "seeding ${SEED_CONTACTS} contacts"
cfg="$tmpdir/seed.curl"
: >"$cfg"
for ((i = 0; i < SEED_CONTACTS; i++)); do
	[ "$i" -eq 0 ] || echo "next" >>"$cfg"
	printf '%s\n' \
		"url = \"$base/whippy/v1/contacts\"" \
		"header = \"X-WHIPPY-KEY: $API_KEY\"" \
		'header = "Content-Type: application/json"' \
		"data = \"{\\\"phone\\\":\\\"+1415555$((2000 + i))\\\",\\\"name\\\":\\\"Load $((i + 1))\\\"}\"" \
		'output = "/dev/null"' \
		'write-out = "%{http_code}\n"' >>"$cfg"
done
if [ "$SEED_CONTACTS" -gt 0 ]; then
	curl -sS -K "$cfg" >"$tmpdir/seed.codes"
	seeded=$(grep -c '^2' "$tmpdir/seed.codes" || true)
	if [ "$seeded" -ne "$SEED_CONTACTS" ]; then
		echo "status codes of the seed requests:" >&2
		sort "$tmpdir/seed.codes" | uniq -c >&2
		die "only ${seeded} of ${SEED_CONTACTS} contacts were created"
	fi
fi

# The send endpoint needs a channel's phone as "from": .data[0].phone.
channels=$(curl -fsS -H "X-WHIPPY-KEY: $API_KEY" "$base/whippy/v1/channels") ||
	die "GET /whippy/v1/channels failed"
channel_phone=$(printf '%s' "$channels" | tr -d '\n' |
	sed -n 's/^.*"data"[[:space:]]*:[[:space:]]*\[//p' |
	grep -o '"phone"[[:space:]]*:[[:space:]]*"[^"]*"' |
	sed -n '1s/^.*"\([^"]*\)"$/\1/p' || true)
[ -n "$channel_phone" ] || die "no channel phone in GET /whippy/v1/channels: $channels"
say "sending from channel $channel_phone"
fi

# Whereby: meetings ending in a year, created the same way.
meeting_end=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
meeting_body="{\"endDate\":\"$meeting_end\",\"fields\":[\"hostRoomUrl\"]}"
if phase whereby && [ "$SEED_MEETINGS" -gt 0 ]; then
	say "seeding ${SEED_MEETINGS} Whereby meetings"
	cfg="$tmpdir/seed-meetings.curl"
	data=$(printf '%s' "$meeting_body" | sed 's/"/\\"/g')
	: >"$cfg"
	for ((i = 0; i < SEED_MEETINGS; i++)); do
		[ "$i" -eq 0 ] || echo "next" >>"$cfg"
		printf '%s\n' \
			"url = \"$base/whereby/v1/meetings\"" \
			"header = \"Authorization: Bearer $WHEREBY_KEY\"" \
			'header = "Content-Type: application/json"' \
			"data = \"$data\"" \
			'output = "/dev/null"' \
			'write-out = "%{http_code}\n"' >>"$cfg"
	done
	curl -sS -K "$cfg" >"$tmpdir/seed-meetings.codes"
	made=$(grep -c '^2' "$tmpdir/seed-meetings.codes" || true)
	if [ "$made" -ne "$SEED_MEETINGS" ]; then
		sort "$tmpdir/seed-meetings.codes" | uniq -c >&2
		die "only ${made} of ${SEED_MEETINGS} meetings were created"
	fi
	seeded=$((seeded + made))
fi

# Zipwhip: a login of its own (a fresh workspace), then ZW_MESSAGES messages
# sent over one keep-alive connection.
zw="$base/zipwhip"
if phase zipwhip; then
	zw_session=$(curl -fsS -d "username=2065558000&password=load" "$zw/user/login" |
		sed -n 's/^.*"response":"\([^"]*\)".*$/\1/p') || die "zipwhip user/login failed"
	[ -n "$zw_session" ] || die "zipwhip user/login gave no session"
	if [ "$ZW_MESSAGES" -gt 0 ]; then
		say "seeding ${ZW_MESSAGES} Zipwhip messages"
		cfg="$tmpdir/seed-zipwhip.curl"
		: >"$cfg"
		for ((i = 0; i < ZW_MESSAGES; i++)); do
			[ "$i" -eq 0 ] || echo "next" >>"$cfg"
			printf '%s\n' \
				"url = \"$zw/message/send\"" \
				"data = \"session=$zw_session&contacts=%2B1206555$((2000 + i % 8000))&body=seed+$i\"" \
				'output = "/dev/null"' \
				'write-out = "%{http_code}\n"' >>"$cfg"
		done
		curl -sS -K "$cfg" >"$tmpdir/seed-zipwhip.codes"
		sent=$(grep -c '^2' "$tmpdir/seed-zipwhip.codes" || true)
		[ "$sent" -eq "$ZW_MESSAGES" ] || die "only ${sent} of ${ZW_MESSAGES} Zipwhip messages were sent"
		seeded=$((seeded + sent))
		zw_seeded_at=$SECONDS
	fi
fi

# ---- load ------------------------------------------------------------------
# hey_* read a saved hey report.
hey_rps() { awk '$1 == "Requests/sec:" {printf "%.0f", $2; exit}' "$1"; }
# hey prints its percentiles as "50%% in 0.0012 secs" (4 decimals: 0.1 ms steps).
hey_ms() {
	awk -v p="$2" '($1 == p "%" || $1 == p "%%") && $2 == "in" {printf "%.1f", $3 * 1000; exit}' "$1"
}
hey_responses() {
	awk '/^[[:space:]]*\[[0-9]+\][[:space:]]+[0-9]+ responses/ {n += $2} END {print n + 0}' "$1"
}
hey_non2xx() {
	awk '/^[[:space:]]*\[[0-9]+\][[:space:]]+[0-9]+ responses/ {
		c = $1; gsub(/[^0-9]/, "", c); if (c < 200 || c >= 300) n += $2
	} END {print n + 0}' "$1"
}
hey_errors() {
	awk '/^Error distribution:/ {e = 1; next}
		e && /^[[:space:]]*\[[0-9]+\]/ {c = $1; gsub(/[^0-9]/, "", c); n += c}
		END {print n + 0}' "$1"
}
# quiet: before a read phase, wait until the server has used under 5 % of a
# core for two seconds in a row: the work that earlier writes scheduled
# (a send's timeline, its webhooks) is done, so that the phase measures its
# reads, not the previous phase's backlog. At most QUIET_TIMEOUT seconds.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
quiet() {
	[ "$QUIET_TIMEOUT" -gt 0 ] || return 0
	local hz start prev now calm=0
	hz=$(getconf CLK_TCK)
	start=$SECONDS
	prev=$(server_ticks)
	while [ $((SECONDS - start)) -lt "$QUIET_TIMEOUT" ]; do
		sleep 1
		now=$(server_ticks)
		if [ $((now - prev)) -le $((hz / 20)) ]; then
			calm=$((calm + 1))
			if [ "$calm" -ge 2 ]; then
				say "server idle after $((SECONDS - start)) s"
				return 0
			fi
		else
			calm=0
		fi
		prev=$now
	done
	echo "load.sh: warning: the server was still busy after ${QUIET_TIMEOUT}s" >&2
}

# profile NAME: in the background, a CPU and an allocation profile of the
# next 5 s and then a 2 s trace of the server (PROFILE_DIR only).
profile() {
	[ -n "$pprof_base" ] || return 0
	(
		sleep 1
		curl -fsS -o "$PROFILE_DIR/$1.allocs.pprof" "$pprof_base/allocs?seconds=5" &
		curl -fsS -o "$PROFILE_DIR/$1.cpu.pprof" "$pprof_base/profile?seconds=5" &&
			curl -fsS -o "$PROFILE_DIR/$1.trace" "$pprof_base/trace?seconds=2"
		wait
	) >/dev/null 2>&1 &
}
run_hey() {
	local out=$1
	shift
	profile "$(basename "$out" .txt)"
	if ! "$hey" "$@" >"$out" 2>&1; then
		cat "$out" >&2
		die "hey failed"
	fi
	[ "$(hey_responses "$out")" -gt 0 ] || {
		cat "$out" >&2
		die "hey got no responses"
	}
}

get_url="$base/whippy/v1/contacts?limit=10"
sms_url="$base/whippy/v1/messaging/sms"
sms_body="{\"to\":\"+14155553001\",\"from\":\"${channel_phone:-}\",\"body\":\"load test\"}"

meetings_url="$base/whereby/v1/meetings"
reports=()
if phase whippy; then
	quiet
	say "GET  /whippy/v1/contacts?limit=10 for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/get.txt" -z "$DURATION" -c "$CONCURRENCY" \
		-H "X-WHIPPY-KEY: $API_KEY" "$get_url"

	say "POST /whippy/v1/messaging/sms for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/sms.txt" -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/json \
		-H "X-WHIPPY-KEY: $API_KEY" -d "$sms_body" "$sms_url"
	reports+=("GET  /whippy/v1/contacts?limit=10|$tmpdir/get.txt" "POST /whippy/v1/messaging/sms|$tmpdir/sms.txt")
fi
if phase zipwhip; then
	# The seeded messages' timelines (progress 1, 2, 4) end about 4 s after
	# their send: let them, so that the list phase measures reads, not
	# their writes.
	wait_s=$((6 - (SECONDS - ${zw_seeded_at:-0})))
	[ "$wait_s" -le 0 ] || sleep "$wait_s"
	quiet
	# A form body, as Zipwhip's clients POST it; a page of 10, as the
	# other phases read.
	say "POST /zipwhip/message/list (form) for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/zw-list.txt" -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/x-www-form-urlencoded \
		-d "session=$zw_session&limit=10" "$zw/message/list"

	say "POST /zipwhip/message/send (form) for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/zw-send.txt" -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/x-www-form-urlencoded \
		-d "session=$zw_session&contacts=%2B12065559001&body=load+test" "$zw/message/send"
	reports+=("POST /zipwhip/message/list|$tmpdir/zw-list.txt" "POST /zipwhip/message/send|$tmpdir/zw-send.txt")
fi
if phase whereby; then
	quiet
	say "GET  /whereby/v1/meetings?limit=10 for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/wb-get.txt" -z "$DURATION" -c "$CONCURRENCY" \
		-H "Authorization: Bearer $WHEREBY_KEY" "$meetings_url?limit=10"

	say "POST /whereby/v1/meetings for $DURATION with $CONCURRENCY connections"
	run_hey "$tmpdir/wb-post.txt" -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/json \
		-H "Authorization: Bearer $WHEREBY_KEY" -d "$meeting_body" "$meetings_url"
	reports+=("GET  /whereby/v1/meetings?limit=10|$tmpdir/wb-get.txt" "POST /whereby/v1/meetings|$tmpdir/wb-post.txt")
fi
if ! phase whippy; then
	# The count is reached with Whereby reads.
	get_url="$meetings_url?limit=10"
fi

served=$seeded
for rep in "${reports[@]}"; do
	served=$((served + $(hey_responses "${rep#*|}")))
done
round=0
while [ "$served" -lt "$TOTAL_REQUESTS" ] && [ "$round" -lt 10 ]; do
	need=$((TOTAL_REQUESTS - served))
	# hey -n splits the count over the connections: round up to a multiple.
	n=$(((need + CONCURRENCY - 1) / CONCURRENCY * CONCURRENCY))
	say "GET  ${get_url#"$base"} x $n to reach $TOTAL_REQUESTS requests"
	run_hey "$tmpdir/more.$round.txt" -n "$n" -c "$CONCURRENCY" \
		-H "X-WHIPPY-KEY: $API_KEY" -H "Authorization: Bearer $WHEREBY_KEY" "$get_url"
	served=$((served + $(hey_responses "$tmpdir/more.$round.txt")))
	round=$((round + 1))
done
[ "$served" -ge "$TOTAL_REQUESTS" ] || echo "load.sh: warning: only $served requests served" >&2

kill -0 "$server_pid" 2>/dev/null || die "vendorsim died during the load"
rss_kb=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$server_pid/status")
hwm_kb=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$server_pid/status")
if [ -n "$PROFILE_DIR" ]; then
	# What the Go heap holds when the RSS is read.
	curl -fsS -o "$PROFILE_DIR/end.heap.pprof" "$pprof_base/heap" || true
	curl -fsS -o "$PROFILE_DIR/end.memstats.txt" "$pprof_base/heap?debug=1" || true
fi
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }

# ---- summary ---------------------------------------------------------------
row() {
	local f=$2
	printf '%-36s %9s %8s %8s %9s %9s %9s\n' "$1" \
		"$(hey_responses "$f")" "$(hey_non2xx "$f")" "$(hey_errors "$f")" \
		"$(hey_rps "$f")" "$(hey_ms "$f" 50)" "$(hey_ms "$f" 99)"
}
echo
echo "vendorsim load test: DURATION=$DURATION CONCURRENCY=$CONCURRENCY, SQLite file database, PHASES=$PHASES (${SEED_CONTACTS} contacts, ${ZW_MESSAGES} Zipwhip messages, ${SEED_MEETINGS} meetings)"
printf '%-36s %9s %8s %8s %9s %9s %9s\n' "phase" "requests" "non-2xx" "errors" "req/s" "p50 ms" "p99 ms"
bad=0
for rep in "${reports[@]}"; do
	row "${rep%%|*}" "${rep#*|}"
	bad=$((bad + $(hey_non2xx "${rep#*|}")))
done
printf '%-36s %s\n' "time to ready" "${ready_ms} ms"
printf '%-36s %s\n' "requests served" "$served"
printf '%-36s %s\n' "RSS after ${served} requests" "$(mib "$rss_kb") (VmRSS)"
printf '%-36s %s\n' "peak RSS" "$(mib "$hwm_kb") (VmHWM)"

[ "$bad" -eq 0 ] || echo "load.sh: warning: $bad responses were not 2xx" >&2
