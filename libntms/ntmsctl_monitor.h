/*
 * ntmsctl monitor's parts: the objects it knows (ntmsctl_monitor.c) and the events it prints
 * about them (ntmsctl_monitor_print.c).
 */
#ifndef NTMSCTL_MONITOR_H
#define NTMSCTL_MONITOR_H

#include <stdint.h>
#include <systemd/sd-bus.h>

enum mon_kind { MON_NONE, MON_LIBRARY, MON_JOB, MON_REQUEST, MON_DRIVE };

/* One object of ntmsd, as the last signals left it. */
struct mon_object {
    enum mon_kind kind;
    char *path;
    char *library;   /* the library's object path (its own for a library), or "" */
    char *id;        /* Id: a GUID */
    char *name;      /* a library's Name */
    char *text;      /* a request's Message, a drive's Barcode */
    char *reason;    /* a library's OfflineReason */
    char *operation; /* a job's Operation */
    int online;      /* a library's State is online; a drive's is loaded */
    uint32_t state;  /* a job's or a request's State */
    uint32_t type, action, media_moved, number;
};

/* The properties the monitor reads, in one a{sv}. */
enum {
    P_ID, P_NAME, P_STATE, P_OFFLINE_REASON, P_LIBRARY, P_JOB, P_TYPE, P_MESSAGE, P_OPERATION,
    P_ACTION, P_ERROR, P_ERROR_MESSAGE, P_MEDIA_MOVED, P_FREE_SLOTS, P_ENABLED, P_DOOR, P_BARCODE,
    P_NUMBER, P_PORTS, P_COUNT
};
struct mon_value {
    int set;
    char type;     /* 's' (also 'o'), 'u' (also 'q'), 'b', or 'p' for Ports */
    const char *s; /* valid while the message is */
    uint32_t u;
};
struct mon_props {
    struct mon_value v[P_COUNT];
    char ports_text[512]; /* Ports as "100: 1 of 1 full, open" */
    char ports_json[1024];
};

/* Reads an a{sv}; the values it does not know are skipped. */
int mon_read_props(sd_bus_message *m, struct mon_props *p);
struct mon_object *mon_find(const char *path);

/* The events. lib is the object's library, or NULL when unknown. */
void mon_changed(const struct mon_object *o, const struct mon_object *lib,
                 const struct mon_props *p);
void mon_job_new(const struct mon_object *o, const struct mon_object *lib);
void mon_job_finished(const struct mon_object *o, const struct mon_object *lib, uint32_t error,
                      const char *message);
void mon_request_new(const struct mon_object *o, const struct mon_object *lib);
void mon_drive(const struct mon_object *o, const struct mon_object *lib);
void mon_removed(const struct mon_object *o, const struct mon_object *lib);
/* ntmsd left the bus (0) or is back (1). */
void mon_daemon(int back);

/* ntmsctl monitor [--library L] (ntmsctl_monitor.c); its exit code. */
int monitor_command(const char *host, const char *library);

#endif
