#include "threads.h"

#include <stddef.h>
#include <stdlib.h>

#if defined(_WIN32)
#include <windows.h>
typedef HANDLE thread_id;
#else
#include <pthread.h>
typedef pthread_t thread_id;
#endif

/* What the threads of a call share: the task, the count they run with, and a gate that opens
 * once every thread that could be started has been. */
typedef struct {
    fastgd_task task;
    void *arg;
    int n_threads;
    int open;
#if defined(_WIN32)
    CRITICAL_SECTION lock;
    CONDITION_VARIABLE opened;
#else
    pthread_mutex_t lock;
    pthread_cond_t opened;
#endif
} team;

typedef struct {
    team *team;
    int tid;
} member;

static void wait_for_gate(team *t)
{
#if defined(_WIN32)
    EnterCriticalSection(&t->lock);
    while (!t->open)
        SleepConditionVariableCS(&t->opened, &t->lock, INFINITE);
    LeaveCriticalSection(&t->lock);
#else
    pthread_mutex_lock(&t->lock);
    while (!t->open)
        pthread_cond_wait(&t->opened, &t->lock);
    pthread_mutex_unlock(&t->lock);
#endif
}

static void open_gate(team *t, int n_threads)
{
#if defined(_WIN32)
    EnterCriticalSection(&t->lock);
    t->n_threads = n_threads;
    t->open = 1;
    LeaveCriticalSection(&t->lock);
    WakeAllConditionVariable(&t->opened);
#else
    pthread_mutex_lock(&t->lock);
    t->n_threads = n_threads;
    t->open = 1;
    pthread_cond_broadcast(&t->opened);
    pthread_mutex_unlock(&t->lock);
#endif
}

static void run_member(member *m)
{
    wait_for_gate(m->team);
    /* (Every started thread has a tid below the count the gate opened with.) */
    m->team->task(m->team->arg, m->tid, m->team->n_threads);
}

#if defined(_WIN32)
static DWORD WINAPI thread_main(LPVOID p)
{
    run_member((member *)p);
    return 0;
}

static int start(thread_id *id, member *m)
{
    *id = CreateThread(NULL, 0, thread_main, m, 0, NULL);
    return *id != NULL;
}

static void join(thread_id id)
{
    WaitForSingleObject(id, INFINITE);
    CloseHandle(id);
}
#else
static void *thread_main(void *p)
{
    run_member((member *)p);
    return NULL;
}

static int start(thread_id *id, member *m) { return pthread_create(id, NULL, thread_main, m) == 0; }

static void join(thread_id id) { pthread_join(id, NULL); }
#endif

/* A team started for this call alone, joined before it returns. */
static int run_call_long_team(int n_threads, fastgd_task task, void *arg)
{
    team t = {.task = task, .arg = arg};
    member members[FASTGD_MAX_THREADS];
    thread_id ids[FASTGD_MAX_THREADS];
#if defined(_WIN32)
    InitializeCriticalSection(&t.lock);
    InitializeConditionVariable(&t.opened);
#else
    pthread_mutex_init(&t.lock, NULL);
    pthread_cond_init(&t.opened, NULL);
#endif
    int started = 1;
    for (; started < n_threads; ++started) {
        members[started].team = &t;
        members[started].tid = started;
        if (!start(&ids[started], &members[started]))
            break;
    }
    open_gate(&t, started);
    task(arg, 0, started);
    for (int i = 1; i < started; ++i)
        join(ids[i]);
#if defined(_WIN32)
    DeleteCriticalSection(&t.lock);
#else
    pthread_cond_destroy(&t.opened);
    pthread_mutex_destroy(&t.lock);
#endif
    return started;
}

#if !defined(_WIN32)
#include "pause.h"

/* The pool: worker threads (tids 1 .. n_workers) kept between calls, so that a call does not
 * pay for starting threads (and for moving them to cores of their own). Calls come in quick
 * succession (chunk after chunk), so an idle worker first spins for POOL_SPINS pauses, of the
 * order of a tenth of a millisecond, watching for the next call, and only then sleeps on a
 * condition variable; the caller waits for the workers the same way. One call uses the pool
 * at a time (pool.call). A fork must not copy a pool whose threads the child lacks: the
 * prepare handler takes pool.call, so a fork waits for a call in progress, and in the child
 * the pool is made anew, empty; its first call starts new workers. */
enum { POOL_SPINS = 4096 };

