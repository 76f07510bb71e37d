# Benchmark peer (dkim family): tegami with dkim-sign, ed25519 key (bench/peers/tegami-dkim.sh).
TD_KIND=sign-ed25519
. "$BENCH/peers/tegami-dkim.sh"
