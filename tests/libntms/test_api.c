/*
 * The C API against the real ntmsd on a private bus. Built as C99 (-pedantic -Werror) and again
 * as C++ from the same source, to prove the header is clean in both.
 * Needs: library "lab" (sim, ie=1, port element 100, state file in $NTMS_SIM_STATE),
 * "noport" (no IE element), "full" (no free slot), and the ntms-sim tool as argv[1].
 */
#define _POSIX_C_SOURCE 200809L

#include <ntmsapi.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        unsigned long g_ = (unsigned long)(got), w_ = (unsigned long)(want);                       \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: %s = %lu, expected %lu\n", __FILE__, __LINE__, #got, g_, w_); \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static const char *sim;
static const char *state;

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void operator_inserts(const char *barcode) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s '%s' insert 100 %s", sim, state, barcode);
    if (system(cmd) != 0) {
        fprintf(stderr, "operator: %s failed\n", cmd);
        ++failures;
    }
}

static NTMS_GUID library_named(HANDLE h, const char *name) {
    NTMS_GUID list[16];
    DWORD n = 16, i;
    NTMS_GUID none = NTMS_NULLGUID;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
    for (i = 0; i < n; ++i) {
        NTMS_OBJECTINFORMATIONA info;
        memset(&info, 0, sizeof info);
        info.dwSize = sizeof info;
        info.dwType = NTMS_LIBRARY;
        if (GetNtmsObjectInformationA(h, &list[i], &info) == ERROR_SUCCESS &&
            strcmp(info.szName, name) == 0)
            return list[i];
    }
    fprintf(stderr, "no library %s\n", name);
    ++failures;
    return none;
}

static NTMS_OBJECTINFORMATIONA job_info(HANDLE h, NTMS_GUID *job) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = NTMS_LIBREQUEST;
    CHECK_EQ(GetNtmsObjectInformationA(h, job, &info), ERROR_SUCCESS);
    return info;
}

static DWORD wait_job(HANDLE h, NTMS_GUID *job, DWORD state_wanted) {
    int i;
    for (i = 0; i < 300; ++i) {
        NTMS_OBJECTINFORMATIONA info = job_info(h, job);
        if (info.Info.LibRequest.State == state_wanted)
            return state_wanted;
        if (info.Info.LibRequest.State == NTMS_LM_PASSED ||
            info.Info.LibRequest.State == NTMS_LM_FAILED ||
            info.Info.LibRequest.State == NTMS_LM_STOPPED ||
            info.Info.LibRequest.State == NTMS_LM_CANCELLED)
            return info.Info.LibRequest.State;
        sleep_ms(100);
    }
    return 0xffffffffu;
}

