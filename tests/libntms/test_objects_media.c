/*
 * Media types, media pools, partitions and logical media, and the Created/Modified times of every
 * object type, against the real ntmsd on a private bus (run by private-bus.sh with the libraries
 * of tests/libntms/meson.build), in the A and the W forms. TAP on stdout.
 *   test_objects_media NTMS-SIM      (NTMS_TEST_DIR: where the libraries' state files are)
 * lab holds the simulator's S0000NL8 cartridges (LTO-8), blind two cartridges without bar codes.
 */
#define _DEFAULT_SOURCE /* timegm(), nanosleep() */
#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_test.h"

static time_t started;

/* A UTF-16 string equal to an ASCII one. */
static int wide_is(const WCHAR* w, const char* s) {
    size_t i;
    for (i = 0; s[i]; ++i)
        if (w[i] != (WCHAR)(unsigned char)s[i])
            return 0;
    return w[i] == 0;
}

static time_t seconds(const SYSTEMTIME* t) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = t->wYear - 1900;
    tm.tm_mon = t->wMonth - 1;
    tm.tm_mday = t->wDay;
    tm.tm_hour = t->wHour;
    tm.tm_min = t->wMinute;
    tm.tm_sec = t->wSecond;
    return timegm(&tm);
}

static int before_or_same(const SYSTEMTIME* a, const SYSTEMTIME* b) {
    const time_t x = seconds(a), y = seconds(b);
    return x < y || (x == y && a->wMilliseconds <= b->wMilliseconds);
}

/* Created and Modified are set, in order, and within this run (the daemon was started just before
 * this program, a few seconds of slack). */
#define CHECK_TIMES(info)                                                                          \
    do {                                                                                           \
        const time_t c_ = seconds(&(info).Created), m_ = seconds(&(info).Modified);                \
        CHECK((info).Created.wYear >= 2024);                                                       \
        CHECK(c_ >= started - 120 && c_ <= time(NULL) + 1);                                        \
        CHECK(m_ >= started - 120 && m_ <= time(NULL) + 1);                                        \
        CHECK(before_or_same(&(info).Created, &(info).Modified));                                  \
    } while (0)

