/*
 * ntmsctl monitor: ntmsd's events as they happen, one line each (ntmsctl(1), MONITOR).
 *
 * Unlike the other commands it reads the bus itself, with sd-bus: RSM's notifications
 * (OpenNtmsNotification) carry only an object's GUID, for jobs and operator requests alone,
 * while the monitor shows libraries and drives too, with the values the signals carry. Objects
 * are known from GetManagedObjects at the start and InterfacesAdded afterwards, so that each line
 * can name its library.
 */
#define _GNU_SOURCE

#include "ntmsctl.h"
#include "ntmsctl_monitor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define SERVICE "org.ntms.Ntms1"
#define ROOT "/org/ntms/Ntms1"
/* ntmsd taking or leaving its name, and no other name's changes. */
#define OWNER_RULE                                                                              \
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"                 \
    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" SERVICE "'"
#define IFACE_LIBRARY SERVICE ".Library"
#define IFACE_JOB SERVICE ".Job"
#define IFACE_REQUEST SERVICE ".OperatorRequest"
#define IFACE_DRIVE SERVICE ".Drive"

static struct mon_object *objects;
static size_t n_objects;
static char *filter; /* --library: a library's path, or NULL */

static char *dup_or_empty(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) {
        fputs("ntmsctl: out of memory\n", stderr);
        exit(1);
    }
    return d;
}

static void set_text(char **field, const char *s) {
    free(*field);
    *field = dup_or_empty(s);
}

struct mon_object *mon_find(const char *path) {
    size_t i;
    for (i = 0; i < n_objects; ++i)
        if (strcmp(objects[i].path, path) == 0)
            return &objects[i];
    return NULL;
}

static struct mon_object *add_object(const char *path, enum mon_kind kind) {
    struct mon_object *o = mon_find(path);
    if (o)
        return o;
    o = realloc(objects, (n_objects + 1) * sizeof *objects);
    if (!o) {
        fputs("ntmsctl: out of memory\n", stderr);
        exit(1);
    }
    objects = o;
    o = &objects[n_objects++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->path = dup_or_empty(path);
    o->library = dup_or_empty(kind == MON_LIBRARY ? path : "");
    o->id = dup_or_empty("");
    o->name = dup_or_empty("");
    o->text = dup_or_empty("");
    o->reason = dup_or_empty("");
    o->operation = dup_or_empty("");
    return o;
}

static void drop_object(const char *path) {
    struct mon_object *o = mon_find(path);
    if (!o)
        return;
    free(o->path);
    free(o->library);
    free(o->id);
    free(o->name);
    free(o->text);
    free(o->reason);
    free(o->operation);
    *o = objects[--n_objects];
}

/* The library an object belongs to, or NULL. */
static const struct mon_object *library_of(const struct mon_object *o) {
    return o && o->library[0] ? mon_find(o->library) : NULL;
}

/* Whether --library lets an event about this object through. */
static int wanted(const struct mon_object *o) {
    return !filter || (o && strcmp(o->library, filter) == 0);
}

/* An object's properties as they came, into the table. */
static void apply(struct mon_object *o, const struct mon_props *p) {
    if (p->v[P_ID].set)
        set_text(&o->id, p->v[P_ID].s);
    if (p->v[P_LIBRARY].set)
        set_text(&o->library, p->v[P_LIBRARY].s);
    if (p->v[P_NAME].set)
        set_text(&o->name, p->v[P_NAME].s);
    if (p->v[P_OFFLINE_REASON].set)
        set_text(&o->reason, p->v[P_OFFLINE_REASON].s);
    if (p->v[P_OPERATION].set)
        set_text(&o->operation, p->v[P_OPERATION].s);
    if (p->v[P_MESSAGE].set)
        set_text(&o->text, p->v[P_MESSAGE].s);
    if (p->v[P_BARCODE].set)
        set_text(&o->text, p->v[P_BARCODE].s);
    if (p->v[P_STATE].set) {
        if (o->kind == MON_LIBRARY || o->kind == MON_DRIVE)
            o->online = strcmp(p->v[P_STATE].s, o->kind == MON_LIBRARY ? "online" : "loaded") == 0;
        else
            o->state = p->v[P_STATE].u;
    }
    if (p->v[P_TYPE].set)
        o->type = p->v[P_TYPE].u;
    if (p->v[P_ACTION].set)
        o->action = p->v[P_ACTION].u;
    if (p->v[P_MEDIA_MOVED].set)
        o->media_moved = p->v[P_MEDIA_MOVED].u;
    if (p->v[P_NUMBER].set)
        o->number = p->v[P_NUMBER].u;
}

static enum mon_kind kind_of(const char *interface) {
    if (strcmp(interface, IFACE_LIBRARY) == 0)
        return MON_LIBRARY;
    if (strcmp(interface, IFACE_JOB) == 0)
        return MON_JOB;
    if (strcmp(interface, IFACE_REQUEST) == 0)
        return MON_REQUEST;
    if (strcmp(interface, IFACE_DRIVE) == 0)
        return MON_DRIVE;
    return MON_NONE;
}

/* a{sa{sv}} of one object (InterfacesAdded, GetManagedObjects): into the table; the object, or
   NULL when it has none of ntmsd's interfaces. */
static struct mon_object *read_interfaces(sd_bus_message *m, const char *path) {
    struct mon_object *found = NULL;
    const char *interface;
    int r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
    if (r < 0)
        return NULL;
    while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
        enum mon_kind kind;
        if (sd_bus_message_read(m, "s", &interface) < 0)
            break;
        kind = kind_of(interface);
        if (kind == MON_NONE) {
            sd_bus_message_skip(m, "a{sv}");
        } else {
            struct mon_props p;
            found = add_object(path, kind);
            if (mon_read_props(m, &p) < 0)
                break;
            apply(found, &p);
        }
        sd_bus_message_exit_container(m);
    }
    sd_bus_message_exit_container(m);
    return found;
}

