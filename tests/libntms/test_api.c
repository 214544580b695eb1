/*
 * The C API against the real ntmsd, in a program built the way a user's program is: run-api.sh
 * compiles this one source with `gcc -std=c99 -Wall -Wextra -Werror -pedantic` and again with
 * `g++ -x c++` (the header must be clean in both), flags from `pkg-config libntms`.
 * Output is TAP, one line per group of checks; what failed goes to stderr.
 *
 *   test_api local SIM             the libraries run-api.sh configures (lab, noport, full, off,
 *                                  gone, req1, req2)
 *   test_api database-failure      ntmsd over a database file that is not a database
 *   test_api database-full FILLER  ntmsd's database on a tiny filesystem that FILLER fills up
 *   test_api remote SIM HOST USER@HOST UNREACHABLE   sessions and waits through ssh, and a
 *                                  host where ssh fails
 *
 * SIM is the ntms-sim tool (the operator at the port); each simulated library NAME keeps its
 * state in $NTMS_TEST_DIR/NAME.state. ERROR_NOT_ENOUGH_MEMORY, the last documented code of
 * InjectNtmsMedia, is not provoked: neither side can be made to fail one allocation on purpose
 * without instrumenting it.
 */
#define _DEFAULT_SOURCE /* setgroups() next to POSIX 2008 */

#include <errno.h>
#include <grp.h>
#include <ntmsapi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rsm_test.h"

static const char* test_dir;

static void skip(const char* name, const char* reason) {
    ++groups;
    printf("ok - %s # SKIP %s\n", name, reason);
    fflush(stdout);
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

static HANDLE open_local(const char* application) {
    HANDLE h = OpenNtmsSessionA(NULL, application, 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSession: %s (%lu)\n", NtmsErrorString(NtmsGetLastError()),
                (unsigned long)NtmsGetLastError());
        exit(1);
    }
    return h;
}

/* The operator at a simulated library: ntms-sim STATE insert|remove ADDR [BARCODE]. */
static void operator_does(const char* library, const char* what) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s.state' %s >/dev/null", sim, test_dir, library, what);
    if (system(cmd) != 0) {
        fprintf(stderr, "operator: %s failed\n", cmd);
        ++failures;
    }
}

static NTMS_OBJECTINFORMATIONA object_info(HANDLE h, NTMS_GUID* id, DWORD type) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = type;
    CHECK_EQ(GetNtmsObjectInformationA(h, id, &info), ERROR_SUCCESS);
    return info;
}

static int final_state(DWORD s) {
    return s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_STOPPED ||
           s == NTMS_LM_CANCELLED;
}

/* Polls the job until it is in `wanted` or has ended; returns the state it stopped at. */
static DWORD wait_job(HANDLE h, NTMS_GUID* job, DWORD wanted) {
    int i;
    for (i = 0; i < 300; ++i) {
        NTMS_OBJECTINFORMATIONA info = object_info(h, job, NTMS_LIBREQUEST);
        if (info.Info.LibRequest.State == wanted || final_state(info.Info.LibRequest.State))
            return info.Info.LibRequest.State;
        sleep_ms(100);
    }
    return 0xffffffffu;
}

/* Polls the job until its description (the media count) reads `want`; 1 when it did. */
static int wait_description(HANDLE h, NTMS_GUID* job, const char* want) {
    int i;
    for (i = 0; i < 300; ++i) {
        NTMS_OBJECTINFORMATIONA info = object_info(h, job, NTMS_LIBREQUEST);
        if (strcmp(info.szDescription, want) == 0)
            return 1;
        sleep_ms(100);
    }
    return 0;
}

/* How many objects of a type the daemon lists (jobs stay listed for an hour). */
static DWORD count_objects(HANDLE h, DWORD type) {
    DWORD n = 0;
    DWORD rc = EnumerateNtmsObject(h, NULL, NULL, &n, type, 0);
    if (rc != ERROR_SUCCESS && rc != ERROR_INSUFFICIENT_BUFFER) {
        fprintf(stderr, "EnumerateNtmsObject(%lu): %lu\n", (unsigned long)type, (unsigned long)rc);
        ++failures;
    }
    return n;
}

