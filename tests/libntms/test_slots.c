/*
 * NTMS_STORAGESLOT and NTMS_IEDOOR against the real ntmsd on a private bus, in A and W, and a
 * physical medium found in a drive located there (run by private-bus.sh with the libraries of
 * tests/libntms/meson.build: lab, 6 slots from 1000 of which 3 filled, drives 2 and 3, a door;
 * plain, 4 empty slots, no door). TAP on stdout.
 *   test_slots NTMS-SIM          (NTMS_TEST_DIR: where the libraries' state files are)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep() */
#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The operator at lab: ntms-sim STATE ARGS. */
static void operator_does(const char* args) {
    char cmd[1024];
    const char* dir = getenv("NTMS_TEST_DIR");
    snprintf(cmd, sizeof cmd, "'%s' '%s/lab.state' %s >/dev/null", sim, dir ? dir : ".", args);
    CHECK_EQ(system(cmd), 0);
}

/* The newest library request of `operation` on lab, polled until it is in `state` (3 s at most);
   its state. */
static DWORD wait_request(const NTMS_GUID* lab, DWORD operation, DWORD state) {
    int tries;
    DWORD last = 0xffffffffu;
    for (tries = 0; tries < 300; ++tries) {
        NTMS_GUID list[32];
        DWORD n = 32, i;
        CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_LIBREQUEST, 0), ERROR_SUCCESS);
        for (i = 0; i < n && i < 32; ++i) {
            NTMS_OBJECTINFORMATIONA r = info_a(&list[i], NTMS_LIBREQUEST, ERROR_SUCCESS);
            if (r.Info.LibRequest.OperationCode == operation &&
                same_guid(&r.Info.LibRequest.Library, lab))
                last = r.Info.LibRequest.State;
        }
        if (last == state)
            return last;
        sleep_ms(100);
    }
    return last;
}

static void test_slots(void) {
    NTMS_GUID lab = library_named("lab"), plain = library_named("plain"), slots[8], again[8],
              all[16];
    DWORD n = 8, m = 8, k = 16, i;
    static const char* barcodes[] = {"S00001L8", "S00002L8", "S00003L8"};
    CHECK_EQ(EnumerateNtmsObject(session, &lab, slots, &n, NTMS_STORAGESLOT, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 6);
    /* Stable: the same GUIDs in the same order on every call. */
    CHECK_EQ(EnumerateNtmsObject(session, &lab, again, &m, NTMS_STORAGESLOT, 0), ERROR_SUCCESS);
    CHECK_EQ(m, n);
    CHECK(memcmp(slots, again, sizeof slots[0] * (n < 8 ? n : 8)) == 0);
    for (i = 0; i < n && i < 8; ++i) {
        char name[64], description[64];
        NTMS_OBJECTINFORMATIONA a = info_a(&slots[i], NTMS_STORAGESLOT, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW w = info_w(&slots[i], NTMS_STORAGESLOT, ERROR_SUCCESS);
        CHECK(same_guid(&a.ObjectGuid, &slots[i]));
        CHECK(!same_guid(&slots[i], &lab));
        CHECK_EQ(a.Info.StorageSlot.Number, 1000 + i);
        CHECK_EQ(a.Info.StorageSlot.State, i < 3 ? NTMS_SLOTSTATE_FULL : NTMS_SLOTSTATE_EMPTY);
        CHECK(same_guid(&a.Info.StorageSlot.Library, &lab));
        CHECK_EQ(a.Enabled, TRUE);
        CHECK_EQ(a.dwOperationalState, NTMS_READY);
        snprintf(name, sizeof name, "lab slot %lu", (unsigned long)(1000 + i));
        CHECK_EQ(strcmp(a.szName, name), 0);
        snprintf(description, sizeof description, "full: %s", i < 3 ? barcodes[i] : "");
        CHECK_EQ(strcmp(a.szDescription, i < 3 ? description : "empty"), 0);
        /* The W record says the same in UTF-16. */
        CHECK_EQ(w.Info.StorageSlot.Number, a.Info.StorageSlot.Number);
        CHECK_EQ(w.Info.StorageSlot.State, a.Info.StorageSlot.State);
        CHECK(same_guid(&w.Info.StorageSlot.Library, &lab));
        CHECK(same_text(w.szName, name));
    }
    /* Without a container: every library's slots; slots of two libraries never share a GUID. */
    CHECK_EQ(EnumerateNtmsObject(session, NULL, all, &k, NTMS_STORAGESLOT, 0), ERROR_SUCCESS);
    CHECK_EQ(k, 6 + 4);
    m = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &plain, again, &m, NTMS_STORAGESLOT, 0), ERROR_SUCCESS);
    CHECK_EQ(m, 4);
    if (m == 4) {
        NTMS_OBJECTINFORMATIONA p = info_a(&again[0], NTMS_STORAGESLOT, ERROR_SUCCESS);
        CHECK_EQ(p.Info.StorageSlot.Number, 1000);
        CHECK_EQ(p.Info.StorageSlot.State, NTMS_SLOTSTATE_EMPTY);
        CHECK(same_guid(&p.Info.StorageSlot.Library, &plain));
        CHECK(!same_guid(&again[0], &slots[0]));
    }
    /* Too small a buffer: the count needed, nothing else. */
    m = 2;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, again, &m, NTMS_STORAGESLOT, 0),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(m, 6);
    /* Other objects are no slots. */
    info_a(&lab, NTMS_STORAGESLOT, ERROR_OBJECT_NOT_FOUND);
    info_a(&slots[0], NTMS_LIBRARY, ERROR_OBJECT_NOT_FOUND);
}

