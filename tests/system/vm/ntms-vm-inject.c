/*
 * ntms-vm-inject LIBRARY-GUID: an RSM client as a backup program would write it, built against
 * the installed ntmsapi.h and libntms (pkg-config libntms) and run in the system test's guest.
 *
 * It starts an inject (InjectNtmsMedia, NTMS_INJECT_START), follows the job with
 * GetNtmsObjectInformation(NTMS_LIBREQUEST) until the port waits for the operator, then waits for
 * a line "retract" on standard input (the operator has put the cartridges in), sends
 * NTMS_INJECT_RETRACT and follows the job to its end. Output, one line each:
 *   job GUID
 *   waiting
 *   done state=N error=N DESCRIPTION        (DESCRIPTION starts with "media moved: N")
 * Exit status 0 when the job PASSED, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <ntmsapi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int parse_guid(const char* s, NTMS_GUID* g) {
    unsigned int b[8];
    unsigned long d1;
    unsigned int d2, d3;
    int end = 0, i;
    if (strlen(s) != 36 ||
        sscanf(s, "%8lx-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x%n", &d1, &d2, &d3, &b[0], &b[1], &b[2],
               &b[3], &b[4], &b[5], &b[6], &b[7], &end) != 11 ||
        end != 36)
        return 0;
    g->Data1 = (DWORD)d1;
    g->Data2 = (WORD)d2;
    g->Data3 = (WORD)d3;
    for (i = 0; i < 8; ++i)
        g->Data4[i] = (BYTE)b[i];
    return 1;
}

static void print_guid(const NTMS_GUID* g) {
    printf("%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1,
           (unsigned)g->Data2, (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
           g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int finished(DWORD state) {
    return state == NTMS_LM_PASSED || state == NTMS_LM_FAILED || state == NTMS_LM_INVALID ||
           state == NTMS_LM_CANCELLED || state == NTMS_LM_STOPPED;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Polls the job until want(state) or seconds pass. 0 and *info filled when want() was met. */
static DWORD follow(HANDLE session, NTMS_GUID* job, int (*want)(DWORD), int seconds,
                    NTMS_OBJECTINFORMATIONA* info) {
    int tries;
    for (tries = 0; tries < seconds * 5; ++tries) {
        DWORD rc;
        memset(info, 0, sizeof *info);
        info->dwSize = sizeof *info;
        info->dwType = NTMS_LIBREQUEST;
        rc = GetNtmsObjectInformationA(session, job, info);
        if (rc != ERROR_SUCCESS)
            return rc;
        if (want(info->Info.LibRequest.State))
            return ERROR_SUCCESS;
        sleep_ms(200);
    }
    return ERROR_TIMEOUT;
}

static int waiting(DWORD state) {
    return state == NTMS_LM_WAITING || finished(state);
}

static int fail(const char* what, DWORD rc) {
    fprintf(stderr, "ntms-vm-inject: %s: %s (error %lu)\n", what, NtmsErrorString(rc),
            (unsigned long)rc);
    return 1;
}

static int run(HANDLE session, NTMS_GUID* library) {
    NTMS_GUID job;
    NTMS_OBJECTINFORMATIONA info;
    char line[64];
    DWORD rc;

    rc = NtmsSetInjectTimeout(session, 120);
    if (rc != ERROR_SUCCESS)
        return fail("NtmsSetInjectTimeout", rc);
    memset(&job, 0, sizeof job);
    rc = InjectNtmsMedia(session, library, &job, NTMS_INJECT_START);
    if (rc != ERROR_SUCCESS)
        return fail("InjectNtmsMedia START", rc);
    printf("job ");
    print_guid(&job);
    printf("\n");
    fflush(stdout);

    rc = follow(session, &job, waiting, 30, &info);
    if (rc != ERROR_SUCCESS)
        return fail("waiting for the port", rc);
    if (info.Info.LibRequest.State != NTMS_LM_WAITING) {
        printf("done state=%lu error=%lu %s\n", (unsigned long)info.Info.LibRequest.State,
               (unsigned long)info.Info.LibRequest.dwErrorCode, info.szDescription);
        return 1;
    }
    printf("waiting\n");
    fflush(stdout);

    if (!fgets(line, sizeof line, stdin) || strncmp(line, "retract", 7) != 0) {
        fprintf(stderr, "ntms-vm-inject: expected \"retract\" on standard input\n");
        return 1;
    }
    rc = InjectNtmsMedia(session, library, &job, NTMS_INJECT_RETRACT);
    if (rc != ERROR_SUCCESS)
        return fail("InjectNtmsMedia RETRACT", rc);

    rc = follow(session, &job, finished, 60, &info);
    if (rc != ERROR_SUCCESS)
        return fail("waiting for the job to end", rc);
    printf("done state=%lu error=%lu %s\n", (unsigned long)info.Info.LibRequest.State,
           (unsigned long)info.Info.LibRequest.dwErrorCode, info.szDescription);
    return info.Info.LibRequest.State == NTMS_LM_PASSED ? 0 : 1;
}

int main(int argc, char** argv) {
    NTMS_GUID library;
    HANDLE session;
    int status;

    if (argc != 2 || !parse_guid(argv[1], &library)) {
        fprintf(stderr, "usage: ntms-vm-inject LIBRARY-GUID\n");
        return 2;
    }
    session = OpenNtmsSessionA(NULL, "ntms-vm-inject", 0);
    if (session == INVALID_HANDLE_VALUE)
        return fail("OpenNtmsSession", NtmsGetLastError());
    status = run(session, &library);
    CloseNtmsSession(session);
    return status;
}
