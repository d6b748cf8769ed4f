# Sourced by shell scripts that start wellness0's servers in the background: the `fakes` binary
# and `wellness0-proxy` each print `NAME listening on http://HOST:PORT` once ready (one line per
# fake). The Python tests and the bench use the same contract through tests/harness/.

# w0_wait_banner LOG NAME PID [SECONDS]: prints the URL of the line `NAME listening on URL` in LOG
# once it is there. Fails, showing LOG, when PID exits first or SECONDS (default 30) pass.
w0_wait_banner() {
  local log=$1 name=$2 pid=$3 limit=${4:-30} url
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    url=$(sed -n "s/^$name listening on //p" "$log" 2>/dev/null | head -n 1)
    if [[ -n $url ]]; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "exited before printing '$name listening on':" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "no '$name listening on' line within $limit s:" >&2
  cat "$log" >&2
  return 1
}

# w0_start_fakes LOG BINARY ARGS...: starts the fakes binary with ARGS in the background, its
# output in LOG, and waits for the banner of each fake asked for with --gemini-port, --mem0-port
# or --selfhosted-port. Sets FAKES_PID and GEMINI_URL / MEM0_URL / SELFHOSTED_URL. When a banner
# does not come, it stops the process and fails.
w0_start_fakes() {
  local log=$1 binary=$2 arg name url
  shift 2
  "$binary" "$@" >"$log" 2>&1 &
  FAKES_PID=$!
  for arg in "$@"; do
    case $arg in
      --gemini-port | --gemini-port=*) name=gemini ;;
      --mem0-port | --mem0-port=*) name=mem0 ;;
      --selfhosted-port | --selfhosted-port=*) name=selfhosted ;;
      *) continue ;;
    esac
    if ! url=$(w0_wait_banner "$log" "$name" "$FAKES_PID"); then
      kill "$FAKES_PID" 2>/dev/null || true
      wait "$FAKES_PID" 2>/dev/null || true
      return 1
    fi
    printf -v "${name^^}_URL" '%s' "$url"
  done
}
