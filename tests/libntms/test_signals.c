/*
 * Waits follow ntmsd's signals: WaitForNtmsOperatorRequest and WaitForNtmsNotification wake when
 * the daemon acts, not at the next turn of a polling loop. Run inside private-bus.sh with
 *   lab   sim, a single-cartridge port (inject jobs that wait for the operator)
 * and a dbus-monitor on the private bus. TAP on stdout, what failed on stderr.
 *
 * Two kinds of evidence:
 *  - reads: the D-Bus property reads a wait makes of its request, counted by dbus-monitor, are
 *    the same for a short and a long wait (a polling wait makes ten a second); no clock needed;
 *  - latency: from the daemon's act (the answer's reply, or the job's own TimeCompleted) to the
 *    wait's return, median of several rounds, well under the old 100 ms poll. Medians and a
 *    generous bound keep a loaded machine from failing it.
 * Also: a wait on a session another thread keeps busy, and ntmsd dying under waits.
 *
 *   test_signals MONITOR-LOG
 * MONITOR-LOG: where `dbus-monitor --system --profile` writes, started by run-signals.sh.
 */
#define _DEFAULT_SOURCE

#include <ntmsapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static int failures;
static int tests;

static void report(int ok, const char* what) {
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tests, what);
    fflush(stdout);
    if (!ok)
        ++failures;
}

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: not true: %s\n", __FILE__, __LINE__, #cond);                   \
            ++bad;                                                                                 \
        }                                                                                          \
    } while (0)

static const char* monitor_log;

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static double clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

static int same_guid(const NTMS_GUID* a, const NTMS_GUID* b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static void guid_text(const NTMS_GUID* g, char out[33]) {
    int i;
    snprintf(out, 33, "%08lx%04x%04x", (unsigned long)g->Data1, (unsigned)g->Data2,
             (unsigned)g->Data3);
    for (i = 0; i < 8; ++i)
        snprintf(out + 16 + 2 * i, 3, "%02x", (unsigned)g->Data4[i]);
}

static HANDLE open_local(const char* application) {
    HANDLE h = OpenNtmsSessionA(NULL, application, 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSession: %lu\n", (unsigned long)NtmsGetLastError());
        exit(1);
    }
    return h;
}

static NTMS_OBJECTINFORMATIONA info_of(HANDLE h, NTMS_GUID* id, DWORD type, DWORD* rc) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = type;
    *rc = GetNtmsObjectInformationA(h, id, &info);
    return info;
}

static int final_state(DWORD s) {
    return s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_STOPPED ||
           s == NTMS_LM_CANCELLED;
}

static NTMS_GUID lab;

/*
 * Follows one job through a notification until it is in `wanted` or has ended; returns its
 * state, and in *woke_ms the CLOCK_REALTIME of the notification that told it (-1 when the
 * first read found it so).
 */
static DWORD follow_job(HANDLE h, HANDLE changes, NTMS_GUID* job, DWORD wanted, double* woke_ms) {
    double deadline = now_ms() + 60000;
    int look = 1;
    *woke_ms = -1;
    while (now_ms() < deadline) {
        NTMS_NOTIFICATIONINFORMATION note;
        DWORD rc;
        if (look) {
            NTMS_OBJECTINFORMATIONA info = info_of(h, job, NTMS_LIBREQUEST, &rc);
            if (rc != ERROR_SUCCESS)
                return 0xffffffffu;
            if (info.Info.LibRequest.State == wanted || final_state(info.Info.LibRequest.State))
                return info.Info.LibRequest.State;
        }
        rc = WaitForNtmsNotification(changes, &note, 1000);
        *woke_ms = clock_ms(CLOCK_REALTIME);
        if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT)
            return 0xffffffffu;
        look = rc == ERROR_SUCCESS && same_guid(&note.ObjectId, job);
    }
    return 0xffffffffu;
}

/* Starts an inject on lab and follows it until it waits for the operator. */
static int waiting_job(HANDLE h, HANDLE changes, NTMS_GUID* job) {
    double woke;
    if (InjectNtmsMedia(h, &lab, job, NTMS_INJECT_START) != ERROR_SUCCESS)
        return 0;
    return follow_job(h, changes, job, NTMS_LM_WAITING, &woke) == NTMS_LM_WAITING;
}

