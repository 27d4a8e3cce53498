#!/usr/bin/env bash
# Mixed workload of the running vendorsim binary with a file database, as an
# integration suite produces it: reads and writes interleaved, so that the
# read cache (invalidated by every write of the workspace) is no help.
#
#   scripts/mixed.sh                         # 1500 req/s for 30s per size
#   RATE=5000 DURATION=20s SIZES=100000 scripts/mixed.sh
#
# It builds bin/vendorsim, starts it on a free loopback port with a SQLite file
# in a temporary directory, seeds one workspace per size through
# POST /whippy/v1/contacts/upsert (batches of BATCH contacts; it prints the
# time each load took and the largest WAL seen), gives each workspace a
# conversation per hundred contacts, restarts the server on the loaded
# database to measure the time to ready, then runs vegeta at RATE against
# each workspace in turn with this mix:
#
#   50 %  GET  /whippy/v1/contacts/{id}          (a stored contact)
#   25 %  GET  /whippy/v1/contacts?phone=...     (a stored contact's phone)
#   10 %  POST /whippy/v1/contacts               (a new contact)
#   15 %  GET  /whippy/v1/conversations?limit=10
#
# and prints, per size, the offered and achieved rate, the success ratio and
# p50/p99, then single uncached lookups against the largest workspace. Only
# 127.0.0.1 is targeted; the server and the temporary directory are removed
# on exit.
#
# Environment:
#   RATE            offered requests per second, default 1500
#   DURATION        length of each attack (vegeta -duration), default 30s
#   SIZES           contacts per workspace, default "1000 10000 100000"
#   BATCH           contacts per upsert request, default 500
#   READY_TIMEOUT   seconds to wait for /_sandbox/health, default 60
#   SINGLE_N        samples of each single lookup (1..99), default 5 (median; p90 from 10)
#   VEGETA_VERSION  version of github.com/tsenart/vegeta/v12, default v12.13.0
#   RESULTS_DIR     when set, vegeta's results (results.<size>.bin) are kept there
#   PROFILE_DIR     when set, the server serves pprof (--pprof-addr, a free loopback
#                   port) and a CPU profile of each attack is kept there
#                   (cpu.<size>.pprof: go tool pprof -top bin/vendorsim cpu.100000.pprof)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

RATE=${RATE:-1500}
DURATION=${DURATION:-30s}
SIZES=${SIZES:-1000 10000 100000}
BATCH=${BATCH:-500}
READY_TIMEOUT=${READY_TIMEOUT:-60}
SINGLE_N=${SINGLE_N:-5}
VEGETA_VERSION=${VEGETA_VERSION:-v12.13.0}

die() {
	echo "mixed.sh: $*" >&2
	exit 1
}
say() { echo "--> $*"; }

for n in RATE BATCH READY_TIMEOUT SINGLE_N; do
	[[ ${!n} =~ ^[0-9]+$ ]] && [ "${!n}" -ge 1 ] || die "$n must be a positive whole number, got '${!n}'"
