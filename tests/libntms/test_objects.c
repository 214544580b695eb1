/*
 * The RSM object model against the real ntmsd on a private bus (run by private-bus.sh with the
 * libraries of tests/libntms/meson.build): physical media and changers enumerated and read, the
 * library fields that come from them, object types that are not modelled (ERROR_NOT_SUPPORTED,
 * never ERROR_INVALID_PARAMETER), and functions that are not implemented
 * (ERROR_CALL_NOT_IMPLEMENTED, also as the thread's last error). TAP on stdout.
 *   test_objects NTMS-SIM          (NTMS_TEST_DIR: where the libraries' state files are)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep() */
#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

/* lab: 20 slots from element 1000, 4 of them filled, with barcodes. */
static void test_media_with_barcodes(void) {
    NTMS_GUID lab = library_named("lab"), media[8];
    DWORD n = 8, i;
    NTMS_OBJECTINFORMATIONA lib;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 4);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA a = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW w;
        CHECK(same_guid(&a.ObjectGuid, &media[i]));
        CHECK_EQ(a.Enabled, TRUE);
        CHECK_EQ(a.dwOperationalState, NTMS_READY);
        CHECK(same_guid(&a.Info.PhysicalMedia.CurrentLibrary, &lab));
        CHECK_EQ(a.Info.PhysicalMedia.LocationType, NTMS_STORAGESLOT);
        CHECK(!NTMS_IS_NULLGUID(a.Info.PhysicalMedia.Location));
        CHECK(same_guid(&a.Info.PhysicalMedia.Location, &a.Info.PhysicalMedia.HomeSlot));
        CHECK(strlen(a.Info.PhysicalMedia.szBarCode) > 0);
        CHECK_EQ(strcmp(a.szName, a.Info.PhysicalMedia.szBarCode), 0);
        CHECK_EQ(a.Info.PhysicalMedia.BarCodeState, NTMS_BARCODESTATE_OK);
        CHECK_EQ(a.Info.PhysicalMedia.MediaState, NTMS_MEDIASTATE_IDLE);
        CHECK(strstr(a.szDescription, "in-library at element 100") == a.szDescription);
        /* The W record says the same in UTF-16. */
        memset(&w, 0, sizeof w);
        w.dwSize = sizeof w;
        w.dwType = NTMS_PHYSICAL_MEDIA;
        CHECK_EQ(GetNtmsObjectInformationW(session, &media[i], &w), ERROR_SUCCESS);
        CHECK_EQ(w.Info.PhysicalMedia.szBarCode[0], (WCHAR)a.Info.PhysicalMedia.szBarCode[0]);
        CHECK(same_guid(&w.Info.PhysicalMedia.Location, &a.Info.PhysicalMedia.Location));
    }
    /* Four slots, four places. */
    if (n == 4) {
        NTMS_OBJECTINFORMATIONA x = info_a(&media[0], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONA y = info_a(&media[3], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        CHECK(!same_guid(&x.Info.PhysicalMedia.Location, &y.Info.PhysicalMedia.Location));
    }
    lib = info_a(&lab, NTMS_LIBRARY, ERROR_SUCCESS);
    CHECK_EQ(lib.Info.Library.BarCodeReaderInstalled, TRUE);
    CHECK_EQ(lib.Info.Library.dwNumberOfMedia, 4);
    CHECK_EQ(lib.Info.Library.dwNumberOfChangers, 1);
    CHECK_EQ(lib.Info.Library.dwNumberOfSlots, 20);
}

/* blind: no barcode reader. */
static void test_media_without_barcodes(void) {
    NTMS_GUID blind = library_named("blind"), media[4];
    DWORD n = 4;
    NTMS_OBJECTINFORMATIONA a, lib;
    CHECK_EQ(EnumerateNtmsObject(session, &blind, media, &n, NTMS_PHYSICAL_MEDIA, 0),
             ERROR_SUCCESS);
    CHECK_EQ(n, 2);
    a = info_a(&media[0], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
    CHECK_EQ(a.Info.PhysicalMedia.szBarCode[0], 0);
    CHECK_EQ(a.Info.PhysicalMedia.BarCodeState, NTMS_BARCODESTATE_UNREADABLE);
    CHECK_EQ(strcmp(a.szName, "unidentified"), 0);
    lib = info_a(&blind, NTMS_LIBRARY, ERROR_SUCCESS);
    CHECK_EQ(lib.Info.Library.BarCodeReaderInstalled, FALSE);
    CHECK_EQ(lib.Info.Library.dwNumberOfMedia, 2);
}

static void test_media_everywhere(void) {
    NTMS_GUID all[16], bogus = NTMS_NULLGUID, lab = library_named("lab");
    DWORD n = 16;
    /* Without a container: the media of every library. */
    CHECK_EQ(EnumerateNtmsObject(session, NULL, all, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 4 + 2 + 1);
    n = 16;
    CHECK_EQ(EnumerateNtmsObject(session, &bogus, all, &n, NTMS_PHYSICAL_MEDIA, 0),
             ERROR_OBJECT_NOT_FOUND);
    /* A library's GUID is no medium. */
    info_a(&lab, NTMS_PHYSICAL_MEDIA, ERROR_OBJECT_NOT_FOUND);
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Polls the job until it is in `wanted` or has ended; returns the state it stopped at. */
static DWORD wait_job(NTMS_GUID* job, DWORD wanted) {
    int i;
    for (i = 0; i < 300; ++i) {
        NTMS_OBJECTINFORMATIONA info = info_a(job, NTMS_LIBREQUEST, ERROR_SUCCESS);
        DWORD s = info.Info.LibRequest.State;
        if (s == wanted || s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_STOPPED ||
            s == NTMS_LM_CANCELLED)
            return s;
        sleep_ms(100);
    }
    return 0xffffffffu;
}

/* The operator at a simulated library: ntms-sim STATE insert ADDR BARCODE. */
static void operator_inserts(const char* library, const char* what) {
    char cmd[1024];
    const char* dir = getenv("NTMS_TEST_DIR");
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s.state' insert %s >/dev/null", sim, dir ? dir : ".",
             library, what);
    CHECK_EQ(system(cmd), 0);
}

/* full: one free slot and a magazine of two; of two cartridges put in, one stays in the port. */
static void test_medium_in_port(void) {
    NTMS_GUID full = library_named("full"), job, port, media[8];
    DWORD n = 1, i, in_port = 0;
    CHECK_EQ(EnumerateNtmsObject(session, &full, &port, &n, NTMS_IEPORT, 0), ERROR_SUCCESS);
    CHECK_EQ(InjectNtmsMedia(session, &full, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(&job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    operator_inserts("full", "100 PORT01");
    operator_inserts("full", "101 PORT02");
    CHECK_EQ(InjectNtmsMedia(session, &full, &job, NTMS_INJECT_RETRACT), ERROR_SUCCESS);
    CHECK_EQ(wait_job(&job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &full, media, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 3);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA a = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        if (a.Info.PhysicalMedia.LocationType != NTMS_IEPORT)
            continue;
        ++in_port;
        CHECK(same_guid(&a.Info.PhysicalMedia.Location, &port));
        CHECK(same_guid(&a.Info.PhysicalMedia.CurrentLibrary, &full));
        CHECK(NTMS_IS_NULLGUID(a.Info.PhysicalMedia.HomeSlot));
        CHECK_EQ(strncmp(a.Info.PhysicalMedia.szBarCode, "PORT0", 5), 0);
        CHECK_EQ(strncmp(a.szDescription, "in-port at element 10", 21), 0);
        CHECK_EQ(a.dwOperationalState, NTMS_READY);
    }
    CHECK_EQ(in_port, 1);
}

static void test_changers(void) {
    NTMS_GUID lab = library_named("lab"), changers[8], one;
    DWORD n = 8;
    NTMS_OBJECTINFORMATIONA a;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, changers, &n, NTMS_CHANGER, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 3);
    n = 1;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, &one, &n, NTMS_CHANGER, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
    CHECK(!same_guid(&one, &lab));
    a = info_a(&one, NTMS_CHANGER, ERROR_SUCCESS);
    CHECK(same_guid(&a.Info.Changer.Library, &lab));
    CHECK_EQ(strncmp(a.Info.Changer.szDeviceName, "sim:lab", 7), 0);
    CHECK_EQ(strcmp(a.szName, "lab changer"), 0);
    CHECK_EQ(a.Enabled, TRUE);
    info_a(&lab, NTMS_CHANGER, ERROR_OBJECT_NOT_FOUND);
}

/* The three simulated libraries are of one type: one changer type, named by every changer. */
static void test_changer_types(void) {
    NTMS_GUID lab = library_named("lab"), blind = library_named("blind"), types[4], changer;
    DWORD n = 4, i;
    NTMS_OBJECTINFORMATIONA a, c, l;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, types, &n, NTMS_CHANGER_TYPE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, types, &n, NTMS_CHANGER_TYPE, 0),
             ERROR_INVALID_PARAMETER);
    a = info_a(&types[0], NTMS_CHANGER_TYPE, ERROR_SUCCESS);
    CHECK_EQ(a.Info.ChangerType.DeviceType, 0x30); /* FILE_DEVICE_CHANGER */
    l = info_a(&lab, NTMS_LIBRARY, ERROR_SUCCESS);
    /* The library's description starts with its vendor and product. */
    CHECK(strlen(a.Info.ChangerType.szVendor) > 0);
    CHECK(strncmp(l.szDescription, a.Info.ChangerType.szVendor,
                  strlen(a.Info.ChangerType.szVendor)) == 0);
    CHECK(strstr(l.szDescription, a.Info.ChangerType.szProduct) != NULL);
    for (i = 0; i < 2; ++i) {
        n = 1;
        CHECK_EQ(EnumerateNtmsObject(session, i ? &blind : &lab, &changer, &n, NTMS_CHANGER, 0),
                 ERROR_SUCCESS);
        c = info_a(&changer, NTMS_CHANGER, ERROR_SUCCESS);
        CHECK(same_guid(&c.Info.Changer.ChangerType, &types[0]));
    }
    info_a(&lab, NTMS_CHANGER_TYPE, ERROR_OBJECT_NOT_FOUND);
}

static void test_not_modelled(void) {
    static const DWORD types[] = {NTMS_OBJECT, NTMS_COMPUTER, NTMS_UI_DESTINATION};
    static const DWORD invalid[] = {NTMS_UNKNOWN, NTMS_NUMBER_OF_OBJECT_TYPES, 999};
    NTMS_GUID lab = library_named("lab"), list[4];
    size_t i;
    for (i = 0; i < sizeof types / sizeof types[0]; ++i) {
        DWORD n = 4;
        NTMS_OBJECTINFORMATIONA a;
        CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, types[i], 0), ERROR_NOT_SUPPORTED);
        CHECK_EQ(n, 4); /* nothing written */
        n = 4;
        CHECK_EQ(EnumerateNtmsObject(session, &lab, list, &n, types[i], 0), ERROR_NOT_SUPPORTED);
        a = info_a(&lab, types[i], ERROR_NOT_SUPPORTED);
        CHECK_EQ(a.szName[0], 0);
    }
    for (i = 0; i < sizeof invalid / sizeof invalid[0]; ++i) {
        DWORD n = 4;
        CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, invalid[i], 0),
                 ERROR_INVALID_PARAMETER);
        info_a(&lab, invalid[i], ERROR_INVALID_PARAMETER);
    }
}