/* The media type named so, among those of the container. */
static int type_named(NTMS_GUID* container, const char* name, NTMS_GUID* out) {
    NTMS_GUID list[8];
    DWORD n = 8, i;
    CHECK_EQ(EnumerateNtmsObject(session, container, list, &n, NTMS_MEDIA_TYPE, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA t = info_a(&list[i], NTMS_MEDIA_TYPE, ERROR_SUCCESS);
        if (strcmp(t.szName, name) == 0) {
            *out = list[i];
            return 1;
        }
    }
    return 0;
}

static void test_media_types(void) {
    NTMS_GUID lab = library_named("lab"), all[8], lto8, again, unknown;
    DWORD n = 8;
    NTMS_OBJECTINFORMATIONA a, u;
    NTMS_OBJECTINFORMATIONW w;
    /* Two types on the host: LTO-8 from the bar codes, the product's for blind's. */
    CHECK_EQ(EnumerateNtmsObject(session, NULL, all, &n, NTMS_MEDIA_TYPE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 2);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, all, &n, NTMS_MEDIA_TYPE, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 1);
    CHECK(type_named(&lab, "LTO-8", &lto8));
    CHECK(type_named(NULL, "LTO-8", &again));
    CHECK(same_guid(&lto8, &again)); /* one object, whatever the container */
    a = info_a(&lto8, NTMS_MEDIA_TYPE, ERROR_SUCCESS);
    CHECK_EQ(a.dwType, NTMS_MEDIA_TYPE);
    CHECK(same_guid(&a.ObjectGuid, &lto8));
    CHECK_EQ(a.Enabled, TRUE);
    CHECK_EQ(a.Info.MediaType.MediaType, 0x56); /* LTO_Ultrium */
    CHECK_EQ(a.Info.MediaType.NumberOfSides, 1);
    CHECK_EQ(a.Info.MediaType.ReadWriteCharacteristics, NTMS_MEDIARW_REWRITABLE);
    CHECK_EQ(a.Info.MediaType.DeviceType, 0x1f); /* FILE_DEVICE_TAPE */
    CHECK(strstr(a.szDescription, "3 media") != NULL);
    CHECK_TIMES(a);
    w = info_w(&lto8, NTMS_MEDIA_TYPE, ERROR_SUCCESS);
    CHECK(wide_is(w.szName, "LTO-8"));
    CHECK_EQ(w.Info.MediaType.MediaType, 0x56);
    CHECK_EQ(seconds(&w.Created), seconds(&a.Created));
    CHECK(type_named(NULL, "NTMS VIRTUAL-CHANGER cartridge", &unknown));
    u = info_a(&unknown, NTMS_MEDIA_TYPE, ERROR_SUCCESS);
    CHECK_EQ(u.Info.MediaType.MediaType, 0);
    CHECK_EQ(u.Info.MediaType.ReadWriteCharacteristics, NTMS_MEDIARW_UNKNOWN);
    /* Other objects are no media types, a media type is no other object. */
    info_a(&lab, NTMS_MEDIA_TYPE, ERROR_OBJECT_NOT_FOUND);
    info_a(&lto8, NTMS_LIBRARY, ERROR_OBJECT_NOT_FOUND);
}

static void test_pools(void) {
    NTMS_GUID pools[8], sub[4], lto8, bogus = NTMS_NULLGUID;
    DWORD n = 8, i, seen = 0;
    CHECK(type_named(NULL, "LTO-8", &lto8));
    CHECK_EQ(EnumerateNtmsObject(session, NULL, pools, &n, NTMS_MEDIA_POOL, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 2); /* one free pool per media type */
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA a = info_a(&pools[i], NTMS_MEDIA_POOL, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW w = info_w(&pools[i], NTMS_MEDIA_POOL, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONA t =
            info_a(&a.Info.MediaPool.MediaType, NTMS_MEDIA_TYPE, ERROR_SUCCESS);
        DWORD k = 4;
        CHECK_EQ(a.Info.MediaPool.PoolType, NTMS_POOLTYPE_SCRATCH);
        CHECK(NTMS_IS_NULLGUID(a.Info.MediaPool.Parent));
        CHECK_EQ(a.Info.MediaPool.dwNumberOfLogicalMedia, 0);
        CHECK_EQ(a.Info.MediaPool.dwNumberOfMediaPools, 0);
        CHECK_EQ(strncmp(a.szName, "Free ", 5), 0);
        CHECK_EQ(strcmp(a.szName + 5, t.szName), 0);
        CHECK(w.szName[0] == 'F' && w.szName[5] == (WCHAR)t.szName[0]);
        CHECK(same_guid(&w.Info.MediaPool.MediaType, &a.Info.MediaPool.MediaType));
        CHECK_TIMES(a);
        if (same_guid(&a.Info.MediaPool.MediaType, &lto8)) {
            CHECK_EQ(a.Info.MediaPool.dwNumberOfPhysicalMedia, 3);
            ++seen;
        } else {
            CHECK_EQ(a.Info.MediaPool.dwNumberOfPhysicalMedia, 2);
        }
        /* A free pool holds no pools. */
        CHECK_EQ(EnumerateNtmsObject(session, &pools[i], sub, &k, NTMS_MEDIA_POOL, 0),
                 ERROR_SUCCESS);
        CHECK_EQ(k, 0);
    }
    CHECK_EQ(seen, 1);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &bogus, pools, &n, NTMS_MEDIA_POOL, 0),
             ERROR_OBJECT_NOT_FOUND);
}

/* Physical media point at their type, pool and partition; they and their partition have times. */
static void test_media_and_partitions(void) {
    NTMS_GUID lab = library_named("lab"), media[8], parts[8], lto8;
    DWORD n = 8, i, k;
    CHECK(type_named(NULL, "LTO-8", &lto8));
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 3);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA m = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONW mw = info_w(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        NTMS_OBJECTINFORMATIONA pool, p;
        NTMS_OBJECTINFORMATIONW pw;
        NTMS_GUID part;
        CHECK_EQ(strlen(m.Info.PhysicalMedia.szBarCode), 8);
        CHECK_EQ(strcmp(m.Info.PhysicalMedia.szBarCode + 6, "L8"), 0);
        CHECK(same_guid(&m.Info.PhysicalMedia.MediaType, &lto8));
        CHECK(same_guid(&mw.Info.PhysicalMedia.MediaType, &lto8));
        CHECK_EQ(m.Info.PhysicalMedia.dwNumberOfPartitions, 1);
        CHECK_TIMES(m);
        CHECK_EQ(seconds(&mw.Modified), seconds(&m.Modified));
        pool = info_a(&m.Info.PhysicalMedia.MediaPool, NTMS_MEDIA_POOL, ERROR_SUCCESS);
        CHECK(same_guid(&pool.Info.MediaPool.MediaType, &lto8));
        /* The medium's partitions: one, side 0. */
        k = 8;
        CHECK_EQ(EnumerateNtmsObject(session, &media[i], parts, &k, NTMS_PARTITION, 0),
                 ERROR_SUCCESS);
        CHECK_EQ(k, 1);
        part = parts[0];
        p = info_a(&part, NTMS_PARTITION, ERROR_SUCCESS);
        CHECK(same_guid(&p.Info.Partition.PhysicalMedia, &media[i]));
        CHECK(NTMS_IS_NULLGUID(p.Info.Partition.LogicalMedia));
        CHECK_EQ(p.Info.Partition.Side, 0);
        CHECK_EQ(p.Info.Partition.State, NTMS_PARTSTATE_AVAILABLE);
        CHECK_EQ(p.Info.Partition.dwMountCount, 0);
        CHECK_EQ(p.dwOperationalState, NTMS_READY);
        CHECK_EQ(strncmp(p.szName, m.Info.PhysicalMedia.szBarCode, 8), 0);
        CHECK_EQ(seconds(&p.Created), seconds(&m.Created));
        CHECK_EQ(seconds(&p.Modified), seconds(&m.Modified));
        pw = info_w(&part, NTMS_PARTITION, ERROR_SUCCESS);
        CHECK(same_guid(&pw.Info.Partition.PhysicalMedia, &media[i]));
        CHECK_EQ(pw.szName[0], (WCHAR)'S');
        /* A partition is no medium, a medium no partition. */
        info_a(&part, NTMS_PHYSICAL_MEDIA, ERROR_OBJECT_NOT_FOUND);
        info_a(&media[i], NTMS_PARTITION, ERROR_OBJECT_NOT_FOUND);
    }
    k = 8;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, parts, &k, NTMS_PARTITION, 0), ERROR_SUCCESS);
    CHECK_EQ(k, 3);
    k = 8;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, parts, &k, NTMS_PARTITION, 0), ERROR_SUCCESS);
    CHECK_EQ(k, 5);
}