static void test_doors(void) {
    NTMS_GUID lab = library_named("lab"), plain = library_named("plain"), doors[4];
    DWORD n = 4;
    NTMS_OBJECTINFORMATIONA a;
    NTMS_OBJECTINFORMATIONW w;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, doors, &n, NTMS_IEDOOR, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1); /* plain has none */
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &plain, doors, &n, NTMS_IEDOOR, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 0);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, doors, &n, NTMS_IEDOOR, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
    a = info_a(&doors[0], NTMS_IEDOOR, ERROR_SUCCESS);
    CHECK(!same_guid(&doors[0], &lab));
    CHECK(same_guid(&a.Info.IEDoor.Library, &lab));
    CHECK_EQ(a.Info.IEDoor.State, NTMS_DOORSTATE_CLOSED);
    CHECK_EQ(a.Info.IEDoor.Number, 0);
    CHECK_EQ(a.Info.IEDoor.MaxOpenSecs, 0);
    CHECK_EQ(strcmp(a.szName, "lab door"), 0);
    CHECK_EQ(strcmp(a.szDescription, "closed"), 0);
    CHECK_EQ(a.dwOperationalState, NTMS_READY);
    w = info_w(&doors[0], NTMS_IEDOOR, ERROR_SUCCESS);
    CHECK(same_text(w.szName, "lab door"));
    CHECK_EQ(w.Info.IEDoor.State, NTMS_DOORSTATE_CLOSED);
    CHECK(same_guid(&w.Info.IEDoor.Library, &lab));
    info_a(&lab, NTMS_IEDOOR, ERROR_OBJECT_NOT_FOUND);

    /* Released to the operator by AccessNtmsLibraryDoor: ntmsd cannot tell whether it is open. */
    CHECK_EQ(AccessNtmsLibraryDoor(session, &lab, NTMS_INVENTORY_NONE), ERROR_SUCCESS);
    CHECK_EQ(wait_request(&lab, NTMS_LM_DOORACCESS, NTMS_LM_WAITING), NTMS_LM_WAITING);
    a = info_a(&doors[0], NTMS_IEDOOR, ERROR_SUCCESS);
    CHECK_EQ(a.Info.IEDoor.State, NTMS_DOORSTATE_UNKNOWN);
    CHECK_EQ(strcmp(a.szDescription, "released to the operator"), 0);
    operator_does("open-door");
    sleep_ms(300);
    operator_does("close-door");
    CHECK_EQ(wait_request(&lab, NTMS_LM_DOORACCESS, NTMS_LM_PASSED), NTMS_LM_PASSED);
    a = info_a(&doors[0], NTMS_IEDOOR, ERROR_SUCCESS);
    CHECK_EQ(a.Info.IEDoor.State, NTMS_DOORSTATE_CLOSED);
}

