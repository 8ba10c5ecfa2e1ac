/*
 * libFuzzer target for the Host header (proxy/parse.c).  A Host that is
 * taken is copied into the .repo and .sources files _setup writes, so it
 * must stay short, hold only a URL's plain characters, and make with a
 * scheme and a path a URL that libevent parses, host and path intact.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "parse.h"
#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evhttp_uri	*uri;
	char			*s, url[SERVER_HOST_MAX + 32];
	size_t			 len;

	if (size > 2 * SERVER_HOST_MAX)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (parse_host(s)) {
		len = strlen(s);
		if (len == 0 || len >= SERVER_HOST_MAX ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != len)
			abort();
		snprintf(url, sizeof url, "http://%s/el9/_setup", s);
		if ((uri = evhttp_uri_parse(url)) == NULL)
			abort();
		if (evhttp_uri_get_host(uri) == NULL ||
		    strcmp(evhttp_uri_get_path(uri), "/el9/_setup") != 0)
			abort();
		evhttp_uri_free(uri);
	}
	free(s);
	return 0;
}
