/* Maildir delivery: tmp, fsync, link into new/, fsync new/ (the Maildir spec, made durable). */
#ifndef TEGAMI_MAILDIR_H
#define TEGAMI_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "mail/deliver.h"

/*
 * Creates path/{cur,new,tmp} (and path itself, parents included) if missing,
 * mode 0700, owned by the running account.
 */
int	 maildir_create(const char *path, const char **errstr);

/*
 * Writes header (the added Return-Path/Delivered-To lines) followed by len
 * bytes of msgfd from offset into a new message in the Maildir at path, named
 * TIME.M<usec>P<pid>Q<seq>.HOST,S=<size>. When folder is not NULL (".Junk")
 * it is a Maildir++ subfolder, created if missing. On success the name is
 * written to name_out (if not NULL). errstr says what failed; ENOSPC, EDQUOT
 * and EIO are TEMPFAIL, a path that cannot be a Maildir is PERMFAIL.
 */
enum deliver_result maildir_deliver(const char *path, const char *folder,
	    const char *header, size_t headerlen, int msgfd, off_t offset,
	    size_t len, char *name_out, size_t name_outlen, const char **errstr);

/* The unique file name, exposed for tests: TIME.M<usec>P<pid>Q<seq>.HOST,S=<size> */
void	 maildir_name(char *dst, size_t dstlen, const char *host, size_t size);

#endif
