/* libFuzzer target: the rdata tegamictl dns --check reads (TXT, MX, addresses) and its verdicts on the texts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/dnsrec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsrec_result	 r;
	char			 txt[DNSREC_TXT_MAX + 1], name[256], addr[64];
	const char		*v[1], *rec;
	int			 pref;

	if (dnsrec_txt(data, size, txt, sizeof(txt)) == 0) {
		if (strlen(txt) >= size + 1)
			__builtin_trap();
		v[0] = txt;
		(void)dnsrec_spf_pick(v, 1, &rec, &r);
		dnsrec_check_dmarc(v, 1, &r);
		if (size < 512)
			dnsrec_check_dkim("v=DKIM1; k=ed25519; "
			    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", v, 1, &r);
		if (strlen(r.found) >= sizeof(r.found))
			__builtin_trap();
	}
	if (dnsrec_mx(data, size, &pref, name, sizeof(name)) == 0) {
		v[0] = name;
		dnsrec_check_mx("mail.example", v, 1, &r);
		dnsrec_check_ptr("mail.example", v, 1, &r);
	}
	(void)dnsrec_addr(data, size, addr, sizeof(addr));
	return 0;
}
