/*
 * A small pool of threads for what must not stall the event loop: fsync,
 * rename and directory fsync of a blob, the load of a generation's
 * packages.idx or seal, reading a file into the serving cache.  A job's
 * work runs on a thread and touches only what the job owns; its done
 * callback runs afterwards on the loop, woken through an eventfd, and is
 * where results meet the daemon's state.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "proxy.h"
#include "util.h"

#define POOL_MAX_THREADS	16

struct pool_job {
	void			(*pj_work)(void *);
	void			(*pj_done)(void *);
	void			*pj_arg;
	TAILQ_ENTRY(pool_job)	 pj_link;
};
TAILQ_HEAD(pool_jobs, pool_job);

struct pool {
	struct event		*pl_ev;		/* the eventfd: jobs are done */
	int			 pl_efd;
	pthread_mutex_t		 pl_lock;
	pthread_cond_t		 pl_cond;
	struct pool_jobs	 pl_todo;
	struct pool_jobs	 pl_done;
	pthread_t		 pl_threads[POOL_MAX_THREADS];
	int			 pl_nthreads;
	int			 pl_stopping;
};

static void
pool_wake(struct pool *pl)
{
	uint64_t	one = 1;

	/* Only EAGAIN can fail it (the counter is full): a wake is pending. */
	(void)write(pl->pl_efd, &one, sizeof one);
}

static void *
pool_thread(void *arg)
{
	struct pool	*pl = arg;
	struct pool_job	*pj;
	int		 wake;

	pthread_mutex_lock(&pl->pl_lock);
	for (;;) {
		while ((pj = TAILQ_FIRST(&pl->pl_todo)) == NULL &&
		    !pl->pl_stopping)
			pthread_cond_wait(&pl->pl_cond, &pl->pl_lock);
		if (pj == NULL)
			break;
		TAILQ_REMOVE(&pl->pl_todo, pj, pj_link);
		pthread_mutex_unlock(&pl->pl_lock);

		pj->pj_work(pj->pj_arg);

		pthread_mutex_lock(&pl->pl_lock);
		wake = TAILQ_EMPTY(&pl->pl_done);
		TAILQ_INSERT_TAIL(&pl->pl_done, pj, pj_link);
		if (wake)
			pool_wake(pl);
	}
	pthread_mutex_unlock(&pl->pl_lock);
	return NULL;
}

/* Runs the done callbacks of finished jobs, on the loop. */
static void
pool_collect(struct pool *pl)
{
	struct pool_jobs	 done;
	struct pool_job		*pj;
	uint64_t		 n;

	(void)read(pl->pl_efd, &n, sizeof n);
	TAILQ_INIT(&done);
	pthread_mutex_lock(&pl->pl_lock);
	TAILQ_CONCAT(&done, &pl->pl_done, pj_link);
	pthread_mutex_unlock(&pl->pl_lock);
	while ((pj = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, pj, pj_link);
		if (pj->pj_done != NULL)
			pj->pj_done(pj->pj_arg);
		free(pj);
	}
}

static void
pool_event(evutil_socket_t fd, short events, void *arg)
{
	pool_collect(arg);
}

struct pool *
pool_new(struct event_base *base, int nthreads, char **cause)
{
	struct pool	*pl;
	sigset_t	 all, old;
	int		 error;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > POOL_MAX_THREADS)
		nthreads = POOL_MAX_THREADS;
	if ((pl = calloc(1, sizeof *pl)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	pl->pl_efd = -1;
	TAILQ_INIT(&pl->pl_todo);
	TAILQ_INIT(&pl->pl_done);
	pthread_mutex_init(&pl->pl_lock, NULL);
	pthread_cond_init(&pl->pl_cond, NULL);
	if ((pl->pl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		cause_set(cause, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((pl->pl_ev = event_new(base, pl->pl_efd, EV_READ | EV_PERSIST,
	    pool_event, pl)) == NULL || event_add(pl->pl_ev, NULL) == -1) {
		cause_set(cause, "out of memory");
		goto fail;
	}
	/* Signals are the loop's: the threads block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; pl->pl_nthreads < nthreads; pl->pl_nthreads++) {
		error = pthread_create(&pl->pl_threads[pl->pl_nthreads], NULL,
		    pool_thread, pl);
		if (error != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			cause_set(cause, "worker threads: %s", strerror(error));
			goto fail;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pl;
fail:
	pool_free(pl);
	return NULL;
}

/* Lets every queued job finish and runs its done callback; then frees. */
void
pool_free(struct pool *pl)
{
	int	i;

	if (pl == NULL)
		return;
	pthread_mutex_lock(&pl->pl_lock);
	pl->pl_stopping = 1;
	pthread_cond_broadcast(&pl->pl_cond);
	pthread_mutex_unlock(&pl->pl_lock);
	for (i = 0; i < pl->pl_nthreads; i++)
		pthread_join(pl->pl_threads[i], NULL);
	if (pl->pl_efd != -1)
		pool_collect(pl);
	if (pl->pl_ev != NULL)
		event_free(pl->pl_ev);
	if (pl->pl_efd != -1)
		close(pl->pl_efd);
	pthread_mutex_destroy(&pl->pl_lock);
	pthread_cond_destroy(&pl->pl_cond);
	free(pl);
}

int
pool_run(struct pool *pl, void (*work)(void *), void (*done)(void *),
    void *arg)
{
	struct pool_job	*pj;

	if (pl == NULL || pl->pl_stopping || (pj = calloc(1, sizeof *pj)) == NULL)
		return -1;
	pj->pj_work = work;
	pj->pj_done = done;
	pj->pj_arg = arg;
	pthread_mutex_lock(&pl->pl_lock);
	TAILQ_INSERT_TAIL(&pl->pl_todo, pj, pj_link);
	pthread_cond_signal(&pl->pl_cond);
	pthread_mutex_unlock(&pl->pl_lock);
	return 0;
}
