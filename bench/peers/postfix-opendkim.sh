# Benchmark peer (dkim family): Postfix as in postfix.sh with OpenDKIM as a
# milter (Debian's opendkim, run from the package with a config of its own,
# socket inet on loopback), as seed 003 sets it up. Sourced by
# postfix-opendkim-rsa.sh, postfix-opendkim-ed25519.sh and
# postfix-opendkim-verify.sh, which set OD_KIND first:
#   rsa, ed25519  Mode s: the client, 127.0.0.1, is in OpenDKIM's default
#                 InternalHosts, so every message is signed, relaxed/relaxed,
#                 OversignHeaders From, with the key of dkim_setup (run.sh)
#   verify        Mode v with 127.0.0.1 not internal: the message's signature
#                 is checked against its key, asked of dnsmasq on loopback
#                 (through OpenDKIM's libunbound, ResolverConfiguration), and
#                 Authentication-Results added
# The milter's CPU time counts with Postfix's (peer_pids).

. "$BENCH/peers/postfix.sh"
PEER_PORT_BASE=2660
OD_BIN=/usr/sbin/opendkim
OD_DNSMASQ=/usr/sbin/dnsmasq
case $OD_KIND in
rsa) PEER_LABEL="Postfix + OpenDKIM RSA-2048" ;;
ed25519) PEER_LABEL="Postfix + OpenDKIM Ed25519" ;;
verify) PEER_LABEL="Postfix + OpenDKIM verify" ;;
esac

pf_extra_prepare()
{
	if [ ! -x "$OD_BIN" ]; then
		PEER_WHY="$OD_BIN not found (Debian package opendkim)"
		return 1
	fi
	if [ -z "${DKIM_DIR:-}" ] || [ ! -f "$DKIM_DIR/rsa.key" ]; then
		PEER_WHY="no keys: dkim_setup of bench/run.sh did not run"
		return 1
	fi
	if [ "$OD_KIND" = verify ] && [ ! -x "$OD_DNSMASQ" ]; then
		PEER_WHY="$OD_DNSMASQ not found (Debian package dnsmasq-base)"
		return 1
	fi
	return 0
}

peer_version()
{
	echo "$(cat "$PF_PKG/.version" 2>/dev/null), OpenDKIM $(dpkg-query -W -f '${Version}' opendkim 2>/dev/null)"
}

# The milter's port: the SMTP port's plus 50 (PORT is taken from 2660 on).
od_port()
{
	echo $((PORT + 50))
}

pf_extra_main()
{
	cat <<EOF

# OpenDKIM as a milter, as seed 003 (inet instead of its unix socket).
smtpd_milters = inet:127.0.0.1:$(od_port)
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
EOF
}

od_conf()
{
	_k=rsa _alg=rsa-sha256
	[ "$OD_KIND" = ed25519 ] && _k=ed _alg=ed25519-sha256
	cat <<EOF
# Written by bench/peers/postfix-opendkim.sh for one benchmark run.
Syslog			no
LogWhy			no
UMask			007
UserID			nobody
PidFile			$PEER_DIR/od/opendkim.pid
Socket			inet:$(od_port)@127.0.0.1
Canonicalization	relaxed/relaxed
OversignHeaders		From
SoftwareHeader		no
RequireSafeKeys		no
EOF
	if [ "$OD_KIND" = verify ]; then
		cat <<EOF
Mode			v
InternalHosts		192.0.2.1
AuthservID		bench.test
AlwaysAddARHeader	yes
ResolverConfiguration	$PEER_DIR/od/unbound.conf
EOF
	else
		cat <<EOF
Mode			s
Domain			bench.test
Selector		$_k
KeyFile			$PEER_DIR/od/$_k.key
SignatureAlgorithm	$_alg
EOF
	fi
}

od_dns_start()
{
	if ! _dp=$(pick_port 2620); then
		PEER_WHY="no free port for dnsmasq near 2620"
		return 1
	fi
	_rec=$("$PY" -c 'import sys
r = open(sys.argv[1]).read().strip()
print(",".join(r[i:i + 255] for i in range(0, len(r), 255)))' "$DKIM_DIR/rsa.rec")
	"$OD_DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --port="$_dp" \
	    --listen-address=127.0.0.1 --bind-interfaces --pid-file= \
	    --local=/bench.test/ --cache-size=0 --user=root \
	    --txt-record="rsa._domainkey.bench.test,$_rec" \
	    >"$PEER_DIR/od/dnsmasq.log" 2>&1 &
	echo $! >"$PEER_DIR/od/dnsmasq.pid"
	if ! wait_port "$_dp" "$!" 10; then
		PEER_WHY="dnsmasq did not start: $(tail -n 1 "$PEER_DIR/od/dnsmasq.log")"
		return 1
	fi
	# libunbound answers .test itself unless told (RFC 6761): bench.test is asked.
	cat >"$PEER_DIR/od/unbound.conf" <<EOF
server:
	do-not-query-localhost: no
	local-zone: "test." nodefault
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$_dp
EOF
	return 0
}

pf_extra_start()
{
	if listening "$(od_port)"; then
		PEER_WHY="port $(od_port) for the milter is taken"
		return 1
	fi
	mkdir -p "$PEER_DIR/od" || return 1
	cp "$DKIM_DIR/rsa.key" "$DKIM_DIR/ed.key" "$PEER_DIR/od/" &&
	    chown -R nobody "$PEER_DIR/od" && chmod 700 "$PEER_DIR/od" ||
	    return 1
	if [ "$OD_KIND" = verify ] && ! od_dns_start; then
		return 1
	fi
	od_conf >"$PEER_DIR/od/opendkim.conf"
	"$OD_BIN" -f -x "$PEER_DIR/od/opendkim.conf" >"$PEER_DIR/od/opendkim.log" 2>&1 &
	echo $! >"$PEER_DIR/od/opendkim.main.pid"
	if ! wait_port "$(od_port)" "$!" 10; then
		PEER_WHY="opendkim did not listen on port $(od_port): $(tail -n 1 "$PEER_DIR/od/opendkim.log")"
		pf_extra_stop
		return 1
	fi
	return 0
}

pf_extra_pid()
{
	cat "$PEER_DIR/od/opendkim.main.pid" 2>/dev/null
}

pf_extra_stop()
{
	_p=$(pf_extra_pid)
	ours "$_p" opendkim && stop_pid "$_p" 5
	_p=$(cat "$PEER_DIR/od/dnsmasq.pid" 2>/dev/null)
	ours "$_p" dnsmasq && stop_pid "$_p" 5
	rm -f "$PEER_DIR/od/opendkim.main.pid" "$PEER_DIR/od/dnsmasq.pid"
	return 0
}
