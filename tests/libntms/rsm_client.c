/*
 * rsm_client: a Removable Storage Manager client written from Microsoft's documentation of the
 * RSM API alone (the ntmsapi.h function and structure pages), as a Windows backup program would
 * be written, and built unchanged against this project's <ntmsapi.h> and libntms. It checks
 * every return code against what those pages promise and prints TAP.
 *
 *   rsm_client LIBRARY-GUID [--drives N] [--media N] [--expect BARCODE]... [--inventory]
 *              [--eject BARCODE] [--timeout SECONDS]
 *
 *   --drives N        the library has N drives: NTMS_DRIVE lists N, each with its own Number
 *   --media N         it holds N cartridges (NTMS_PHYSICAL_MEDIA with the library as container)
 *   --expect BARCODE  a cartridge with this bar code is among them (repeatable)
 *   --inventory       InventoryNtmsLibrary(NTMS_INVENTORY_DEFAULT) first, followed to its end
 *   --eject BARCODE   EjectNtmsMedia(NTMS_EJECT_START) of that cartridge, followed until the
 *                     operator has taken it out; the line "# waiting: BARCODE" says when the
 *                     operator is asked to
 *   --timeout SECONDS how long each library request may take (default 120); an eject still
 *                     running then is stopped with NTMS_EJECT_STOP and counts as failed
 *
 * Exit status 0 when every check passed, 1 when one failed, 2 on bad usage.
 *
 * The documented facts it relies on (Microsoft, "Removable Storage Manager" reference, ntmsapi.h):
 *  - OpenNtmsSession: lpServer NULL means this computer, lpApplication is optional, dwOptions 0;
 *    failure returns INVALID_HANDLE_VALUE and GetLastError() says why.
 *  - EnumerateNtmsObject: *lpdwListSize is, on entry, the number of IDs lpList has room for and,
 *    on return, the number of IDs in it; when the list is too small the function returns
 *    ERROR_INSUFFICIENT_BUFFER with the needed number in *lpdwListSize, and the application
 *    allocates a larger buffer and retries. NTMS_LIBRARY takes a NULL container; NTMS_DRIVE and
 *    NTMS_PHYSICAL_MEDIA a NULL container or a library's GUID. No object of the type: success and
 *    0. A missing lpdwListSize: ERROR_INVALID_PARAMETER.
 *  - GetNtmsObjectInformation: dwSize and dwType of the NTMS_OBJECTINFORMATION must be set before
 *    the call; a wrong size or type is ERROR_INVALID_PARAMETER, an unknown object ID
 *    ERROR_OBJECT_NOT_FOUND, a bad session ERROR_INVALID_HANDLE.
 *  - NTMS_OBJECTINFORMATION: ObjectGuid, dwType, szName, szDescription, and the Info union
 *    selected by dwType. NTMS_DRIVEINFORMATION: Number, the drive's number in its library, zero-
 *    or one-based as the device numbers them; Library, the library's GUID.
 *    NTMS_PMIDINFORMATION: CurrentLibrary, LocationType (NTMS_STORAGESLOT, NTMS_DRIVE or
 *    NTMS_IEPORT), szBarCode.
 *  - EjectNtmsMedia: lpMediaId is a physical medium's ID; NTMS_EJECT_START gives the eject
 *    library request's GUID in lpEjectOperation; NTMS_EJECT_STOP with that GUID ends it before
 *    its time-out; a STOP of an operation ID that is not valid is ERROR_INVALID_OPERATION; a busy
 *    library queues the eject and returns success.
 *  - InventoryNtmsLibrary: queues an inventory of the library (NTMS_INVENTORY_DEFAULT: the
 *    library's InventoryMethod) and returns success; it gives no request ID.
 *  - NTMS_LIBREQUESTINFORMATION: OperationCode (NTMS_LM_EJECT, NTMS_LM_INVENTORY), State
 *    (NTMS_LM_QUEUED, _INPROCESS, _WAITING, and the ends _PASSED, _FAILED, _INVALID, _CANCELLED,
 *    _STOPPED), Library, dwErrorCode.
 *  - OpenNtmsNotification(NTMS_LIBREQUEST) and WaitForNtmsNotification: the next change of a
 *    library request, NTMS_NOTIFICATIONINFORMATION with dwOperation (NTMS_OBJ_INSERT for a new
 *    one) and ObjectId; ERROR_TIMEOUT when dwTimeout milliseconds pass without one.
 *  - CloseNtmsNotification and CloseNtmsSession return ERROR_SUCCESS.
 * After an eject the medium is no longer one of the library's (RSM keeps it, in the offline
 * library): GetNtmsObjectInformation still finds it, enumerating the library's media does not.
 */
