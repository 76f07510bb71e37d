# Benchmark peer (dkim family): tegami as in tegami.sh with DKIM on its
# listener, sourced by tegami-sign-rsa.sh, tegami-sign-ed25519.sh and
# tegami-mailauth.sh, which set TD_KIND first:
#   sign-rsa, sign-ed25519  filter dkim-sign domain bench.test with the key of
#                           dkim_setup (run.sh); the client, 127.0.0.1, is
#                           local, so every message is signed by the signer
#                           process (the message's own signature stays)
#   mailauth                filter mail-auth: SPF (ip4:127.0.0.1), the DKIM
#                           signature of the message (its key), DMARC
#                           (p=reject), all served by dnsmasq on loopback
#                           without a cache; every message passes and gets
#                           Authentication-Results

. "$BENCH/peers/tegami.sh"
PEER_PORT_BASE=2550
TD_DNSMASQ=/usr/sbin/dnsmasq
case $TD_KIND in
sign-rsa) PEER_LABEL="tegami + dkim-sign RSA-2048" ;;
sign-ed25519) PEER_LABEL="tegami + dkim-sign Ed25519" ;;
mailauth) PEER_LABEL="tegami + mail-auth" ;;
esac

peer_prepare()
{
	if [ ! -x "$TG_BIN/tegamid" ]; then
		PEER_WHY="$TG_BIN/tegamid is not built"
		return 1
	fi
	if [ -z "${DKIM_DIR:-}" ] || [ ! -f "$DKIM_DIR/rsa.key" ]; then
		PEER_WHY="no keys: dkim_setup of bench/run.sh did not run"
		return 1
	fi
	if [ "$TD_KIND" = mailauth ] && [ ! -x "$TD_DNSMASQ" ]; then
		PEER_WHY="$TD_DNSMASQ not found (Debian package dnsmasq-base)"
		return 1
	fi
	return 0
}

# A record as dnsmasq's --txt-record takes it: strings of 255, comma-separated.
td_txt()
{
	"$PY" -c 'import sys
r = open(sys.argv[1]).read().strip()
print(",".join(r[i:i + 255] for i in range(0, len(r), 255)))' "$1"
}

td_dns_start()
{
	td_dns_stop
	mkdir -p "$PEER_DIR" || return 1
	if ! _dp=$(pick_port 2610); then
		PEER_WHY="no free port for dnsmasq near 2610"
		return 1
	fi
	_user=""
	[ "$(id -u)" -eq 0 ] && _user=--user=root
	"$TD_DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --port="$_dp" \
	    --listen-address=127.0.0.1 --bind-interfaces --pid-file= \
	    --local=/bench.test/ --cache-size=0 $_user \
	    --txt-record="bench.test,v=spf1 ip4:127.0.0.1 -all" \
	    --txt-record="_dmarc.bench.test,v=DMARC1; p=reject" \
	    --txt-record="rsa._domainkey.bench.test,$(td_txt "$DKIM_DIR/rsa.rec")" \
	    >"$PEER_DIR/dnsmasq.log" 2>&1 &
	echo $! >"$PEER_DIR/dnsmasq.pid"
	if ! wait_port "$_dp" "$!" 10; then
		PEER_WHY="dnsmasq did not start: $(tail -n 1 "$PEER_DIR/dnsmasq.log")"
		td_dns_stop
		return 1
	fi
	TD_DNS_PORT=$_dp
	return 0
}

td_dns_stop()
{
	_pid=$(cat "$PEER_DIR/dnsmasq.pid" 2>/dev/null)
	ours "$_pid" dnsmasq && stop_pid "$_pid" 5
	rm -f "$PEER_DIR/dnsmasq.pid"
	return 0
}

peer_start()
{
	case $TD_KIND in
	sign-rsa|sign-ed25519)
		_k=rsa
		[ "$TD_KIND" = sign-ed25519 ] && _k=ed
		TG_EXTRA_CONF="filter sign dkim-sign domain bench.test selector $_k key \"$DKIM_DIR/$_k.key\""
		TG_LISTEN_OPTS=" filter sign"
		;;
	mailauth)
		td_dns_start || return 1
		TG_EXTRA_CONF="resolver 127.0.0.1 port $TD_DNS_PORT
filter check mail-auth"
		TG_LISTEN_OPTS=" filter check"
		;;
	esac
	tg_start
}

peer_stop()
{
	tg_stop
	td_dns_stop
}