/* A START inject that the operator feeds one cartridge; it must end PASSED with it moved. */
static void inject_one(HANDLE h, const char* library, const char* barcode) {
    NTMS_GUID lib = library_in(h, library), job;
    NTMS_OBJECTINFORMATIONA info;
    char insert[64];
    CHECK_EQ(InjectNtmsMedia(h, &lib, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    snprintf(insert, sizeof insert, "insert 100 %s", barcode);
    operator_does(library, insert);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    info = object_info(h, &job, NTMS_LIBREQUEST);
    CHECK_EQ(info.Info.LibRequest.OperationCode, NTMS_LM_INJECT);
    CHECK_EQ(info.Info.LibRequest.OperationOption, NTMS_INJECT_START);
    CHECK_EQ(info.Info.LibRequest.dwErrorCode, ERROR_SUCCESS);
    CHECK(same_guid(&info.Info.LibRequest.Library, &lib));
    CHECK(same_guid(&info.Info.LibRequest.WorkItemId, &job));
    CHECK_EQ(strcmp(info.szDescription, "media moved: 1"), 0);
    CHECK(info.Info.LibRequest.TimeQueued.wYear >= 2024);
    CHECK(info.Info.LibRequest.TimeCompleted.wYear >= 2024);
}

/* ---- local: the main set of libraries ---------------------------------------------------- */

static void test_handles(void) {
    NTMS_GUID g = NTMS_NULLGUID;
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 0;
    HANDLE h = open_local("handles"), after;
    HANDLE garbage = (HANDLE)(intptr_t)0x1234;
    HANDLE bad[4];
    int i;
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    CHECK_EQ(CloseNtmsSession(h), ERROR_INVALID_HANDLE);
    /* A new session never revives a closed handle. */
    after = open_local("after");
    CHECK(after != h);
    CHECK_EQ(CloseNtmsSession(after), ERROR_SUCCESS);
    bad[0] = h;
    bad[1] = NULL;
    bad[2] = garbage;
    bad[3] = INVALID_HANDLE_VALUE;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = NTMS_LIBRARY;
    for (i = 0; i < 4; ++i) {
        CHECK_EQ(InjectNtmsMedia(bad[i], &g, &g, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
        CHECK_EQ(EnumerateNtmsObject(bad[i], NULL, &g, &n, NTMS_LIBRARY, 0), ERROR_INVALID_HANDLE);
        CHECK_EQ(GetNtmsObjectInformationA(bad[i], &g, &info), ERROR_INVALID_HANDLE);
        CHECK_EQ(CancelNtmsLibraryRequest(bad[i], &g), ERROR_INVALID_HANDLE);
        CHECK_EQ(SatisfyNtmsOperatorRequest(bad[i], &g), ERROR_INVALID_HANDLE);
        CHECK_EQ(CancelNtmsOperatorRequest(bad[i], &g), ERROR_INVALID_HANDLE);
        CHECK_EQ(WaitForNtmsOperatorRequest(bad[i], &g, 0), ERROR_INVALID_HANDLE);
        CHECK_EQ(NtmsSetInjectTimeout(bad[i], 10), ERROR_INVALID_HANDLE);
        CHECK_EQ(CloseNtmsSession(bad[i]), ERROR_INVALID_HANDLE);
    }
    CHECK_EQ(info.szName[0], 0);
}

static void test_open_refusals(void) {
    CHECK_EQ((uintptr_t)OpenNtmsSessionA(NULL, NULL, 0x80), (uintptr_t)INVALID_HANDLE_VALUE);
    CHECK_EQ(NtmsGetLastError(), ERROR_INVALID_PARAMETER);
    /* ssh would take it for an option. */
    CHECK_EQ((uintptr_t)OpenNtmsSessionA("-oProxyCommand=x", NULL, 0),
             (uintptr_t)INVALID_HANDLE_VALUE);
    CHECK_EQ(NtmsGetLastError(), ERROR_INVALID_COMPUTERNAME);
}

/* A client that does not know how many libraries there are grows its list until it fits. */
static void test_enumerate_growth(void) {
    DWORD size = 1, n = size, rounds = 0, rc, i;
    NTMS_GUID* list = (NTMS_GUID*)malloc(size * sizeof *list);
    while ((rc = EnumerateNtmsObject(session, NULL, list, &n, NTMS_LIBRARY, 0)) ==
               ERROR_INSUFFICIENT_BUFFER &&
           ++rounds < 5) {
        CHECK(n > size); /* it says how many are needed */
        size = n;
        free(list);
        list = (NTMS_GUID*)malloc(size * sizeof *list);
    }
    CHECK_EQ(rc, ERROR_SUCCESS);
    CHECK_EQ(rounds, 1);
    CHECK_EQ(n, 7);
    for (i = 0; rc == ERROR_SUCCESS && i < n; ++i) {
        NTMS_OBJECTINFORMATIONA info = object_info(session, &list[i], NTMS_LIBRARY);
        CHECK(same_guid(&info.ObjectGuid, &list[i]));
    }
    /* A list bigger than needed: n says how much was used. */
    free(list);
    size = 32;
    n = size;
    list = (NTMS_GUID*)calloc(size, sizeof *list);
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 7);
    CHECK(NTMS_IS_NULLGUID(list[7]));
    /* A NULL list asks only for the size. */
    n = 0;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, NULL, &n, NTMS_LIBRARY, 0),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(n, 7);
    free(list);
}

static void test_enumerate_refusals(void) {
    NTMS_GUID list[4], lab = library_in(session, "lab"), bogus = NTMS_NULLGUID;
    DWORD n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, NULL, NTMS_LIBRARY, 0),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, list, &n, NTMS_LIBRARY, 0),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_COMPUTER, 0), ERROR_NOT_SUPPORTED);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &bogus, list, &n, NTMS_IEPORT, 0),
             ERROR_OBJECT_NOT_FOUND);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, list, &n, NTMS_IEPORT, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
}

static void test_information(void) {
    NTMS_GUID port, lab = library_in(session, "lab");
    DWORD n = 1;
    NTMS_OBJECTINFORMATIONA a;
    NTMS_OBJECTINFORMATIONW w;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, &port, &n, NTMS_IEPORT, 0), ERROR_SUCCESS);
    a = object_info(session, &port, NTMS_IEPORT);
    CHECK_EQ(a.Info.IEPort.Number, 100);
    CHECK(same_guid(&a.Info.IEPort.Library, &lab));

    memset(&w, 0, sizeof w);
    w.dwSize = sizeof w;
    w.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationW(session, &lab, &w), ERROR_SUCCESS);
    CHECK_EQ(w.szName[0], 'l');
    CHECK_EQ(w.szName[3], 0);
    CHECK_EQ(w.Enabled, TRUE);
    CHECK_EQ(w.dwOperationalState, NTMS_READY);
    CHECK_EQ(w.Info.Library.dwNumberOfSlots, 20);
    CHECK_EQ(w.Info.Library.dwNumberOfPorts, 1);
}

