#include "threads.h"

#include <stddef.h>

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

int fastgd_run_threads(int n_threads, fastgd_task task, void *arg)
{
    if (n_threads > FASTGD_MAX_THREADS)
        n_threads = FASTGD_MAX_THREADS;
    if (n_threads <= 1) {
        task(arg, 0, 1);
        return 1;
    }
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
