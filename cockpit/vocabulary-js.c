/*
 * Writes vocabulary.js for the Cockpit page: the error names ntmsd replies with, their Win32/RSM
 * codes and texts, and the names of job states, operations and operator request types and states,
 * all from common/ntms_vocabulary.h, so that the page repeats none of them by hand.
 */
#include "common/ntms_vocabulary.h"

#include <stdio.h>

/* The texts of the table are plain ASCII without quotes or backslashes; a JS string holds them. */
#define ERROR_ENTRY(constant, code, Name, where, text)                                             \
    printf("    %s: { code: %lu, constant: \"%s\", text: \"%s\" },\n", #Name,                      \
           (unsigned long)(code), #constant, text);
#define TERM_ENTRY(constant, value, Name, name)                                                    \
    printf("    %lu: { constant: \"%s\", name: \"%s\" },\n", (unsigned long)(value), #constant, name);

int main(void) {
    printf("// Generated from common/ntms_vocabulary.h by cockpit/vocabulary-js.c.\n");
    printf("\"use strict\";\n");
    printf("window.ntmsVocabulary = {\n");
    printf("  errorPrefix: \"%s\",\n", NTMS_DBUS_ERROR_PREFIX);
    printf("  errors: {\n");
    NTMS_ERRORS(ERROR_ENTRY)
    printf("  },\n  jobStates: {\n");
    NTMS_JOB_STATES(TERM_ENTRY)
    printf("  },\n  operations: {\n");
    NTMS_OPERATIONS(TERM_ENTRY)
    printf("  },\n  opreqTypes: {\n");
    NTMS_OPREQ_TYPES(TERM_ENTRY)
    printf("  },\n  opreqStates: {\n");
    NTMS_OPREQ_STATES(TERM_ENTRY)
    printf("  },\n};\n");
    return 0;
}