/* Every object of ntmsd now; 0, or a negative errno with *error set. */
static int load(sd_bus *bus, sd_bus_error *error) {
    sd_bus_message *reply = NULL;
    const char *path;
    int r = sd_bus_call_method(bus, SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", error, &reply, "");
    if (r < 0)
        return r;
    r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
    while (r >= 0 && sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
        if (sd_bus_message_read(reply, "o", &path) < 0)
            break;
        read_interfaces(reply, path);
        sd_bus_message_exit_container(reply);
    }
    sd_bus_message_unref(reply);
    return 0;
}

/* A job announced before its InterfacesAdded was seen: its properties, asked for. */
static struct mon_object *fetch(sd_bus *bus, const char *path, const char *interface) {
    sd_bus_message *reply = NULL;
    struct mon_object *o = NULL;
    struct mon_props p;
    if (sd_bus_call_method(bus, SERVICE, path, "org.freedesktop.DBus.Properties", "GetAll", NULL,
                           &reply, "s", interface) >= 0 &&
        mon_read_props(reply, &p) >= 0) {
        o = add_object(path, kind_of(interface));
        apply(o, &p);
    }
    sd_bus_message_unref(reply);
    return o;
}

static void on_properties(sd_bus_message *m) {
    const char *interface, *path = sd_bus_message_get_path(m);
    struct mon_object *o;
    struct mon_props p;
    if (sd_bus_message_read(m, "s", &interface) < 0 || kind_of(interface) == MON_NONE)
        return;
    o = mon_find(path);
    if (!o)
        o = add_object(path, kind_of(interface));
    if (mon_read_props(m, &p) < 0)
        return;
    /* The event compares the new values with the old, so it comes before they are stored. */
    if (wanted(o))
        mon_changed(o, library_of(o), &p);
    apply(o, &p);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    sd_bus *bus = userdata;
    const char *member = sd_bus_message_get_member(m);
    const char *path = sd_bus_message_get_path(m), *id, *object;
    struct mon_object *o;
    (void)ret_error;
    if (!member || !path)
        return 0;
    if (strcmp(member, "PropertiesChanged") == 0) {
        on_properties(m);
    } else if (strcmp(member, "InterfacesAdded") == 0) {
        if (sd_bus_message_read(m, "o", &object) < 0 || !(o = read_interfaces(m, object)))
            return 0;
        /* A job is announced by JobNew (InterfacesAdded also comes for an old job that GetJob
           exports again); a request that is still open is news, an answered one exported again
           is not. */
        if (o->kind == MON_REQUEST && o->state != NTMS_OPSTATE_COMPLETE &&
            o->state != NTMS_OPSTATE_REFUSED && wanted(o))
            mon_request_new(o, library_of(o));
        else if (o->kind == MON_DRIVE && wanted(o))
            mon_drive(o, library_of(o));
    } else if (strcmp(member, "InterfacesRemoved") == 0) {
        if (sd_bus_message_read(m, "o", &object) < 0 || !(o = mon_find(object)))
            return 0;
        /* A job leaves with JobRemoved, which comes next. */
        if (o->kind == MON_JOB)
            return 0;
        if (wanted(o))
            mon_removed(o, library_of(o));
        drop_object(object);
    } else if (strcmp(member, "JobNew") == 0 || strcmp(member, "JobRemoved") == 0) {
        if (sd_bus_message_read(m, "so", &id, &object) < 0)
            return 0;
        o = mon_find(object);
        if (!o && member[3] == 'N')
            o = fetch(bus, object, IFACE_JOB);
        if (!o)
            return 0;
        if (wanted(o)) {
            if (member[3] == 'N')
                mon_job_new(o, library_of(o));
            else
                mon_removed(o, library_of(o));
        }
        if (member[3] == 'R')
            drop_object(object);
    } else if (strcmp(member, "Completed") == 0) {
        uint32_t error;
        const char *message;
        o = mon_find(path);
        if (o && wanted(o) && sd_bus_message_read(m, "us", &error, &message) >= 0)
            mon_job_finished(o, library_of(o), error, message);
    }
    return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    sd_bus *bus = userdata;
    const char *name, *old_owner, *new_owner;
    (void)ret_error;
    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
        strcmp(name, SERVICE) != 0)
        return 0;
    if (!new_owner[0]) {
        mon_daemon(0);
        return 0;
    }
    /* Back: its objects again (the same libraries keep their paths). */
    while (n_objects > 0)
        drop_object(objects[n_objects - 1].path);
    mon_daemon(1);
    load(bus, NULL);
    return 0;
}

