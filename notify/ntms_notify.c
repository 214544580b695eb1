/*
 * ntms-notify: follows ntmsd's signals on the system bus and mails the operators when an
 * operator request is posted or a library goes offline (or online again), with the text of the
 * journal catalog's entry for the same record (ntms-notify(8)).
 */
#define _GNU_SOURCE

#include "ntms_notify.h"

#include "common/ntms_vocabulary.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#define SERVICE "org.ntms.Ntms1"
#define ROOT "/org/ntms/Ntms1"
/* ntmsd taking or leaving its name, and no other name's changes. */
#define OWNER_RULE                                                                              \
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"                 \
    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" SERVICE "'"
#define IFACE_LIBRARY SERVICE ".Library"
#define IFACE_REQUEST SERVICE ".OperatorRequest"
#define IFACE_JOB SERVICE ".Job"

/* The MESSAGE_IDs of ntmsd's records (systemd/ntmsd.catalog, daemon/journal.hpp). */
#define ID_OPERATOR_REQUEST "3bde3ec0b22048f4bb6e69d68cec059e"
#define ID_INSERT_REQUEST "01b984393b154aa88a35618cee0fc4fb"
#define ID_LIBRARY_ONLINE "00e6dd16ae944cdd9f1e440bb834b99d"
#define ID_LIBRARY_OFFLINE "360f56304a3d4219b49176f0379bdcec"

#define TYPE(constant, value, Name, name) Type##Name = value,
#define STATE(constant, value, Name, name) State##Name = value,
enum { NTMS_OPREQ_TYPES(TYPE) NTMS_OPREQ_STATES(STATE) };
#undef TYPE
#undef STATE

/* An operator request's type and state as ntmsd's journal names them (NTMS_OPREQUEST_TYPE). */
static const char *type_name(uint32_t value) {
#define NAME(constant, v, Name, name) if (value == v) return name;
    NTMS_OPREQ_TYPES(NAME)
    return "unknown";
}
static const char *state_name(uint32_t value) {
    NTMS_OPREQ_STATES(NAME)
#undef NAME
    return "unknown";
}

struct library {
    char *path, *id, *name, *device, *reason;
    int online;
};

static struct notify_config config;
static struct library *libraries;
static size_t n_libraries;

/* The properties ntms-notify reads; the strings live as long as their message. */
struct props {
    const char *id, *name, *device, *state, *reason, *library, *job, *message;
    int has_state_u;
    uint32_t state_u, type;
};

static int read_props(sd_bus_message *m, struct props *p) {
    const char *key, *contents;
    char type;
    int r;
    memset(p, 0, sizeof *p);
    if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char **s = NULL;
        if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
            (r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
            return r;
        if (strcmp(key, "Id") == 0)
            s = &p->id;
        else if (strcmp(key, "Name") == 0)
            s = &p->name;
        else if (strcmp(key, "Device") == 0)
            s = &p->device;
        else if (strcmp(key, "OfflineReason") == 0)
            s = &p->reason;
        else if (strcmp(key, "Library") == 0)
            s = &p->library;
        else if (strcmp(key, "Job") == 0)
            s = &p->job;
        else if (strcmp(key, "Message") == 0)
            s = &p->message;
        else if (strcmp(key, "State") == 0 && strcmp(contents, "s") == 0)
            s = &p->state;
        if (s && (strcmp(contents, "s") == 0 || strcmp(contents, "o") == 0)) {
            r = sd_bus_message_read(m, "v", contents, s);
        } else if (strcmp(key, "State") == 0 && strcmp(contents, "u") == 0) {
            r = sd_bus_message_read(m, "v", "u", &p->state_u);
            p->has_state_u = 1;
        } else if (strcmp(key, "Type") == 0 && strcmp(contents, "u") == 0) {
            r = sd_bus_message_read(m, "v", "u", &p->type);
        } else {
            r = sd_bus_message_skip(m, "v");
        }
        if (r < 0)
            return r;
        sd_bus_message_exit_container(m);
    }
    return r < 0 ? r : sd_bus_message_exit_container(m);
}

static struct library *find_library(const char *path) {
    size_t i;
    for (i = 0; i < n_libraries; ++i)
        if (strcmp(libraries[i].path, path) == 0)
            return &libraries[i];
    return NULL;
}

static struct library *add_library(const char *path) {
    struct library *l = find_library(path);
    if (l)
        return l;
    l = realloc(libraries, (n_libraries + 1) * sizeof *libraries);
    if (!l) {
        fputs("ntms-notify: out of memory\n", stderr);
        exit(1);
    }
    libraries = l;
    l = &libraries[n_libraries++];
    memset(l, 0, sizeof *l);
    set_text(&l->path, path);
    set_text(&l->id, "");
    set_text(&l->name, "");
    set_text(&l->device, "");
    set_text(&l->reason, "");
    l->online = 1;
    return l;
}

