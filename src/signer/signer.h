/* The signer process: it alone holds the DKIM private keys, and signs the digests the smtp process sends it. */
#ifndef TEGAMI_SIGNER_H
#define TEGAMI_SIGNER_H

#include <openssl/evp.h>

#include "mail/dkim_sig.h"

struct buf;
struct bundle;
struct conf;

/* The keys of one configuration's dkim-sign filters, by file. */
struct signer_keys;

/*
 * Loads the key of every dkim-sign filter of conf from the bundle (the
 * parent read them as root). NULL with "FILE:LINE: ..." lines appended to
 * errors when one is missing (withheld) or cannot sign.
 */
struct signer_keys *signer_keys_load(const struct conf *, const struct bundle *,
		    struct buf *errors);
/* Wipes and frees the keys. */
void		 signer_keys_free(struct signer_keys *);
size_t		 signer_keys_count(const struct signer_keys *);
/*
 * The key that signs as (domain, selector) by the configuration: a
 * dkim-sign filter whose signing domain for domain is domain itself, and
 * whose selector (first or second) is selector; its algorithm must be alg.
 * NULL with errstr otherwise: a request the configuration does not make.
 */
EVP_PKEY	*signer_keys_find(const struct signer_keys *, const struct conf *,
		    const char *domain, const char *selector, enum dkim_alg alg,
		    const char **errstr);

/*
 * Keeps what the signer needs of the parent's memory before privileges are
 * dropped: the keys, from the parent's bundle. fatalx when they do not
 * load (the configuration was checked with them).
 */
void		 signer_preload(const struct conf *, const struct bundle *);
/*
 * Runs the process's event loop; never returns. parent_fd is its channel
 * to the parent, which sends the channel to the smtp process (MSG_LINK)
 * and new configurations with their keys (MSG_CONF).
 */
_Noreturn void	 signer_main(struct conf *, int parent_fd);

#endif
