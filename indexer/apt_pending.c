/* Temporary: apt support links once lib/deb822.c lands. */
#include "config.h"

#include "indexer.h"

int
sync_apt(struct indexer *ix, struct mirror *mi, long long id, char **cause)
{
	cause_set(cause, "apt support is not built yet");
	return -1;
}

void
publish_apt_retain(struct pub_view *pv)
{
}

int
publish_apt(struct pub_view *pv, char **cause)
{
	cause_set(cause, "apt support is not built yet");
	return -1;
}