static struct {
    pthread_mutex_t call;       /* held by the call that uses the pool */
    pthread_mutex_t lock;       /* with the two conditions, for sleeping and waking */
    pthread_cond_t wake;        /* workers sleep here for a new generation */
    pthread_cond_t done;        /* the caller sleeps here for the workers */
    int n_workers;              /* changed with call held, read by the caller only */
    unsigned long generation;   /* one per call; atomic */
    int finished;               /* workers done with this generation; atomic */
    fastgd_task task;           /* written before the generation is, read after */
    void *arg;
    int n_threads;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL, NULL, 0};

typedef struct {
    int tid;
    unsigned long seen; /* the generation before the worker's first */
} worker_start;

static unsigned long generation(void)
{
    return __atomic_load_n(&pool.generation, __ATOMIC_ACQUIRE);
}

static void *pool_worker(void *p)
{
    worker_start start = *(worker_start *)p;
    free(p);
    unsigned long seen = start.seen;
    for (;;) {
        for (int spins = 0; spins < POOL_SPINS && generation() == seen; ++spins)
            PAUSE();
        if (generation() == seen) {
            pthread_mutex_lock(&pool.lock);
            while (generation() == seen)
                pthread_cond_wait(&pool.wake, &pool.lock);
            pthread_mutex_unlock(&pool.lock);
        }
        seen = generation();
        if (start.tid < pool.n_threads)
            pool.task(pool.arg, start.tid, pool.n_threads);
        /* (The caller reads pool.n_workers: no worker is started during a generation.) */
        pthread_mutex_lock(&pool.lock);
        __atomic_add_fetch(&pool.finished, 1, __ATOMIC_RELEASE);
        pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.lock);
    }
    return NULL;
}

static void prepare_fork(void)
{
    pthread_mutex_lock(&pool.call);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&pool.call);
}

static void after_fork_child(void)
{
    /* Only the forking thread exists here: a pool without workers, its locks new. */
    pthread_mutex_init(&pool.call, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.n_workers = 0;
    pool.finished = 0;
}

static pthread_once_t fork_handlers = PTHREAD_ONCE_INIT;

static void register_fork_handlers(void)
{
    pthread_atfork(prepare_fork, after_fork_parent, after_fork_child);
}

/* Start workers until there are want of them (or the system refuses); with pool.call held and
 * no generation running. */
static void grow_pool(int want)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (pool.n_workers < want) {
        worker_start *start = malloc(sizeof *start);
        pthread_t id;
        if (start == NULL)
            break;
        start->tid = pool.n_workers + 1;
        start->seen = generation();
        if (pthread_create(&id, &attr, pool_worker, start) != 0) {
            free(start);
            break;
        }
        pool.n_workers += 1;
    }
    pthread_attr_destroy(&attr);
}

static int finished(void)
{
    return __atomic_load_n(&pool.finished, __ATOMIC_ACQUIRE);
}

/* The call's team from the pool. */
static int run_pool(int n_threads, fastgd_task task, void *arg)
{
    grow_pool(n_threads - 1);
    int n = pool.n_workers + 1 < n_threads ? pool.n_workers + 1 : n_threads;
    pool.task = task;
    pool.arg = arg;
    pool.n_threads = n;
    __atomic_store_n(&pool.finished, 0, __ATOMIC_RELAXED);
    pthread_mutex_lock(&pool.lock);
    __atomic_add_fetch(&pool.generation, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    task(arg, 0, n);
    for (int spins = 0; spins < POOL_SPINS && finished() < pool.n_workers; ++spins)
        PAUSE();
    if (finished() < pool.n_workers) {
        pthread_mutex_lock(&pool.lock);
        while (finished() < pool.n_workers)
            pthread_cond_wait(&pool.done, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
    }
    return n;
}
#endif

int fastgd_run_threads(int n_threads, fastgd_task task, void *arg)
{
    if (n_threads > FASTGD_MAX_THREADS)
        n_threads = FASTGD_MAX_THREADS;
    if (n_threads <= 1) {
        task(arg, 0, 1);
        return 1;
    }
#if defined(_WIN32)
    return run_call_long_team(n_threads, task, arg);
#else
    pthread_once(&fork_handlers, register_fork_handlers);
    /* Another call has the pool (two Python threads in the core at once): a team of its own. */
    if (pthread_mutex_trylock(&pool.call) != 0)
        return run_call_long_team(n_threads, task, arg);
    int n = run_pool(n_threads, task, arg);
    pthread_mutex_unlock(&pool.call);
    return n;
#endif
}
