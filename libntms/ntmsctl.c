/*
 * ntmsctl: the administrator's tool for ntmsd, written against ntmsapi.h only (metrics and monitor
 * aside, which are not RSM's), so that it is also the first user of the C API. See ntmsctl(1).
 * From the project it takes only the headers of common/: the vocabulary (state and action names)
 * and the GUID text.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"
#include "ntmsctl_monitor.h"

#include "common/ntms_guid.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ntmsapi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int exit_code(DWORD error) {
    switch (error) {
    case ERROR_SUCCESS: return EXIT_OK;
    case ERROR_INVALID_PARAMETER: return EXIT_USAGE;
    case ERROR_INVALID_HANDLE:
    case ERROR_NOT_CONNECTED:
    case ERROR_NOT_READY:
    case ERROR_NO_NETWORK:
    case ERROR_INVALID_COMPUTERNAME:
    case RPC_S_NO_INTERFACES: return EXIT_UNREACHABLE;
    case ERROR_ACCESS_DENIED: return EXIT_ACCESS;
    case ERROR_OBJECT_NOT_FOUND: return EXIT_NOT_FOUND;
    case ERROR_INVALID_OPERATION:
    case ERROR_INVALID_STATE: return EXIT_INVALID_OPERATION;
    case ERROR_LIBRARY_OFFLINE:
    case ERROR_DEVICE_NOT_AVAILABLE:
    case ERROR_NOT_SUPPORTED:
    case ERROR_RESOURCE_NOT_PRESENT: return EXIT_UNAVAILABLE;
    case ERROR_LIBRARY_FULL:
    case ERROR_IEPORT_FULL: return EXIT_FULL;
    case ERROR_DATABASE_FAILURE:
    case ERROR_DATABASE_FULL: return EXIT_DATABASE;
    case ERROR_CANCELLED: return EXIT_CANCELLED;
    case ERROR_TIMEOUT: return EXIT_TIMEOUT;
    default: return EXIT_OTHER;
    }
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

int fail(const char *what, DWORD error) {
    fprintf(stderr, "ntmsctl: %s: %s (error %lu)\n", what, NtmsErrorString(error),
            (unsigned long)error);
    return exit_code(error);
}

/* The 8-4-4-4-12 form only, as ntmsctl(1) says: 32 hex digits may be a library's name. 1 on
 * success. */
static int guid_parse(const char *s, NTMS_GUID *g) {
    uint8_t bytes[16];
    if (strlen(s) != 36 || !ntms_guid_parse(s, 36, bytes))
        return 0;
    ntms_guid_to_fields(bytes, &g->Data1, &g->Data2, &g->Data3, g->Data4);
    return 1;
}

static int job_finished(DWORD s) {
    return s == NTMS_LM_PASSED || s == NTMS_LM_FAILED || s == NTMS_LM_INVALID ||
           s == NTMS_LM_CANCELLED || s == NTMS_LM_STOPPED;
}

DWORD get_info(HANDLE h, NTMS_GUID *id, DWORD type, NTMS_OBJECTINFORMATIONA *info) {
    memset(info, 0, sizeof *info);
    info->dwSize = sizeof *info;
    info->dwType = type;
    return GetNtmsObjectInformationA(h, id, info);
}

/* A growing list from EnumerateNtmsObject; the caller frees *list. */
DWORD enumerate(HANDLE h, NTMS_GUID *container, DWORD type, NTMS_GUID **list,
                       DWORD *count) {
    DWORD size = 8, rc;
    *list = NULL;
    for (;;) {
        NTMS_GUID *grown = realloc(*list, (size ? size : 1) * sizeof **list);
        if (!grown) {
            free(*list);
            *list = NULL;
            return ERROR_NOT_ENOUGH_MEMORY;
        }
        *list = grown;
        rc = EnumerateNtmsObject(h, container, *list, &size, type, 0);
        if (rc != ERROR_INSUFFICIENT_BUFFER)
            break;
    }
    if (rc != ERROR_SUCCESS) {
        free(*list);
        *list = NULL;
        return rc;
    }
    *count = size;
    return ERROR_SUCCESS;
}

