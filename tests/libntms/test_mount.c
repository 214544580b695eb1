/*
 * MountNtmsMedia and DismountNtmsMedia against the real ntmsd on a private bus (run-eject.sh), as
 * a C99 user program:
 *   test_mount SIM STATE MEDIUM1 MEDIUM2
 * The library has one drive. Every return code is checked against what MountNtmsMedia(3)
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

static int is_null(const NTMS_GUID* g) {
    static const NTMS_GUID null_guid = NTMS_NULLGUID;
    return memcmp(g, &null_guid, sizeof *g) == 0;
}

/* The drive's element and the medium in it, as NTMS_DRIVE says. */
static NTMS_DRIVEINFORMATIONA drive_info(HANDLE h, NTMS_GUID* drive) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = NTMS_DRIVE;
    CHECK_EQ(GetNtmsObjectInformationA(h, drive, &info), ERROR_SUCCESS);
    return info.Info.Drive;
}

int main(int argc, char** argv) {
    HANDLE h;
    NTMS_GUID first, second, unknown, drive, other, job;
    NTMS_MOUNT_INFORMATION mi;
    if (argc != 5) {
        fprintf(stderr, "usage: test_mount SIM STATE MEDIUM1 MEDIUM2\n");
        return 2;
    }
    sim = argv[1];
    first = guid_of(argv[3]);
    second = guid_of(argv[4]);
    unknown = guid_of("0badc0de-0000-4000-8000-000000000001");
    h = OpenNtmsSessionA(NULL, "test_mount", 0);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "OpenNtmsSessionA failed\n");
        return 1;
    }

    /* Parameters first, nothing queued. */
    CHECK_EQ(MountNtmsMedia(h, &first, &drive, 0, 0, NTMS_PRIORITY_NORMAL, INFINITE, NULL),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(MountNtmsMedia(h, &first, NULL, 1, 0, NTMS_PRIORITY_NORMAL, INFINITE, NULL),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(MountNtmsMedia(h, &first, &drive, 1, 0, 16, INFINITE, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(MountNtmsMedia(NULL, &first, &drive, 1, 0, 0, INFINITE, NULL), ERROR_INVALID_HANDLE);
    CHECK_EQ(MountNtmsMedia(h, &unknown, &drive, 1, 0, 0, INFINITE, NULL), ERROR_OBJECT_NOT_FOUND);
    other = unknown;
    CHECK_EQ(MountNtmsMedia(h, &first, &other, 1, NTMS_MOUNT_SPECIFIC_DRIVE, 0, INFINITE, NULL),
             ERROR_INVALID_DRIVE);
    CHECK_EQ(DismountNtmsMedia(h, &first, 0, 0), ERROR_INVALID_PARAMETER);
    CHECK_EQ(DismountNtmsMedia(h, &first, 1, 0), ERROR_INVALID_STATE); /* in no drive */

    /* A mount waits for its job and names the drive. */
    memset(&drive, 0, sizeof drive);
    CHECK_EQ(MountNtmsMedia(h, &first, &drive, 1, NTMS_MOUNT_READ | NTMS_MOUNT_WRITE,
                            NTMS_PRIORITY_NORMAL, INFINITE, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(is_null(&drive), 0);
    CHECK_EQ(drive_info(h, &drive).State, NTMS_DRIVESTATE_LOADED);
    CHECK_EQ(MountNtmsMedia(h, &first, &other, 1, 0, 0, INFINITE, NULL), ERROR_BUSY);
    /* The one drive is held: at once, or after the time-out. */
    CHECK_EQ(
        MountNtmsMedia(h, &second, &other, 1, NTMS_MOUNT_ERROR_NOT_AVAILABLE, 0, INFINITE, NULL),
        ERROR_BUSY);
    CHECK_EQ(MountNtmsMedia(h, &second, &other, 1, 0, 0, 1000, NULL), ERROR_TIMEOUT);

    /* NOWAIT: the job's GUID, and a dismount (queued behind nothing) lets it mount. */
    memset(&job, 0, sizeof job);
    memset(&mi, 0, sizeof mi);
    mi.dwSize = sizeof mi;
    mi.lpReserved = &job;
    CHECK_EQ(
        MountNtmsMedia(h, &second, &other, 1, NTMS_MOUNT_NOWAIT, NTMS_PRIORITY_HIGH, INFINITE, &mi),
        ERROR_SUCCESS);
    CHECK_EQ(is_null(&job), 0);
    CHECK_EQ(DismountNtmsMedia(h, &first, 1, NTMS_DISMOUNT_IMMEDIATE), ERROR_SUCCESS);
    /* A third call waits for that job's drive: it is the same medium, so Busy until it ends. */
    {
        int i;
        DWORD rc = ERROR_BUSY;
        for (i = 0; i < 100 && rc == ERROR_BUSY; ++i) {
            rc = DismountNtmsMedia(h, &second, 1, 0);
            if (rc != ERROR_SUCCESS) {
                struct timespec t = {0, 100000000L};
                nanosleep(&t, NULL);
            }
        }
        CHECK_EQ(rc, ERROR_SUCCESS);
    }
    CloseNtmsSession(h);
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