static void forget_libraries(void) {
    size_t i;
    for (i = 0; i < n_libraries; ++i) {
        free(libraries[i].path);
        free(libraries[i].id);
        free(libraries[i].name);
        free(libraries[i].device);
        free(libraries[i].reason);
    }
    free(libraries);
    libraries = NULL;
    n_libraries = 0;
}

static void apply(struct library *l, const struct props *p) {
    if (p->id)
        set_text(&l->id, p->id);
    if (p->name)
        set_text(&l->name, p->name);
    if (p->device)
        set_text(&l->device, p->device);
    if (p->reason)
        set_text(&l->reason, p->reason);
    if (p->state)
        l->online = strcmp(p->state, "online") == 0;
}

/* As the journal names a library: its name, or its GUID when it has none. */
static const char *label(const struct library *l) {
    return l->name[0] ? l->name : l->id;
}

static void mail(const char *message_id, const struct field *fields, size_t n,
                 const char *message) {
    char *subject, *text;
    if (catalog_text(config.catalog, message_id, fields, n, &subject, &text) < 0)
        return;
    if (mail_send(&config, subject ? subject : message, message, text) == 0)
        fprintf(stderr, "ntms-notify: mailed \"%s\"\n", subject ? subject : message);
    free(subject);
    free(text);
}

static void library_mail(const struct library *l, int online) {
    char *message = NULL, *reason = strdup(l->reason), *retry;
    const struct field fields[] = {{"NTMS_LIBRARY", l->id},
                                   {"NTMS_LIBRARY_NAME", label(l)},
                                   {"NTMS_DEVICE", l->device},
                                   {"NTMS_REASON", reason ? reason : ""}};
    /* The reason as the journal has it: OfflineReason without its "; next retry at HH:MM:SS". */
    if (reason && (retry = strstr(reason, "; next retry at ")) != NULL)
        *retry = '\0';
    if (reason && asprintf(&message, "Library %s%s%s%s is %s%s%s", label(l),
                           l->device[0] ? " (" : "", l->device, l->device[0] ? ")" : "",
                           online ? "online" : "offline", !online && reason[0] ? ": " : "",
                           online ? "" : reason) >= 0) {
        mail(online ? ID_LIBRARY_ONLINE : ID_LIBRARY_OFFLINE, fields, 4, message);
        free(message);
    }
    free(reason);
}

/* A job's GUID, asked of ntmsd (its Id property); "" when there is none. */
static char *job_id(sd_bus *bus, const char *path) {
    char *id = NULL;
    if (!path || strcmp(path, "/") == 0 ||
        sd_bus_get_property_string(bus, SERVICE, path, IFACE_JOB, "Id", NULL, &id) < 0)
        return strdup("");
    return id;
}

static void request_mail(sd_bus *bus, const struct props *p) {
    struct library *l = p->library ? find_library(p->library) : NULL;
    const char *lib = l ? label(l) : "";
    const char *text = p->message ? p->message : "";
    size_t prefix = strlen("library ") + strlen(lib);
    char *message = NULL, *job = job_id(bus, p->job);
    struct field fields[6] = {
        {"NTMS_OPREQUEST", p->id ? p->id : ""},
        {"NTMS_OPREQUEST_TYPE", type_name(p->type)},
        {"NTMS_OPREQUEST_STATE", state_name(p->state_u)},
        {"NTMS_LIBRARY", l ? l->id : ""},
        {"NTMS_LIBRARY_NAME", lib},
        {"NTMS_JOB", job ? job : ""}};
    /* As the journal's message: "Library lab: TEXT", unless TEXT names the library first, then
       TEXT with a capital letter. */
    if (strncasecmp(text, "library ", 8) == 0 && strncmp(text + 8, lib, strlen(lib)) == 0 &&
        strchr(" :,", text[prefix]) != NULL) {
        message = strdup(text);
        if (message)
            message[0] = 'L';
    } else if (asprintf(&message, "Library %s: %s", lib, text) < 0) {
        message = NULL;
    }
    if (message)
        mail(p->type == TypeNewMedia ? ID_INSERT_REQUEST : ID_OPERATOR_REQUEST, fields,
             job && job[0] ? 6 : 5, message);
    free(message);
    free(job);
}

/* a{sa{sv}} of the object at PATH: a library into the table, an open request mailed when NEW. */
static void read_object(sd_bus *bus, sd_bus_message *m, const char *path, int new) {
    const char *interface;
    if (sd_bus_message_enter_container(m, 'a', "{sa{sv}}") < 0)
        return;
    while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
        struct props p;
        if (sd_bus_message_read(m, "s", &interface) < 0)
            return;
        if (strcmp(interface, IFACE_LIBRARY) == 0) {
            if (read_props(m, &p) < 0)
                return;
            apply(add_library(path), &p);
        } else if (strcmp(interface, IFACE_REQUEST) == 0 && new) {
            if (read_props(m, &p) < 0)
                return;
            if ((config.events & EVENT_REQUEST) && p.has_state_u &&
                p.state_u >= StateSubmitted && p.state_u <= StateInProgress)
                request_mail(bus, &p);
        } else {
            sd_bus_message_skip(m, "a{sv}");
        }
        sd_bus_message_exit_container(m);
    }
    sd_bus_message_exit_container(m);
}

