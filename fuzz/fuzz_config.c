/*
 * libFuzzer target for the configuration parser: any bytes as a
 * patchgate.conf must load or be refused with messages, never crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		 path[] = "/tmp/fuzz-config.XXXXXX";
	struct config	*cf;
	int		 fd;

	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	freopen("/dev/null", "w", stderr);
	cf = config_load(path);
	config_free(cf);
	unlink(path);
	return 0;
}
