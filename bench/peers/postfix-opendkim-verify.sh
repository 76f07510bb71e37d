# Benchmark peer (dkim family): Postfix with OpenDKIM's milter, verifying (bench/peers/postfix-opendkim.sh).
OD_KIND=verify
. "$BENCH/peers/postfix-opendkim.sh"