static void test_information_refusals(void) {
    NTMS_GUID lab = library_in(session, "lab"), bogus = NTMS_NULLGUID;
    NTMS_OBJECTINFORMATIONA a;
    NTMS_OBJECTINFORMATIONW w;
    /* Wrong dwSize or dwType: ERROR_INVALID_PARAMETER and nothing written. */
    memset(&a, 0, sizeof a);
    a.dwSize = sizeof a - 1;
    a.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, &a), ERROR_INVALID_PARAMETER);
    CHECK_EQ(a.szName[0], 0);
    a.dwSize = sizeof w; /* the W size given to the A function */
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, &a), ERROR_INVALID_PARAMETER);
    memset(&w, 0, sizeof w);
    w.dwSize = sizeof a; /* and the A size to the W function */
    w.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationW(session, &lab, &w), ERROR_INVALID_PARAMETER);
    CHECK_EQ(w.szName[0], 0);
    a.dwSize = sizeof a;
    a.dwType = NTMS_COMPUTER; /* not modelled */
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, &a), ERROR_NOT_SUPPORTED);
    a.dwType = 999; /* no type at all */
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, &a), ERROR_INVALID_PARAMETER);
    a.dwType = NTMS_LIBREQUEST; /* a library's GUID is no job */
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, &a), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(a.szName[0], 0);
    a.dwType = NTMS_LIBRARY;
    CHECK_EQ(GetNtmsObjectInformationA(session, &bogus, &a), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(GetNtmsObjectInformationA(session, NULL, &a), ERROR_INVALID_PARAMETER);
    CHECK_EQ(GetNtmsObjectInformationA(session, &lab, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(a.szName[0], 0);
}

static void test_inject_start(void) {
    NTMS_GUID lab = library_in(session, "lab"), list[64];
    DWORD n = 64;
    inject_one(session, "lab", "NEW001L8");
    CHECK_EQ(EnumerateNtmsObject(session, &lab, list, &n, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
}

static void test_inject_startmany(void) {
    NTMS_GUID lab = library_in(session, "lab"), job;
    NTMS_OBJECTINFORMATIONA info;
    /* STARTMANY; RETRACT checks the port now (empty: the job goes on); STOP ends it. */
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_STARTMANY), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_RETRACT), ERROR_SUCCESS);
    sleep_ms(300);
    /* Still going after an empty batch: a second batch brings a cartridge. */
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    operator_does("lab", "insert 100 MANY01L8");
    CHECK(wait_description(session, &job, "media moved: 1"));
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);
    info = object_info(session, &job, NTMS_LIBREQUEST);
    CHECK_EQ(info.Info.LibRequest.OperationOption, NTMS_INJECT_STARTMANY);
    CHECK_EQ(strcmp(info.szDescription, "media moved: 1"), 0);
    /* Over: a second STOP or a RETRACT names no running inject. */
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_STOP), ERROR_INVALID_OPERATION);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_RETRACT), ERROR_INVALID_OPERATION);
}

static void test_cancel_request(void) {
    NTMS_GUID lab = library_in(session, "lab"), job, bogus = NTMS_NULLGUID;
    /* CancelNtmsLibraryRequest acts as STOP on a running inject. */
    CHECK_EQ(NtmsSetInjectTimeout(session, 30), ERROR_SUCCESS);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(CancelNtmsLibraryRequest(session, &job), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);
    CHECK_EQ(CancelNtmsLibraryRequest(session, &bogus), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(CancelNtmsLibraryRequest(session, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(NtmsSetInjectTimeout(session, 65536), ERROR_INVALID_PARAMETER);
    CHECK_EQ(NtmsSetInjectTimeout(session, 0), ERROR_SUCCESS);
}

/*
 * The documented return codes of InjectNtmsMedia, each provoked against the daemon, each with
 * nothing started: the daemon lists exactly the jobs it listed before.
 */
static DWORD jobs_before;

static void start_codes(void) {
    jobs_before = count_objects(session, NTMS_LIBREQUEST);
}

static void end_codes(void) {
    CHECK_EQ(count_objects(session, NTMS_LIBREQUEST), jobs_before);
}

static void refused(const char* library, DWORD action, DWORD want) {
    NTMS_GUID lib = library_in(session, library), job = NTMS_NULLGUID, zero = NTMS_NULLGUID;
    CHECK_EQ(InjectNtmsMedia(session, &lib, &job, action), want);
    CHECK(same_guid(&job, &zero)); /* an output parameter written only on success */
}

static void test_code_invalid_handle(void) {
    NTMS_GUID lab = library_in(session, "lab"), job;
    HANDLE h = open_local("closed");
    start_codes();
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
    end_codes();
}

static void test_code_invalid_parameter(void) {
    NTMS_GUID lab = library_in(session, "lab"), job;
    start_codes();
    CHECK_EQ(InjectNtmsMedia(session, NULL, &job, NTMS_INJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(session, &lab, NULL, NTMS_INJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, 4), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, 0xffffffffu), ERROR_INVALID_PARAMETER);
    end_codes();
}

static void test_code_object_not_found(void) {
    NTMS_GUID bogus = {
        0x0f1e2d3cu, 0x4b5a, 0x4978, {0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9}};
    NTMS_GUID job = NTMS_NULLGUID;
    start_codes();
    CHECK_EQ(InjectNtmsMedia(session, &bogus, &job, NTMS_INJECT_START), ERROR_OBJECT_NOT_FOUND);
    CHECK(NTMS_IS_NULLGUID(job));
    end_codes();
}

/*
 * Runs `inject` as nobody in a child process: with supplementary group tape (which holds CONTROL
 * by default) or without it. Returns the child's exit status: 0 when the inject returned `want`.
 */
static int as_nobody(NTMS_GUID lab, int with_tape, DWORD want) {
    int status = 0;
    pid_t pid = fork();
    if (pid == 0) {
        HANDLE h;
        NTMS_GUID job;
        DWORD rc;
        struct group* tape = getgrnam("tape");
        gid_t groups[1];
        groups[0] = tape ? tape->gr_gid : 65534;
        if (setgroups(with_tape ? 1 : 0, groups) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        h = OpenNtmsSessionA(NULL, "nobody", 0);
        if (h == INVALID_HANDLE_VALUE)
            _exit(3);
        rc = InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START);
        if (rc != want) {
            fprintf(stderr, "as nobody%s: InjectNtmsMedia = %lu\n", with_tape ? " in tape" : "",
                    (unsigned long)rc);
            _exit(4);
        }
        if (rc == ERROR_SUCCESS) {
            DWORD end;
            if (CancelNtmsLibraryRequest(h, &job) != ERROR_SUCCESS)
                _exit(5);
            end = wait_job(h, &job, NTMS_LM_STOPPED);
            if (end != NTMS_LM_STOPPED && end != NTMS_LM_CANCELLED)
                _exit(6);
        }
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 98;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static void test_code_access_denied(void) {
    NTMS_GUID lab = library_in(session, "lab");
    start_codes();
    CHECK_EQ(as_nobody(lab, 0, ERROR_ACCESS_DENIED), 0);
    end_codes();
    /* The same caller with the group's CONTROL right may: it is the right that was missing. */
    CHECK_EQ(as_nobody(lab, 1, ERROR_SUCCESS), 0);
    CHECK_EQ(count_objects(session, NTMS_LIBREQUEST), jobs_before + 1);
}

static void test_code_device_not_available(void) {
    NTMS_OBJECTINFORMATIONA info;
    NTMS_GUID off = library_in(session, "off");
    start_codes();
    refused("off", NTMS_INJECT_START, ERROR_DEVICE_NOT_AVAILABLE);
    refused("off", NTMS_INJECT_STARTMANY, ERROR_DEVICE_NOT_AVAILABLE);
    info = object_info(session, &off, NTMS_LIBRARY);
    CHECK_EQ(info.Enabled, FALSE);
    end_codes();
}

static void test_code_library_offline(void) {
    NTMS_OBJECTINFORMATIONA info;
    NTMS_GUID gone = library_in(session, "gone");
    start_codes();
    refused("gone", NTMS_INJECT_START, ERROR_LIBRARY_OFFLINE);
    info = object_info(session, &gone, NTMS_LIBRARY);
    CHECK_EQ(info.Enabled, TRUE);
    CHECK_EQ(info.dwOperationalState, NTMS_NOT_PRESENT);
    end_codes();
}

static void test_code_not_supported(void) {
    start_codes();
    refused("noport", NTMS_INJECT_START, ERROR_NOT_SUPPORTED);
    end_codes();
}

static void test_code_library_full(void) {
    start_codes();
    refused("full", NTMS_INJECT_START, ERROR_LIBRARY_FULL);
    refused("full", NTMS_INJECT_STARTMANY, ERROR_LIBRARY_FULL);
    end_codes();
}

static void test_code_invalid_operation(void) {
    NTMS_GUID lab = library_in(session, "lab");
    NTMS_GUID bogus = {1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}}, job = bogus;
    start_codes();
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_STOP), ERROR_INVALID_OPERATION);
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_RETRACT), ERROR_INVALID_OPERATION);
    CHECK(same_guid(&job, &bogus));
    end_codes();
}

