/*
 * What the C99 programs of tests/libntms that read RSM objects share: TAP groups and their checks
 * (a group fails when one of its CHECKs does; main prints "1..N" and exits 1 when any failed),
 * the session they use, and the objects they look up. One program per translation unit includes it.
 */
#ifndef NTMS_TESTS_RSM_TEST_H
#define NTMS_TESTS_RSM_TEST_H

#include <ntmsapi.h>
#include <stdio.h>
#include <string.h>

static int failures;
static int groups_failed;
static int groups;

#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        unsigned long g_ = (unsigned long)(got), w_ = (unsigned long)(want);                       \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: %s = %lu, expected %lu\n", __FILE__, __LINE__, #got, g_, w_);  \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        if (strcmp((got), (want)) != 0) {                                                          \
            fprintf(stderr, "%s:%d: %s = \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got,    \
                    (got), (want));                                                                \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: not true: %s\n", __FILE__, __LINE__, #cond);                   \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static HANDLE session;
static const char* sim; /* the ntms-sim program that plays the operator */

static inline void group(const char* name, void (*run)(void)) {
    failures = 0;
    run();
    if (failures)
        ++groups_failed;
    ++groups; /* unnumbered: a driver may join several programs' lines into one stream */
    printf("%s - %s\n", failures ? "not ok" : "ok", name);
    fflush(stdout);
}

static inline int same_guid(const NTMS_GUID* a, const NTMS_GUID* b) {
    return memcmp(a, b, sizeof *a) == 0;
}

#ifdef NTMS_GUID_H
#include <stdlib.h>

/* The GUID written as text (an argument of the program); exits 2 when it is none. */
static inline NTMS_GUID guid_of(const char* text) {
    uint8_t bytes[16];
    NTMS_GUID g = NTMS_NULLGUID;
    if (!ntms_guid_parse(text, strlen(text), bytes)) {
        fprintf(stderr, "not a GUID: %s\n", text);
        exit(2);
    }
    ntms_guid_to_fields(bytes, &g.Data1, &g.Data2, &g.Data3, g.Data4);
    return g;
}
#endif

static inline NTMS_OBJECTINFORMATIONA info_a(NTMS_GUID* id, DWORD type, DWORD want) {
    NTMS_OBJECTINFORMATIONA info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = type;
    CHECK_EQ(GetNtmsObjectInformationA(session, id, &info), want);
    return info;
}

static inline NTMS_OBJECTINFORMATIONW info_w(NTMS_GUID* id, DWORD type, DWORD want) {
    NTMS_OBJECTINFORMATIONW info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.dwType = type;
    CHECK_EQ(GetNtmsObjectInformationW(session, id, &info), want);
    return info;
}

/* A UTF-16 string equal to an ASCII one. */
static inline int same_text(const WCHAR* w, const char* a) {
    for (; *a; ++a, ++w)
        if (*w != (WCHAR)(unsigned char)*a)
            return 0;
    return *w == 0;
}

/* The library called name, seen through session h. */
static inline NTMS_GUID library_in(HANDLE h, const char* name) {
    NTMS_GUID list[16], none = NTMS_NULLGUID;
    DWORD n = 16, i;
    CHECK_EQ(EnumerateNtmsObject(h, NULL, list, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
    for (i = 0; i < n && i < 16; ++i) {
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

static inline NTMS_GUID library_named(const char* name) {
    return library_in(session, name);
}

#endif
