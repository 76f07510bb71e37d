# Benchmark peer (dkim family): tegami with dkim-sign, rsa key (bench/peers/tegami-dkim.sh).
TD_KIND=sign-rsa
. "$BENCH/peers/tegami-dkim.sh"
