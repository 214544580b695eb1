/*
 * NTMS_DRIVE and NTMS_DRIVE_TYPE against the real ntmsd on a private bus (run by private-bus.sh
 * with the libraries of tests/libntms/meson.build): every drive enumerated, in a library and on
 * the whole host, and read with GetNtmsObjectInformationA and W; a cartridge put into a drive
 * behind ntmsd's back is seen loaded after InventoryNtmsLibrary. TAP on stdout.
 *   test_drives NTMS-SIM          (NTMS_TEST_DIR: where the libraries' state files are)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep() */
#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

static int is_null(const NTMS_GUID* g) {
    NTMS_GUID none = NTMS_NULLGUID;
    return same_guid(g, &none);
}

/* The ASCII text of a WCHAR string (the tests' strings are ASCII). */
static const char* narrow(const WCHAR* w) {
    static char out[256];
    size_t i;
    for (i = 0; i + 1 < sizeof out && w[i]; ++i)
        out[i] = w[i] < 0x80 ? (char)w[i] : '?';
    out[i] = '\0';
    return out;
}

static void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* lab: drives at elements 2 and 3 (virtual changer), both empty at start. */
static void test_drives_of_a_library(void) {
    NTMS_GUID lab = library_named("lab"), drives[8], type0;
    DWORD n = 8, i;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, drives, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 2);
    for (i = 0; i < n && i < 2; ++i) {
        char name[64];
        NTMS_OBJECTINFORMATIONA a = info_a(&drives[i], NTMS_DRIVE, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW w = info_w(&drives[i], NTMS_DRIVE, ERROR_SUCCESS);
        const NTMS_DRIVEINFORMATIONA* d = &a.Info.Drive;
        snprintf(name, sizeof name, "lab drive %lu", (unsigned long)i);
        CHECK_EQ(a.dwType, NTMS_DRIVE);
        CHECK(same_guid(&a.ObjectGuid, &drives[i]));
        CHECK_STR(a.szName, name);
        CHECK_STR(narrow(w.szName), name);
        CHECK_EQ(a.Enabled, TRUE);
        CHECK_EQ(a.dwOperationalState, NTMS_READY);
        CHECK_EQ(d->Number, i);
        CHECK_EQ(w.Info.Drive.Number, i);
        CHECK_EQ(d->State, NTMS_DRIVESTATE_DISMOUNTED);
        CHECK(same_guid(&d->Library, &lab));
        CHECK(same_guid(&w.Info.Drive.Library, &lab));
        CHECK(!is_null(&d->DriveType));
        CHECK(same_guid(&w.Info.Drive.DriveType, &d->DriveType));
        CHECK_EQ(strlen(d->szSerialNumber), 10);
        CHECK_EQ(d->szSerialNumber[9], (char)('1' + i)); /* the virtual changer's drives 01, 02 */
        CHECK_STR(narrow(w.Info.Drive.szSerialNumber), d->szSerialNumber);
        CHECK_STR(d->szDeviceName, ""); /* a sim drive matches no tape device by serial */
        CHECK_STR(d->szRevision, "");
        CHECK_EQ(d->ScsiPort + d->ScsiBus + d->ScsiTarget + d->ScsiLun, 0);
        CHECK_EQ(d->dwMountCount, 0);
        CHECK(is_null(&d->SavedPartitionId));
        if (i == 0)
            type0 = d->DriveType;
        else
            CHECK(same_guid(&d->DriveType, &type0));
    }
    if (n >= 2)
        CHECK(!same_guid(&drives[0], &drives[1]));
}