/* ---- operator requests ------------------------------------------------------------------- */

/*
 * A library of two slots, one full, and a magazine of two: the operator puts two cartridges in,
 * one fits, and ntmsd asks for the other to be taken out. Returns that request.
 */
static NTMS_GUID library_full_request(const char* library) {
    NTMS_GUID lib = library_in(session, library), job, list[64], request = NTMS_NULLGUID;
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 64, i, found = 0, inserts = 0;
    CHECK_EQ(InjectNtmsMedia(session, &lib, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    operator_does(library, "insert 100");
    operator_does(library, "insert 101");
    CHECK_EQ(InjectNtmsMedia(session, &lib, &job, NTMS_INJECT_RETRACT), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    CHECK_EQ(strcmp(object_info(session, &job, NTMS_LIBREQUEST).szDescription, "media moved: 1"),
             0);
    /* Operator requests have no container: the library is their Arg1. */
    CHECK_EQ(EnumerateNtmsObject(session, &lib, list, &n, NTMS_OPREQUEST, 0),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_OPREQUEST, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 64; ++i) {
        info = object_info(session, &list[i], NTMS_OPREQUEST);
        if (!same_guid(&info.Info.OpRequest.Arg1, &lib))
            continue;
        if (info.Info.OpRequest.Request == NTMS_OPREQ_NEWMEDIA) {
            /* The wait's own "put cartridges in" request, done when the port was checked. */
            ++inserts;
            CHECK_EQ(info.Info.OpRequest.State, NTMS_OPSTATE_COMPLETE);
            CHECK(same_guid(&info.Info.OpRequest.Arg2, &job));
            continue;
        }
        ++found;
        request = list[i];
        CHECK_EQ(info.Info.OpRequest.Request, NTMS_OPREQ_MESSAGE);
        CHECK_EQ(info.Info.OpRequest.State, NTMS_OPSTATE_SUBMITTED);
        CHECK(strstr(info.Info.OpRequest.szMessage, "remove 1 cartridge from port 100") != NULL);
        CHECK_EQ(info.Info.OpRequest.Arg1Type, NTMS_LIBRARY);
        CHECK_EQ(info.Info.OpRequest.Arg2Type, NTMS_LIBREQUEST);
        CHECK(same_guid(&info.Info.OpRequest.Arg2, &job));
    }
    CHECK_EQ(found, 1);
    CHECK_EQ(inserts, 1);
    return request;
}

static NTMS_GUID request1, request2;

static void test_wait_refusals(void) {
    NTMS_GUID bogus = {
        0x0f1e2d3cu, 0x4b5a, 0x4978, {0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9}};
    NTMS_GUID lab = library_in(session, "lab");
    HANDLE closed = open_local("closed");
    CHECK_EQ(CloseNtmsSession(closed), ERROR_SUCCESS);
    CHECK_EQ(WaitForNtmsOperatorRequest(closed, &request1, 1000), ERROR_INVALID_HANDLE);
    /* A pointer to real memory that is no session: never dereferenced as one. */
    CHECK_EQ(WaitForNtmsOperatorRequest((HANDLE)&bogus, &request1, 1000), ERROR_INVALID_HANDLE);
    CHECK_EQ(WaitForNtmsOperatorRequest(session, NULL, 1000), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &bogus, 1000), ERROR_OBJECT_NOT_FOUND);
    /* A library's GUID is no operator request. */
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &lab, INFINITE), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, &bogus), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(CancelNtmsOperatorRequest(session, &bogus), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, NULL), ERROR_INVALID_PARAMETER);
}

static void test_wait_timeout(void) {
    long t0 = now_ms(), took;
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &request1, 0), ERROR_TIMEOUT);
    took = now_ms() - t0;
    CHECK(took < 1000);
    t0 = now_ms();
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &request1, 700), ERROR_TIMEOUT);
    took = now_ms() - t0;
    CHECK(took >= 700);
    CHECK(took < 3000);
    CHECK_EQ(object_info(session, &request1, NTMS_OPREQUEST).Info.OpRequest.State,
             NTMS_OPSTATE_SUBMITTED);
}

struct waiter {
    HANDLE h;
    NTMS_GUID request;
    DWORD timeout;
    DWORD rc;
    long took_ms;
    volatile int done;
    pthread_t thread;
};