/* A library by GUID or by name. */
DWORD find_library(HANDLE h, const char *arg, NTMS_GUID *out) {
    NTMS_GUID *list;
    DWORD n, i, rc;
    if (guid_parse(arg, out))
        return ERROR_SUCCESS;
    rc = enumerate(h, NULL, NTMS_LIBRARY, &list, &n);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = ERROR_OBJECT_NOT_FOUND;
    for (i = 0; i < n; ++i) {
        NTMS_OBJECTINFORMATIONA info;
        if (get_info(h, &list[i], NTMS_LIBRARY, &info) == ERROR_SUCCESS &&
            strcmp(info.szName, arg) == 0) {
            *out = list[i];
            rc = ERROR_SUCCESS;
            break;
        }
    }
    free(list);
    return rc;
}

typedef void (*printer)(const NTMS_OBJECTINFORMATIONA *, int);

/* header: the column names of the legend; noun: what "N ... listed." counts. */
static int list_command(HANDLE h, DWORD type, printer print, const char *header,
                        const char *noun) {
    NTMS_GUID *list;
    DWORD n, i, rc = enumerate(h, NULL, type, &list, &n);
    int shown = 0;
    if (rc != ERROR_SUCCESS)
        return fail("enumerate", rc);
    if (opt.json)
        printf("[");
    else if (legend())
        printf("%s\n", header);
    for (i = 0; i < n; ++i) {
        NTMS_OBJECTINFORMATIONA info;
        /* An object may leave the bus between the two calls; that is no error. */
        if (get_info(h, &list[i], type, &info) != ERROR_SUCCESS)
            continue;
        print(&info, shown++ == 0);
    }
    if (opt.json)
        printf("]\n");
    else if (legend())
        printf("\n%d %s listed.\n", shown, noun);
    free(list);
    return EXIT_OK;
}

static int show_command(HANDLE h, NTMS_GUID *id, DWORD type, printer print) {
    NTMS_OBJECTINFORMATIONA info;
    DWORD rc = get_info(h, id, type, &info);
    if (rc != ERROR_SUCCESS)
        return fail("get", rc);
    print(&info, 1);
    if (opt.json)
        printf("\n");
    return EXIT_OK;
}

static int parse_id(const char *arg, NTMS_GUID *id) {
    if (guid_parse(arg, id))
        return 1;
    fprintf(stderr, "ntmsctl: '%s' is not a GUID\n", arg);
    return 0;
}

/* Ctrl-C while following a job: ask on a terminal, stop it otherwise. */
static int want_stop(void) {
    char answer[16];
    if (!isatty(STDIN_FILENO))
        return 1;
    fprintf(stderr, "\nStop the job? [y/N] ");
    if (!fgets(answer, sizeof answer, stdin))
        return 1;
    return answer[0] == 'y' || answer[0] == 'Y';
}

/* How long a wait for the job's next change lasts before Ctrl-C is looked at: waiting costs no
   bus traffic, the job's changes come as notifications. */
#define FOLLOW_SLICE_MS 250

/* library: the inject's library; NULL for an eject, which is stopped by its GUID alone. */
static int follow_changes(HANDLE h, HANDLE changes, NTMS_GUID *library, NTMS_GUID *job) {
    DWORD last_state = 0xffffffffu;
    char last_description[NTMS_DESCRIPTION_LENGTH] = "";
    int changed = 1;
    for (;;) {
        NTMS_NOTIFICATIONINFORMATION note;
        DWORD rc;
        if (changed) {
            NTMS_OBJECTINFORMATIONA info;
            const NTMS_LIBREQUESTINFORMATIONA *r = &info.Info.LibRequest;
            rc = get_info(h, job, NTMS_LIBREQUEST, &info);
            if (rc != ERROR_SUCCESS)
                return fail("job", rc);
            if (r->State != last_state || strcmp(info.szDescription, last_description) != 0) {
                if (!opt.json)
                    printf("%s %s\n", job_state_name(r->State), info.szDescription);
                fflush(stdout);
                last_state = r->State;
                memcpy(last_description, info.szDescription, sizeof last_description);
            }
            if (job_finished(r->State)) {
                if (opt.json) {
                    print_job(&info, 1);
                    printf("\n");
                }
                if (r->State == NTMS_LM_FAILED)
                    return exit_code(r->dwErrorCode ? r->dwErrorCode : ERROR_GEN_FAILURE);
                if (r->State == NTMS_LM_STOPPED || r->State == NTMS_LM_CANCELLED)
                    return exit_code(ERROR_CANCELLED);
                return EXIT_OK;
            }
        }
        if (interrupted) {
            interrupted = 0;
            if (want_stop()) {
                rc = stop_job(h, library, job);
                if (rc != ERROR_SUCCESS && rc != ERROR_INVALID_OPERATION)
                    return fail("stop", rc);
            }
        }
        rc = WaitForNtmsNotification(changes, &note, FOLLOW_SLICE_MS);
        if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT)
            return fail("job", rc);
        changed = rc == ERROR_SUCCESS && memcmp(&note.ObjectId, job, sizeof *job) == 0;
    }
}