done
[ "$SINGLE_N" -le 99 ] || die "SINGLE_N must be at most 99, got '$SINGLE_N'"
[[ $DURATION =~ ^[0-9]+(ms|s|m)$ ]] || die "DURATION must look like 30s, got '$DURATION'"
for s in $SIZES; do
	[[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 1 ] && [ "$s" -le 1000000 ] || die "each of SIZES must be 1..1000000, got '$s'"
done
command -v go >/dev/null || die "go is needed"
command -v curl >/dev/null || die "curl is needed"

now_ms() { date +%s%3N; }

# ---- tools -----------------------------------------------------------------
vegeta=$(command -v vegeta || true)
if [ -z "$vegeta" ]; then
	vegeta="$root/bin/vegeta"
	if [ ! -x "$vegeta" ]; then
		say "installing vegeta@${VEGETA_VERSION} into bin/"
		GOBIN="$root/bin" go install "github.com/tsenart/vegeta/v12@${VEGETA_VERSION}"
	fi
fi

say "building bin/vendorsim"
go build -o bin/vendorsim ./cmd/vendorsim

# ---- server ----------------------------------------------------------------
tmpdir=$(mktemp -d -t vendorsim-mixed.XXXXXX)
server_pid=""
db="$tmpdir/mixed.db"

stop_server() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}
cleanup() {
	local rc=$?
	stop_server
	if [ "$rc" -ne 0 ] && [ -s "$tmpdir/server.log" ]; then
		echo "---- last lines of the server log ----" >&2
		tail -n 40 "$tmpdir/server.log" >&2 || true
	fi
	rm -rf "$tmpdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for p in $(seq 18280 18380); do
	if ! port_in_use "$p"; then
		port=$p
		break
	fi
done
[ -n "$port" ] || die "no free port in 18280..18380"
base="http://127.0.0.1:$port"
pprof_args=()
if [ -n "${PROFILE_DIR:-}" ]; then
	mkdir -p "$PROFILE_DIR"
	for p in $(seq $((port + 1)) 18480); do
		if ! port_in_use "$p"; then
			pprof_port=$p
			break
		fi
	done
	[ -n "${pprof_port:-}" ] || die "no free port for pprof"
	pprof_args=(--pprof-addr "127.0.0.1:$pprof_port")
fi

# start_server starts vendorsim on the database and sets ready_ms.
start_server() {
	local start_ms
	start_ms=$(now_ms)
	"$root/bin/vendorsim" --addr "127.0.0.1:$port" --db "$db" --log-level warn "${pprof_args[@]}" \
		>>"$tmpdir/server.log" 2>&1 &
	server_pid=$!
	local deadline=$((SECONDS + READY_TIMEOUT))
	until curl -fsS --max-time 2 -o "$tmpdir/health.json" "$base/_sandbox/health" 2>/dev/null; do
		kill -0 "$server_pid" 2>/dev/null || die "vendorsim exited before it was ready"
		[ "$SECONDS" -lt "$deadline" ] || die "vendorsim not ready after ${READY_TIMEOUT}s"
		sleep 0.01
	done
	ready_ms=$(($(now_ms) - start_ms))
	grep -q '"status"[[:space:]]*:[[:space:]]*"ok"' "$tmpdir/health.json" ||
		die "unexpected health response: $(cat "$tmpdir/health.json")"
}

say "starting vendorsim on $base with a file database"
start_server
say "ready after ${ready_ms} ms (empty database)"

# wal_mib prints the size of the WAL file in MiB.
wal_mib() { awk -v b="$(stat -c %s "$db-wal" 2>/dev/null || echo 0)" 'BEGIN {printf "%.1f", b / 1048576}'; }

# phone i w prints the i-th seeded phone of workspace w: +1 2w0 2000000+i
# (area codes 200..299 are not the 555 magic range; exchanges 200..299).
phone() { printf '+12%d0%07d' "$2" $((2000000 + $1)); }

# ---- seed ------------------------------------------------------------------
declare -A load_s wal_peak
w=0
for size in $SIZES; do
	w=$((w + 1))
	key="mixed-$size-$w"
	say "seeding $size contacts into workspace $key (upsert batches of $BATCH)"
	# One curl process, one keep-alive connection: a config file with a
	# transfer per batch. The bodies are written first, outside the timing.
	cfg="$tmpdir/seed.$w.curl"
	: >"$cfg"
	nb=0
	for ((i = 0; i < size; i += BATCH)); do
		body="$tmpdir/batch.$w.$nb.json"
		awk -v from="$i" -v to="$((i + BATCH < size ? i + BATCH : size))" -v w="$w" 'BEGIN {
			printf "{\"contacts\":["
			for (j = from; j < to; j++) {
				printf "%s{\"phone\":\"+12%d0%07d\",\"name\":\"Mixed %d Person%d\",\"email\":\"mixed%d@example.com\"}", (j > from ? "," : ""), w, 2000000 + j, w, j, j
			}
			printf "]}"
		}' >"$body"
		[ "$nb" -eq 0 ] || echo "next" >>"$cfg"
		printf '%s\n' "url = \"$base/whippy/v1/contacts/upsert\"" \
			"header = \"X-WHIPPY-KEY: $key\"" 'header = "Content-Type: application/json"' \
			"data-binary = \"@$body\"" "output = \"$tmpdir/upsert.$w.$nb.json\"" \
			'write-out = "%{http_code}\n"' >>"$cfg"
		nb=$((nb + 1))
	done
	peak=0
	(
		while sleep 0.5; do
			s=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
			echo "$s"
		done
	) >"$tmpdir/wal.$w" &
	watcher=$!
	t0=$(now_ms)
	curl -sS -K "$cfg" >"$tmpdir/seed.$w.codes"
	t1=$(now_ms)
	kill "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
	peak=$(sort -n "$tmpdir/wal.$w" | tail -n 1)
	wal_peak[$size]=$(awk -v b="${peak:-0}" 'BEGIN {printf "%.1f", b / 1048576}')
	bad=$(grep -vc '^200$' "$tmpdir/seed.$w.codes" || true)
	[ "$bad" -eq 0 ] || die "$bad upsert batches failed: $(sort "$tmpdir/seed.$w.codes" | uniq -c | tr '\n' ' ')"
	load_s[$size]=$(awk -v ms="$((t1 - t0))" 'BEGIN {printf "%.1f", ms / 1000}')
	say "loaded $size contacts in ${load_s[$size]} s (WAL peak ${wal_peak[$size]} MiB)"

	# The ids of the stored contacts, from the upsert answers.
	cat "$tmpdir"/upsert."$w".*.json | grep -o '"id":"[^"]*","name":"Mixed' |
		sed 's/^"id":"\([^"]*\)".*/\1/' >"$tmpdir/ids.$w"
	[ "$(wc -l <"$tmpdir/ids.$w")" -eq "$size" ] || die "found $(wc -l <"$tmpdir/ids.$w") contact ids in the upsert answers, want $size"

	# A conversation per hundred contacts (at least one): a send to each.
	channels=$(curl -fsS -H "X-WHIPPY-KEY: $key" "$base/whippy/v1/channels")
	from=$(printf '%s' "$channels" | grep -o '"phone":"[^"]*"' | head -n 1 | sed 's/.*:"\(.*\)"/\1/')
	[ -n "$from" ] || die "no channel phone in $channels"
	cfg="$tmpdir/sms.$w.curl"
	: >"$cfg"
	nconv=$(((size + 99) / 100))
	for ((i = 0; i < nconv; i++)); do
		[ "$i" -eq 0 ] || echo "next" >>"$cfg"
		printf '%s\n' "url = \"$base/whippy/v1/messaging/sms\"" \
			"header = \"X-WHIPPY-KEY: $key\"" 'header = "Content-Type: application/json"' \
			"data = \"{\\\"to\\\":\\\"$(phone $((i * 100 % size)) "$w")\\\",\\\"from\\\":\\\"$from\\\",\\\"body\\\":\\\"hello\\\"}\"" \
			'output = "/dev/null"' 'write-out = "%{http_code}\n"' >>"$cfg"
	done
	curl -sS -K "$cfg" >"$tmpdir/sms.$w.codes"
	bad=$(grep -vc '^2' "$tmpdir/sms.$w.codes" || true)
	[ "$bad" -eq 0 ] || die "$bad sends failed"
