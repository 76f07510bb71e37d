# Benchmark peer (dkim family): Postfix with OpenDKIM's milter, signing with the rsa key (bench/peers/postfix-opendkim.sh).
OD_KIND=rsa
. "$BENCH/peers/postfix-opendkim.sh"
