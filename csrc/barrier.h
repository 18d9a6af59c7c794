/* Where the threads of an epoch meet, twice a mini-batch step.
 *
 * A spinning, sense-reversing barrier on one counter. libgomp's `omp barrier` wakes the waiting
 * threads with a futex system call even when they spin, a cost of the order of the work between
 * two barriers of the small-kernel path. A waiting thread spins with a pause instruction, and
 * after FASTGD_BARRIER_SPINS pauses gives its core away at every check (sched_yield), so that a
 * thread that is not running (more threads than free cores) gets a core and the epoch goes on.
 */
#ifndef FASTGD_BARRIER_H
#define FASTGD_BARRIER_H

enum { FASTGD_BARRIER_SPINS = 256 };

/* Zeroed before the threads start; shared by them. */
typedef struct {
    int count;
    int sense;
} fastgd_barrier;

/* Wait until all n_threads threads have arrived. Each thread passes its own sense, 0 at the
 * start. Every write before the barrier happens before every read after it, in every thread. */
void fastgd_barrier_wait(fastgd_barrier *b, int n_threads, int *sense);

#endif
