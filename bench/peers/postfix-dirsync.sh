# Benchmark peer: Postfix as in postfix.sh, with the ext4 dirsync attribute
# (chattr +D) on its Maildir tree, so that the link into new/ is on disk before
# virtual(8) reports the delivery, as tegami's fsync of new/ makes it.

. "$BENCH/peers/postfix.sh"
PEER_LABEL="Postfix+dirsync"
PEER_PORT_BASE=2675
POSTFIX_DIRSYNC=1