/*
 * The open "put cartridges in" request of a waiting job. The job may say WAITING a moment
 * before its request is on the bus: a new request is a notification on `requests`.
 */
static int insert_request(HANDLE h, HANDLE requests, const NTMS_GUID* job, NTMS_GUID* request) {
    double deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        NTMS_NOTIFICATIONINFORMATION note;
        NTMS_GUID list[256];
        DWORD n = 256, i, rc;
        if (EnumerateNtmsObject(h, NULL, list, &n, NTMS_OPREQUEST, 0) != ERROR_SUCCESS)
            return 0;
        for (i = 0; i < n; ++i) {
            NTMS_OBJECTINFORMATIONA info = info_of(h, &list[i], NTMS_OPREQUEST, &rc);
            if (rc == ERROR_SUCCESS && info.Info.OpRequest.State == NTMS_OPSTATE_SUBMITTED &&
                same_guid(&info.Info.OpRequest.Arg2, job)) {
                *request = list[i];
                return 1;
            }
        }
        rc = WaitForNtmsNotification(requests, &note, 1000);
        if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT)
            return 0;
    }
    return 0;
}

static int by_value(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

/* ---- dbus-monitor's count of property reads ------------------------------------------------ */

/* Property reads (Get, GetAll) of objects whose path contains `what`, logged so far. */
static int reads_of(const char* what) {
    char line[2048];
    int n = 0;
    FILE* f = fopen(monitor_log, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "mc", 2) == 0 && strstr(line, what) &&
            (strstr(line, "\tGetAll") || strstr(line, "\tGet\n")))
            ++n;
    fclose(f);
    return n;
}

/*
 * Reads lab's properties until the monitor has logged such a read: everything the bus routed
 * before it is in the log too. Returns 0 when the monitor never shows it.
 */
static int monitor_caught_up(HANDLE h) {
    char hex[33];
    int before, i;
    DWORD rc;
    guid_text(&lab, hex);
    before = reads_of(hex);
    info_of(h, &lab, NTMS_LIBRARY, &rc);
    for (i = 0; i < 200; ++i) {
        if (reads_of(hex) > before)
            return 1;
        sleep_ms(25);
    }
    return 0;
}

/* ---- a thread that waits on a request -------------------------------------------------------- */

struct waiter {
    HANDLE h;
    NTMS_GUID request;
    DWORD rc;
    double returned_ms;
    pthread_t thread;
};

static void* wait_thread(void* arg) {
    struct waiter* w = (struct waiter*)arg;
    w->rc = WaitForNtmsOperatorRequest(w->h, &w->request, 60000);
    w->returned_ms = now_ms();
    return NULL;
}

/*
 * One request answered after `wait_ms` of waiting. Returns the latency from Satisfy's reply to
 * the wait's return (negative: the wait returned first), and in *reads the property reads of
 * the request made meanwhile; -1e9 when something failed.
 */
static HANDLE requests; /* NTMS_OPREQUEST notifications of the main session */

static double answered_after(HANDLE h, HANDLE changes, long wait_ms, int* reads) {
    NTMS_GUID job, request;
    struct waiter w;
    char hex[33];
    double answered, woke;
    int before;
    if (!waiting_job(h, changes, &job)) {
        fprintf(stderr, "no waiting inject job\n");
        return -1e9;
    }
    if (!insert_request(h, requests, &job, &request)) {
        fprintf(stderr, "the waiting job has no open request\n");
        CancelNtmsLibraryRequest(h, &job);
        follow_job(h, changes, &job, NTMS_LM_STOPPED, &woke);
        return -1e9;
    }
    guid_text(&request, hex);
    if (reads && (!monitor_caught_up(h) || (before = reads_of(hex)) < 0)) {
        fprintf(stderr, "dbus-monitor logs nothing\n");
        CancelNtmsLibraryRequest(h, &job);
        follow_job(h, changes, &job, NTMS_LM_STOPPED, &woke);
        return -1e9;
    }
    w.h = open_local("waiter");
    w.request = request;
    w.rc = 0xffffffffu;
    if (pthread_create(&w.thread, NULL, wait_thread, &w) != 0)
        return -1e9;
    sleep_ms(wait_ms);
    if (SatisfyNtmsOperatorRequest(h, &request) != ERROR_SUCCESS) {
        fprintf(stderr, "SatisfyNtmsOperatorRequest failed\n");
        pthread_join(w.thread, NULL);
        return -1e9;
    }
    answered = now_ms();
    pthread_join(w.thread, NULL);
    CloseNtmsSession(w.h);
    if (w.rc != ERROR_SUCCESS) {
        fprintf(stderr, "WaitForNtmsOperatorRequest = %lu\n", (unsigned long)w.rc);
        return -1e9;
    }
    if (reads) {
        if (!monitor_caught_up(h))
            return -1e9;
        *reads = reads_of(hex) - before;
    }
    /* The job goes on to check its port: let it end before the next round. */
    follow_job(h, changes, &job, NTMS_LM_PASSED, &woke);
    return w.returned_ms - answered;
}

