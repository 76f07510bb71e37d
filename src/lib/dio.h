/* Durable file I/O: every write, fsync, rename and link checked, with crash points for tests. */
#ifndef TEGAMI_DIO_H
#define TEGAMI_DIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Each call returns 0, or -1 with errno set (a short write is -1 with errno
 * ENOSPC when the disk took nothing more). EINTR is retried.
 *
 * In the test build (-DTEGAMI_CRASHPOINTS) each call first counts itself;
 * when TEGAMI_CRASH_AT="NAME:N" is set and NAME is this process's name (see
 * dio_crash_init), the Nth such call does _exit(86) before touching the disk,
 * so tests can stop a process at every step of receive and delivery.
 * Several processes may be named: TEGAMI_CRASH_AT="queue:3,mda:2".
 * TEGAMI_CRASH_LOG=PATH appends "NAME N op" to PATH for every counted call,
 * so a test learns how many crash points a transaction passes through.
 * dio_crash_init resets the count; call it after fork in each process.
 * Without TEGAMI_CRASHPOINTS these are plain checked wrappers.
 */
void	dio_crash_init(const char *procname);
int	dio_write(int fd, const void *, size_t);
int	dio_pwrite(int fd, const void *, size_t, off_t);
int	dio_fsync(int fd);
int	dio_rename(const char *from, const char *to);
int	dio_renameat(int fromdir, const char *from, int todir, const char *to);
/* As dio_renameat, but fails with EEXIST rather than replace an existing "to". */
int	dio_renameat_new(int fromdir, const char *from, int todir, const char *to);
int	dio_link(const char *from, const char *to);
int	dio_linkat(int fromdir, const char *from, int todir, const char *to);
/* Opens the directory read-only, fsyncs it and closes it. */
int	dio_fsync_dir(const char *path);
int	dio_fsync_dirfd(int dirfd);
/*
 * Reads exactly len bytes at off (EINTR retried). A file that ends before
 * them is -1 with errno ENODATA. Not a crash point: reads change nothing.
 */
int	dio_pread(int fd, void *, size_t len, off_t off);
/* close() that reports the deferred write errors of NFS and the like. */
int	dio_close(int fd);
/*
 * Appends len bytes of in, read from offset off, to out (at out's file
 * offset; out must not be O_APPEND for the fast path). Uses
 * copy_file_range(2) where the kernel can, else a read/write loop. A source
 * that ends early is -1 with errno ENODATA. One crash point ("copy").
 */
int	dio_copy(int in, off_t off, int out, size_t len);
/*
 * mkdir -p: creates the missing directories of path with mode and fsyncs
 * the parent of each one it creates, so a new directory survives a crash
 * with the files later put in it. An existing non-directory is ENOTDIR.
 * Not a crash point (it only does work the first time).
 */
int	dio_mkdirs(const char *path, mode_t mode);

#endif
