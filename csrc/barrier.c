#include "barrier.h"

#if defined(_WIN32)
#include <windows.h>
#define sched_yield() SwitchToThread()
#else
#include <sched.h>
#endif

#include "pause.h"

void fastgd_barrier_wait(fastgd_barrier *b, int n_threads, int *sense)
{
    int mine = !*sense;
    *sense = mine;
    /* The last to arrive resets the count and flips the shared sense; the count's
       acquire-release and the sense's release/acquire order the writes around the barrier. */
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == n_threads) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->sense, mine, __ATOMIC_RELEASE);
        return;
    }
    for (long spins = 0; __atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) != mine; ++spins) {
        if (spins < FASTGD_BARRIER_SPINS)
            PAUSE();
        else
            sched_yield();
    }
}