/* ntms allocates no media: there are no logical media. */
static void test_logical_media(void) {
    NTMS_GUID lab = library_named("lab"), list[4], media[8];
    DWORD n = 4, k = 8;
    NTMS_OBJECTINFORMATIONW w;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, list, &n, NTMS_LOGICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 0);
    n = 4;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, list, &n, NTMS_LOGICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 0);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &k, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    info_a(&media[0], NTMS_LOGICAL_MEDIA, ERROR_OBJECT_NOT_FOUND);
    w = info_w(&media[0], NTMS_LOGICAL_MEDIA, ERROR_OBJECT_NOT_FOUND);
    CHECK_EQ(w.szName[0], 0);
}

/* Libraries, changers, ports and changer types: created when the library was first recorded,
 * modified with its media. */
static void test_library_times(void) {
    NTMS_GUID lab = library_named("lab"), changer, port, media[8];
    DWORD n = 1, k = 8, i;
    NTMS_OBJECTINFORMATIONA l = info_a(&lab, NTMS_LIBRARY, ERROR_SUCCESS), c, p, t;
    NTMS_OBJECTINFORMATIONW lw = info_w(&lab, NTMS_LIBRARY, ERROR_SUCCESS);
    CHECK_TIMES(l);
    CHECK_EQ(seconds(&lw.Created), seconds(&l.Created));
    CHECK_EQ(EnumerateNtmsObject(session, &lab, &changer, &n, NTMS_CHANGER, 0), ERROR_SUCCESS);
    c = info_a(&changer, NTMS_CHANGER, ERROR_SUCCESS);
    CHECK_TIMES(c);
    CHECK_EQ(seconds(&c.Created), seconds(&l.Created));
    n = 1;
    CHECK_EQ(EnumerateNtmsObject(session, &lab, &port, &n, NTMS_IEPORT, 0), ERROR_SUCCESS);
    p = info_a(&port, NTMS_IEPORT, ERROR_SUCCESS);
    CHECK_TIMES(p);
    CHECK_EQ(seconds(&p.Created), seconds(&l.Created));
    /* lab and blind are of one changer type: created with the first of them. */
    t = info_a(&c.Info.Changer.ChangerType, NTMS_CHANGER_TYPE, ERROR_SUCCESS);
    CHECK_TIMES(t);
    CHECK(before_or_same(&t.Created, &l.Created));
    CHECK(before_or_same(&l.Modified, &t.Modified));
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &k, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    for (i = 0; i < k && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA m = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        CHECK(before_or_same(&l.Created, &m.Created));
        CHECK(before_or_same(&m.Modified, &l.Modified));
    }
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

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

/* A WORM cartridge put in: a type and a pool of its own; the job has its times too. */
static void test_worm_cartridge(void) {
    NTMS_GUID lab = library_named("lab"), job, media[8], worm, pool, requests[8];
    DWORD n = 8, i, found = 0;
    char cmd[1024];
    const char* dir = getenv("NTMS_TEST_DIR");
    NTMS_OBJECTINFORMATIONA t, j, p;
    CHECK_EQ(InjectNtmsMedia(session, &lab, &job, NTMS_INJECT_START), ERROR_SUCCESS);
    CHECK_EQ(wait_job(&job, NTMS_LM_WAITING), NTMS_LM_WAITING);
    snprintf(cmd, sizeof cmd, "'%s' '%s/lab.state' insert 100 WORM01LY >/dev/null", sim,
             dir ? dir : ".");
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(wait_job(&job, NTMS_LM_PASSED), NTMS_LM_PASSED);
    j = info_a(&job, NTMS_LIBREQUEST, ERROR_SUCCESS);
    CHECK_TIMES(j);
    CHECK(type_named(&lab, "LTO-8 WORM", &worm));
    t = info_a(&worm, NTMS_MEDIA_TYPE, ERROR_SUCCESS);
    CHECK_EQ(t.Info.MediaType.ReadWriteCharacteristics, NTMS_MEDIARW_WRITEONCE);
    CHECK_EQ(t.Info.MediaType.MediaType, 0x56);
    CHECK_EQ(EnumerateNtmsObject(session, &lab, media, &n, NTMS_PHYSICAL_MEDIA, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 4);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA m = info_a(&media[i], NTMS_PHYSICAL_MEDIA, ERROR_SUCCESS);
        if (strcmp(m.Info.PhysicalMedia.szBarCode, "WORM01LY") != 0)
            continue;
        ++found;
        CHECK(same_guid(&m.Info.PhysicalMedia.MediaType, &worm));
        pool = m.Info.PhysicalMedia.MediaPool;
        p = info_a(&pool, NTMS_MEDIA_POOL, ERROR_SUCCESS);
        CHECK(same_guid(&p.Info.MediaPool.MediaType, &worm));
        CHECK_EQ(p.Info.MediaPool.dwNumberOfPhysicalMedia, 1);
        /* Put in by this job: created after it was queued. */
        CHECK(before_or_same(&j.Created, &m.Created));
        CHECK_TIMES(m);
    }
    CHECK_EQ(found, 1);
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, media, &n, NTMS_MEDIA_POOL, 0), ERROR_SUCCESS);
    CHECK_EQ(n, 3);
    /* The job's operator request: submitted when the port opened, changed when it was answered
     * (the job took the cartridge in), later. */
    found = 0;
    n = 8;
    CHECK_EQ(EnumerateNtmsObject(session, NULL, requests, &n, NTMS_OPREQUEST, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 8; ++i) {
        NTMS_OBJECTINFORMATIONA r = info_a(&requests[i], NTMS_OPREQUEST, ERROR_SUCCESS);
        if (!same_guid(&r.Info.OpRequest.Arg2, &job))
            continue;
        ++found;
        CHECK_TIMES(r);
        CHECK_EQ(r.Info.OpRequest.State, NTMS_OPSTATE_COMPLETE);
        CHECK(!before_or_same(&r.Modified, &r.Created));
        CHECK(before_or_same(&j.Created, &r.Created));
    }
    CHECK_EQ(found, 1);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_objects_media NTMS-SIM\n");
        return 2;
    }
    sim = argv[1];
    started = time(NULL);
    session = OpenNtmsSessionA(NULL, "test_objects_media", 0);
    if (session == INVALID_HANDLE_VALUE) {
        printf("Bail out! OpenNtmsSession: %s\n", NtmsErrorString(NtmsGetLastError()));
        return 1;
    }
    group("NTMS_MEDIA_TYPE: one per type of cartridge, LTO-8 from S0000NL8, A and W",
          test_media_types);
    group("NTMS_MEDIA_POOL: one free pool per media type, A and W", test_pools);
    group("NTMS_PHYSICAL_MEDIA point at type, pool; NTMS_PARTITION: one side each, A and W",
          test_media_and_partitions);
    group("NTMS_LOGICAL_MEDIA: none (no media allocated)", test_logical_media);
    group("Created/Modified of libraries, changers, ports and changer types", test_library_times);
    group("a WORM cartridge put in has a type and pool of its own", test_worm_cartridge);
    CHECK_EQ(CloseNtmsSession(session), ERROR_SUCCESS);
    printf("1..%d\n", groups);
    return groups_failed || failures ? 1 : 0;
}
