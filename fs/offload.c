/* SPDX-License-Identifier: MIT */
/* offload.c - worker threads for requests that may block; see offload.h. */
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct job {
	struct job *next;
	void (*fn)(void *arg);
	void *arg;
};

struct offload {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or the pool is ending */
	struct job *head, **tail;
	unsigned max_threads, n_threads, idle, queued;
	bool ending;
	pthread_t *threads;
};

int offload_new(unsigned max_threads, struct offload **ret)
{
	struct offload *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->threads = calloc(max_threads ? max_threads : 1, sizeof(*o->threads));
	if (!o->threads) {
		free(o);
		return -ENOMEM;
	}
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->work, NULL);
	o->tail = &o->head;
	o->max_threads = max_threads;
	*ret = o;
	return 0;
}

static void *worker(void *arg)
{
	struct offload *o = arg;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct job *j = o->head;

		if (!j) {
			if (o->ending)
				break;
			o->idle++;
			pthread_cond_wait(&o->work, &o->lock);
			o->idle--;
			continue;
		}
		o->head = j->next;
		o->queued--;
		if (!o->head)
			o->tail = &o->head;
		pthread_mutex_unlock(&o->lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&o->lock);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* Called with the lock held: a new worker when every idle one already has
 * a job waiting for it and the pool may grow.  Fails only when there is no
 * worker at all. */
static int grow(struct offload *o)
{
	sigset_t all, old;
	int r;

	if (o->idle > o->queued || o->n_threads >= o->max_threads)
		return o->n_threads > 0 ? 0 : -EAGAIN;
	/* Workers take no signals: the loop thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&o->threads[o->n_threads], NULL, worker, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		o->n_threads++;
	return o->n_threads > 0 ? 0 : -r;
}

int offload_submit(struct offload *o, void (*fn)(void *arg), void *arg)
{
	struct job *j;
	int r;

	if (!o)
		return -ENOSYS;
	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (struct job){ .fn = fn, .arg = arg };
	pthread_mutex_lock(&o->lock);
	r = grow(o);
	if (r == 0) {
		*o->tail = j;
		o->tail = &j->next;
		o->queued++;
		pthread_cond_signal(&o->work);
	}
	pthread_mutex_unlock(&o->lock);
	if (r < 0)
		free(j);
	return r;
}

struct offload *offload_free(struct offload *o)
{
	if (!o)
		return NULL;
	pthread_mutex_lock(&o->lock);
	o->ending = true;
	pthread_cond_broadcast(&o->work);
	pthread_mutex_unlock(&o->lock);
	for (unsigned i = 0; i < o->n_threads; i++)
		pthread_join(o->threads[i], NULL);
	pthread_cond_destroy(&o->work);
	pthread_mutex_destroy(&o->lock);
	free(o->threads);
	free(o);
	return NULL;
}
