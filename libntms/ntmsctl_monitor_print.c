/*
 * ntmsctl monitor's lines: "HH:MM:SS.mmm LIBRARY: what happened", or with --json one object per
 * line with the keys of ntmsctl(1), MONITOR. Also the reader of the properties the signals carry.
 */
#define _GNU_SOURCE

#include "ntmsctl.h"
#include "ntmsctl_monitor.h"

#include "common/ntms_vocabulary.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const keys[P_COUNT] = {
    "Id",     "Name",         "State",      "OfflineReason", "Library", "Job",     "Type",
    "Message", "Operation",   "Action",     "Error",         "ErrorMessage", "MediaMoved",
    "FreeSlots", "Enabled",   "Door",       "Barcode",       "Number",  "Ports"};

/* Ports, a(qqbbq), as text and as a JSON array. */
static int read_ports(sd_bus_message *m, struct mon_props *p) {
    uint16_t first, count, full;
    int locked, open, r;
    size_t t = 0, j = 1;
    p->ports_text[0] = '\0';
    strcpy(p->ports_json, "[");
    if ((r = sd_bus_message_enter_container(m, 'v', "a(qqbbq)")) < 0 ||
        (r = sd_bus_message_enter_container(m, 'a', "(qqbbq)")) < 0)
        return r;
    while ((r = sd_bus_message_read(m, "(qqbbq)", &first, &count, &locked, &open, &full)) > 0) {
        if (t < sizeof p->ports_text)
            t += (size_t)snprintf(p->ports_text + t, sizeof p->ports_text - t,
                                  "%sport %u holds %u of %u%s%s", t ? "; " : "", first, full, count,
                                  open ? ", open" : "", locked ? ", locked" : "");
        if (j < sizeof p->ports_json)
            j += (size_t)snprintf(p->ports_json + j, sizeof p->ports_json - j,
                                  "%s{\"port\":%u,\"elements\":%u,\"full\":%u,\"open\":%s,"
                                  "\"locked\":%s}",
                                  j > 1 ? "," : "", first, count, full, open ? "true" : "false",
                                  locked ? "true" : "false");
    }
    if (j < sizeof p->ports_json - 1)
        strcat(p->ports_json, "]");
    else
        strcpy(p->ports_json, "null"); /* more ports than a line holds */
    if (r < 0)
        return r;
    sd_bus_message_exit_container(m);
    return sd_bus_message_exit_container(m);
}