static void* wait_thread(void* arg) {
    struct waiter* w = (struct waiter*)arg;
    long t0 = now_ms();
    w->rc = WaitForNtmsOperatorRequest(w->h, &w->request, w->timeout);
    w->took_ms = now_ms() - t0;
    w->done = 1;
    return NULL;
}

/* A thread of its own, with a session of its own, waits on the request. */
static void start_waiter(struct waiter* w, NTMS_GUID request, DWORD timeout) {
    w->h = open_local("waiter");
    w->request = request;
    w->timeout = timeout;
    w->rc = 0xffffffffu;
    w->took_ms = -1;
    w->done = 0;
    CHECK_EQ(pthread_create(&w->thread, NULL, wait_thread, w), 0);
    sleep_ms(400);
    CHECK_EQ(w->done, 0); /* still waiting */
}

static void test_wait_satisfied(void) {
    struct waiter w;
    NTMS_OBJECTINFORMATIONA info;
    start_waiter(&w, request1, 30000);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, &request1), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_SUCCESS);
    CHECK(w.took_ms < 5000);
    CHECK_EQ(CloseNtmsSession(w.h), ERROR_SUCCESS);
    info = object_info(session, &request1, NTMS_OPREQUEST);
    CHECK_EQ(info.Info.OpRequest.State, NTMS_OPSTATE_COMPLETE);
    /* Answered once and for all: a later wait returns at once, a second answer is refused. */
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &request1, 0), ERROR_SUCCESS);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, &request1), ERROR_INVALID_STATE);
    CHECK_EQ(CancelNtmsOperatorRequest(session, &request1), ERROR_INVALID_STATE);
}

static void test_wait_closed_under_waiter(void) {
    struct waiter w;
    start_waiter(&w, request2, INFINITE);
    CHECK_EQ(CloseNtmsSession(w.h), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_INVALID_HANDLE);
    CHECK(w.took_ms < 5000);
}

static void test_wait_cancelled(void) {
    struct waiter w;
    start_waiter(&w, request2, INFINITE);
    CHECK_EQ(CancelNtmsOperatorRequest(session, &request2), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_CANCELLED);
    CHECK(w.took_ms < 5000);
    CHECK_EQ(CloseNtmsSession(w.h), ERROR_SUCCESS);
    CHECK_EQ(object_info(session, &request2, NTMS_OPREQUEST).Info.OpRequest.State,
             NTMS_OPSTATE_REFUSED);
    CHECK_EQ(WaitForNtmsOperatorRequest(session, &request2, INFINITE), ERROR_CANCELLED);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, &request2), ERROR_INVALID_STATE);
}

static void make_requests(void) {
    DWORD before = count_objects(session, NTMS_OPREQUEST);
    request1 = library_full_request("req1");
    request2 = library_full_request("req2");
    /* Per library: the insert request of the wait and the "library full" one. */
    CHECK_EQ(count_objects(session, NTMS_OPREQUEST), before + 4);
}

/* The open NEWMEDIA request of a waiting inject job, NULL GUID when there is none. */
static NTMS_GUID insert_request_of(const NTMS_GUID* job) {
    NTMS_GUID list[64], none = NTMS_NULLGUID;
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 64, i;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_OPREQUEST, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 64; ++i) {
        info = object_info(session, &list[i], NTMS_OPREQUEST);
        if (info.Info.OpRequest.Request == NTMS_OPREQ_NEWMEDIA &&
            info.Info.OpRequest.State == NTMS_OPSTATE_SUBMITTED &&
            same_guid(&info.Info.OpRequest.Arg2, job)) {
            CHECK(strstr(info.Info.OpRequest.szMessage, "put cartridges into port") != NULL);
            CHECK_EQ(info.Info.OpRequest.Arg1Type, NTMS_LIBRARY);
            CHECK_EQ(info.Info.OpRequest.Arg2Type, NTMS_LIBREQUEST);
            return list[i];
        }
    }
    fprintf(stderr, "no open insert request for the waiting job\n");
    ++failures;
    return none;
}