/* A cartridge loaded in drive 2 behind ntmsd's back, found by an inventory: in the drive, with
   no home slot, and no slot of lab holds it. */
static void test_medium_in_drive(void) {
    NTMS_GUID lab = library_named("lab"), media[8], slots[8];
    DWORD n = 8, i, in_drive = 0;
    operator_does("place 2 DRV001L8");
    CHECK_EQ(InventoryNtmsLibrary(session, &lab, NTMS_INVENTORY_FAST), ERROR_SUCCESS);
    CHECK_EQ(wait_request(&lab, NTMS_LM_INVENTORY, NTMS_LM_PASSED), NTMS_LM_PASSED);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 4);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA a = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW w;
        if (strcmp(a.Info.PhysicalMedia.szBarCode, "DRV001L8") != 0) {
            CHECK_EQ(a.Info.PhysicalMedia.LocationType, NTMS_STORAGESLOT);
            continue;
        }
        ++in_drive;
        CHECK_EQ(a.Info.PhysicalMedia.LocationType, NTMS_DRIVE);
        CHECK(NTMS_IS_NULLGUID(a.Info.PhysicalMedia.HomeSlot));
        CHECK(same_guid(&a.Info.PhysicalMedia.CurrentLibrary, &lab));
        { /* Location is the drive object at element 2: the first drive, loaded with it */
            NTMS_OBJECTINFORMATIONA d =
                info_a(&a.Info.PhysicalMedia.Location, NTMS_DRIVE, ERROR_SUCCESS);
            CHECK_EQ(d.Info.Drive.Number, 0);
            CHECK_EQ(d.Info.Drive.State, NTMS_DRIVESTATE_LOADED);
            CHECK(same_guid(&d.Info.Drive.Library, &lab));
        }
        CHECK_EQ(strcmp(a.szDescription, "in-library at element 2"), 0);
        w = info_w(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        CHECK_EQ(w.Info.PhysicalMedia.LocationType, NTMS_DRIVE);
    }
    CHECK_EQ(in_drive, 1);
    /* The drive is no slot: still 6, the 3 full ones with their own media. */
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, slots, &n, NTMS_STORAGESLOT, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 6);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA s = info_a(&slots[i], NTMS_STORAGESLOT, ERROR_SUCCESS);
        CHECK(strstr(s.szDescription, "DRV001L8") == NULL);
    }
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_slots NTMS-SIM\n");
        return 2;
    }
    sim = argv[1];
    session = OpenNtmsSessionA(NULL, "test_slots", 0);
    if (session == INVALID_HANDLE_VALUE) {
        printf("Bail out! OpenNtmsSession: %s\n", NtmsErrorString(NtmsGetLastError()));
        return 1;
    }
    group("NTMS_STORAGESLOT: one per storage element, A and W", test_slots);
    group("NTMS_IEDOOR: one per library with a door, its state as known, A and W", test_doors);
    group("NTMS_PHYSICAL_MEDIA in a drive is located in the drive", test_medium_in_drive);
    CHECK_EQ(CloseNtmsSession(session), ERROR_SUCCESS);
    printf("1..%d\n", groups);
    return groups_failed || failures ? 1 : 0;
}
