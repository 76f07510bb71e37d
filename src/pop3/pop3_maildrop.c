/* The POP3 maildrop: INBOX read once at login (new/ moved to cur/), the one-session lock, QUIT's removals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/log.h"
#include "lib/map.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mailbox/mailbox.h"
#include "pop3/pop3_priv.h"
#include "store/maildir.h"
#include "store/scan.h"

/*
 * The maildrops in use, by Maildir. Every POP3 session of a user is in
 * this process (the one of the account owning the Maildir), so the lock
 * is a table in memory; IMAP sessions of the same user go on beside it.
 */
static struct map	*locks;

int
pop3_lock(struct pop3_session *p)
{
	if (locks == NULL)
		locks = map_new();
	if (map_get(locks, p->c->root) != NULL)
		return -1;
	(void)map_set(locks, p->c->root, p);
	p->locked = 1;
	return 0;
}

void
pop3_unlock(struct pop3_session *p)
{
	if (p->locked) {
		(void)map_del(locks, p->c->root);
		p->locked = 0;
	}
}

void
pop3_uidl(const struct pop3_msg *m, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 i;
	int		 plain = m->base_len <= POP3_UIDL_MAX;

	for (i = 0; plain && i < m->base_len; i++)
		if ((unsigned char)m->name[i] < 0x21 || (unsigned char)m->name[i] > 0x7e)
			plain = 0;
	if (plain) {
		snprintf(out, outlen, "%.*s", (int)m->base_len, m->name);
		return;
	}
	/*
	 * Another program's name too long or odd for RFC 1939: a digest of
	 * the base, the same in every session, so clients still download
	 * each message once.
	 */
	EVP_Digest(m->name, m->base_len, md, &mdlen, EVP_sha256(), NULL);
	if (mdlen > 20)
		mdlen = 20;
	for (i = 0; i < mdlen && i * 2 + 2 < outlen; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
}

/* ---- reading the maildrop ---- */

static void
load_work(void *arg)
{
	struct pop3_session	*p = arg;
	struct scan		 sc;
	const char		*errstr;
	char			 moved[MAILDIR_NAME_MAX + 1];
	size_t			 i;

	memset(&sc, 0, sizeof(sc));
	/* A user who never got mail has no Maildir yet: an empty maildrop, made now. */
	if (scan_dir_open(&p->dir, p->c->root, &errstr) == -1 &&
	    (errno != ENOENT || maildir_create(p->c->root, &errstr) == -1 ||
	    scan_dir_open(&p->dir, p->c->root, &errstr) == -1)) {
		snprintf(p->err, sizeof(p->err), "%s", errstr);
		return;
	}
	p->dir_open = 1;
	if (scan_list(&p->dir, 0, &sc, &errstr) == -1) {
		snprintf(p->err, sizeof(p->err), "%s", errstr);
		return;
	}
	p->msgs = xcalloc(sc.n ? sc.n : 1, sizeof(*p->msgs));
	for (i = 0; i < sc.n; i++) {
		const struct scan_entry	*e = &sc.v[i];
		struct pop3_msg		*m = &p->msgs[p->nmsgs];
		const char		*name = e->name;

		/*
		 * Seen by a mail reader now, as qmail-pop3d and Dovecot have
		 * it: new/ to cur/. Not fsync'd: lost in a crash, the message
		 * is in new/ again, which is no harm.
		 */
		if (e->sub == SCAN_NEW) {
			if (scan_to_cur(&p->dir, e->name, moved, sizeof(moved),
			    &errstr) == -1)
				continue;	/* gone meanwhile: not in this session */
			name = moved;
		}
		m->name = xstrdup(name);
		m->base_len = e->base_len;
		m->size = e->vsize != SCAN_NOSIZE ? e->vsize : e->size;
		p->total += m->size;
		p->nmsgs++;
	}
	scan_free(&sc);
}

static void
load_done(void *arg)
{
	struct pop3_session	*p = arg;

	pop3_loaded(p, p->err[0] == '\0');
}

void
pop3_maildrop_load(struct pop3_session *p)
{
	p->state = P3_LOADING;
	pool_run(mailbox_pool(), load_work, load_done, p);
}

/* ---- QUIT ---- */

static void
update_work(void *arg)
{
	struct pop3_session	*p = arg;
	struct maildir_name	 mn;
	char			 out[MAILDIR_NAME_MAX + 1];
	const char		*errstr;
	size_t			 i, left = p->ndeleted;
	int			 failed = 0;

	for (i = 0; i < p->nmsgs; i++) {
		struct pop3_msg	*m = &p->msgs[i];

		if (m->deleted) {
			/* The directory is fsync'd once, with the last one. */
			if (scan_expunge(&p->dir, SCAN_CUR, m->name, --left == 0,
			    &errstr) == -1) {
				failed = 1;
				snprintf(p->err, sizeof(p->err), "%s", errstr);
			}
			continue;
		}
		/* What was read over POP3 is read: IMAP clients see it \Seen (as Dovecot does). */
		if (!m->retrieved || maildir_name_parse(m->name, strlen(m->name),
		    &mn) == -1 || maildir_flags_sys(&mn.flags) & MAILDIR_F_SEEN)
			continue;
		maildir_flags_set_sys(&mn.flags, maildir_flags_sys(&mn.flags) |
		    MAILDIR_F_SEEN);
		(void)scan_set_flags(&p->dir, SCAN_CUR, m->name, &mn.flags, out,
		    sizeof(out), &errstr);
	}
	if (failed)
		p->err[sizeof(p->err) - 1] = '\0';
}

static void
update_done(void *arg)
{
	struct pop3_session	*p = arg;

	pop3_updated(p, p->err[0] == '\0');
}

void
pop3_maildrop_update(struct pop3_session *p)
{
	p->state = P3_UPDATE;
	p->err[0] = '\0';
	pool_run(mailbox_pool(), update_work, update_done, p);
}

void
pop3_maildrop_free(struct pop3_session *p)
{
	size_t	 i;

	for (i = 0; i < p->nmsgs; i++)
		free(p->msgs[i].name);
	free(p->msgs);
	p->msgs = NULL;
	p->nmsgs = 0;
	if (p->dir_open)
		scan_dir_close(&p->dir);
	p->dir_open = 0;
}
