/* The core's threads, fork-safe: no OpenMP runtime.
 *
 * On POSIX systems a pool of workers is kept between calls (started on first use, spinning
 * briefly and then sleeping between calls, so that a call costs microseconds, not the tens of
 * microseconds of starting threads and moving them to cores of their own). A fork waits for a
 * call in progress (pthread_atfork), and the child starts with an empty pool: its first call
 * starts new workers, so a forked child never waits for threads it does not have (OpenMP's
 * runtime hung such children in their first call). A call made while another call has the
 * pool (two Python threads in the core at once), and every call on Windows, gets a team of its
 * own, started for it and joined before it returns.
 */
#ifndef FASTGD_THREADS_H
#define FASTGD_THREADS_H

enum { FASTGD_MAX_THREADS = 64 };

/* One thread's share of a call: tid in [0, n_threads). */
typedef void (*fastgd_task)(void *arg, int tid, int n_threads);

/* Run task(arg, tid, n) on n threads, tid 0 on the calling thread, and return n once all have
 * finished. n is n_threads (at most FASTGD_MAX_THREADS), or fewer when the system refuses to
 * start more threads: no task starts before the count is known, so the work can always be
 * shared out by the n the tasks are given. */
int fastgd_run_threads(int n_threads, fastgd_task task, void *arg);

#endif