static void test_insert_request(void) {
    NTMS_GUID lab = library_in(session, "lab"), job, req;
    struct waiter w;
    CHECK_EQ(NtmsSetInjectTimeout(session, 300), ERROR_SUCCESS);
    /* Satisfied = "the cartridges are in": the port is checked now, the job passes. */
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    req = insert_request_of(&job);
    start_waiter(&w, req, 30000);
    CHECK_EQ(SatisfyNtmsOperatorRequest(session, &req), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_SUCCESS);
    CHECK_EQ(CloseNtmsSession(w.h), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    CHECK_EQ(object_info(session, &req, NTMS_OPREQUEST).Info.OpRequest.State,
             NTMS_OPSTATE_COMPLETE);
    CHECK_EQ(CancelNtmsOperatorRequest(session, &req), ERROR_INVALID_STATE);
    /* Cancelled = the operator refuses: the job stops. */
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    req = insert_request_of(&job);
    start_waiter(&w, req, 30000);
    CHECK_EQ(CancelNtmsOperatorRequest(session, &req), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_CANCELLED);
    CHECK_EQ(CloseNtmsSession(w.h), ERROR_SUCCESS);
    CHECK_EQ(wait_job(session, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);
    CHECK_EQ(object_info(session, &req, NTMS_OPREQUEST).Info.OpRequest.State, NTMS_OPSTATE_REFUSED);
    CHECK_EQ(NtmsSetInjectTimeout(session, 0), ERROR_SUCCESS);
}

/* ---- threads ----------------------------------------------------------------------------- */

struct worker {
    HANDLE h;
    int calls;
    int errors;
};

static void* hammer(void* arg) {
    struct worker* w = (struct worker*)arg;
    int i;
    for (i = 0; i < w->calls; ++i) {
        NTMS_GUID list[8];
        DWORD n = 8;
        NTMS_OBJECTINFORMATIONA info;
        DWORD rc = EnumerateNtmsObject(w->h, NULL, list, &n, NTMS_LIBRARY, 0);
        if (rc == ERROR_INVALID_HANDLE)
            break; /* closed under us: the documented answer, not a crash */
        if (rc != ERROR_SUCCESS) {
            fprintf(stderr, "thread: EnumerateNtmsObject = %lu\n", (unsigned long)rc);
            ++w->errors;
            continue;
        }
        memset(&info, 0, sizeof info);
        info.dwSize = sizeof info;
        info.dwType = NTMS_LIBRARY;
        rc = GetNtmsObjectInformationA(w->h, &list[i % n], &info);
        if (rc != ERROR_SUCCESS && rc != ERROR_INVALID_HANDLE) {
            fprintf(stderr, "thread: GetNtmsObjectInformation = %lu\n", (unsigned long)rc);
            ++w->errors;
        }
    }
    return NULL;
}

/* Eight threads share one session; it is closed while they still call. */
static void threads_on(HANDLE h, int calls) {
    pthread_t t[8];
    struct worker w[8];
    int i;
    for (i = 0; i < 8; ++i) {
        w[i].h = h;
        w[i].calls = calls;
        w[i].errors = 0;
        CHECK_EQ(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    sleep_ms(200);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    for (i = 0; i < 8; ++i) {
        pthread_join(t[i], NULL);
        CHECK_EQ(w[i].errors, 0);
    }
}

static void test_threads(void) {
    threads_on(open_local("threads"), 40);
}

/* InventoryNtmsLibrary: its codes change nothing; FAST queues a job that finds a cartridge put
   into a slot by hand. RSM's call returns no GUID: the job is the library's new request. */
static void test_inventory(void) {
    NTMS_GUID lab = library_in(session, "lab"), gone = library_in(session, "gone");
    NTMS_GUID bogus = {
        0x0f1e2d3cu, 0x4b5a, 0x4978, {0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9}};
    NTMS_GUID before[256], after[256];
    DWORD nb = 256, na = 256, i, j;
    HANDLE closed = open_local("closed");
    CHECK_EQ(CloseNtmsSession(closed), ERROR_SUCCESS);
    start_codes();
    CHECK_EQ(InventoryNtmsLibrary(closed, &lab, NTMS_INVENTORY_FAST), ERROR_INVALID_HANDLE);
    CHECK_EQ(InventoryNtmsLibrary(session, NULL, NTMS_INVENTORY_FAST), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_NONE), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_SLOT), ERROR_INVALID_PARAMETER);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_OMID), ERROR_NOT_SUPPORTED);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_STOP), ERROR_INVALID_OPERATION);
    CHECK_EQ(InventoryNtmsLibrary(session, &bogus, NTMS_INVENTORY_FAST), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(InventoryNtmsLibrary(session, &gone, NTMS_INVENTORY_FAST), ERROR_LIBRARY_OFFLINE);
    /* AccessNtmsLibraryDoor: the same checks; lab (a simulated library without door=yes) has
       no door. */
    CHECK_EQ(AccessNtmsLibraryDoor(closed, &lab, NTMS_INVENTORY_NONE), ERROR_INVALID_HANDLE);
    CHECK_EQ(AccessNtmsLibraryDoor(session, NULL, NTMS_INVENTORY_NONE), ERROR_INVALID_PARAMETER);
    CHECK_EQ(AccessNtmsLibraryDoor(session, &lab, NTMS_INVENTORY_STOP), ERROR_INVALID_PARAMETER);
    CHECK_EQ(AccessNtmsLibraryDoor(session, &bogus, NTMS_INVENTORY_NONE), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(AccessNtmsLibraryDoor(session, &gone, NTMS_INVENTORY_NONE), ERROR_LIBRARY_OFFLINE);
    CHECK_EQ(AccessNtmsLibraryDoor(session, &lab, NTMS_INVENTORY_FAST),
             ERROR_RESOURCE_NOT_PRESENT);
    end_codes();

    operator_does("lab", "place 1019 HAND01L8");
    CHECK_EQ(EnumerateNtmsObject(session, &lab, before, &nb, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_FAST), ERROR_SUCCESS);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, after, &na, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    CHECK_EQ(na, nb + 1);
    for (i = 0; i < na; ++i) {
        int known = 0;
        for (j = 0; j < nb; ++j)
            known |= same_guid(&after[i], &before[j]);
        if (!known) {
            NTMS_OBJECTINFORMATIONA info;
            CHECK_EQ(wait_job(session, &after[i], NTMS_LM_PASSED), NTMS_LM_PASSED);
            info = object_info(session, &after[i], NTMS_LIBREQUEST);
            CHECK_EQ(info.Info.LibRequest.OperationCode, NTMS_LM_INVENTORY);
            CHECK_EQ(info.Info.LibRequest.OperationOption, NTMS_INVENTORY_FAST);
            CHECK(strstr(info.szDescription, "inventory: 1 new, ") != NULL);
        }
    }
}

static int run_local(void) {
    group("closed, NULL, garbage and INVALID_HANDLE_VALUE handles are ERROR_INVALID_HANDLE",
          test_handles);
    group("OpenNtmsSession refuses unknown options and a host that is an ssh option",
          test_open_refusals);
    session = open_local("test_api");
    group("EnumerateNtmsObject: the caller's list grows to the size it is told",
          test_enumerate_growth);
    group("EnumerateNtmsObject: no count, a container or type that does not fit",
          test_enumerate_refusals);
    group("GetNtmsObjectInformation A and W of a library and its port", test_information);
    group("GetNtmsObjectInformation with a wrong dwSize or dwType writes nothing",
          test_information_refusals);
    group("InjectNtmsMedia START: the operator's cartridge is moved, the job PASSED",
          test_inject_start);
    group("InjectNtmsMedia STARTMANY, RETRACT, STOP", test_inject_startmany);
    group("CancelNtmsLibraryRequest stops a waiting inject", test_cancel_request);
    group("InjectNtmsMedia: ERROR_INVALID_HANDLE for a closed session", test_code_invalid_handle);
    group("InjectNtmsMedia: ERROR_INVALID_PARAMETER for NULL pointers and unknown actions",
          test_code_invalid_parameter);
    group("InjectNtmsMedia: ERROR_OBJECT_NOT_FOUND for an unknown library",
          test_code_object_not_found);
    if (getuid() == 0)
        group("InjectNtmsMedia: ERROR_ACCESS_DENIED for nobody, success in group tape",
              test_code_access_denied);
    else
        skip("InjectNtmsMedia: ERROR_ACCESS_DENIED", "needs root to become nobody");
    group("InjectNtmsMedia: ERROR_DEVICE_NOT_AVAILABLE for a disabled library",
          test_code_device_not_available);
    group("InjectNtmsMedia: ERROR_LIBRARY_OFFLINE for a library whose device is absent",
          test_code_library_offline);
    group("InjectNtmsMedia: ERROR_NOT_SUPPORTED for a library without a port",
          test_code_not_supported);
    group("InjectNtmsMedia: ERROR_LIBRARY_FULL for a library without a free slot",
          test_code_library_full);
    group("InjectNtmsMedia: ERROR_INVALID_OPERATION for STOP and RETRACT of no running inject",
          test_code_invalid_operation);
    group("library full: ntmsd posts an operator request per library", make_requests);
    group("WaitForNtmsOperatorRequest: bad handles, NULL and unknown GUIDs", test_wait_refusals);
    group("WaitForNtmsOperatorRequest: ERROR_TIMEOUT after dwTimeout", test_wait_timeout);
    group("WaitForNtmsOperatorRequest returns ERROR_SUCCESS when another session satisfies it",
          test_wait_satisfied);
    group("WaitForNtmsOperatorRequest returns ERROR_INVALID_HANDLE when its session is closed",
          test_wait_closed_under_waiter);
    group("WaitForNtmsOperatorRequest returns ERROR_CANCELLED when another session cancels it",
          test_wait_cancelled);
    group("an inject's insert request: Satisfy checks the port, Cancel stops the job",
          test_insert_request);
    group("one session used by eight threads and closed under them", test_threads);
    group("InventoryNtmsLibrary and AccessNtmsLibraryDoor: their error codes, and a FAST "
          "inventory that finds a cartridge",
          test_inventory);
    CHECK_EQ(CloseNtmsSession(session), ERROR_SUCCESS);
    return groups_failed || failures ? 1 : 0;
}

/* ---- database faults --------------------------------------------------------------------- */

static void test_database_failure(void) {
    NTMS_GUID some = {
        0x0f1e2d3cu, 0x4b5a, 0x4978, {0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9}};
    NTMS_GUID job = NTMS_NULLGUID;
    NTMS_OBJECTINFORMATIONA info;
    /* ntmsd answers (the session opens), but every object lives in the database. */
    HANDLE h = open_local("database-failure");
    CHECK_EQ(InjectNtmsMedia(h, &some, &job, NTMS_INJECT_START), ERROR_DATABASE_FAILURE);
    CHECK(NTMS_IS_NULLGUID(job));
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = NTMS_LIBREQUEST;
    CHECK_EQ(GetNtmsObjectInformationA(h, &some, &info), ERROR_DATABASE_FAILURE);
    /* What the client can tell by itself still comes first. */
    CHECK_EQ(InjectNtmsMedia(h, NULL, &job, NTMS_INJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
}

static const char* filler;

/* Writes to `filler` until the filesystem has no byte left. */
static int fill_filesystem(void) {
    static char block[4096];
    FILE* f = fopen(filler, "wb");
    if (!f)
        return 0;
    memset(block, 'x', sizeof block);
    setvbuf(f, NULL, _IONBF, 0);
    while (fwrite(block, sizeof block, 1, f) == 1)
        ;
    while (fputc('x', f) != EOF)
        ;
    fclose(f);
    return errno == ENOSPC;
}

static void test_database_full(void) {
    HANDLE h = open_local("database-full");
    NTMS_GUID lab = library_in(h, "lab"), job, zero = NTMS_NULLGUID;
    DWORD jobs;
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(CancelNtmsLibraryRequest(h, &job), ERROR_SUCCESS);
    CHECK(final_state(wait_job(h, &job, NTMS_LM_STOPPED)));
    jobs = count_objects(h, NTMS_LIBREQUEST);

    CHECK(fill_filesystem());
    job = zero;
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_DATABASE_FULL);
    CHECK(NTMS_IS_NULLGUID(job));
    CHECK_EQ(count_objects(h, NTMS_LIBREQUEST), jobs);
    CHECK_EQ(object_info(h, &lab, NTMS_LIBRARY).dwOperationalState, NTMS_READY);

    /* Space again, service again. */
    CHECK_EQ(unlink(filler), 0);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(CancelNtmsLibraryRequest(h, &job), ERROR_SUCCESS);
    CHECK(final_state(wait_job(h, &job, NTMS_LM_STOPPED)));
    CHECK_EQ(count_objects(h, NTMS_LIBREQUEST), jobs + 1);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
}

/* ---- remote sessions through ssh --------------------------------------------------------- */

static const char* remote_host;      /* "localhost" */
static const char* remote_user_host; /* "root@localhost" */
static const char* unreachable_host; /* where ssh fails */

/* The UTF-16 form of an ASCII string, as a Windows caller would pass it. */
static void widen(const char* s, WCHAR* out, size_t n) {
    size_t i;
    for (i = 0; i + 1 < n && s[i]; ++i)
        out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
}

/* Libraries listed and a whole START inject through a session to another host. */
static void remote_inject(HANDLE h, const char* barcode, const char* computer) {
    NTMS_GUID lab = library_in(h, "lab"), list[8];
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 8, before;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
    before = count_objects(h, NTMS_LIBREQUEST);
    inject_one(h, "lab", barcode);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(h, &lab, list, &n, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    CHECK_EQ(n, before + 1);
    info = object_info(h, &list[n - 1], NTMS_LIBREQUEST);
    CHECK_EQ(strcmp(info.Info.LibRequest.szComputer, computer), 0);
    CHECK_EQ(strcmp(info.Info.LibRequest.szUser, "0"), 0); /* root on the far side */
    CHECK_EQ(strcmp(info.Info.LibRequest.szApplication, "remote"), 0);
}

static void test_remote_a(void) {
    HANDLE h = OpenNtmsSessionA(remote_host, "remote", 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSessionA(%s): %lu\n", remote_host,
                (unsigned long)NtmsGetLastError());
        ++failures;
        return;
    }
    remote_inject(h, "SSH001L8", remote_host);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
}

static void test_remote_w(void) {
    WCHAR server[256], application[16];
    HANDLE h;
    widen(remote_user_host, server, 256);
    widen("remote", application, 16);
    h = OpenNtmsSessionW(server, application, 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSessionW(%s): %lu\n", remote_user_host,
                (unsigned long)NtmsGetLastError());
        ++failures;
        return;
    }
    /* The computer is the host; the login name is no part of it. */
    remote_inject(h, "SSH002L8", remote_host);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
}

static void test_remote_threads(void) {
    HANDLE h = OpenNtmsSessionA(remote_host, "remote", 0);
    CHECK(h != INVALID_HANDLE_VALUE);
    if (h != INVALID_HANDLE_VALUE)
        threads_on(h, 10);
}

/* Follows a job through a notification until it is in `wanted` or has ended. */
static DWORD follow_job(HANDLE h, HANDLE changes, NTMS_GUID* job, DWORD wanted) {
    long deadline = now_ms() + 30000;
    int look = 1;
    while (now_ms() < deadline) {
        NTMS_NOTIFICATIONINFORMATION note;
        DWORD rc;
        if (look) {
            NTMS_OBJECTINFORMATIONA info = object_info(h, job, NTMS_LIBREQUEST);
            if (info.Info.LibRequest.State == wanted || final_state(info.Info.LibRequest.State))
                return info.Info.LibRequest.State;
        }
        rc = WaitForNtmsNotification(changes, &note, 5000);
        if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT)
            return 0xffffffffu;
        /* A quiet spell looks again too: a wait must not hang on one missed note. */
        look = rc == ERROR_TIMEOUT || same_guid(&note.ObjectId, job);
    }
    return 0xffffffffu;
}

