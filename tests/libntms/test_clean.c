/*
 * CleanNtmsDrive, InjectNtmsCleaner and EjectNtmsCleaner against the real ntmsd on a private bus
 * (run-eject.sh, clean.conf), as a C99 user program:
 *   test_clean SIM STATE CLEANER MEDIUM2
 * The library has one drive; its CleanerPrefix= makes CLEANER (S00001L8) its one cleaning
 * cartridge, good for one cleaning. Every return code is checked against what CleanNtmsDrive(3)
 * documents; exits 1 when one differs.
 */
#define _DEFAULT_SOURCE

#include "common/ntms_guid.h"

#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

static void nap(void) {
    struct timespec t = {0, 100000000L};
    nanosleep(&t, NULL);
}

static DWORD info_of(HANDLE h, NTMS_GUID* id, DWORD type, NTMS_OBJECTINFORMATIONA* info) {
    memset(info, 0, sizeof *info);
    info->dwSize = sizeof *info;
    info->dwType = type;
    return GetNtmsObjectInformationA(h, id, info);
}

/* The first object of `type` in `container`; exits when there is none. */
static NTMS_GUID first_object(HANDLE h, NTMS_GUID* container, DWORD type) {
    NTMS_GUID list[8];
    DWORD n = 8;
    if (EnumerateNtmsObject(h, container, list, &n, type, 0) != ERROR_SUCCESS || n == 0) {
        fprintf(stderr, "no object of type %lu\n", (unsigned long)type);
        exit(1);
    }
    return list[0];
}

/* The library's requests now; *n of them. */
static DWORD requests(HANDLE h, NTMS_GUID* list, DWORD max) {
    DWORD n = max;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
    return n;
}

/* The request that is not in before[0..n): the one just queued. */
static NTMS_GUID new_request(HANDLE h, const NTMS_GUID* before, DWORD n) {
    NTMS_GUID now[64], none = NTMS_NULLGUID;
    DWORD count = requests(h, now, 64), i, j;
    for (i = 0; i < count; ++i) {
        int seen = 0;
        for (j = 0; j < n && !seen; ++j)
            seen = same_guid(&now[i], &before[j]);
        if (!seen)
            return now[i];
    }
    fprintf(stderr, "no new request\n");
    ++failures;
    return none;
}

/* Polls the job until it is in `wanted` or has ended; its information then. */
static NTMS_LIBREQUESTINFORMATIONA wait_job(HANDLE h, NTMS_GUID* job, DWORD wanted) {
    NTMS_OBJECTINFORMATIONA info;
    int tries;
    memset(&info, 0, sizeof info);
    for (tries = 0; tries < 300; ++tries, nap()) {
        DWORD s;
        if (info_of(h, job, NTMS_LIBREQUEST, &info) != ERROR_SUCCESS)
            continue;
        s = info.Info.LibRequest.State;
        if (s == wanted || s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_STOPPED ||
            s == NTMS_LM_CANCELLED)
            break;
    }
    return info.Info.LibRequest;
}

/* CleanNtmsDrive returns no job: the cleaning job is the request it added. */
static NTMS_LIBREQUESTINFORMATIONA clean_and_wait(HANDLE h, NTMS_GUID* drive) {
    NTMS_GUID before[64], job;
    const DWORD n = requests(h, before, 64);
    NTMS_LIBREQUESTINFORMATIONA r;
    CHECK_EQ(CleanNtmsDrive(h, drive), ERROR_SUCCESS);
    job = new_request(h, before, n);
    r = wait_job(h, &job, NTMS_LM_PASSED);
    CHECK_EQ(r.OperationCode, NTMS_LM_CLEANDRIVE);
    return r;
}

static DWORD location_of(HANDLE h, NTMS_GUID* medium) {
    NTMS_OBJECTINFORMATIONA info;
    CHECK_EQ(info_of(h, medium, NTMS_PHYSICAL_MEDIA, &info), ERROR_SUCCESS);
    return info.Info.PhysicalMedia.LocationType;
}

