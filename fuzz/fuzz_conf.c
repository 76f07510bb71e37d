/* libFuzzer target: the tegami.conf lexer, parser and checks on arbitrary text, in memory. */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 errors, warnings;
	struct conf	*conf;

	/* conf_load_buffer refuses include and reads no file table: no filesystem. */
	buf_init(&errors, 0);
	buf_init(&warnings, 0);
	conf = conf_load_buffer("fuzz.conf", (const char *)data, size, &errors, &warnings);
	/* A config that loads has no errors; one that does not has at least one. */
	if ((conf != NULL) == (errors.len != 0))
		__builtin_trap();
	conf_free(conf);
	buf_free(&errors);
	buf_free(&warnings);
	return 0;
}
