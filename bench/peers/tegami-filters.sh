# Benchmark peer: tegami as in tegami.sh, with seed 001's filters (rdns and
# fcrdns at connect, docs/filters.md) and one DNS list on its listener, the
# list served by dnsmasq on loopback. The client, 127.0.0.1, passes them all:
# its name (localhost) is confirmed and it is not listed, so every message
# pays for the lookups and the rules and is delivered. Beside the tegami peer
# it gives the cost of filtering (the filters family).

. "$BENCH/peers/tegami.sh"
PEER_LABEL="tegami + filters"
PEER_PORT_BASE=2575
TF_DNSMASQ=/usr/sbin/dnsmasq

peer_prepare()
{
	if [ ! -x "$TG_BIN/tegamid" ]; then
		PEER_WHY="$TG_BIN/tegamid is not built"
		return 1
	fi
	if [ ! -x "$TF_DNSMASQ" ]; then
		PEER_WHY="$TF_DNSMASQ not found (Debian package dnsmasq-base)"
		return 1
	fi
	return 0
}

# dnsmasq answering for bench.test only: the list zone has no entries and
# no SOA, so every query is an NXDOMAIN asked of it (nothing cached, in
# dnsmasq or in tegami). It also holds the client's names: tegami asks its
# resolver for every name, 127.0.0.1's PTR and localhost's address
# included (libunbound's own answers for them are turned off); those carry
# a TTL of 5 minutes, as real PTR and A records do, so tegami's cache
# answers them after the first connection.
tf_dns_start()
{
	tf_dns_stop
	mkdir -p "$PEER_DIR" || return 1
	if ! _dp=$(pick_port 2600); then
		PEER_WHY="no free port for dnsmasq near 2600"
		return 1
	fi
	_user=""
	[ "$(id -u)" -eq 0 ] && _user=--user=root
	"$TF_DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --port="$_dp" \
	    --listen-address=127.0.0.1 --bind-interfaces --pid-file= \
	    --local=/bench.test/ --cache-size=0 --local-ttl=300 $_user \
	    --ptr-record=1.0.0.127.in-addr.arpa,localhost \
	    --host-record=localhost,127.0.0.1 \
	    >"$PEER_DIR/dnsmasq.log" 2>&1 &
	echo $! >"$PEER_DIR/dnsmasq.pid"
	if ! wait_port "$_dp" "$!" 10; then
		PEER_WHY="dnsmasq did not start: $(tail -n 1 "$PEER_DIR/dnsmasq.log")"
		tf_dns_stop
		return 1
	fi
	TG_EXTRA_CONF="resolver 127.0.0.1 port $_dp
filter check_rdns phase connect match !rdns disconnect \"550 no rDNS.\"
filter check_fcrdns phase connect match !fcrdns disconnect \"550 no FCrDNS.\"
filter rbl phase connect match dnsbl \"dnsbl.bench.test\" disconnect \"554 5.7.1 listed\""
	TG_LISTEN_OPTS=" filter { check_rdns, check_fcrdns, rbl }"
	return 0
}

tf_dns_stop()
{
	_pid=$(cat "$PEER_DIR/dnsmasq.pid" 2>/dev/null)
	ours "$_pid" dnsmasq && stop_pid "$_pid" 5
	rm -f "$PEER_DIR/dnsmasq.pid"
	return 0
}

peer_start()
{
	tf_dns_start || return 1
	tg_start
}

peer_stop()
{
	tg_stop
	tf_dns_stop
}
