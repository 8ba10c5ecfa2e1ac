/*
 * libFuzzer target for the configuration parser: any bytes as a
 * patchgate.conf must load or be refused with messages, never crash.
 */
#include "config.h"

#include <fcntl.h>
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
	int		 fd, saved, null;

	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	/* Silence the parser's messages, not libFuzzer's or ASan's reports. */
	fflush(stderr);
	saved = dup(2);
	if ((null = open("/dev/null", O_WRONLY)) != -1) {
		dup2(null, 2);
		close(null);
	}
	cf = config_load(path);
	config_free(cf);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unlink(path);
	return 0;
}
