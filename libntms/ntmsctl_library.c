/*
 * ntmsctl's library commands besides inject: inventory, door and clean. InventoryNtmsLibrary,
 * AccessNtmsLibraryDoor and CleanNtmsDrive return no job GUID (RSM's signatures); --wait finds
 * the job as the library's request of that operation that was not there before the call.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inventory_method(const char *word, DWORD *method) {
    if (strcmp(word, "none") == 0)
        *method = NTMS_INVENTORY_NONE;
    else if (strcmp(word, "fast") == 0)
        *method = NTMS_INVENTORY_FAST;
    else if (strcmp(word, "default") == 0)
        *method = NTMS_INVENTORY_DEFAULT;
    else if (strcmp(word, "stop") == 0)
        *method = NTMS_INVENTORY_STOP;
    else
        return 0;
    return 1;
}

const char *inventory_method_name(DWORD method) {
    switch (method) {
    case NTMS_INVENTORY_NONE: return "NONE";
    case NTMS_INVENTORY_FAST: return "FAST";
    case NTMS_INVENTORY_OMID: return "OMID";
    case NTMS_INVENTORY_DEFAULT: return "DEFAULT";
    case NTMS_INVENTORY_SLOT: return "SLOT";
    case NTMS_INVENTORY_STOP: return "STOP";
    default: return "UNKNOWN";
    }
}

DWORD stop_job(HANDLE h, NTMS_GUID *library, NTMS_GUID *job) {
    NTMS_OBJECTINFORMATIONA info;
    DWORD rc = get_info(h, job, NTMS_LIBREQUEST, &info);
    if (rc != ERROR_SUCCESS)
        return rc;
    if (info.Info.LibRequest.OperationCode == NTMS_LM_INVENTORY)
        return InventoryNtmsLibrary(h, library, NTMS_INVENTORY_STOP);
    if (info.Info.LibRequest.OperationCode == NTMS_LM_EJECT)
        return EjectNtmsMedia(h, NULL, job, NTMS_EJECT_STOP);
    if (info.Info.LibRequest.OperationCode == NTMS_LM_DOORACCESS ||
        info.Info.LibRequest.OperationCode == NTMS_LM_CLEANDRIVE)
        return CancelNtmsLibraryRequest(h, job);
    return InjectNtmsMedia(h, library, job, NTMS_INJECT_STOP);
}

static int same_guid(const NTMS_GUID *a, const NTMS_GUID *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

/* The library's request of `operation` not in before[0..n): the one just queued. */
static DWORD new_request(HANDLE h, const NTMS_GUID *library, DWORD operation,
                         const NTMS_GUID *before, DWORD n, NTMS_GUID *out) {
    NTMS_GUID *now;
    DWORD count, i, j, rc = enumerate(h, NULL, NTMS_LIBREQUEST, &now, &count);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = ERROR_OBJECT_NOT_FOUND;
    for (i = 0; i < count && rc != ERROR_SUCCESS; ++i) {
        NTMS_OBJECTINFORMATIONA info;
        int seen = 0;
        for (j = 0; j < n && !seen; ++j)
            seen = same_guid(&now[i], &before[j]);
        if (seen || get_info(h, &now[i], NTMS_LIBREQUEST, &info) != ERROR_SUCCESS)
            continue;
        if (info.Info.LibRequest.OperationCode == operation &&
            same_guid(&info.Info.LibRequest.Library, library)) {
            *out = now[i];
            rc = ERROR_SUCCESS;
        }
    }
    free(now);
    return rc;
}

typedef DWORD (*library_call)(HANDLE, LPNTMS_GUID, DWORD);