/* The libraries ntmsd has now, without starting ntmsd if it is not running. */
static void load(sd_bus *bus) {
    sd_bus_message *call = NULL, *reply = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    const char *path;
    forget_libraries();
    if (sd_bus_message_new_method_call(bus, &call, SERVICE, ROOT,
                                       "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects") < 0)
        return;
    sd_bus_message_set_auto_start(call, 0);
    if (sd_bus_call(bus, call, 0, &error, &reply) < 0) {
        fprintf(stderr, "ntms-notify: ntmsd is not on the bus yet (%s); waiting for it\n",
                error.message ? error.message : "no reply");
    } else if (sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") >= 0) {
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
            if (sd_bus_message_read(reply, "o", &path) < 0)
                break;
            read_object(bus, reply, path, 0);
            sd_bus_message_exit_container(reply);
        }
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(call);
    sd_bus_message_unref(reply);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    sd_bus *bus = userdata;
    const char *member = sd_bus_message_get_member(m), *path = sd_bus_message_get_path(m);
    const char *interface, *object;
    (void)ret_error;
    if (!member || !path)
        return 0;
    if (strcmp(member, "InterfacesAdded") == 0) {
        if (sd_bus_message_read(m, "o", &object) >= 0)
            read_object(bus, m, object, 1);
    } else if (strcmp(member, "PropertiesChanged") == 0) {
        struct library *l = find_library(path);
        struct props p;
        int was_online;
        if (!l || sd_bus_message_read(m, "s", &interface) < 0 ||
            strcmp(interface, IFACE_LIBRARY) != 0 || read_props(m, &p) < 0)
            return 0;
        was_online = l->online;
        apply(l, &p);
        if (was_online && !l->online && (config.events & EVENT_OFFLINE))
            library_mail(l, 0);
        else if (!was_online && l->online && (config.events & EVENT_ONLINE))
            library_mail(l, 1);
    }
    return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    const char *name, *old_owner, *new_owner;
    (void)ret_error;
    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
        strcmp(name, SERVICE) != 0)
        return 0;
    if (new_owner[0]) {
        fputs("ntms-notify: ntmsd is on the bus\n", stderr);
        load(userdata);
    } else {
        fputs("ntms-notify: ntmsd left the bus; waiting for it to come back\n", stderr);
        forget_libraries();
    }
    return 0;
}

static void usage(FILE *f) {
    fputs("Usage: ntms-notify [--config FILE]\n\n"
          "Mails the operators named in FILE (default " DEFAULT_CONFIG ") through sendmail\n"
          "when ntmsd posts an operator request or a library goes offline. See ntms-notify(8).\n",
          f);
}

int main(int argc, char **argv) {
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *file = DEFAULT_CONFIG;
    sd_event *event = NULL;
    sd_bus *bus = NULL;
    sigset_t mask;
    int c, r;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'c') {
            file = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (config_read(file, &config) < 0)
        return 1;
    /* A sendmail that ends early must not end ntms-notify. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    if ((r = sd_event_default(&event)) < 0 ||
        (r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0 ||
        (r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0 ||
        (r = sd_bus_open_system(&bus)) < 0 ||
        (r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL)) < 0 ||
        (r = sd_bus_add_match(bus, NULL,
                              "type='signal',sender='" SERVICE "',path_namespace='" ROOT "'",
                              on_signal, bus)) < 0 ||
        (r = sd_bus_add_match(bus, NULL, OWNER_RULE, on_owner, bus)) < 0) {
        fprintf(stderr, "ntms-notify: cannot follow ntmsd on the system bus: %s\n", strerror(-r));
        return 1;
    }
    /* sd-bus ends the loop with EXIT_FAILURE when the bus goes away: systemd restarts the
       service then. SIGTERM and SIGINT end it with 0. */
    sd_bus_set_exit_on_disconnect(bus, 1);
    load(bus);
    fprintf(stderr, "ntms-notify: ready; mailing %zu recipient%s through %s\n", config.n_to,
            config.n_to == 1 ? "" : "s", config.sendmail);
    sd_notify(0, "READY=1");
    r = sd_event_loop(event);
    sd_bus_flush_close_unref(bus);
    sd_event_unref(event);
    forget_libraries();
    config_free(&config);
    if (r != 0)
        fprintf(stderr, "ntms-notify: the system bus connection was lost\n");
    return r == 0 ? 0 : 1;
}
