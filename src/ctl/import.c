/* tegamictl import: placeholder until the importers land. */
#include <stdio.h>

#include "ctl/ctl.h"

int
ctl_import(const char *conf_path, int argc, char **argv)
{
	(void)conf_path;
	(void)argc;
	(void)argv;
	return 1;
}