static void test_not_implemented(void) {
    NTMS_GUID lab = library_named("lab"), media = NTMS_NULLGUID, pool = NTMS_NULLGUID;
    static const WCHAR name[] = {'p', 'o', 'o', 'l', 0};
    DWORD size = 0;
    CHECK_EQ(ExportNtmsDatabase(NULL), ERROR_CALL_NOT_IMPLEMENTED);
    CHECK_EQ(NtmsGetLastError(), ERROR_CALL_NOT_IMPLEMENTED);
    CHECK_EQ(CreateNtmsMediaPoolW(session, name, &media, NTMS_OPEN_ALWAYS, NULL, &pool),
             ERROR_CALL_NOT_IMPLEMENTED);
    CHECK(NTMS_IS_NULLGUID(pool)); /* nothing written */
    CHECK_EQ(GetNtmsMediaPoolNameA(session, &pool, NULL, &size), ERROR_CALL_NOT_IMPLEMENTED);
    CHECK_EQ(size, 0);
    CHECK_EQ(ExportNtmsDatabase(NULL), ERROR_CALL_NOT_IMPLEMENTED);
    CHECK_EQ(DismountNtmsDrive(session, &lab), ERROR_CALL_NOT_IMPLEMENTED);
    /* The session still works. */
    info_a(&lab, NTMS_LIBRARY, ERROR_SUCCESS);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_objects NTMS-SIM\n");
        return 2;
    }
    sim = argv[1];
    session = OpenNtmsSessionA(NULL, "test_objects", 0);
    if (session == INVALID_HANDLE_VALUE) {
        printf("Bail out! OpenNtmsSession: %s\n", NtmsErrorString(NtmsGetLastError()));
        return 1;
    }
    group("NTMS_PHYSICAL_MEDIA of a library with a barcode reader, A and W",
          test_media_with_barcodes);
    group("NTMS_PHYSICAL_MEDIA of a library without one", test_media_without_barcodes);
    group("NTMS_PHYSICAL_MEDIA of every library; unknown container and GUID",
          test_media_everywhere);
    group("NTMS_PHYSICAL_MEDIA left in the port of a full library is located there",
          test_medium_in_port);
    group("NTMS_CHANGER: one per library", test_changers);
    group("NTMS_CHANGER_TYPE: one per vendor and product", test_changer_types);
    group("types not modelled answer ERROR_NOT_SUPPORTED, non-types ERROR_INVALID_PARAMETER",
          test_not_modelled);
    group("functions not implemented answer ERROR_CALL_NOT_IMPLEMENTED", test_not_implemented);
    CHECK_EQ(CloseNtmsSession(session), ERROR_SUCCESS);
    printf("1..%d\n", groups);
    return groups_failed || failures ? 1 : 0;
}
