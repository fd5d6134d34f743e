#include "parallel.h"

#include <pthread.h>
#include <unistd.h>

int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

struct job {
	void (*work)(void *ctx, size_t item);
	void *ctx;
	size_t nitem;
	size_t next;
	pthread_mutex_t lock;
};

static void *
job_worker(void *arg)
{
	struct job *j = arg;

	for (;;) {
		size_t item;

		pthread_mutex_lock(&j->lock);
		item = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (item >= j->nitem)
			return NULL;
		j->work(j->ctx, item);
	}
}

void
parallel_for(void (*work)(void *, size_t), void *ctx, size_t nitem,
             int threads)
{
	struct job j = { work, ctx, nitem, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[64];
	int i, started = 0;

	if (threads > 64)
		threads = 64;
	if ((size_t)threads > nitem)
		threads = (int)nitem;
	for (i = 1; i < threads; i++)
		if (pthread_create(&tid[started], NULL, job_worker, &j) == 0)
			started++;
	job_worker(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}