/* --library: by name or GUID, among the libraries now on the bus. */
static int resolve_filter(const char *arg) {
    size_t i;
    for (i = 0; i < n_objects; ++i)
        if (objects[i].kind == MON_LIBRARY &&
            (strcmp(objects[i].name, arg) == 0 || strcasecmp(objects[i].id, arg) == 0)) {
            filter = dup_or_empty(objects[i].path);
            return 1;
        }
    return 0;
}

static int run(sd_bus *bus, int sigfd) {
    for (;;) {
        struct pollfd fds[2];
        uint64_t until;
        int r, timeout = -1;
        while ((r = sd_bus_process(bus, NULL)) > 0)
            ;
        if (r < 0) {
            fprintf(stderr, "ntmsctl: the system bus connection was lost: %s\n", strerror(-r));
            return 3; /* EXIT_UNREACHABLE */
        }
        fds[0].fd = sd_bus_get_fd(bus);
        fds[0].events = (short)sd_bus_get_events(bus);
        fds[1].fd = sigfd;
        fds[1].events = POLLIN;
        if (sd_bus_get_timeout(bus, &until) >= 0 && until != UINT64_MAX) {
            struct timespec now;
            uint64_t now_us;
            clock_gettime(CLOCK_MONOTONIC, &now);
            now_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
            timeout = until <= now_us ? 0 : (int)((until - now_us + 999) / 1000);
        }
        if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
            perror("ntmsctl: poll");
            return 1;
        }
        if (fds[1].revents & POLLIN)
            return 0; /* SIGINT or SIGTERM: a clean end */
    }
}

int monitor_command(const char *host, const char *library) {
    sd_bus *bus = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sigset_t mask;
    int r, sigfd, rc;

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) {
        perror("ntmsctl: signalfd");
        return 1;
    }
    /* As libntms does: the local system bus, or "ssh HOST systemd-stdio-bridge". */
    r = host ? sd_bus_open_system_remote(&bus, host) : sd_bus_open_system(&bus);
    if (r < 0) {
        fprintf(stderr, "ntmsctl: %s: cannot connect to the system bus: %s\n",
                host ? host : "monitor", strerror(-r));
        return 3;
    }
    /* The matches come before the first read: nothing after it is missed. */
    r = sd_bus_add_match(bus, NULL,
                         "type='signal',sender='" SERVICE "',path_namespace='" ROOT "'",
                         on_signal, bus);
    if (r >= 0)
        r = sd_bus_add_match(bus, NULL, OWNER_RULE, on_owner, bus);
    if (r < 0) {
        fprintf(stderr, "ntmsctl: monitor: cannot subscribe: %s\n", strerror(-r));
        sd_bus_unref(bus);
        return 1;
    }
    r = load(bus, &error);
    if (r < 0) {
        fprintf(stderr, "ntmsctl: ntmsd cannot be reached: %s\n",
                error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_unref(bus);
        return 3;
    }
    if (library && !resolve_filter(library)) {
        fprintf(stderr, "ntmsctl: %s: no such library\n", library);
        sd_bus_unref(bus);
        return 5; /* EXIT_NOT_FOUND */
    }
    /* A line is complete when it is printed: a pipe gets each event at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!opt.json && legend())
        printf("Monitoring ntmsd's events%s%s. Press Ctrl-C to stop.\n",
               library ? " of library " : "", library ? library : "");
    rc = run(bus, sigfd);
    sd_bus_flush_close_unref(bus);
    while (n_objects > 0)
        drop_object(objects[n_objects - 1].path);
    free(objects);
    free(filter);
    return rc;
}