/* ---- a thread that keeps a session busy ------------------------------------------------------ */

struct hammer {
    HANDLE h;
    volatile int stop;
    int calls, errors;
    pthread_t thread;
};

static void* hammer_thread(void* arg) {
    struct hammer* m = (struct hammer*)arg;
    while (!m->stop) {
        DWORD rc;
        info_of(m->h, &lab, NTMS_LIBRARY, &rc);
        ++m->calls;
        if (rc != ERROR_SUCCESS)
            ++m->errors;
    }
    return NULL;
}

/* ---- the tests ------------------------------------------------------------------------------ */

static HANDLE session, jobs;

static void test_reads_do_not_grow(void) {
    int short_reads = -1, long_reads = -1, bad = 0;
    EXPECT(answered_after(session, jobs, 200, &short_reads) > -1e9);
    EXPECT(answered_after(session, jobs, 2500, &long_reads) > -1e9);
    fprintf(stderr, "# property reads of the request: %d in a 0.2 s wait, %d in a 2.5 s wait\n",
            short_reads, long_reads);
    /* The first look and the one after the answer's signal; polling made 25 in 2.5 s. */
    EXPECT(short_reads >= 1 && short_reads <= 3);
    EXPECT(long_reads >= 1 && long_reads <= 3);
    report(!bad, "WaitForNtmsOperatorRequest reads the request as often in 2.5 s as in 0.2 s");
}

static void test_request_latency(void) {
    double latency[7];
    int i, bad = 0;
    for (i = 0; i < 7; ++i) {
        latency[i] = answered_after(session, jobs, 150, NULL);
        EXPECT(latency[i] > -1e9);
    }
    if (!bad) {
        double m = median(latency, 7);
        fprintf(stderr, "# answer to wake-up: median %.1f ms, %.1f..%.1f ms\n", m, latency[0],
                latency[6]);
        EXPECT(m < 50);
    }
    report(!bad, "WaitForNtmsOperatorRequest returns within milliseconds of the answer");
}

static void test_job_latency(void) {
    double latency[5];
    int i, tries = 0, bad = 0;
    for (i = 0; i < 5 && tries < 10; ++tries) {
        NTMS_GUID job;
        NTMS_OBJECTINFORMATIONA info;
        SYSTEMTIME* t = &info.Info.LibRequest.TimeCompleted;
        double woke = 0, ended;
        struct tm tm;
        DWORD rc;
        latency[i] = 1e9;
        if (!waiting_job(session, jobs, &job)) {
            ++bad;
            continue;
        }
        sleep_ms(100);
        EXPECT(CancelNtmsLibraryRequest(session, &job) == ERROR_SUCCESS);
        EXPECT(follow_job(session, jobs, &job, NTMS_LM_STOPPED, &woke) == NTMS_LM_STOPPED);
        info = info_of(session, &job, NTMS_LIBREQUEST, &rc);
        EXPECT(rc == ERROR_SUCCESS);
        /* The daemon's own time of the end (UTC, to the millisecond). */
        memset(&tm, 0, sizeof tm);
        tm.tm_year = t->wYear - 1900;
        tm.tm_mon = t->wMonth - 1;
        tm.tm_mday = t->wDay;
        tm.tm_hour = t->wHour;
        tm.tm_min = t->wMinute;
        tm.tm_sec = t->wSecond;
        ended = (double)timegm(&tm) * 1000.0 + t->wMilliseconds;
        /* Ended before the first read (no notification was needed): not a measure. */
        if (woke >= 0)
            latency[i++] = woke - ended;
    }
    EXPECT(i == 5);
    if (!bad) {
        double m = median(latency, 5);
        fprintf(stderr, "# job's end to notification: median %.1f ms, %.1f..%.1f ms\n", m,
                latency[0], latency[4]);
        /* -1: TimeCompleted is cut to the millisecond. */
        EXPECT(m > -1 && m < 50);
    }
    report(!bad, "WaitForNtmsNotification tells a job's end within milliseconds of it");
}

