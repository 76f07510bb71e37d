# Benchmark peer (dkim family): Postfix with OpenDKIM's milter, signing with the ed25519 key (bench/peers/postfix-opendkim.sh).
OD_KIND=ed25519
. "$BENCH/peers/postfix-opendkim.sh"
