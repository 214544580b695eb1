/*
 * ntmsctl media: every physical medium once, with its library, state and location, from
 * EnumerateNtmsObject and GetNtmsObjectInformation (NTMS_PHYSICAL_MEDIA); one library, one
 * barcode (--barcode) or one medium (its GUID) narrow the list.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct medium_row {
    char id[NTMS_GUID_TEXT_SIZE];
    char library[NTMS_OBJECTNAME_LENGTH];
    char state[16];
    char location[32];
};

static int same(const NTMS_GUID* a, const NTMS_GUID* b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static int null_guid(const NTMS_GUID* g) {
    static const NTMS_GUID none;
    return same(g, &none);
}

/* The state and location of a medium: its description is "STATE at element ADDRESS" in a
   library and "STATE" outside one (GetNtmsObjectInformation(3)); its LocationType says what the
   element is. */
static void describe(const NTMS_OBJECTINFORMATIONA* o, struct medium_row* r) {
    const char* at = strstr(o->szDescription, " at element ");
    size_t n = at ? (size_t)(at - o->szDescription) : strlen(o->szDescription);
    const char* kind;
    if (n >= sizeof r->state)
        n = sizeof r->state - 1;
    memcpy(r->state, o->szDescription, n);
    r->state[n] = '\0';
    switch (o->Info.PhysicalMedia.LocationType) {
    case NTMS_STORAGESLOT:
        kind = "slot";
        break;
    case NTMS_IEPORT:
        kind = "port";
        break;
    case NTMS_DRIVE:
        kind = "drive";
        break;
    default:
        kind = NULL;
        break;
    }
    if (at && kind)
        snprintf(r->location, sizeof r->location, "%s %lu", kind,
                 strtoul(at + strlen(" at element "), NULL, 10));
    else
        snprintf(r->location, sizeof r->location, "outside");
}

static void library_name(HANDLE h, const NTMS_OBJECTINFORMATIONA* o, struct medium_row* r) {
    NTMS_OBJECTINFORMATIONA lib;
    NTMS_GUID id = o->Info.PhysicalMedia.CurrentLibrary;
    strcpy(r->library, "-");
    if (!null_guid(&id) && get_info(h, &id, NTMS_LIBRARY, &lib) == ERROR_SUCCESS)
        snprintf(r->library, sizeof r->library, "%s", lib.szName);
}

static void print_medium(const NTMS_OBJECTINFORMATIONA* o, const struct medium_row* r, int first) {
    const char* barcode = o->Info.PhysicalMedia.szBarCode;
    if (opt.json) {
        char lib[NTMS_GUID_TEXT_SIZE] = "";
        if (!null_guid(&o->Info.PhysicalMedia.CurrentLibrary))
            guid_format(&o->Info.PhysicalMedia.CurrentLibrary, lib);
        printf("%s{\"id\":\"%s\",\"library\":", first ? "" : ",", r->id);
        json_string(r->library);
        printf(",\"library_id\":\"%s\",\"barcode\":", lib);
        json_string(barcode);
        printf(",\"state\":");
        json_string(r->state);
        printf(",\"location\":");
        json_string(r->location);
        printf("}");
        return;
    }
    printf("%-16s %-16s %s  ", r->library, barcode[0] ? barcode : "-", r->id);
    print_state(r->state, 11, strcmp(r->state, "in-library") == 0, strcmp(r->state, "gone") == 0);
    printf(" %s\n", r->location);
}

/* arg: a library (name or GUID), or a medium's GUID; NULL: every medium. */
int media_command(HANDLE h, const char* arg) {
    NTMS_GUID library, one, *list = NULL;
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 0, i, rc;
    int by_library = 0, shown = 0;
    memset(&library, 0, sizeof library);
    if (arg) {
        rc = find_library(h, arg, &library);
        if (rc == ERROR_SUCCESS && get_info(h, &library, NTMS_LIBRARY, &info) == ERROR_SUCCESS) {
            by_library = 1;
        } else if (rc == ERROR_SUCCESS) {
            /* A GUID that names no library: a medium's. */
            one = library;
            rc = get_info(h, &one, NTMS_PHYSICAL_MEDIA, &info);
            if (rc != ERROR_SUCCESS)
                return fail(arg, rc);
            list = malloc(sizeof *list);
            if (!list)
                return fail("media", ERROR_NOT_ENOUGH_MEMORY);
            list[0] = one;
            n = 1;
        } else {
            return fail(arg, rc);
        }
    }
    if (!list) {
        /* Every medium known, those outside their library too: each once. */
        rc = enumerate(h, NULL, NTMS_PHYSICAL_MEDIA, &list, &n);
        if (rc != ERROR_SUCCESS)
            return fail("enumerate", rc);
    }
    if (opt.json)
        printf("[");
    else if (legend())
        printf("LIBRARY          BARCODE          ID                                    "
               "STATE       LOCATION\n");
    for (i = 0; i < n; ++i) {
        struct medium_row r;
        /* A medium may leave the bus between the two calls; that is no error. */
        if (get_info(h, &list[i], NTMS_PHYSICAL_MEDIA, &info) != ERROR_SUCCESS)
            continue;
        if (by_library && !same(&info.Info.PhysicalMedia.CurrentLibrary, &library))
            continue;
        if (opt.barcode && strcmp(info.Info.PhysicalMedia.szBarCode, opt.barcode) != 0)
            continue;
        guid_format(&list[i], r.id);
        describe(&info, &r);
        library_name(h, &info, &r);
        print_medium(&info, &r, shown++ == 0);
    }
    free(list);
    if (opt.json)
        printf("]\n");
    else if (legend())
        printf("\n%d media listed.\n", shown);
    /* A lookup that found nothing says so. */
    if (opt.barcode && shown == 0) {
        char what[NTMS_BARCODE_LENGTH + 16];
        snprintf(what, sizeof what, "barcode %s", opt.barcode);
        return fail(what, ERROR_OBJECT_NOT_FOUND);
    }
    return exit_code(ERROR_SUCCESS);
}
