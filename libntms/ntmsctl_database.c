/*
 * ntmsctl check-database: ntmsd checks its whole database (SQLite's integrity_check and
 * foreign_key_check) and says what it found. Exit 0 when nothing is wrong; the database's exit
 * code (that of ERROR_DATABASE_FAILURE) when something is, after listing it.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_database_command(HANDLE h) {
    BOOL ok = FALSE;
    DWORD size = 0;
    char *problems = NULL;
    DWORD rc = NtmsCheckDatabase(h, &ok, NULL, &size);
    /* The list may grow between the two calls: ask again with what the last answer needed. */
    while (rc == ERROR_INSUFFICIENT_BUFFER) {
        char *bigger = realloc(problems, size);
        if (!bigger) {
            free(problems);
            return fail("check-database", ERROR_NOT_ENOUGH_MEMORY);
        }
        problems = bigger;
        rc = NtmsCheckDatabase(h, &ok, problems, &size);
    }
    if (rc != ERROR_SUCCESS) {
        free(problems);
        return fail("check-database", rc);
    }
    if (opt.json) {
        const char *p;
        int first = 1;
        printf("{\"ok\":%s,\"problems\":[", ok ? "true" : "false");
        for (p = problems; p && *p; p += strlen(p) + 1) {
            if (!first)
                putchar(',');
            json_string(p);
            first = 0;
        }
        printf("]}\n");
    } else if (ok) {
        printf("ok\n");
    } else {
        const char *p;
        for (p = problems; p && *p; p += strlen(p) + 1)
            printf("%s\n", p);
    }
    free(problems);
    return ok ? 0 : exit_code(ERROR_DATABASE_FAILURE);
}