#ifdef _WIN32
#include <windows.h>
#endif
#include <ntmsapi.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#define last_error() GetLastError()
#else
/* Where there is no GetLastError(), libntms keeps OpenNtmsSession's reason here. */
#define last_error() NtmsGetLastError()
#endif

#define MAX_EXPECT 16

static struct {
    NTMS_GUID library;
    long drives, media; /* -1: not checked */
    const char *expect[MAX_EXPECT];
    int expected;
    int inventory;
    const char *eject;
    long timeout;
} opt;

static int tests, failures;

/* One TAP line; a failure unless ok; the description is printf's. */
static int check(int ok, const char *format, ...) {
    va_list ap;
    printf("%sok %d - ", ok ? "" : "not ", ++tests);
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!ok)
        ++failures;
    return ok;
}

static int check_code(DWORD got, DWORD want, const char *what) {
    return check(got == want, "%s returns %lu (expected %lu)", what, (unsigned long)got,
                 (unsigned long)want);
}

static void guid_text(const NTMS_GUID *g, char out[37]) {
    sprintf(out, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1,
            (unsigned)g->Data2, (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
            g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int parse_guid(const char *s, NTMS_GUID *g) {
    unsigned int b[8], d2, d3;
    unsigned long d1;
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

static int same_guid(const NTMS_GUID *a, const NTMS_GUID *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

/*
 * The documented enumeration: start with room for one ID, and while the answer is
 * ERROR_INSUFFICIENT_BUFFER take the number it gives and try again (objects may come between
 * two calls). Returns the last code; on success *list (malloc'ed) holds *count IDs.
 */
static DWORD enumerate(HANDLE h, NTMS_GUID *container, DWORD type, NTMS_GUID **list,
                       DWORD *count) {
    DWORD room = 1, size, rc;
    int attempt;
    *list = NULL;
    *count = 0;
    for (attempt = 0; attempt < 8; ++attempt) {
        NTMS_GUID *buffer = malloc(room * sizeof *buffer);
        if (!buffer)
            return ERROR_NOT_ENOUGH_MEMORY;
        size = room;
        rc = EnumerateNtmsObject(h, container, buffer, &size, type, 0);
        if (rc == ERROR_INSUFFICIENT_BUFFER && size > room) {
            free(buffer);
            room = size;
            continue;
        }
        if (rc != ERROR_SUCCESS || size > room) {
            free(buffer);
            return rc == ERROR_SUCCESS ? ERROR_INSUFFICIENT_BUFFER : rc;
        }
        *list = buffer;
        *count = size;
        return ERROR_SUCCESS;
    }
    return ERROR_INSUFFICIENT_BUFFER;
}

static DWORD information(HANDLE h, NTMS_GUID *id, DWORD type, NTMS_OBJECTINFORMATIONA *info) {
    memset(info, 0, sizeof *info);
    info->dwSize = sizeof *info;
    info->dwType = type;
    return GetNtmsObjectInformationA(h, id, info);
}

static int finished(DWORD state) {
    return state == NTMS_LM_PASSED || state == NTMS_LM_FAILED || state == NTMS_LM_INVALID ||
           state == NTMS_LM_CANCELLED || state == NTMS_LM_STOPPED;
}

/* --- the library and its drives ------------------------------------------------------------ */

static void libraries(HANDLE h) {
    NTMS_GUID *list;
    NTMS_OBJECTINFORMATIONA info;
    DWORD count, i, rc;
    int found = 0;
    rc = enumerate(h, NULL, NTMS_LIBRARY, &list, &count);
    if (!check_code(rc, ERROR_SUCCESS, "EnumerateNtmsObject(NTMS_LIBRARY)"))
        return;
    for (i = 0; i < count; ++i)
        found += same_guid(&list[i], &opt.library);
    check(found == 1, "the library is listed once among %lu", (unsigned long)count);
    free(list);
    rc = information(h, &opt.library, NTMS_LIBRARY, &info);
    if (check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation(NTMS_LIBRARY)"))
        check(info.dwType == NTMS_LIBRARY && same_guid(&info.ObjectGuid, &opt.library),
              "the library's information names it: \"%s\"", info.szName);
    /* Documented refusals. */
    check_code(EnumerateNtmsObject(h, NULL, NULL, NULL, NTMS_LIBRARY, 0), ERROR_INVALID_PARAMETER,
               "EnumerateNtmsObject without lpdwListSize");
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info - 1;
    info.dwType = NTMS_LIBRARY;
    check_code(GetNtmsObjectInformationA(h, &opt.library, &info), ERROR_INVALID_PARAMETER,
               "GetNtmsObjectInformation with a wrong dwSize");
}

static void drives(HANDLE h) {
    NTMS_GUID *list;
    NTMS_OBJECTINFORMATIONA info;
    DWORD count, i, j, rc, numbers[64];
    int good = 1;
    rc = enumerate(h, &opt.library, NTMS_DRIVE, &list, &count);
    if (!check_code(rc, ERROR_SUCCESS, "EnumerateNtmsObject(NTMS_DRIVE) of the library"))
        return;
    if (opt.drives >= 0)
        check(count == (DWORD)opt.drives, "%lu drives listed (expected %ld)",
              (unsigned long)count, opt.drives);
    for (i = 0; i < count && i < 64; ++i) {
        char id[37];
        guid_text(&list[i], id);
        rc = information(h, &list[i], NTMS_DRIVE, &info);
        if (rc != ERROR_SUCCESS) {
            check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation(NTMS_DRIVE)");
            good = 0;
            continue;
        }
        printf("# drive %s number %lu \"%s\" device \"%s\"\n", id,
               (unsigned long)info.Info.Drive.Number, info.szName, info.Info.Drive.szDeviceName);
        numbers[i] = info.Info.Drive.Number;
        if (info.dwType != NTMS_DRIVE || !same_guid(&info.ObjectGuid, &list[i]) ||
            !same_guid(&info.Info.Drive.Library, &opt.library) || numbers[i] > count) {
            printf("# drive %s: dwType %lu, Number %lu, Library or ObjectGuid not as listed\n", id,
                   (unsigned long)info.dwType, (unsigned long)numbers[i]);
            good = 0;
        }
        for (j = 0; j < i; ++j)
            if (numbers[j] == numbers[i]) {
                printf("# drives %lu and %lu have the same Number %lu\n", (unsigned long)j,
                       (unsigned long)i, (unsigned long)numbers[i]);
                good = 0;
            }
    }
    check(good, "every drive's information: NTMS_DRIVE, its own Number, this Library");
    free(list);
}

/* --- the media ----------------------------------------------------------------------------- */

/* Lists the library's media; *found gets the ID of `barcode` when given and listed. */
static int media(HANDLE h, const char *stage, const char *barcode, NTMS_GUID *found) {
    NTMS_GUID *list;
    NTMS_OBJECTINFORMATIONA info;
    DWORD count, i, rc;
    int good = 1, listed = 0, e, seen[MAX_EXPECT] = {0};
    rc = enumerate(h, &opt.library, NTMS_PHYSICAL_MEDIA, &list, &count);
    if (!check(rc == ERROR_SUCCESS, "%s: EnumerateNtmsObject(NTMS_PHYSICAL_MEDIA) returns %lu",
               stage, (unsigned long)rc))
        return -1;
    for (i = 0; i < count; ++i) {
        const NTMS_PMIDINFORMATIONA *pm = &info.Info.PhysicalMedia;
        rc = information(h, &list[i], NTMS_PHYSICAL_MEDIA, &info);
        if (rc != ERROR_SUCCESS) {
            check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation(NTMS_PHYSICAL_MEDIA)");
            good = 0;
            continue;
        }
        printf("# %s: medium %s location type %lu\n", stage, pm->szBarCode,
               (unsigned long)pm->LocationType);
        if (info.dwType != NTMS_PHYSICAL_MEDIA || !same_guid(&info.ObjectGuid, &list[i]) ||
            !same_guid(&pm->CurrentLibrary, &opt.library) ||
            (pm->LocationType != NTMS_STORAGESLOT && pm->LocationType != NTMS_IEPORT &&
             pm->LocationType != NTMS_DRIVE)) {
            printf("# %s: medium %s: dwType %lu, CurrentLibrary or ObjectGuid not as listed\n",
                   stage, pm->szBarCode, (unsigned long)info.dwType);
            good = 0;
        }
        for (e = 0; e < opt.expected; ++e)
            seen[e] += strcmp(pm->szBarCode, opt.expect[e]) == 0;
        if (barcode && strcmp(pm->szBarCode, barcode) == 0) {
            ++listed;
            *found = list[i];
        }
    }
    check(good, "%s: every medium's information: NTMS_PHYSICAL_MEDIA in this library, in a "
          "slot, port or drive", stage);
    if (opt.media >= 0 && !barcode)
        check(count == (DWORD)opt.media, "%s: %lu media listed (expected %ld)", stage,
              (unsigned long)count, opt.media);
    for (e = 0; e < opt.expected && !barcode; ++e)
        check(seen[e] == 1, "%s: %s listed once", stage, opt.expect[e]);
    free(list);
    return listed;
}

/* --- library requests ---------------------------------------------------------------------- */

/* Follows a library request until it ends or the time runs out; its last state, or ~0. */
static DWORD follow(HANDLE h, HANDLE notification, NTMS_GUID *request, time_t deadline,
                    const char *barcode) {
    NTMS_OBJECTINFORMATIONA info;
    NTMS_NOTIFICATIONINFORMATION n;
    DWORD rc, state = ~0u;
    int said_waiting = 0;
    for (;;) {
        rc = information(h, request, NTMS_LIBREQUEST, &info);
        if (rc != ERROR_SUCCESS) {
            check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation(NTMS_LIBREQUEST)");
            return ~0u;
        }
        state = info.Info.LibRequest.State;
        if (finished(state)) {
            printf("# request ended: state %lu, error %lu, \"%s\"\n", (unsigned long)state,
                   (unsigned long)info.Info.LibRequest.dwErrorCode, info.szDescription);
            return state;
        }
        if (barcode && state == NTMS_LM_WAITING && !said_waiting) {
            printf("# waiting: %s\n", barcode);
            fflush(stdout);
            said_waiting = 1;
        }
        if (time(NULL) >= deadline)
            return state;
        /* Any change of a request, or a second without one, is the time to look again. */
        rc = WaitForNtmsNotification(notification, &n, 1000);
        if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT) {
            check_code(rc, ERROR_SUCCESS, "WaitForNtmsNotification");
            return ~0u;
        }
    }
}

static void inventory(HANDLE h, HANDLE notification) {
    NTMS_NOTIFICATIONINFORMATION n;
    NTMS_OBJECTINFORMATIONA info;
    NTMS_GUID request;
    time_t deadline = time(NULL) + opt.timeout;
    DWORD rc, state;
    int found = 0;
    rc = InventoryNtmsLibrary(h, &opt.library, NTMS_INVENTORY_DEFAULT);
    if (!check_code(rc, ERROR_SUCCESS, "InventoryNtmsLibrary(NTMS_INVENTORY_DEFAULT)"))
        return;
    /* The call gives no request ID: the new NTMS_LM_INVENTORY request of the library is it. */
    while (!found && time(NULL) < deadline) {
        rc = WaitForNtmsNotification(notification, &n, 1000);
        if (rc == ERROR_TIMEOUT)
            continue;
        if (!check_code(rc, ERROR_SUCCESS, "WaitForNtmsNotification"))
            return;
        if (n.dwOperation != NTMS_OBJ_INSERT ||
            information(h, &n.ObjectId, NTMS_LIBREQUEST, &info) != ERROR_SUCCESS)
            continue;
        if (info.Info.LibRequest.OperationCode == NTMS_LM_INVENTORY &&
            same_guid(&info.Info.LibRequest.Library, &opt.library)) {
            request = n.ObjectId;
            found = 1;
        }
    }
    if (!check(found, "the inventory's library request was announced (NTMS_OBJ_INSERT)"))
        return;
    state = follow(h, notification, &request, deadline, NULL);
    check(state == NTMS_LM_PASSED, "the inventory ends NTMS_LM_PASSED (state %lu)",
          (unsigned long)state);
}

static void eject(HANDLE h, HANDLE notification) {
    NTMS_GUID medium, request, bogus;
    NTMS_OBJECTINFORMATIONA info;
    time_t deadline = time(NULL) + opt.timeout;
    DWORD rc, state;
    char id[37];
    memset(&medium, 0, sizeof medium);
    if (!check(media(h, "before the eject", opt.eject, &medium) == 1,
               "the cartridge to eject, %s, is listed once", opt.eject))
        return;
    /* STOP of an operation that does not exist. */
    memset(&bogus, 0x5a, sizeof bogus);
    check_code(EjectNtmsMedia(h, &medium, &bogus, NTMS_EJECT_STOP), ERROR_INVALID_OPERATION,
               "EjectNtmsMedia STOP of an unknown operation");

    memset(&request, 0, sizeof request);
    rc = EjectNtmsMedia(h, &medium, &request, NTMS_EJECT_START);
    if (!check_code(rc, ERROR_SUCCESS, "EjectNtmsMedia(NTMS_EJECT_START)"))
        return;
    guid_text(&request, id);
    memset(&bogus, 0, sizeof bogus);
    if (!check(!same_guid(&request, &bogus), "START gives the request's GUID %s", id))
        return;
    rc = information(h, &request, NTMS_LIBREQUEST, &info);
    if (check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation of the eject request"))
        check(info.Info.LibRequest.OperationCode == NTMS_LM_EJECT &&
                  same_guid(&info.Info.LibRequest.Library, &opt.library),
              "the request is an NTMS_LM_EJECT of this library (operation %lu)",
              (unsigned long)info.Info.LibRequest.OperationCode);
    state = follow(h, notification, &request, deadline, opt.eject);
    if (!finished(state)) {
        check_code(EjectNtmsMedia(h, &medium, &request, NTMS_EJECT_STOP), ERROR_SUCCESS,
                   "EjectNtmsMedia STOP after the time-out");
        state = follow(h, notification, &request, time(NULL) + 30, NULL);
    }
    if (!check(state == NTMS_LM_PASSED, "the eject ends NTMS_LM_PASSED (state %lu)",
               (unsigned long)state))
        return;
    rc = information(h, &request, NTMS_LIBREQUEST, &info);
    if (check_code(rc, ERROR_SUCCESS, "GetNtmsObjectInformation of the ended request"))
        check_code(info.Info.LibRequest.dwErrorCode, ERROR_SUCCESS,
                   "the eject request's dwErrorCode");
    check(media(h, "after the eject", opt.eject, &medium) == 0,
          "%s is no longer among the library's media", opt.eject);
    check_code(information(h, &medium, NTMS_PHYSICAL_MEDIA, &info), ERROR_SUCCESS,
               "GetNtmsObjectInformation of the ejected medium (kept by RSM)");
}

/* --- main ---------------------------------------------------------------------------------- */

static int usage(void) {
    fprintf(stderr, "usage: rsm_client LIBRARY-GUID [--drives N] [--media N] [--expect BARCODE]..."
                    " [--inventory] [--eject BARCODE] [--timeout SECONDS]\n");
    return 2;
}

static int number(const char *text, long *out) {
    char *end;
    *out = strtol(text, &end, 10);
    return *text && !*end && *out >= 0;
}

int main(int argc, char **argv) {
    HANDLE h, notification;
    int i;
    opt.drives = opt.media = -1;
    opt.timeout = 120;
    if (argc < 2 || !parse_guid(argv[1], &opt.library))
        return usage();
    for (i = 2; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--inventory") == 0)
            opt.inventory = 1;
        else if (!v)
            return usage();
        else if (strcmp(a, "--drives") == 0 && number(v, &opt.drives))
            ++i;
        else if (strcmp(a, "--media") == 0 && number(v, &opt.media))
            ++i;
        else if (strcmp(a, "--timeout") == 0 && number(v, &opt.timeout))
            ++i;
        else if (strcmp(a, "--eject") == 0)
            opt.eject = argv[++i];
        else if (strcmp(a, "--expect") == 0 && opt.expected < MAX_EXPECT)
            opt.expect[opt.expected++] = argv[++i];
        else
            return usage();
    }

    h = OpenNtmsSessionA(NULL, "rsm_client", 0);
    if (!check(h != INVALID_HANDLE_VALUE, "OpenNtmsSession (GetLastError %lu)",
               h == INVALID_HANDLE_VALUE ? (unsigned long)last_error() : 0ul)) {
        printf("1..%d\n", tests);
        return 1;
    }
    check_code(EnumerateNtmsObject(NULL, NULL, NULL, NULL, NTMS_LIBRARY, 0), ERROR_INVALID_HANDLE,
               "EnumerateNtmsObject without a session");
    /* Opened before any request is made, so that none of their changes is missed. */
    notification = OpenNtmsNotification(h, NTMS_LIBREQUEST);
    if (check(notification != INVALID_HANDLE_VALUE && notification != NULL,
              "OpenNtmsNotification(NTMS_LIBREQUEST)")) {
        libraries(h);
        if (opt.inventory)
            inventory(h, notification);
        drives(h);
        media(h, "the library's media", NULL, NULL);
        if (opt.eject)
            eject(h, notification);
        check_code(CloseNtmsNotification(notification), ERROR_SUCCESS,
                   "CloseNtmsNotification");
    }
    check_code(CloseNtmsSession(h), ERROR_SUCCESS, "CloseNtmsSession");
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}
