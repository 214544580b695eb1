/* How ntmsctl prints what it lists and shows (ntmsctl(1), OUTPUT). */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include "common/ntms_vocabulary.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ntmsctl_options opt;

/* systemd's conventions: a legend and colours only on a terminal, no colours with NO_COLOR. */
int on_terminal(void) {
    const char *term = getenv("TERM");
    return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

int legend(void) {
    return !opt.json && !opt.no_legend && on_terminal();
}

/* A state word, padded to width, in red or green where colours are wanted. */
void print_state(const char *word, int width, int good, int bad) {
    const char *nc = getenv("NO_COLOR");
    int colour = !opt.json && on_terminal() && !(nc && *nc) && (good || bad);
    int pad = width - (int)strlen(word);
    printf("%s%s%s%*s", colour ? (bad ? "\033[31m" : "\033[32m") : "", word,
           colour ? "\033[0m" : "", pad > 0 ? pad : 0, "");
}

void guid_format(const NTMS_GUID* g, char out[NTMS_GUID_TEXT_SIZE]) {
    uint8_t bytes[16];
    ntms_guid_from_fields(g->Data1, g->Data2, g->Data3, g->Data4, bytes);
    ntms_guid_format(bytes, out);
}

void json_string(const char *s) {
    putchar('"');
    for (; *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* A value of an RSM list (common/ntms_vocabulary.h) and its constant. */
struct term {
    DWORD value;
    const char* constant;
};

#define TERM(constant, value, Name, name) {value, #constant},
static const struct term job_states[] = {NTMS_JOB_STATES(TERM)};
static const struct term inject_actions[] = {NTMS_INJECT_ACTIONS(TERM)};
static const struct term eject_actions[] = {NTMS_EJECT_ACTIONS(TERM)};
static const struct term opreq_types[] = {NTMS_OPREQ_TYPES(TERM)};
static const struct term opreq_states[] = {NTMS_OPREQ_STATES(TERM)};
#undef TERM

/* The constant without its prefix ("INPROCESS" for NTMS_LM_INPROCESS), or "UNKNOWN". */
static const char* term_name(const struct term* terms, size_t n, DWORD value) {
    size_t i;
    for (i = 0; i < n; ++i)
        if (terms[i].value == value)
            return strrchr(terms[i].constant, '_') + 1;
    return "UNKNOWN";
}

#define TERM_NAME(terms, value) term_name(terms, sizeof terms / sizeof terms[0], value)

const char* job_state_name(DWORD s) {
    return TERM_NAME(job_states, s);
}
const char* action_name(DWORD operation, DWORD a) {
    /* An eject's START reads EJECT: the column would not tell it from an inject otherwise. */
    if (operation == NTMS_LM_EJECT)
        return a == NTMS_EJECT_START ? "EJECT" : TERM_NAME(eject_actions, a);
    /* An inventory's FAST is not an inject's STOP. */
    if (operation == NTMS_LM_INVENTORY || operation == NTMS_LM_DOORACCESS)
        return inventory_method_name(a);
    /* Operations with no action of their own (a mount's and a dismount's action is how it
     * waits, which the job's description says) are named by the operation. */
    switch (operation) {
    case NTMS_LM_CLEANDRIVE: return "CLEANDRIVE";
    case NTMS_LM_MOUNT: return "MOUNT";
    case NTMS_LM_DISMOUNT: return "DISMOUNT";
    case NTMS_LM_MOVE: return "MOVE";
    default: return TERM_NAME(inject_actions, a);
    }
}
const char* opreq_state_name(DWORD s) {
    return TERM_NAME(opreq_states, s);
}
const char* opreq_type_name(DWORD t) {
    return TERM_NAME(opreq_types, t);
}

void print_library(const NTMS_OBJECTINFORMATIONA *o, int first) {
    char id[37];
    const NTMS_LIBRARYINFORMATION *l = &o->Info.Library;
    guid_format(&o->ObjectGuid, id);
    if (opt.json) {
        printf("%s{\"id\":\"%s\",\"name\":", first ? "" : ",", id);
        json_string(o->szName);
        printf(",\"description\":");
        json_string(o->szDescription);
        printf(",\"online\":%s,\"enabled\":%s,\"slots\":%lu,\"media\":%lu,\"drives\":%lu,"
               "\"ports\":%lu}",
               o->dwOperationalState == NTMS_READY ? "true" : "false",
               o->Enabled ? "true" : "false", (unsigned long)l->dwNumberOfSlots,
               (unsigned long)l->dwNumberOfMedia, (unsigned long)l->dwNumberOfDrives,
               (unsigned long)l->dwNumberOfPorts);
        return;
    }
    printf("%s  %-16s ", id, o->szName);
    print_state(o->dwOperationalState == NTMS_READY ? "online" : "offline", 8,
                o->dwOperationalState == NTMS_READY, o->dwOperationalState != NTMS_READY);
    printf(" %-8s slots %lu, media %lu, drives %lu, ports %lu\n",
           o->Enabled ? "enabled" : "disabled", (unsigned long)l->dwNumberOfSlots,
           (unsigned long)l->dwNumberOfMedia, (unsigned long)l->dwNumberOfDrives,
           (unsigned long)l->dwNumberOfPorts);
    /* Why it is offline and when its device is tried again (libntms puts it there). */
    if (o->dwOperationalState != NTMS_READY && strncmp(o->szDescription, "offline: ", 9) == 0)
        printf("%38s%s\n", "", o->szDescription);
}

void print_job(const NTMS_OBJECTINFORMATIONA *o, int first) {
    char id[37], lib[37];
    const NTMS_LIBREQUESTINFORMATIONA *r = &o->Info.LibRequest;
    guid_format(&o->ObjectGuid, id);
    guid_format(&r->Library, lib);
    if (opt.json) {
        printf("%s{\"id\":\"%s\",\"library\":\"%s\",\"action\":\"%s\",\"state\":\"%s\","
               "\"error\":%lu,\"description\":",
               first ? "" : ",", id, lib, action_name(r->OperationCode, r->OperationOption),
               job_state_name(r->State), (unsigned long)r->dwErrorCode);
        json_string(o->szDescription);
        printf(",\"application\":");
        json_string(r->szApplication);
        printf("}");
        return;
    }
    printf("%s  %-9s ", id, action_name(r->OperationCode, r->OperationOption));
    print_state(job_state_name(r->State), 9, r->State == NTMS_LM_PASSED,
                r->State == NTMS_LM_FAILED);
    printf(" error %-4lu %s\n", (unsigned long)r->dwErrorCode, o->szDescription);
}

void print_request(const NTMS_OBJECTINFORMATIONA *o, int first) {
    char id[37];
    const NTMS_OPREQUESTINFORMATIONA *r = &o->Info.OpRequest;
    guid_format(&o->ObjectGuid, id);
    if (opt.json) {
        printf("%s{\"id\":\"%s\",\"type\":\"%s\",\"state\":\"%s\",\"message\":", first ? "" : ",",
               id, opreq_type_name(r->Request), opreq_state_name(r->State));
        json_string(r->szMessage);
        printf("}");
        return;
    }
    printf("%s  %-8s %-10s %s\n", id, opreq_type_name(r->Request), opreq_state_name(r->State),
           r->szMessage);
}

void usage(FILE *f) {
    fputs("Usage: ntmsctl [--host HOST] [--json|--output=short|json] [--no-legend] [--no-pager]\n"
          "               COMMAND [ARG]\n\n"
          "  libraries                      list the libraries\n"
          "  library GUID|NAME              show one library\n"
          "  drives [GUID|NAME]             list the drives of one library or of all\n"
          "  mount MEDIUM [--drive D] [--timeout S] [--wait]\n"
          "                                 put a medium into a drive (any free one, or D)\n"
          "  dismount MEDIUM                put a mounted medium back into its slot\n"
          "  clean DRIVE [--wait]           clean a drive with a cleaning cartridge\n"
          "  inject GUID|NAME [--many] [--timeout S] [--wait]\n"
          "                                 open the library's port and import what is put in\n"
          "  eject [MEDIUM] [--queue|--force] [--timeout S] [--wait] | eject --stop JOB\n"
          "                                 present a medium at the port for the operator\n"
          "  inventory GUID|NAME [--method METHOD] [--wait]\n"
          "                                 make ntmsd's database equal the library's contents\n"
          "                                 (METHOD: default, fast or stop)\n"
          "  door GUID|NAME [--method METHOD] [--wait]\n"
          "                                 release the library's door, then inventory it\n"
          "                                 (METHOD: none, fast or default)\n"
          "  media [GUID|NAME|MEDIUM] [--barcode BARCODE]\n"
          "                                 list the media with their state and location\n"
          "  stop JOB | retract JOB         stop a job, or check an inject's port now\n"
          "  jobs | job GUID                list the jobs, or show one\n"
          "  requests                       list the operator requests\n"
          "  satisfy REQUEST | cancel REQUEST\n"
          "                                 answer an operator request\n"
          "  backup FILE                    write an online backup of ntmsd's database to FILE\n"
          "  monitor [--library GUID|NAME]  print ntmsd's events as they happen, until Ctrl-C\n"
          "  metrics [FILE]                 print ntmsd's metrics in Prometheus' text format,\n"
          "                                 or replace FILE with them atomically\n"
          "  check-database                 have ntmsd check its whole database, list what is wrong\n",
          f);
}