static void test_handles(void) {
    NTMS_GUID g = NTMS_NULLGUID;
    DWORD n = 0;
    HANDLE h = OpenNtmsSessionA(NULL, "test", 0);
    HANDLE garbage = (HANDLE)(intptr_t)0x1234;
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSession: %lu\n", (unsigned long)NtmsGetLastError());
        exit(1);
    }
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    CHECK_EQ(CloseNtmsSession(h), ERROR_INVALID_HANDLE);
    CHECK_EQ(InjectNtmsMedia(h, &g, &g, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
    CHECK_EQ(InjectNtmsMedia(NULL, &g, &g, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
    CHECK_EQ(InjectNtmsMedia(garbage, &g, &g, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
    CHECK_EQ(InjectNtmsMedia(INVALID_HANDLE_VALUE, &g, &g, 0), ERROR_INVALID_HANDLE);
    CHECK_EQ(EnumerateNtmsObject(garbage, NULL, &g, &n, NTMS_LIBRARY, 0), ERROR_INVALID_HANDLE);
    CHECK_EQ(CancelNtmsLibraryRequest(h, &g), ERROR_INVALID_HANDLE);
    CHECK_EQ(SatisfyNtmsOperatorRequest(h, &g), ERROR_INVALID_HANDLE);
    CHECK_EQ(CancelNtmsOperatorRequest(NULL, &g), ERROR_INVALID_HANDLE);
    CHECK_EQ(WaitForNtmsOperatorRequest(garbage, &g, 0), ERROR_INVALID_HANDLE);

    CHECK_EQ((uintptr_t)OpenNtmsSessionA(NULL, NULL, 0x80), (uintptr_t)INVALID_HANDLE_VALUE);
    CHECK_EQ(NtmsGetLastError(), ERROR_INVALID_PARAMETER);
    CHECK_EQ((uintptr_t)OpenNtmsSessionA("-oProxyCommand=x", NULL, 0),
             (uintptr_t)INVALID_HANDLE_VALUE);
    CHECK_EQ(NtmsGetLastError(), ERROR_INVALID_COMPUTERNAME);
}

static void test_enumerate_and_info(HANDLE h) {
    NTMS_GUID list[4], lab = library_named(h, "lab"), bogus = NTMS_NULLGUID;
    DWORD n = 1;
    NTMS_OBJECTINFORMATIONA a;
    NTMS_OBJECTINFORMATIONW w;
    /* Three libraries: a list of one is too small and says how many are needed. */
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(n, 3);
    n = 0;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, NULL, &n, NTMS_LIBRARY, 0), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(n, 3);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 3);
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, NULL, NTMS_LIBRARY, 0), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EnumerateNtmsObject(h, &lab, list, &n, NTMS_LIBRARY, 0), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_DRIVE, 0), ERROR_INVALID_PARAMETER);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(h, &bogus, list, &n, NTMS_IEPORT, 0), ERROR_OBJECT_NOT_FOUND);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(h, &lab, list, &n, NTMS_IEPORT, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);

    memset(&a, 0, sizeof a);
    a.dwSize = sizeof a;
    a.dwType = NTMS_IEPORT;
    CHECK_EQ(GetNtmsObjectInformationA(h, &list[0], &a), ERROR_SUCCESS);
    CHECK_EQ(a.Info.IEPort.Number, 100);
    CHECK_EQ(memcmp(&a.Info.IEPort.Library, &lab, sizeof lab), 0);

    memset(&w, 0, sizeof w);
    w.dwSize = sizeof w;
    w.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationW(h, &lab, &w), ERROR_SUCCESS);
    CHECK_EQ(w.szName[0], 'l');
    CHECK_EQ(w.szName[3], 0);
    CHECK_EQ(w.Info.Library.dwNumberOfSlots, 20);
    CHECK_EQ(w.Info.Library.dwNumberOfPorts, 1);

    /* Wrong dwSize or dwType: ERROR_INVALID_PARAMETER and nothing written. */
    memset(&a, 0, sizeof a);
    a.dwSize = sizeof a - 1;
    a.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationA(h, &lab, &a), ERROR_INVALID_PARAMETER);
    CHECK_EQ(a.szName[0], 0);
    a.dwSize = sizeof w; /* the W size given to the A function */
    CHECK_EQ(GetNtmsObjectInformationA(h, &lab, &a), ERROR_INVALID_PARAMETER);
    a.dwSize = sizeof a;
    a.dwType = NTMS_DRIVE;
    CHECK_EQ(GetNtmsObjectInformationA(h, &lab, &a), ERROR_INVALID_PARAMETER);
    a.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationA(h, &bogus, &a), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(GetNtmsObjectInformationA(h, NULL, &a), ERROR_INVALID_PARAMETER);
    CHECK_EQ(GetNtmsObjectInformationA(h, &lab, NULL), ERROR_INVALID_PARAMETER);
}