static void test_drive_types(void) {
    NTMS_GUID lab = library_named("lab"), types[4], drive[2];
    DWORD n = 4;
    NTMS_OBJECTINFORMATIONA a, t;
    NTMS_OBJECTINFORMATIONW w;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, types, &n, NTMS_DRIVE_TYPE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1); /* lab's two drives are of one model; nodrive has none */
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, types, &n, NTMS_DRIVE_TYPE, 0),
             ERROR_INVALID_PARAMETER);
    n = 1;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, types, &n, NTMS_DRIVE_TYPE, 0), ERROR_SUCCESS);
    t = info_a(&types[0], NTMS_DRIVE_TYPE, ERROR_SUCCESS);
    w = info_w(&types[0], NTMS_DRIVE_TYPE, ERROR_SUCCESS);
    CHECK_STR(t.Info.DriveType.szProduct, "VIRTUAL-DRIVE");
    CHECK_STR(narrow(w.Info.DriveType.szProduct), "VIRTUAL-DRIVE");
    CHECK(strlen(t.Info.DriveType.szVendor) > 0);
    CHECK_STR(narrow(w.Info.DriveType.szVendor), t.Info.DriveType.szVendor);
    CHECK_EQ(t.Info.DriveType.DeviceType, 0x1f); /* FILE_DEVICE_TAPE */
    CHECK_EQ(t.Info.DriveType.NumberOfHeads, 1);
    n = 2;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, drive, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
    a = info_a(&drive[0], NTMS_DRIVE, ERROR_SUCCESS);
    CHECK(same_guid(&a.Info.Drive.DriveType, &types[0]));
    info_a(&lab, NTMS_DRIVE_TYPE, ERROR_OBJECT_NOT_FOUND);
}

static void test_drives_everywhere(void) {
    NTMS_GUID nodrive = library_named("nodrive"), all[8], lab_drives[8], bogus = NTMS_NULLGUID;
    NTMS_GUID lab = library_named("lab");
    DWORD n = 8, m = 8, small = 1;
    CHECK_EQ(EnumerateNtmsObject(session, &nodrive, all, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 0);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, all, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, lab_drives, &m, NTMS_DRIVE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 2);
    CHECK_EQ(m, 2);
    if (n == 2 && m == 2)
        CHECK(same_guid(&all[0], &lab_drives[0]) && same_guid(&all[1], &lab_drives[1]));
    CHECK_EQ(EnumerateNtmsObject(session, NULL, all, &small, NTMS_DRIVE, 0),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(small, 2);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &bogus, all, &n, NTMS_DRIVE, 0), ERROR_OBJECT_NOT_FOUND);
    info_a(&lab, NTMS_DRIVE, ERROR_OBJECT_NOT_FOUND); /* a library is no drive */
}

/* A cartridge put into lab's second drive by hand, then an inventory. */
static void test_loaded_drive(void) {
    NTMS_GUID lab = library_named("lab"), drives[2];
    DWORD n = 2, tries;
    char cmd[1024];
    const char* dir = getenv("NTMS_TEST_DIR");
    NTMS_OBJECTINFORMATIONA a;
    NTMS_OBJECTINFORMATIONW w;
    snprintf(cmd, sizeof cmd, "'%s' '%s/lab.state' place 3 DRV001L8 >/dev/null", sim,
             dir ? dir : ".");
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_FAST), ERROR_SUCCESS);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, drives, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 2);
    memset(&a, 0, sizeof a);
    for (tries = 0; tries < 100; ++tries) {
        a = info_a(&drives[1], NTMS_DRIVE, ERROR_SUCCESS);
        if (a.Info.Drive.State == NTMS_DRIVESTATE_LOADED)
            break;
        sleep_ms(100);
    }
    CHECK_EQ(a.Info.Drive.State, NTMS_DRIVESTATE_LOADED);
    CHECK(strstr(a.szDescription, "loaded with DRV001L8") != NULL);
    w = info_w(&drives[1], NTMS_DRIVE, ERROR_SUCCESS);
    CHECK_EQ(w.Info.Drive.State, NTMS_DRIVESTATE_LOADED);
    a = info_a(&drives[0], NTMS_DRIVE, ERROR_SUCCESS);
    CHECK_EQ(a.Info.Drive.State, NTMS_DRIVESTATE_DISMOUNTED);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_drives NTMS-SIM\n");
        return 2;
    }
    sim = argv[1];
    session = OpenNtmsSessionA(NULL, "test_drives", 0);
    if (session == INVALID_HANDLE_VALUE) {
        printf("Bail out! OpenNtmsSession: %s\n", NtmsErrorString(NtmsGetLastError()));
        return 1;
    }
    group("NTMS_DRIVE of a library, A and W", test_drives_of_a_library);
    group("NTMS_DRIVE_TYPE: one per vendor and product, A and W", test_drive_types);
    group("NTMS_DRIVE of every library; a library without drives; unknown container",
          test_drives_everywhere);
    group("NTMS_DRIVE loaded after an inventory", test_loaded_drive);
    CHECK_EQ(CloseNtmsSession(session), ERROR_SUCCESS);
    printf("1..%d\n", groups);
    return groups_failed || failures ? 1 : 0;
}
