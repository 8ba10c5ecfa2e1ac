/*
 * libFuzzer target for machines' inventories (lib/inventory.c), which
 * patchgated parses from any client: any bytes must parse or be refused
 * with a message, never crash, and what parses must be what the limits
 * and the format allow.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inventory	*iv;
	char			*cause = NULL;
	size_t			 i;

	switch (inventory_parse((const char *)data, len, &iv, &cause)) {
	case INV_OK:
		if (iv == NULL || cause != NULL || iv->iv_format == INV_NONE ||
		    iv->iv_lines > INVENTORY_MAX_LINES)
			abort();
		for (i = 0; i < iv->iv_npkgs; i++) {
			if (strlen(iv->iv_pkgs[i].ip_name) == 0 ||
			    strchr(iv->iv_pkgs[i].ip_name, ' ') != NULL ||
			    (iv->iv_format == INV_RPM) !=
			    (iv->iv_pkgs[i].ip_release != NULL))
				abort();
		}
		inventory_free(iv);
		break;
	case INV_TOO_LARGE:
	case INV_BAD:
		if (iv != NULL || cause == NULL)
			abort();	/* a refusal always says why */
		free(cause);
		break;
	case INV_NOMEM:
		free(cause);
		break;
	}
	return 0;
}