/*
 * The waiter's session is shared with a thread that calls all the time: its calls read the
 * waiter's signal off the socket on the way to their replies, and must hand it on.
 */
static void test_shared_session(void) {
    NTMS_GUID job, request;
    struct waiter w;
    struct hammer m;
    double answered, woke;
    int bad = 0;
    EXPECT(waiting_job(session, jobs, &job));
    EXPECT(insert_request(session, requests, &job, &request));
    if (bad) {
        report(0, "a wait wakes while another thread keeps its session busy");
        return;
    }
    w.h = m.h = open_local("shared");
    w.request = request;
    w.rc = 0xffffffffu;
    m.stop = 0;
    m.calls = m.errors = 0;
    EXPECT(pthread_create(&w.thread, NULL, wait_thread, &w) == 0);
    EXPECT(pthread_create(&m.thread, NULL, hammer_thread, &m) == 0);
    sleep_ms(300);
    EXPECT(SatisfyNtmsOperatorRequest(session, &request) == ERROR_SUCCESS);
    answered = now_ms();
    pthread_join(w.thread, NULL);
    m.stop = 1;
    pthread_join(m.thread, NULL);
    EXPECT(w.rc == ERROR_SUCCESS);
    fprintf(stderr, "# shared session: woke %.1f ms after the answer, %d calls meanwhile\n",
            w.returned_ms - answered, m.calls);
    EXPECT(w.returned_ms - answered < 1000);
    EXPECT(m.calls > 0 && m.errors == 0);
    EXPECT(CloseNtmsSession(w.h) == ERROR_SUCCESS);
    follow_job(session, jobs, &job, NTMS_LM_PASSED, &woke);
    report(!bad, "a wait wakes while another thread keeps its session busy");
}

static void test_notification_handles(void) {
    NTMS_NOTIFICATIONINFORMATION note;
    HANDLE h = open_local("handles"), n;
    int bad = 0;
    EXPECT(OpenNtmsNotification(NULL, NTMS_LIBREQUEST) == INVALID_HANDLE_VALUE);
    EXPECT(NtmsGetLastError() == ERROR_INVALID_HANDLE);
    EXPECT(OpenNtmsNotification(h, NTMS_UNKNOWN) == INVALID_HANDLE_VALUE);
    EXPECT(NtmsGetLastError() == ERROR_INVALID_PARAMETER);
    EXPECT(OpenNtmsNotification(h, NTMS_NUMBER_OF_OBJECT_TYPES) == INVALID_HANDLE_VALUE);
    EXPECT(NtmsGetLastError() == ERROR_INVALID_PARAMETER);
    EXPECT(OpenNtmsNotification(h, NTMS_DRIVE) == INVALID_HANDLE_VALUE);
    EXPECT(NtmsGetLastError() == ERROR_NOT_SUPPORTED);
    n = OpenNtmsNotification(h, NTMS_OPREQUEST);
    EXPECT(n != INVALID_HANDLE_VALUE);
    EXPECT(NtmsGetLastError() == ERROR_SUCCESS);
    /* A session is no notification and the other way round. */
    EXPECT(WaitForNtmsNotification(h, &note, 0) == ERROR_INVALID_HANDLE);
    EXPECT(CloseNtmsNotification(h) == ERROR_INVALID_HANDLE);
    EXPECT(CloseNtmsSession(n) == ERROR_INVALID_HANDLE);
    EXPECT(WaitForNtmsNotification(n, NULL, 0) == ERROR_INVALID_PARAMETER);
    EXPECT(WaitForNtmsNotification(n, &note, 0) == ERROR_TIMEOUT);
    {
        double t0 = now_ms();
        EXPECT(WaitForNtmsNotification(n, &note, 300) == ERROR_TIMEOUT);
        EXPECT(now_ms() - t0 >= 300);
    }
    EXPECT(CloseNtmsNotification(n) == ERROR_SUCCESS);
    EXPECT(CloseNtmsNotification(n) == ERROR_INVALID_HANDLE);
    EXPECT(WaitForNtmsNotification(n, &note, 0) == ERROR_INVALID_HANDLE);
    EXPECT(CloseNtmsSession(h) == ERROR_SUCCESS);
    report(!bad, "OpenNtmsNotification, WaitForNtmsNotification, CloseNtmsNotification refusals");
}

