/*
 * EjectNtmsMedia against the real ntmsd on a private bus (run-eject.sh), as a C99 user program:
 *   test_eject SIM STATE MEDIUM1 MEDIUM2
 * SIM is ntms-sim, STATE the state file of the library's simulated device (a single-cartridge port
 * at element 100), MEDIUM1 and MEDIUM2 the GUIDs of two media in its slots. Every return code is
 * checked against what EjectNtmsMedia(3) documents; exits 1 when one differs.
 */
#define _DEFAULT_SOURCE

#include "common/ntms_guid.h"

#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

static void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

static NTMS_LIBREQUESTINFORMATIONA request(HANDLE h, NTMS_GUID* job) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = NTMS_LIBREQUEST;
    CHECK_EQ(GetNtmsObjectInformationA(h, job, &info), ERROR_SUCCESS);
    return info.Info.LibRequest;
}

/* Polls the job until it is in `wanted` or has ended; returns its state then. */
static DWORD wait_job(HANDLE h, NTMS_GUID* job, DWORD wanted) {
    int i;
    for (i = 0; i < 300; ++i) {
        DWORD s = request(h, job).State;
        if (s == wanted || s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_STOPPED ||
            s == NTMS_LM_CANCELLED)
            return s;
        sleep_ms(100);
    }
    return 0xffffffffu;
}

int main(int argc, char** argv) {
    HANDLE h;
    NTMS_GUID first, second, unknown, job, stopped, untouched;
    char cmd[2048];
    if (argc != 5) {
        fprintf(stderr, "usage: test_eject SIM STATE MEDIUM1 MEDIUM2\n");
        return 2;
    }
    sim = argv[1];
    first = guid_of(argv[3]);
    second = guid_of(argv[4]);
    unknown = guid_of("0badc0de-0000-4000-8000-000000000001");
    h = OpenNtmsSessionA(NULL, "test_eject", 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSession: %s\n", NtmsErrorString(NtmsGetLastError()));
        return 1;
    }

    /* Refusals: the session, the pointers, the actions above FORCE, an unknown medium. */
    CHECK_EQ(EjectNtmsMedia(NULL, &first, &job, NTMS_EJECT_START), ERROR_INVALID_HANDLE);
    CHECK_EQ(EjectNtmsMedia(h, &first, NULL, NTMS_EJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &job, NTMS_EJECT_FORCE), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, &first, &job, NTMS_EJECT_IMMEDIATE), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, &first, &job, NTMS_EJECT_ASK_USER), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, &first, &job, 6), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, &unknown, &job, NTMS_EJECT_START), ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &job, NTMS_EJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &unknown, NTMS_EJECT_STOP), ERROR_INVALID_OPERATION);

    /* START: the job's GUID comes back; the operator takes the cartridge out of the port. */
    memset(&job, 0, sizeof job);
    CHECK_EQ(EjectNtmsMedia(h, &first, &job, NTMS_EJECT_START), ERROR_SUCCESS);
    if (NTMS_IS_NULLGUID(job)) {
        fprintf(stderr, "START gave no job GUID\n");
        return 1;
    }
    CHECK_EQ(request(h, &job).OperationCode, NTMS_LM_EJECT);
    CHECK_EQ(request(h, &job).OperationOption, NTMS_EJECT_START);
    { /* The request names the medium it ejects. */
        NTMS_LIBREQUESTINFORMATIONA r = request(h, &job);
        CHECK_EQ(memcmp(&r.PhysMediaId, &first, sizeof first), 0);
    }
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    { /* Waiting in the port for the operator: still in its library, at the port's element. */
        NTMS_OBJECTINFORMATIONA m;
        NTMS_LIBREQUESTINFORMATIONA r = request(h, &job);
        memset(&m, 0, sizeof m);
        m.dwSize = sizeof m;
        m.dwType = NTMS_PHYSICAL_MEDIA;
        CHECK_EQ(GetNtmsObjectInformationA(h, &first, &m), ERROR_SUCCESS);
        CHECK_EQ(m.Info.PhysicalMedia.LocationType, NTMS_IEPORT);
        CHECK_EQ(memcmp(&m.Info.PhysicalMedia.CurrentLibrary, &r.Library, sizeof r.Library), 0);
        CHECK_EQ(strcmp(m.szDescription, "exported at element 100"), 0);
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' remove 100 >/dev/null", sim, argv[2]);
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    CHECK_EQ(request(h, &job).dwErrorCode, ERROR_SUCCESS);
    /* Now outside the library (RSM's offline library): nothing to eject. */
    CHECK_EQ(EjectNtmsMedia(h, &first, &job, NTMS_EJECT_START), ERROR_LIBRARY_OFFLINE);

    /* STOP of a waiting eject: STOPPED, the cartridge back; STOP again is no running eject. */
    CHECK_EQ(EjectNtmsMedia(h, &second, &stopped, NTMS_EJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &stopped, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &stopped, NTMS_EJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &stopped, NTMS_LM_STOPPED), NTMS_LM_STOPPED);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &stopped, NTMS_EJECT_STOP), ERROR_INVALID_OPERATION);

    /* QUEUE leaves the operation alone; the next START ejects the queue (the NULL medium). */
    memset(&untouched, 0xAB, sizeof untouched);
    CHECK_EQ(EjectNtmsMedia(h, &second, &untouched, NTMS_EJECT_QUEUE), ERROR_SUCCESS);
    CHECK_EQ(untouched.Data1, 0xABABABABu);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &job, NTMS_EJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    CHECK_EQ(EjectNtmsMedia(h, NULL, &job, NTMS_EJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &job, NTMS_LM_STOPPED), NTMS_LM_STOPPED);

    CHECK_EQ(CloseNtmsSession(h), ERROR_SUCCESS);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