int follow(HANDLE h, NTMS_GUID *library, NTMS_GUID *job) {
    struct sigaction sa;
    HANDLE changes;
    int rc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    /* Open before the job is first read: a change after that read is never missed. */
    changes = OpenNtmsNotification(h, NTMS_LIBREQUEST);
    if (changes == INVALID_HANDLE_VALUE)
        return fail("job", NtmsGetLastError());
    rc = follow_changes(h, changes, library, job);
    CloseNtmsNotification(changes);
    return rc;
}

static int inject_command(HANDLE h, const char *arg) {
    NTMS_GUID library, job;
    char id[37];
    DWORD rc = find_library(h, arg, &library);
    if (rc != ERROR_SUCCESS)
        return fail(arg, rc);
    if (opt.timeout >= 0) {
        rc = NtmsSetInjectTimeout(h, (DWORD)opt.timeout);
        if (rc != ERROR_SUCCESS)
            return fail("timeout", rc);
    }
    memset(&job, 0, sizeof job);
    rc = InjectNtmsMedia(h, &library, &job, opt.many ? NTMS_INJECT_STARTMANY : NTMS_INJECT_START);
    if (rc != ERROR_SUCCESS)
        return fail("inject", rc);
    guid_format(&job, id);
    if (!opt.wait) {
        if (opt.json)
            printf("{\"job\":\"%s\"}\n", id);
        else
            printf("%s\n", id);
        return EXIT_OK;
    }
    if (!opt.json)
        printf("job %s\n", id);
    return follow(h, &library, &job);
}

/* eject MEDIUM (START, or FORCE, or QUEUE), eject (START of the queued media), eject --stop JOB.
   MEDIUM is the medium's GUID. */
static int eject_command(HANDLE h, const char *arg) {
    NTMS_GUID medium, job;
    char id[37];
    DWORD rc, action = opt.queue ? NTMS_EJECT_QUEUE : opt.force ? NTMS_EJECT_FORCE : NTMS_EJECT_START;
    if (opt.stop) {
        if (!parse_id(opt.stop, &job))
            return EXIT_USAGE;
        rc = EjectNtmsMedia(h, NULL, &job, NTMS_EJECT_STOP);
        return rc == ERROR_SUCCESS ? EXIT_OK : fail("stop", rc);
    }
    if (arg && !parse_id(arg, &medium))
        return EXIT_USAGE;
    if (opt.timeout >= 0 && (rc = NtmsSetInjectTimeout(h, (DWORD)opt.timeout)) != ERROR_SUCCESS)
        return fail("timeout", rc);
    memset(&job, 0, sizeof job);
    rc = EjectNtmsMedia(h, arg ? &medium : NULL, &job, action);
    if (rc != ERROR_SUCCESS)
        return fail("eject", rc);
    if (action == NTMS_EJECT_QUEUE) {
        if (opt.json)
            printf("{\"queued\":\"%s\"}\n", arg);
        else if (legend())
            printf("Queued for the next eject.\n");
        return EXIT_OK;
    }
    guid_format(&job, id);
    if (!opt.wait) {
        if (opt.json)
            printf("{\"job\":\"%s\"}\n", id);
        else
            printf("%s\n", id);
        return EXIT_OK;
    }
    if (!opt.json)
        printf("job %s\n", id);
    return follow(h, NULL, &job);
}