struct notification_waiter {
    HANDLE n;
    DWORD rc;
    pthread_t thread;
};

static void* notification_thread(void* arg) {
    struct notification_waiter* w = (struct notification_waiter*)arg;
    NTMS_NOTIFICATIONINFORMATION note;
    w->rc = WaitForNtmsNotification(w->n, &note, INFINITE);
    return NULL;
}

static void test_closed_under_waiter(void) {
    HANDLE h = open_local("closing");
    struct notification_waiter a, b;
    int bad = 0;
    /* Closing the notification ends its wait; closing the session ends the other's. */
    a.n = OpenNtmsNotification(h, NTMS_LIBREQUEST);
    b.n = OpenNtmsNotification(h, NTMS_OPREQUEST);
    EXPECT(a.n != INVALID_HANDLE_VALUE && b.n != INVALID_HANDLE_VALUE);
    EXPECT(pthread_create(&a.thread, NULL, notification_thread, &a) == 0);
    EXPECT(pthread_create(&b.thread, NULL, notification_thread, &b) == 0);
    sleep_ms(300);
    EXPECT(CloseNtmsNotification(a.n) == ERROR_SUCCESS);
    pthread_join(a.thread, NULL);
    EXPECT(a.rc == ERROR_INVALID_HANDLE);
    EXPECT(CloseNtmsSession(h) == ERROR_SUCCESS);
    pthread_join(b.thread, NULL);
    EXPECT(b.rc == ERROR_INVALID_HANDLE);
    EXPECT(CloseNtmsNotification(b.n) == ERROR_SUCCESS);
    report(!bad, "closing a notification or its session ends the waits on it");
}

static void test_job_sequence(void) {
    HANDLE h = open_local("sequence"), n = OpenNtmsNotification(h, NTMS_LIBREQUEST);
    NTMS_NOTIFICATIONINFORMATION note;
    NTMS_GUID job;
    int inserted = 0, updated = 0, completed = 0, bad = 0;
    double deadline = now_ms() + 30000;
    EXPECT(n != INVALID_HANDLE_VALUE);
    EXPECT(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START) == ERROR_SUCCESS);
    EXPECT(CancelNtmsLibraryRequest(h, &job) == ERROR_SUCCESS);
    /* JobNew first, Completed last, in the order ntmsd sent them. */
    while (!completed && now_ms() < deadline) {
        if (WaitForNtmsNotification(n, &note, 5000) != ERROR_SUCCESS ||
            !same_guid(&note.ObjectId, &job))
            continue;
        if (note.dwOperation == NTMS_OBJ_INSERT)
            EXPECT(!updated && ++inserted == 1);
        else if (note.dwOperation == NTMS_OBJ_UPDATE)
            EXPECT(inserted && ++updated);
        else if (note.dwOperation == NTMS_EVENT_COMPLETE)
            EXPECT(inserted && ++completed);
    }
    EXPECT(inserted == 1 && completed == 1);
    EXPECT(CloseNtmsNotification(n) == ERROR_SUCCESS);
    EXPECT(CloseNtmsSession(h) == ERROR_SUCCESS);
    report(!bad, "a job's notifications: INSERT first, EVENT_COMPLETE last");
}