/* Waits through ssh: the match rules and the signals travel over the bridge. */
static void test_remote_waits(void) {
    HANDLE h = OpenNtmsSessionA(remote_host, "remote", 0), local = open_local("local"), changes;
    NTMS_GUID lab, job, list[64], request = NTMS_NULLGUID;
    DWORD n = 64, i;
    struct waiter w;
    if (h == INVALID_HANDLE_VALUE) {
        ++failures;
        return;
    }
    lab = library_in(h, "lab");
    changes = OpenNtmsNotification(h, NTMS_LIBREQUEST);
    CHECK(changes != INVALID_HANDLE_VALUE);
    CHECK_EQ(InjectNtmsMedia(h, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(follow_job(h, changes, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_OPREQUEST, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 64; ++i) {
        NTMS_OBJECTINFORMATIONA info = object_info(h, &list[i], NTMS_OPREQUEST);
        if (info.Info.OpRequest.State == NTMS_OPSTATE_SUBMITTED &&
            same_guid(&info.Info.OpRequest.Arg2, &job))
            request = list[i];
    }
    CHECK(!NTMS_IS_NULLGUID(request));
    w.h = h;
    w.request = request;
    w.timeout = 30000;
    w.done = 0;
    CHECK_EQ(pthread_create(&w.thread, NULL, wait_thread, &w), 0);
    sleep_ms(400);
    CHECK_EQ(w.done, 0);
    /* Answered by a local session: the remote waiter hears of it through ssh. */
    CHECK_EQ(SatisfyNtmsOperatorRequest(local, &request), ERROR_SUCCESS);
    pthread_join(w.thread, NULL);
    CHECK_EQ(w.rc, ERROR_SUCCESS);
    CHECK(w.took_ms < 5000);
    CHECK(final_state(follow_job(h, changes, &job, NTMS_LM_PASSED)));
    CHECK_EQ(CloseNtmsNotification(changes), ERROR_SUCCESS);
    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    CHECK_EQ(CloseNtmsSession(local), ERROR_SUCCESS);
}

static void test_remote_unreachable(void) {
    long t0 = now_ms();
    HANDLE h = OpenNtmsSessionA(unreachable_host, "remote", 0);
    CHECK_EQ((uintptr_t)h, (uintptr_t)INVALID_HANDLE_VALUE);
    CHECK_EQ(NtmsGetLastError(), ERROR_NOT_CONNECTED);
    CHECK(now_ms() - t0 < 20000);
    /* The failure is this thread's and stays until the next OpenNtmsSession. */
    CHECK_EQ(NtmsGetLastError(), ERROR_NOT_CONNECTED);
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    test_dir = getenv("NTMS_TEST_DIR");
    if (strcmp(mode, "local") == 0 && argc == 3 && test_dir) {
        sim = argv[2];
        return run_local();
    }
    if (strcmp(mode, "database-failure") == 0 && argc == 2) {
        group("InjectNtmsMedia: ERROR_DATABASE_FAILURE when the database is unreadable",
              test_database_failure);
        return groups_failed ? 1 : 0;
    }
    if (strcmp(mode, "database-full") == 0 && argc == 3) {
        filler = argv[2];
        group("InjectNtmsMedia: ERROR_DATABASE_FULL when the database's filesystem is full",
              test_database_full);
        return groups_failed ? 1 : 0;
    }
    if (strcmp(mode, "remote") == 0 && argc == 6 && test_dir) {
        sim = argv[2];
        remote_host = argv[3];
        remote_user_host = argv[4];
        unreachable_host = argv[5];
        group("OpenNtmsSessionA(host) through ssh: libraries, a whole inject", test_remote_a);
        group("OpenNtmsSessionW(user@host) through ssh: libraries, a whole inject", test_remote_w);
        group("a remote session used by eight threads and closed under them", test_remote_threads);
        group("through ssh, WaitForNtmsOperatorRequest and WaitForNtmsNotification wake on signals",
              test_remote_waits);
        group("OpenNtmsSession of an unreachable host: INVALID_HANDLE_VALUE, ERROR_NOT_CONNECTED",
              test_remote_unreachable);
        return groups_failed ? 1 : 0;
    }
    fprintf(stderr,
            "usage: test_api local SIM | database-failure | database-full FILLER |"
            " remote SIM HOST USER@HOST UNREACHABLE   (NTMS_TEST_DIR set for local and remote)\n");
    return 2;
}
