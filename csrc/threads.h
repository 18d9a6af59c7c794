/* The core's threads: started for one call, joined before it returns.
 *
 * Nothing of them outlives the call, so a process that forks at any moment (multiprocessing's
 * default on Linux, a ProcessPoolExecutor) gives its child no half-copied thread pool to hang
 * on, as OpenMP's runtime does; and no runtime beyond the system's threads is needed. Starting
 * a thread costs some tens of microseconds, against the milliseconds of work of a call.
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
