# Benchmark peer (dkim family): tegami with filter mail-auth (bench/peers/tegami-dkim.sh).
TD_KIND=mailauth
. "$BENCH/peers/tegami-dkim.sh"