/* Calls `call` on the library with `method`; with --wait (not for STOP) follows the job. */
static int library_job(HANDLE h, const char *arg, library_call call, DWORD operation,
                       DWORD method, const char *what) {
    NTMS_GUID library, job, *before = NULL;
    DWORD n = 0, rc = find_library(h, arg, &library);
    char id[NTMS_GUID_TEXT_SIZE];
    const int wait = opt.wait && method != NTMS_INVENTORY_STOP;
    if (rc != ERROR_SUCCESS)
        return fail(arg, rc);
    if (wait) {
        rc = enumerate(h, NULL, NTMS_LIBREQUEST, &before, &n);
        if (rc != ERROR_SUCCESS)
            return fail("enumerate", rc);
    }
    rc = call(h, &library, method);
    if (rc != ERROR_SUCCESS) {
        free(before);
        return fail(what, rc);
    }
    if (!wait) {
        guid_format(&library, id);
        if (opt.json)
            printf("{\"library\":\"%s\",\"method\":\"%s\"}\n", id,
                   inventory_method_name(method));
        else if (legend())
            printf("%s of %s requested.\n", what, arg);
        return exit_code(ERROR_SUCCESS);
    }
    rc = new_request(h, &library, operation, before, n, &job);
    free(before);
    if (rc != ERROR_SUCCESS)
        return fail(what, rc);
    guid_format(&job, id);
    if (!opt.json)
        printf("job %s\n", id);
    return follow(h, &library, &job);
}

int inventory_command(HANDLE h, const char *arg) {
    const DWORD method = opt.method == (DWORD)-1 ? NTMS_INVENTORY_DEFAULT : opt.method;
    if (method == NTMS_INVENTORY_NONE) {
        fprintf(stderr, "ntmsctl: inventory --method takes fast, default or stop\n");
        return exit_code(ERROR_INVALID_PARAMETER);
    }
    return library_job(h, arg, InventoryNtmsLibrary, NTMS_LM_INVENTORY, method,
                       method == NTMS_INVENTORY_STOP ? "inventory stop" : "inventory");
}

int door_command(HANDLE h, const char *arg) {
    const DWORD method = opt.method == (DWORD)-1 ? NTMS_INVENTORY_DEFAULT : opt.method;
    if (method == NTMS_INVENTORY_STOP) {
        fprintf(stderr, "ntmsctl: door --method takes none, fast or default\n");
        return exit_code(ERROR_INVALID_PARAMETER);
    }
    return library_job(h, arg, AccessNtmsLibraryDoor, NTMS_LM_DOORACCESS, method, "door access");
}

/* ntmsctl clean DRIVE [--wait]: CleanNtmsDrive; with --wait, follows the cleaning job. */
int clean_command(HANDLE h, const char *arg) {
    NTMS_GUID drive, job, *before = NULL;
    NTMS_OBJECTINFORMATIONA info;
    DWORD n = 0, rc;
    char id[NTMS_GUID_TEXT_SIZE];
    uint8_t bytes[16];
    if (strlen(arg) != 36 || !ntms_guid_parse(arg, 36, bytes)) {
        fprintf(stderr, "ntmsctl: drive '%s' is not a GUID\n", arg);
        return EXIT_USAGE;
    }
    ntms_guid_to_fields(bytes, &drive.Data1, &drive.Data2, &drive.Data3, drive.Data4);
    rc = get_info(h, &drive, NTMS_DRIVE, &info);
    if (rc != ERROR_SUCCESS)
        return fail(arg, rc);
    if (opt.wait) {
        rc = enumerate(h, NULL, NTMS_LIBREQUEST, &before, &n);
        if (rc != ERROR_SUCCESS)
            return fail("enumerate", rc);
    }
    rc = CleanNtmsDrive(h, &drive);
    if (rc != ERROR_SUCCESS) {
        free(before);
        return fail("clean", rc);
    }
    if (!opt.wait) {
        if (opt.json)
            printf("{\"drive\":\"%s\",\"clean\":\"queued\"}\n", arg);
        else if (legend())
            printf("Cleaning of drive %s queued.\n", arg);
        return EXIT_OK;
    }
    rc = new_request(h, &info.Info.Drive.Library, NTMS_LM_CLEANDRIVE, before, n, &job);
    free(before);
    if (rc != ERROR_SUCCESS)
        return fail("clean", rc);
    guid_format(&job, id);
    if (!opt.json)
        printf("job %s\n", id);
    return follow(h, &info.Info.Drive.Library, &job);
}