/* ntmsd's process id, from the bus. */
static long daemon_pid(void) {
    char line[128];
    long pid = -1;
    FILE* p = popen("busctl --system call org.freedesktop.DBus /org/freedesktop/DBus "
                    "org.freedesktop.DBus GetConnectionUnixProcessID s org.ntms.Ntms1",
                    "r");
    if (!p)
        return -1;
    if (fgets(line, sizeof line, p) && sscanf(line, "u %ld", &pid) != 1)
        pid = -1;
    pclose(p);
    return pid;
}

/*
 * Last: ntmsd dies under a waiting request and a waiting notification. Killed, so that it cannot
 * refuse the request on its way out (as a stopping ntmsd does): only its leaving the bus can
 * end the waits.
 */
static void test_daemon_leaves(void) {
    NTMS_GUID job, request;
    struct waiter w;
    struct notification_waiter nw;
    long pid;
    int bad = 0;
    EXPECT(waiting_job(session, jobs, &job));
    EXPECT(insert_request(session, requests, &job, &request));
    pid = daemon_pid();
    EXPECT(pid > 1);
    if (bad || pid <= 1) {
        report(0, "waits end with ERROR_NOT_READY when ntmsd dies");
        return;
    }
    w.h = open_local("waiter");
    w.request = request;
    w.rc = 0xffffffffu;
    nw.n = OpenNtmsNotification(w.h, NTMS_OPREQUEST);
    EXPECT(nw.n != INVALID_HANDLE_VALUE);
    EXPECT(pthread_create(&w.thread, NULL, wait_thread, &w) == 0);
    EXPECT(pthread_create(&nw.thread, NULL, notification_thread, &nw) == 0);
    sleep_ms(300);
    EXPECT(kill((pid_t)pid, SIGKILL) == 0);
    pthread_join(w.thread, NULL);
    pthread_join(nw.thread, NULL);
    EXPECT(w.rc == ERROR_NOT_READY);
    EXPECT(nw.rc == ERROR_NOT_READY || nw.rc == ERROR_SUCCESS);
    fprintf(stderr, "# after ntmsd died: WaitForNtmsOperatorRequest %lu, "
                    "WaitForNtmsNotification %lu\n",
            (unsigned long)w.rc, (unsigned long)nw.rc);
    /* Whatever came first, the daemon's departure comes to the notification too. */
    {
        NTMS_NOTIFICATIONINFORMATION note;
        DWORD rc = nw.rc;
        while (rc == ERROR_SUCCESS)
            rc = WaitForNtmsNotification(nw.n, &note, 10000);
        EXPECT(rc == ERROR_NOT_READY);
    }
    EXPECT(CloseNtmsNotification(nw.n) == ERROR_SUCCESS);
    EXPECT(CloseNtmsSession(w.h) == ERROR_SUCCESS);
    report(!bad, "waits end with ERROR_NOT_READY when ntmsd dies");
}

int main(int argc, char** argv) {
    NTMS_GUID list[8];
    DWORD n = 8;
    if (argc != 2) {
        fprintf(stderr, "usage: test_signals MONITOR-LOG\n");
        return 2;
    }
    monitor_log = argv[1];
    session = open_local("signals");
    if (EnumerateNtmsObject(session, NULL, list, &n, NTMS_LIBRARY, 0) != ERROR_SUCCESS || n != 1) {
        fprintf(stderr, "expected one library, lab\n");
        return 1;
    }
    lab = list[0];
    /* The jobs are followed through a notification of their own from the start. */
    jobs = OpenNtmsNotification(session, NTMS_LIBREQUEST);
    requests = OpenNtmsNotification(session, NTMS_OPREQUEST);
    if (jobs == INVALID_HANDLE_VALUE || requests == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsNotification: %lu\n", (unsigned long)NtmsGetLastError());
        return 1;
    }
    test_notification_handles();
    test_closed_under_waiter();
    test_job_sequence();
    test_reads_do_not_grow();
    test_request_latency();
    test_job_latency();
    test_shared_session();
    test_daemon_leaves();
    CloseNtmsNotification(jobs);
    CloseNtmsNotification(requests);
    CloseNtmsSession(session);
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}