int mon_read_props(sd_bus_message *m, struct mon_props *p) {
    const char *key, *contents;
    char type;
    int r, k;
    memset(p, 0, sizeof *p);
    if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
            (r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
            return r;
        for (k = 0; k < P_COUNT && strcmp(keys[k], key) != 0; ++k)
            ;
        if (k == P_PORTS && strcmp(contents, "a(qqbbq)") == 0) {
            r = read_ports(m, p);
            p->v[k].type = 'p';
        } else if (k < P_COUNT && (strcmp(contents, "s") == 0 || strcmp(contents, "o") == 0)) {
            r = sd_bus_message_read(m, "v", contents, &p->v[k].s);
            p->v[k].type = 's';
        } else if (k < P_COUNT && strcmp(contents, "u") == 0) {
            r = sd_bus_message_read(m, "v", "u", &p->v[k].u);
            p->v[k].type = 'u';
        } else if (k < P_COUNT && strcmp(contents, "q") == 0) {
            uint16_t q = 0;
            r = sd_bus_message_read(m, "v", "q", &q);
            p->v[k].u = q;
            p->v[k].type = 'u';
        } else if (k < P_COUNT && strcmp(contents, "b") == 0) {
            int b = 0;
            r = sd_bus_message_read(m, "v", "b", &b);
            p->v[k].u = b != 0;
            p->v[k].type = 'b';
        } else {
            k = P_COUNT;
            r = sd_bus_message_skip(m, "v");
        }
        if (r < 0)
            return r;
        if (k < P_COUNT)
            p->v[k].set = 1;
        sd_bus_message_exit_container(m);
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(m);
}

/* The start of a line: the time, the event's name (JSON) and the library ("ntmsd" for the
   daemon's own events, "-" for an object whose library is not known). */
static void begin(const char *event, const struct mon_object *lib) {
    const char *who = lib ? (lib->name[0] ? lib->name : lib->id)
                          : strncmp(event, "daemon-", 7) == 0 ? "ntmsd" : "-";
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    if (opt.json) {
        gmtime_r(&now.tv_sec, &tm);
        printf("{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"event\":\"%s\",\"library\":",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
               now.tv_nsec / 1000, event);
        if (lib) {
            json_string(lib->name);
            printf(",\"library_id\":\"%s\"", lib->id);
        } else {
            printf("null,\"library_id\":null");
        }
        return;
    }
    localtime_r(&now.tv_sec, &tm);
    printf("%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
           who);
}

static void end(void) {
    printf(opt.json ? "}\n" : "\n");
    fflush(stdout);
}

static void jstr(const char *key, const char *value) {
    printf(",\"%s\":", key);
    json_string(value);
}

static void jnum(const char *key, unsigned long value) {
    printf(",\"%s\":%lu", key, value);
}

/* The NTMS_LM_* code of an Operation word ("inject"), for action_name(). */
static DWORD operation_code(const char *word) {
#define OPERATION(constant, value, Name, name) if (strcmp(word, name) == 0) return value;
    NTMS_OPERATIONS(OPERATION)
#undef OPERATION
    return 0;
}

static void library_state(const struct mon_object *lib, int online, const char *reason) {
    begin("library-state", lib);
    if (opt.json) {
        jstr("state", online ? "online" : "offline");
        jstr("reason", reason);
    } else {
        printf("library %s%s%s", online ? "online" : "offline", reason[0] ? ": " : "", reason);
    }
    end();
}

/* Library properties other than State: Name=... FreeSlots=... as they changed. */
static void library_changed(const struct mon_object *lib, const struct mon_props *p, int skip_reason) {
    static const int shown[] = {P_NAME, P_OFFLINE_REASON, P_FREE_SLOTS, P_ENABLED, P_DOOR, P_PORTS};
    size_t i;
    int any = 0;
    for (i = 0; i < sizeof shown / sizeof shown[0]; ++i)
        any |= p->v[shown[i]].set && !(skip_reason && shown[i] == P_OFFLINE_REASON);
    if (!any)
        return;
    begin("library-changed", lib);
    printf(opt.json ? ",\"changes\":{" : "library");
    for (i = 0, any = 0; i < sizeof shown / sizeof shown[0]; ++i) {
        const struct mon_value *v = &p->v[shown[i]];
        if (!v->set || (skip_reason && shown[i] == P_OFFLINE_REASON))
            continue;
        if (opt.json) {
            printf("%s\"%s\":", any++ ? "," : "", keys[shown[i]]);
            if (v->type == 'p')
                fputs(p->ports_json, stdout);
            else if (v->type == 's')
                json_string(v->s);
            else if (v->type == 'b')
                fputs(v->u ? "true" : "false", stdout);
            else
                printf("%lu", (unsigned long)v->u);
        } else if (v->type == 'p') {
            printf(" Ports=[%s]", p->ports_text);
        } else if (v->type == 's') {
            printf(" %s=\"%s\"", keys[shown[i]], v->s);
        } else if (v->type == 'b') {
            printf(" %s=%s", keys[shown[i]], v->u ? "yes" : "no");
        } else {
            printf(" %s=%lu", keys[shown[i]], (unsigned long)v->u);
        }
    }
    if (opt.json)
        printf("}");
    end();
}

static void drive_state(const struct mon_object *lib, uint32_t number, int loaded,
                        const char *barcode) {
    begin("drive-state", lib);
    if (opt.json) {
        jnum("drive", number);
        jstr("state", loaded ? "loaded" : "empty");
        jstr("barcode", loaded ? barcode : "");
    } else if (loaded) {
        printf("drive %lu loaded %s", (unsigned long)number, barcode[0] ? barcode : "(no barcode)");
    } else {
        printf("drive %lu empty", (unsigned long)number);
    }
    end();
}

static int job_final(uint32_t s) {
    return s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_INVALID ||
           s == NTMS_LM_CANCELLED || s == NTMS_LM_STOPPED;
}

void mon_changed(const struct mon_object *o, const struct mon_object *lib,
                 const struct mon_props *p) {
    const struct mon_value *state = &p->v[P_STATE];
    if (o->kind == MON_LIBRARY) {
        int now_online = state->set ? strcmp(state->s, "online") == 0 : o->online;
        int flipped = state->set && now_online != o->online;
        if (flipped)
            library_state(lib ? lib : o, now_online,
                          p->v[P_OFFLINE_REASON].set ? p->v[P_OFFLINE_REASON].s : o->reason);
        library_changed(lib ? lib : o, p, flipped);
    } else if (o->kind == MON_JOB) {
        uint32_t s = state->set ? state->u : o->state;
        uint32_t moved = p->v[P_MEDIA_MOVED].set ? p->v[P_MEDIA_MOVED].u : o->media_moved;
        /* The end is told by Completed, which comes right after. */
        if (job_final(s) || (s == o->state && moved == o->media_moved))
            return;
        begin("job-state", lib);
        if (opt.json) {
            jstr("job", o->id);
            jstr("state", job_state_name(s));
            jnum("media_moved", moved);
        } else {
            printf("job %s %s, %lu moved", o->id, job_state_name(s), (unsigned long)moved);
        }
        end();
    } else if (o->kind == MON_REQUEST) {
        if (!state->set || state->u == o->state)
            return;
        begin("request-state", lib);
        if (opt.json) {
            jstr("request", o->id);
            jstr("state", opreq_state_name(state->u));
        } else {
            printf("request %s %s", o->id, opreq_state_name(state->u));
        }
        end();
    } else if (o->kind == MON_DRIVE) {
        int loaded = state->set ? strcmp(state->s, "loaded") == 0 : o->online;
        const char *barcode = p->v[P_BARCODE].set ? p->v[P_BARCODE].s : o->text;
        if (loaded != o->online || strcmp(barcode, o->text) != 0)
            drive_state(lib, o->number, loaded, barcode);
    }
}

void mon_job_new(const struct mon_object *o, const struct mon_object *lib) {
    const char *action = action_name(operation_code(o->operation), o->action);
    begin("job-new", lib);
    if (opt.json) {
        jstr("job", o->id);
        jstr("operation", o->operation);
        jstr("action", action);
        jstr("state", job_state_name(o->state));
    } else {
        printf("job %s new: %s %s, %s", o->id, o->operation, action, job_state_name(o->state));
    }
    end();
}

void mon_job_finished(const struct mon_object *o, const struct mon_object *lib, uint32_t error,
                      const char *message) {
    begin("job-finished", lib);
    if (opt.json) {
        jstr("job", o->id);
        jstr("state", job_state_name(o->state));
        jnum("error", error);
        jstr("message", message);
        jnum("media_moved", o->media_moved);
    } else {
        printf("job %s finished %s, %lu moved", o->id, job_state_name(o->state),
               (unsigned long)o->media_moved);
        if (error)
            printf(", error %lu (%s)%s%s", (unsigned long)error, NtmsErrorString(error),
                   message[0] ? ": " : "", message);
    }
    end();
}

void mon_request_new(const struct mon_object *o, const struct mon_object *lib) {
    begin("request-new", lib);
    if (opt.json) {
        jstr("request", o->id);
        jstr("type", opreq_type_name(o->type));
        jstr("state", opreq_state_name(o->state));
        jstr("message", o->text);
    } else {
        printf("request %s posted (%s): %s", o->id, opreq_type_name(o->type), o->text);
    }
    end();
}

void mon_drive(const struct mon_object *o, const struct mon_object *lib) {
    drive_state(lib, o->number, o->online, o->text);
}

void mon_removed(const struct mon_object *o, const struct mon_object *lib) {
    const char *what = o->kind == MON_JOB ? "job" : o->kind == MON_REQUEST ? "request"
                     : o->kind == MON_DRIVE ? "drive" : "library";
    char event[32];
    snprintf(event, sizeof event, "%s-removed", what);
    begin(event, lib);
    if (o->kind == MON_DRIVE) {
        if (opt.json)
            jnum("drive", o->number);
        else
            printf("drive %lu removed", (unsigned long)o->number);
    } else if (opt.json) {
        jstr(what, o->id);
    } else {
        printf("%s %s removed", what, o->id);
    }
    end();
}

void mon_daemon(int back) {
    begin(back ? "daemon-back" : "daemon-left", NULL);
    if (!opt.json)
        printf(back ? "back on the bus" : "left the bus; waiting for it to come back");
    end();
}
