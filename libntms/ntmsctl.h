/*
 * ntmsctl's parts: the options every part reads, and how objects are printed (ntmsctl_output.c):
 * a table on a terminal, one line each in a pipe, JSON with --json.
 */
#ifndef NTMSCTL_H
#define NTMSCTL_H

#include "common/ntms_guid.h"

#include <ntmsapi.h>
#include <stdio.h>

struct ntmsctl_options {
    const char *host;
    int json;
    int no_legend;
    int many;
    int wait;
    long timeout;
    int queue;         /* eject --queue */
    int force;         /* eject --force */
    const char *stop;  /* eject --stop JOB */
    DWORD method; /* inventory: NTMS_INVENTORY_* */
    const char *barcode; /* media --barcode B */
    const char *library; /* monitor --library L */
    const char *drive;   /* mount --drive D */
};
extern struct ntmsctl_options opt;

/* Exit codes: a small stable table over the Win32 errors (ntmsctl(1), EXIT STATUS). */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3,
    EXIT_ACCESS = 4,
    EXIT_NOT_FOUND = 5,
    EXIT_INVALID_OPERATION = 6,
    EXIT_UNAVAILABLE = 7,
    EXIT_FULL = 8,
    EXIT_DATABASE = 9,
    EXIT_CANCELLED = 10,
    EXIT_TIMEOUT = 11
};

/* A terminal gets a legend and colours (systemd's conventions; NO_COLOR turns colours off). */
int on_terminal(void);
int legend(void);
/* The help text, to stdout for --help, to stderr after a usage error. */
void usage(FILE *f);
/* A state word, padded to width, in red or green where colours are wanted. */
void print_state(const char *word, int width, int good, int bad);
void guid_format(const NTMS_GUID *g, char out[NTMS_GUID_TEXT_SIZE]);
void json_string(const char *s);

/* Names of the RSM lists' values, without their prefix ("INPROCESS"), or "UNKNOWN". */
const char *job_state_name(DWORD s);
/* The action of a job of this operation (NTMS_LM_INJECT, NTMS_LM_EJECT): an eject's START is
   "EJECT". */
const char *action_name(DWORD operation, DWORD a);
const char *opreq_state_name(DWORD s);
const char *opreq_type_name(DWORD t);

/* One object, as a line or (with --json) an object; first: no comma before it. */
void print_library(const NTMS_OBJECTINFORMATIONA *o, int first);
void print_job(const NTMS_OBJECTINFORMATIONA *o, int first);
void print_request(const NTMS_OBJECTINFORMATIONA *o, int first);

/* Shared by the commands (ntmsctl.c). */
int exit_code(DWORD error);
int fail(const char *what, DWORD error);
DWORD get_info(HANDLE h, NTMS_GUID *id, DWORD type, NTMS_OBJECTINFORMATIONA *info);
/* A growing list from EnumerateNtmsObject; the caller frees *list. */
DWORD enumerate(HANDLE h, NTMS_GUID *container, DWORD type, NTMS_GUID **list, DWORD *count);
/* A library by GUID or by name. */
DWORD find_library(HANDLE h, const char *arg, NTMS_GUID *out);
/* Follows a job until it ends, printing its changes; its exit code. */
int follow(HANDLE h, NTMS_GUID *library, NTMS_GUID *job);

/* The library commands (ntmsctl_library.c). */
/* "none", "fast", "default", "stop" as NTMS_INVENTORY_*; 1 on success. */
int inventory_method(const char *word, DWORD *method);
const char *inventory_method_name(DWORD method);
/* STOP for a running job of any kind ntmsctl starts. */
DWORD stop_job(HANDLE h, NTMS_GUID *library, NTMS_GUID *job);
int inventory_command(HANDLE h, const char *arg);
int door_command(HANDLE h, const char *arg);

/* ntmsctl media [LIBRARY|MEDIUM] (ntmsctl_media.c); arg may be NULL: every medium. */
int media_command(HANDLE h, const char *arg);
/* ntmsctl drives [LIBRARY] (ntmsctl_drives.c). */
int drives_command(HANDLE h, const char *arg);
/* ntmsctl mount MEDIUM, ntmsctl dismount MEDIUM (ntmsctl_mount.c). */
int mount_command(HANDLE h, const char *arg);
int dismount_command(HANDLE h, const char *arg);
/* ntmsctl clean DRIVE (ntmsctl_library.c). */
int clean_command(HANDLE h, const char *arg);

/* ntmsctl metrics [FILE] (ntmsctl_metrics.c), from the bus of host (NULL: this one); path NULL:
   to stdout. */
int metrics_command(const char *host, const char *path);

/* ntmsctl backup FILE (ntmsctl_backup.c). */
int backup_command(HANDLE h, const char *path);

/* ntmsctl check-database (ntmsctl_database.c). */
int check_database_command(HANDLE h);

#endif