int main(int argc, char** argv) {
    HANDLE h;
    NTMS_GUID library, drive, cleaner, unknown, op, op2;
    NTMS_LIBREQUESTINFORMATIONA r;
    NTMS_MOUNT_INFORMATION mi;
    if (argc != 5) {
        fprintf(stderr, "usage: test_clean SIM STATE CLEANER MEDIUM2\n");
        return 2;
    }
    sim = argv[1];
    cleaner = guid_of(argv[3]);
    unknown = guid_of("0badc0de-0000-4000-8000-000000000001");
    h = OpenNtmsSessionA(NULL, "test_clean", 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSessionA failed\n");
        return 1;
    }
    library = first_object(h, NULL, NTMS_LIBRARY);
    drive = first_object(h, &library, NTMS_DRIVE);

    /* Bad calls change nothing. */
    CHECK_EQ(CleanNtmsDrive(NULL, &drive), ERROR_INVALID_HANDLE);
    CHECK_EQ(CleanNtmsDrive(h, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(CleanNtmsDrive(h, &unknown), ERROR_INVALID_DRIVE);
    CHECK_EQ(InjectNtmsCleaner(h, &library, &op, 10, NTMS_INJECT_RETRACT),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(InjectNtmsCleaner(NULL, &library, &op, 10, NTMS_INJECT_START), ERROR_INVALID_HANDLE);
    CHECK_EQ(EjectNtmsCleaner(h, &library, &op, NTMS_EJECT_FORCE), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsCleaner(h, NULL, &op, NTMS_EJECT_START), ERROR_INVALID_PARAMETER);
    CHECK_EQ(EjectNtmsCleaner(h, &library, NULL, NTMS_EJECT_START), ERROR_INVALID_PARAMETER);

    /* A cleaner is never mounted for data. */
    memset(&mi, 0, sizeof mi);
    mi.dwSize = sizeof mi;
    op = drive;
    CHECK_EQ(MountNtmsMedia(h, &cleaner, &op, 1, 0, NTMS_PRIORITY_NORMAL, INFINITE, &mi),
             ERROR_MEDIA_INCOMPATIBLE);

    /* One cleaning: the cleaner goes into the drive and back. */
    r = clean_and_wait(h, &drive);
    CHECK_EQ(r.State, NTMS_LM_PASSED);
    CHECK_EQ(location_of(h, &cleaner), NTMS_STORAGESLOT);
    /* It was good for one: the next cleaning fails. */
    r = clean_and_wait(h, &drive);
    CHECK_EQ(r.State, NTMS_LM_FAILED);
    CHECK_EQ(r.dwErrorCode, ERROR_CLEANER_CARTRIDGE_SPENT);

    /* The spent cleaner is ejected: presented in the port, then the eject is stopped and it
       goes back. */
    memset(&op, 0, sizeof op);
    CHECK_EQ(EjectNtmsCleaner(h, &library, &op, NTMS_EJECT_START), ERROR_SUCCESS);
    r = wait_job(h, &op, NTMS_LM_WAITING);
    CHECK_EQ(r.State, NTMS_LM_WAITING);
    CHECK_EQ(r.OperationCode, NTMS_LM_EJECT);
    CHECK_EQ(location_of(h, &cleaner), NTMS_IEPORT);
    CHECK_EQ(EjectNtmsCleaner(h, &library, &op, NTMS_EJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &op, NTMS_LM_STOPPED).State, NTMS_LM_STOPPED);
    CHECK_EQ(location_of(h, &cleaner), NTMS_STORAGESLOT);

    /* A cleaner inject is an inject job: started, then stopped. */
    memset(&op2, 0, sizeof op2);
    CHECK_EQ(InjectNtmsCleaner(h, &library, &op2, 10, NTMS_INJECT_START), ERROR_SUCCESS);
    r = wait_job(h, &op2, NTMS_LM_WAITING);
    CHECK_EQ(r.OperationCode, NTMS_LM_INJECT);
    CHECK_EQ(InjectNtmsCleaner(h, &library, &op2, 10, NTMS_INJECT_STOP), ERROR_SUCCESS);
    CHECK_EQ(wait_job(h, &op2, NTMS_LM_STOPPED).State, NTMS_LM_STOPPED);

    CloseNtmsSession(h);
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
