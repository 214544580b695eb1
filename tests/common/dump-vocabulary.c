/*
 * Prints the lists of common/ntms_vocabulary.h as the compiler reads them, one entry a line,
 * fields separated by tabs, for the checks of the documents against them (check-vocabulary.py,
 * tests/system/check-dbus-page.py):
 *   error  CONSTANT  code  Name  bus|local  text
 *   LIST   CONSTANT  value  Name  name        (LIST: job-state, operation, inject-action,
 *                                              eject-action, opreq-type, opreq-state)
 *   prefix  org.ntms.Ntms1.Error.
 * Built as C99 with -pedantic, it is also the proof that C programs can include the table.
 */
#include "common/ntms_vocabulary.h"

#include <stdio.h>

#define ERROR_LINE(constant, code, Name, where, text)                                              \
    printf("error\t%s\t%lu\t%s\t%s\t%s\n", #constant, (unsigned long)(code), #Name,                \
           (where) == NTMS_BUS ? "bus" : "local", text);

#define TERM_LINE(list, constant, value, Name, name)                                               \
    printf("%s\t%s\t%lu\t%s\t%s\n", list, #constant, (unsigned long)(value), #Name, name);
#define JOB_STATE(constant, value, Name, name) TERM_LINE("job-state", constant, value, Name, name)
#define OPERATION(constant, value, Name, name) TERM_LINE("operation", constant, value, Name, name)
#define INJECT_ACTION(constant, value, Name, name)                                                 \
    TERM_LINE("inject-action", constant, value, Name, name)
#define EJECT_ACTION(constant, value, Name, name)                                                  \
    TERM_LINE("eject-action", constant, value, Name, name)
#define OPREQ_TYPE(constant, value, Name, name) TERM_LINE("opreq-type", constant, value, Name, name)
#define OPREQ_STATE(constant, value, Name, name)                                                   \
    TERM_LINE("opreq-state", constant, value, Name, name)

int main(void) {
    printf("prefix\t%s\n", NTMS_DBUS_ERROR_PREFIX);
    NTMS_ERRORS(ERROR_LINE)
    NTMS_JOB_STATES(JOB_STATE)
    NTMS_OPERATIONS(OPERATION)
    NTMS_INJECT_ACTIONS(INJECT_ACTION)
    NTMS_EJECT_ACTIONS(EJECT_ACTION)
    NTMS_OPREQ_TYPES(OPREQ_TYPE)
    NTMS_OPREQ_STATES(OPREQ_STATE)
    return 0;
}
