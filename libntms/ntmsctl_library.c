/*
 * ntmsctl's library commands besides inject: inventory. InventoryNtmsLibrary returns no job
 * GUID (RSM's signature); --wait finds the job as the library's inventory request that was not
 * there before the call.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inventory_method(const char *word, DWORD *method) {
    if (strcmp(word, "fast") == 0)
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
    return InjectNtmsMedia(h, library, job, NTMS_INJECT_STOP);
}

static int same_guid(const NTMS_GUID *a, const NTMS_GUID *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

/* The library's unfinished inventory requests not in before[0..n): the one just queued. */
static DWORD new_inventory(HANDLE h, const NTMS_GUID *library, const NTMS_GUID *before, DWORD n,
                           NTMS_GUID *out) {
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
        if (info.Info.LibRequest.OperationCode == NTMS_LM_INVENTORY &&
            same_guid(&info.Info.LibRequest.Library, library)) {
            *out = now[i];
            rc = ERROR_SUCCESS;
        }
    }
    free(now);
    return rc;
}

int inventory_command(HANDLE h, const char *arg) {
    NTMS_GUID library, job, *before = NULL;
    DWORD n = 0, rc = find_library(h, arg, &library);
    char id[NTMS_GUID_TEXT_SIZE];
    if (rc != ERROR_SUCCESS)
        return fail(arg, rc);
    if (opt.wait && opt.method != NTMS_INVENTORY_STOP) {
        rc = enumerate(h, NULL, NTMS_LIBREQUEST, &before, &n);
        if (rc != ERROR_SUCCESS)
            return fail("enumerate", rc);
    }
    rc = InventoryNtmsLibrary(h, &library, opt.method);
    if (rc != ERROR_SUCCESS) {
        free(before);
        return fail("inventory", rc);
    }
    if (!opt.wait || opt.method == NTMS_INVENTORY_STOP) {
        guid_format(&library, id);
        if (opt.json)
            printf("{\"library\":\"%s\",\"method\":\"%s\"}\n", id,
                   inventory_method_name(opt.method));
        else if (legend())
            printf("%s inventory of %s requested.\n",
                   opt.method == NTMS_INVENTORY_STOP ? "Stop of the" : "An", arg);
        return exit_code(ERROR_SUCCESS);
    }
    rc = new_inventory(h, &library, before, n, &job);
    free(before);
    if (rc != ERROR_SUCCESS)
        return fail("inventory job", rc);
    guid_format(&job, id);
    if (!opt.json)
        printf("job %s\n", id);
    return follow(h, &library, &job);
}