done
say "database $(du -m "$db" | cut -f1) MiB, WAL $(wal_mib) MiB"

stop_server
say "restarting on the loaded database"
start_server
ready_loaded_ms=$ready_ms
say "ready after ${ready_loaded_ms} ms"

# ---- targets ---------------------------------------------------------------
# vegeta's JSON target format, one target per line, in cycles of 20: 10 GETs
# by id, 5 by phone, 2 new contacts, 3 conversation pages. Every POST has a
# phone of its own, so that each creates a contact. Bodies are base64 (awk
# below encodes the ASCII bodies itself).
dur_s=$(awk -v d="$DURATION" 'BEGIN {
	if (d ~ /ms$/) { sub(/ms$/, "", d); print int(d / 1000) + 1 }
	else if (d ~ /m$/) { sub(/m$/, "", d); print d * 60 }
	else { sub(/s$/, "", d); print d } }')
ntargets=$((RATE * dur_s + 20))
w=0
for size in $SIZES; do
	w=$((w + 1))
	key="mixed-$size-$w"
	awk -v n="$ntargets" -v size="$size" -v w="$w" -v base="$base" -v key="$key" -v idfile="$tmpdir/ids.$w" '
	function b64(s,    out, i, n, c1, c2, c3, t) {
		out = ""; n = length(s)
		for (i = 1; i <= n; i += 3) {
			c1 = ord[substr(s, i, 1)]; c2 = (i + 1 <= n) ? ord[substr(s, i + 1, 1)] : 0
			c3 = (i + 2 <= n) ? ord[substr(s, i + 2, 1)] : 0
			t = c1 * 65536 + c2 * 256 + c3
			out = out substr(A, int(t / 262144) + 1, 1) substr(A, int(t / 4096) % 64 + 1, 1)
			out = out ((i + 1 <= n) ? substr(A, int(t / 64) % 64 + 1, 1) : "=")
			out = out ((i + 2 <= n) ? substr(A, t % 64 + 1, 1) : "=")
		}
		return out
	}
	BEGIN {
		A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i
		m = 0
		while ((getline line < idfile) > 0) ids[m++] = line
		srand(w)
		h = "\"header\":{\"X-Whippy-Key\":[\"" key "\"]}"
		hp = "\"header\":{\"X-Whippy-Key\":[\"" key "\"],\"Content-Type\":[\"application/json\"]}"
		posted = 0
		for (t = 0; t < n; t++) {
			slot = t % 20
			if (slot < 10) {
				printf "{\"method\":\"GET\",\"url\":\"%s/whippy/v1/contacts/%s\",%s}\n", base, ids[int(rand() * m)], h
			} else if (slot < 15) {
				printf "{\"method\":\"GET\",\"url\":\"%s/whippy/v1/contacts?phone=%%2B12%d0%07d\",%s}\n", base, w, 2000000 + int(rand() * size), h
			} else if (slot < 17) {
				body = sprintf("{\"phone\":\"+12%d1%07d\",\"name\":\"New %d\"}", w, 2000000 + posted, posted)
				posted++
				printf "{\"method\":\"POST\",\"url\":\"%s/whippy/v1/contacts\",\"body\":\"%s\",%s}\n", base, b64(body), hp
			} else {
				printf "{\"method\":\"GET\",\"url\":\"%s/whippy/v1/conversations?limit=10\",%s}\n", base, h
			}
		}
	}' >"$tmpdir/targets.$w.json"