static void test_inject(HANDLE h) {
    NTMS_GUID lab = library_named(h, "lab"), job, bogus = NTMS_NULLGUID, list[64];
    NTMS_GUID noport = library_named(h, "noport"), full = library_named(h, "full");
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 64;

    /* START: the operator puts a cartridge in, the single-cartridge port is full, it is moved. */
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    operator_inserts("NEW001L8");
    CHECK_EQ(wait_job(h, &job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    info = job_info(h, &job);
    CHECK_EQ(info.Info.LibRequest.OperationCode, NTMS_LM_INJECT);
    CHECK_EQ(info.Info.LibRequest.OperationOption, NTMS_INJECT_START);
    CHECK_EQ(memcmp(&info.Info.LibRequest.Library, &lab, sizeof lab), 0);
    CHECK_EQ(strcmp(info.szDescription, "media moved: 1"), 0);
    CHECK_EQ(info.Info.LibRequest.TimeQueued.wYear >= 2024, 1);
    CHECK_EQ(EnumerateNtmsObject(h, &lab, list, &n, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);

    /* STOP of the finished job: no running inject of that id. */
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_STOP), ERROR_INVALID_OPERATION);

    /* STARTMANY, RETRACT (check the port now), then STOP. */
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_STARTMANY), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_RETRACT), ERROR_SUCCESS);
    sleep_ms(300);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);

    /* START, then CancelNtmsLibraryRequest acts as STOP on a running inject. */
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(CancelNtmsLibraryRequest(h, &job), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);
    CHECK_EQ(CancelNtmsLibraryRequest(h, &bogus), ERROR_OBJECT_NOT_FOUND);

    /* The documented errors, each with nothing started. */
    CHECK_EQ(InjectNtmsMedia(h, NULL, &job, NTMS_INJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(h, &lab, NULL, NTMS_INJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, 7), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(h, &bogus, &job, NTMS_INJECT_START), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(InjectNtmsMedia(h, &noport, &job, NTMS_INJECT_START), ERROR_NOT_SUPPORTED);
    CHECK_EQ(InjectNtmsMedia(h, &full, &job, NTMS_INJECT_START), ERROR_LIBRARY_FULL);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &bogus, NTMS_INJECT_STOP), ERROR_INVALID_OPERATION);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &bogus, NTMS_INJECT_RETRACT), ERROR_INVALID_OPERATION);
}

/* ERROR_ACCESS_DENIED: an unprivileged caller (nobody, not in group tape) lacks CONTROL. */
static void test_access_denied(NTMS_GUID lab) {
    pid_t pid;
    int status = 0;
    if (getuid() != 0) {
        fprintf(stderr, "access test skipped: not root\n");
        return;
    }
    pid = fork();
    if (pid == 0) {
        HANDLE h;
        NTMS_GUID job;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        h = OpenNtmsSessionA(NULL, NULL, 0);
        if (h == INVALID_HANDLE_VALUE)
            _exit(3);
        _exit(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START) == ERROR_ACCESS_DENIED ? 0 : 4);
    }
    waitpid(pid, &status, 0);
    CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0);
}

struct worker {
    HANDLE h;
    int errors;
};

static void *hammer(void *arg) {
    struct worker *w = (struct worker *)arg;
    int i;
    for (i = 0; i < 40; ++i) {
        NTMS_GUID list[8];
        DWORD n = 8;
        NTMS_OBJECTINFORMATIONA info;
        DWORD rc = EnumerateNtmsObject(w->h, NULL, list, &n, NTMS_LIBRARY, 0);
        if (rc == ERROR_INVALID_HANDLE)
            break; /* closed under us: the documented answer, not a crash */
        if (rc != ERROR_SUCCESS) {
            ++w->errors;
            continue;
        }
        memset(&info, 0, sizeof info);
        info.dwSize = sizeof info;
        info.dwType = NTMS_LIBRARY;
        rc = GetNtmsObjectInformationA(w->h, &list[0], &info);
        if (rc != ERROR_SUCCESS && rc != ERROR_INVALID_HANDLE)
            ++w->errors;
    }
    return NULL;
}

static void test_threads(void) {
    pthread_t t[8];
    struct worker w[8];
    int i;
    HANDLE h = OpenNtmsSessionA(NULL, "threads", 0);
    CHECK_EQ(h != INVALID_HANDLE_VALUE, 1);
    for (i = 0; i < 8; ++i) {
        w[i].h = h;
        w[i].errors = 0;
        pthread_create(&t[i], NULL, hammer, &w[i]);
    }
    sleep_ms(200);
    /* Closing while the others still call: they get ERROR_INVALID_HANDLE from then on. */
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    for (i = 0; i < 8; ++i) {
        pthread_join(t[i], NULL);
        CHECK_EQ(w[i].errors, 0);
    }
}

int main(int argc, char **argv) {
    HANDLE h;
    NTMS_GUID lab;
    if (argc != 2 || !getenv("NTMS_SIM_STATE")) {
        fprintf(stderr, "usage: NTMS_SIM_STATE=FILE test_api NTMS-SIM\n");
        return 2;
    }
    sim = argv[1];
    state = getenv("NTMS_SIM_STATE");
    test_handles();
    h = OpenNtmsSessionA("", "test_api", 0);
    if (h == INVALID_HANDLE_VALUE)
        return 1;
    test_enumerate_and_info(h);
    test_inject(h);
    lab = library_named(h, "lab");
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    test_access_denied(lab);
    test_threads();
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