/* STOP and RETRACT name the job's library too: it is read from the job. */
static int job_action(HANDLE h, const char *arg, DWORD action) {
    NTMS_GUID job;
    NTMS_OBJECTINFORMATIONA info;
    DWORD rc;
    if (!parse_id(arg, &job))
        return EXIT_USAGE;
    rc = get_info(h, &job, NTMS_LIBREQUEST, &info);
    if (rc != ERROR_SUCCESS)
        return fail(arg, rc);
    /* STOP in the job's own operation (inject, eject or inventory); RETRACT is an inject's. */
    rc = action == NTMS_INJECT_STOP ? stop_job(h, &info.Info.LibRequest.Library, &job)
                                    : InjectNtmsMedia(h, &info.Info.LibRequest.Library, &job, action);
    if (rc != ERROR_SUCCESS)
        return fail(action == NTMS_INJECT_STOP ? "stop" : "retract", rc);
    return EXIT_OK;
}

static int request_action(HANDLE h, const char *arg, int satisfy) {
    NTMS_GUID id;
    DWORD rc;
    if (!parse_id(arg, &id))
        return EXIT_USAGE;
    rc = satisfy ? SatisfyNtmsOperatorRequest(h, &id) : CancelNtmsOperatorRequest(h, &id);
    if (rc != ERROR_SUCCESS)
        return fail(satisfy ? "satisfy" : "cancel", rc);
    return EXIT_OK;
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'}, {"json", no_argument, NULL, 'j'},
        {"many", no_argument, NULL, 'm'},       {"timeout", required_argument, NULL, 't'},
        {"wait", no_argument, NULL, 'w'},       {"help", no_argument, NULL, 'h'},
        {"output", required_argument, NULL, 'o'}, {"no-legend", no_argument, NULL, 'L'},
        {"no-pager", no_argument, NULL, 'P'},   {"queue", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, 'f'},      {"stop", required_argument, NULL, 's'},
        {"method", required_argument, NULL, 'M'}, {"barcode", required_argument, NULL, 'B'},
        {"library", required_argument, NULL, 'l'},
        {"drive", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0}};
    const char *cmd, *arg;
    HANDLE h;
    int c, rc, nargs;
    opt.timeout = -1;
    opt.method = (DWORD)-1; /* each command's own default */
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H': opt.host = optarg; break;
        case 'j': opt.json = 1; break;
        case 'm': opt.many = 1; break;
        case 'w': opt.wait = 1; break;
        case 'q': opt.queue = 1; break;
        case 'f': opt.force = 1; break;
        case 's': opt.stop = optarg; break;
        case 'B': opt.barcode = optarg; break;
        case 'l': opt.library = optarg; break;
        case 'D': opt.drive = optarg; break;
        case 'L': opt.no_legend = 1; break;
        case 'P': break; /* ntmsctl never pages; accepted as systemd's tools accept it */
        case 'M':
            if (!inventory_method(optarg, &opt.method)) {
                fprintf(stderr, "ntmsctl: --method takes none, fast, default or stop, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            if (strcmp(optarg, "json") == 0 || strcmp(optarg, "short") == 0) {
                opt.json = optarg[0] == 'j';
                break;
            }
            fprintf(stderr, "ntmsctl: --output takes short or json, not '%s'\n", optarg);
            return EXIT_USAGE;
        case 't':
            errno = 0;
            opt.timeout = strtol(optarg, &end, 10);
            if (errno || *end || opt.timeout < 0 || opt.timeout > 65535) {
                fprintf(stderr, "ntmsctl: --timeout takes 0..65535 seconds\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    nargs = argc - optind;
    if (nargs < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[optind];
    arg = nargs > 1 ? argv[optind + 1] : NULL;
    {
        static const struct {
            const char *name;
            int args;
        } commands[] = {{"libraries", 0}, {"library", 1}, {"inject", 1}, {"stop", 1},
                        {"retract", 1},   {"jobs", 0},    {"job", 1},    {"requests", 0},
                        {"satisfy", 1},   {"cancel", 1},  {"backup", 1}, {"eject", 1},
                        {"inventory", 1}, {"door", 1},  {"media", -1}, {"drives", -1},
                        {"monitor", 0},   {"metrics", -1},
                        {"mount", 1},     {"dismount", 1},  {"clean", 1},
                        {"check-database", 0}};
        size_t i;
        for (i = 0; i < sizeof commands / sizeof commands[0]; ++i)
            if (strcmp(commands[i].name, cmd) == 0)
                break;
        /* eject's MEDIUM is left out to eject the queue, and with --stop. */
        if (i == sizeof commands / sizeof commands[0] ||
            (nargs != 1 + commands[i].args && !(commands[i].args < 0 && nargs <= 2) &&
             !(strcmp(cmd, "eject") == 0 && nargs == 1 && !opt.queue && !opt.force)) ||
            (opt.stop && (strcmp(cmd, "eject") != 0 || nargs != 1 || opt.queue || opt.force)) ||
            (opt.queue && opt.force) || (opt.library && strcmp(cmd, "monitor") != 0)) {
            usage(stderr);
            return EXIT_USAGE;
        }
    }

    /* A file descriptor cannot travel over ssh. */
    if (opt.host && strcmp(cmd, "backup") == 0) {
        fprintf(stderr, "ntmsctl: backup writes a file on ntmsd's own host: run it there "
                        "(ssh %s ntmsctl backup FILE)\n", opt.host);
        return EXIT_UNAVAILABLE;
    }

    /* The monitor reads the bus itself (ntmsctl_monitor.c). */
    if (strcmp(cmd, "monitor") == 0)
        return monitor_command(opt.host, opt.library);
    if (strcmp(cmd, "metrics") == 0) /* from the bus itself: not part of the RSM API */
        return metrics_command(opt.host, arg);

    h = OpenNtmsSessionA(opt.host, "ntmsctl", 0);
    if (h == INVALID_HANDLE_VALUE)
        return fail(opt.host ? opt.host : "session", NtmsGetLastError());

    if (strcmp(cmd, "libraries") == 0) {
        rc = list_command(h, NTMS_LIBRARY, print_library,
                          "ID                                    NAME             STATE    "
                          "ENABLED  CONTENTS",
                          "libraries");
    } else if (strcmp(cmd, "library") == 0) {
        NTMS_GUID id;
        DWORD e = find_library(h, arg, &id);
        rc = e == ERROR_SUCCESS ? show_command(h, &id, NTMS_LIBRARY, print_library)
                                : fail(arg, e);
    } else if (strcmp(cmd, "inject") == 0) {
        rc = inject_command(h, arg);
    } else if (strcmp(cmd, "eject") == 0) {
        rc = eject_command(h, arg);
    } else if (strcmp(cmd, "stop") == 0) {
        rc = job_action(h, arg, NTMS_INJECT_STOP);
    } else if (strcmp(cmd, "retract") == 0) {
        rc = job_action(h, arg, NTMS_INJECT_RETRACT);
    } else if (strcmp(cmd, "jobs") == 0) {
        rc = list_command(h, NTMS_LIBREQUEST, print_job,
                          "ID                                    ACTION    STATE     ERROR      "
                          "DESCRIPTION",
                          "jobs");
    } else if (strcmp(cmd, "job") == 0) {
        NTMS_GUID id;
        rc = parse_id(arg, &id) ? show_command(h, &id, NTMS_LIBREQUEST, print_job) : EXIT_USAGE;
    } else if (strcmp(cmd, "requests") == 0) {
        rc = list_command(h, NTMS_OPREQUEST, print_request,
                          "ID                                    TYPE     STATE      MESSAGE",
                          "requests");
    } else if (strcmp(cmd, "backup") == 0) {
        rc = backup_command(h, arg);
    } else if (strcmp(cmd, "inventory") == 0) {
        rc = inventory_command(h, arg);
    } else if (strcmp(cmd, "door") == 0) {
        rc = door_command(h, arg);
    } else if (strcmp(cmd, "media") == 0) {
        rc = media_command(h, arg);
    } else if (strcmp(cmd, "drives") == 0) {
        rc = drives_command(h, arg);
    } else if (strcmp(cmd, "mount") == 0) {
        rc = mount_command(h, arg);
    } else if (strcmp(cmd, "dismount") == 0) {
        rc = dismount_command(h, arg);
    } else if (strcmp(cmd, "clean") == 0) {
        rc = clean_command(h, arg);
    } else if (strcmp(cmd, "check-database") == 0) {
        rc = check_database_command(h);
    } else {
        rc = request_action(h, arg, strcmp(cmd, "satisfy") == 0);
    }
    CloseNtmsSession(h);
    return rc;
}