done

# ---- load ------------------------------------------------------------------
declare -A rep
w=0
for size in $SIZES; do
	w=$((w + 1))
	say "mix at $RATE req/s for $DURATION against $size contacts"
	prof_pid=""
	if [ -n "${PROFILE_DIR:-}" ]; then
		curl -fsS -o "$PROFILE_DIR/cpu.$size.pprof" \
			"http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=$((dur_s > 1 ? dur_s - 1 : 1))" &
		prof_pid=$!
	fi
	"$vegeta" attack -format=json -targets="$tmpdir/targets.$w.json" -rate="$RATE" -duration="$DURATION" \
		-timeout=30s -max-body=-1 >"$tmpdir/results.$w.bin"
	[ -z "$prof_pid" ] || wait "$prof_pid" || die "the CPU profile of the attack failed"
	"$vegeta" report -type=json <"$tmpdir/results.$w.bin" >"$tmpdir/report.$w.json"
	rep[$size]="$tmpdir/report.$w.json"
	if [ -n "${RESULTS_DIR:-}" ]; then
		mkdir -p "$RESULTS_DIR" && cp "$tmpdir/results.$w.bin" "$RESULTS_DIR/results.$size.bin"
	fi
	"$vegeta" report -type=text <"$tmpdir/results.$w.bin" | sed -n '1,8p'
	# p50/p99 of each kind of request (CSV: timestamp,code,latency ns,...,method,url,...).
	"$vegeta" encode -to csv <"$tmpdir/results.$w.bin" | awk -F, '{
		k = "GET /contacts/{id}"
		if ($10 == "POST") k = "POST /contacts"
		else if ($11 ~ /phone=/) k = "GET /contacts?phone="
		else if ($11 ~ /conversations/) k = "GET /conversations"
		print k "\t" $3 / 1e6
	}' | sort -t "$(printf '\t')" -k1,1 -k2,2n | awk -F '\t' '
		function flush() { if (n) printf "    %-24s n=%-6d p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", k, n, v[int(n * 0.5)], v[int(n * 0.99)], v[n - 1] }
		$1 != k { flush(); k = $1; n = 0 }
		{ v[n++] = $2 }
		END { flush() }'
