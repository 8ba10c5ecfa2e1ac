/*
 * libFuzzer target for maintenance windows: any bytes as the value of
 * "window = ..." must parse or be refused with a message, never crash;
 * a window that parses answers every question (inside, next opening,
 * last close) in bounded time, and consistently.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct window	 w;
	char		*text, *cause = NULL;
	time_t		 now, open, close;

	if (len > 512)
		return 0;
	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&w, 0, sizeof w);
	if (window_parse(text, &w, &cause) != 0) {
		if (cause == NULL)
			abort();	/* a refusal always says why */
		free(cause);
		free(text);
		return 0;
	}
	/* 2026-01-01 plus up to about eight years, from the input's bytes. */
	now = 1767225600 + (time_t)(len * 2654435761U % (8U * 366 * 86400));
	open = window_next_open(&w, 1, now);
	if (open != 0 && (open <= now || !window_inside(&w, 1, open) ||
	    window_inside(&w, 1, open - 1)))
		abort();
	close = window_last_close(&w, 1, now);
	if (close != 0 && (close > now || window_inside(&w, 1, close) ||
	    !window_inside(&w, 1, close - 1)))
		abort();
	if (window_next_inside(&w, 1, now) != (window_inside(&w, 1, now) ?
	    now : open))
		abort();
	free(text);
	return 0;
}