done

# ---- single lookups ----------------------------------------------------------
# Each uncached: a POST to the workspace first (a write empties its read
# cache), then the GET, timed by curl. The median of SINGLE_N (5) is
# printed, and the 90th percentile too when SINGLE_N is 10 or more.
w=0
last=""
for size in $SIZES; do
	w=$((w + 1))
	last=$size
done
key="mixed-$last-$w"
mid=$((last / 2))
single() {
	local path=$1 i t
	: >"$tmpdir/single"
	for ((i = 1; i <= SINGLE_N; i++)); do
		curl -fsS -o /dev/null -X POST -H "X-WHIPPY-KEY: $key" -H 'Content-Type: application/json' \
			-d "{\"phone\":\"+12${w}9$(printf '%07d' $((2000000 + RANDOM * 100 + i)))\"}" "$base/whippy/v1/contacts" || true
		t=$(curl -fsS -o /dev/null -w '%{time_starttransfer}' -H "X-WHIPPY-KEY: $key" "$base/whippy/v1$path") ||
			die "GET $path failed"
		echo "$t" >>"$tmpdir/single"
	done
	sort -n "$tmpdir/single" | awk -v n="$SINGLE_N" '{ v[NR] = $1 * 1000 } END {
		printf "%.2f", v[int((n + 1) / 2)]
		if (n >= 10) printf " (p90 %.2f)", v[int(n * 0.9)]
	}'
}
total=$(curl -fsS -H "X-WHIPPY-KEY: $key" "$base/whippy/v1/contacts?limit=1" | grep -o '"total":[0-9]*' | cut -d: -f2)

# ---- summary ---------------------------------------------------------------
json_num() { grep -o "\"$2\":[0-9.e+-]*" "$1" | head -n 1 | cut -d: -f2; }
json_lat() { sed -n "s/.*\"latencies\":{[^}]*\"$2\":\([0-9]*\).*/\1/p" "$1" | awk '{printf "%.1f", $1 / 1e6}'; }
echo
echo "vendorsim mixed workload: RATE=$RATE DURATION=$DURATION, SQLite file database"
echo "mix: 50% GET /contacts/{id}, 25% GET /contacts?phone=, 10% POST /contacts, 15% GET /conversations?limit=10"
printf '%-10s %9s %9s %9s %9s %9s %9s %10s %9s\n' "contacts" "offered" "achieved" "success" "p50 ms" "p99 ms" "max ms" "load s" "WAL MiB"
for size in $SIZES; do
	f=${rep[$size]}
	printf '%-10s %9s %9.1f %9s %9s %9s %9s %10s %9s\n' "$size" "$RATE" "$(json_num "$f" rate)" \
		"$(json_num "$f" success)" "$(json_lat "$f" 50th)" "$(json_lat "$f" 99th)" "$(json_lat "$f" max)" \
		"${load_s[$size]}" "${wal_peak[$size]}"
done
printf '%-44s %s\n' "time to ready on the loaded database" "${ready_loaded_ms} ms"
printf '%-44s %s\n' "database after the run" "$(du -m "$db" | cut -f1) MiB, WAL $(wal_mib) MiB"
echo "single uncached GETs with $total contacts (median of $SINGLE_N, ms to first byte):"
printf '  %-40s %s\n' "?phone=<stored>" "$(single "/contacts?phone=%2B12${w}0$(printf '%07d' $((2000000 + mid)))")"
printf '  %-40s %s\n' "?email=<stored>" "$(single "/contacts?email=mixed${mid}@example.com")"
printf '  %-40s %s\n' "?name=<stored full name>" "$(single "/contacts?name=Mixed%20${w}%20Person${mid}")"
printf '  %-40s %s\n' "?name=<substring of 3>" "$(single "/contacts?name=son")"
printf '  %-40s %s\n' "?limit=10&offset=$((total - 10))" "$(single "/contacts?limit=10&offset=$((total - 10))")"
printf '  %-40s %s\n' "?limit=10&offset=$((total / 2))" "$(single "/contacts?limit=10&offset=$((total / 2))")"
