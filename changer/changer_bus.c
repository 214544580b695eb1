/*
 * ntms-changer's side of the bus: the connection (the system bus, or DBUS_SYSTEM_BUS_ADDRESS as
 * sd-bus reads it), errors named with the RSM vocabulary, and the library with its elements as
 * mtx numbers them.
 */
#define _GNU_SOURCE

#include "changer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE "org.ntms.Ntms1"
#define ROOT "/org/ntms/Ntms1"
#define MANAGER "org.ntms.Ntms1.Manager"
#define LIBRARY "org.ntms.Ntms1.Library"
#define DRIVE "org.ntms.Ntms1.Drive"

const char *changer_error_constant(uint32_t code) {
#define X(constant, value, name, where, text)                                                      \
    case value: return #constant;
    switch (code) {
        NTMS_ERRORS(X)
    }
#undef X
    return "ERROR_UNKNOWN";
}

static const char *error_text(uint32_t code) {
#define X(constant, value, name, where, text)                                                      \
    case value: return text;
    switch (code) {
        NTMS_ERRORS(X)
    }
#undef X
    return "unknown error";
}

int changer_exit_code(uint32_t error) {
    switch (error) {
    case CODE_Success: return CHANGER_EXIT_OK;
    case CODE_InvalidParameter: return CHANGER_EXIT_INVALID;
    case CODE_NotReady:
    case CODE_NotConnected:
    case CODE_NoInterfaces: return CHANGER_EXIT_UNREACHABLE;
    case CODE_AccessDenied: return CHANGER_EXIT_ACCESS;
    case CODE_ObjectNotFound:
    case CODE_NotFound: return CHANGER_EXIT_NOT_FOUND;
    case CODE_InvalidOperation:
    case CODE_InvalidState:
    case CODE_Empty:
    case CODE_NotEmpty: return CHANGER_EXIT_INVALID_OPERATION;
    case CODE_LibraryOffline:
    case CODE_DeviceNotAvailable:
    case CODE_NotSupported:
    case CODE_CallNotImplemented:
    case CODE_ResourceNotPresent: return CHANGER_EXIT_UNAVAILABLE;
    case CODE_LibraryFull:
    case CODE_IeportFull: return CHANGER_EXIT_FULL;
    case CODE_DatabaseFailure:
    case CODE_DatabaseFull: return CHANGER_EXIT_DATABASE;
    case CODE_Cancelled: return CHANGER_EXIT_CANCELLED;
    case CODE_Timeout: return CHANGER_EXIT_TIMEOUT;
    default: return CHANGER_EXIT_FAILURE;
    }
}

/* The Win32 code of a failed call: ntmsd's own error names map back exactly; the bus's errors
 * say that ntmsd cannot be reached or does not offer the member. */
uint32_t changer_error_code(const sd_bus_error *e, int r) {
    const char *name = e && e->name ? e->name : "";
    const size_t prefix = strlen(NTMS_DBUS_ERROR_PREFIX);
    if (strncmp(name, NTMS_DBUS_ERROR_PREFIX, prefix) == 0) {
#define X(constant, value, id, where, text)                                                        \
    if (strcmp(name + prefix, #id) == 0)                                                           \
        return value;
        NTMS_ERRORS(X)
#undef X
        return CODE_GenFailure;
    }
    if (strcmp(name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0 ||
        strcmp(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) == 0)
        return CODE_NotReady;
    if (strcmp(name, SD_BUS_ERROR_ACCESS_DENIED) == 0)
        return CODE_AccessDenied;
    if (strcmp(name, SD_BUS_ERROR_UNKNOWN_METHOD) == 0 ||
        strcmp(name, SD_BUS_ERROR_UNKNOWN_INTERFACE) == 0 ||
        strcmp(name, SD_BUS_ERROR_UNKNOWN_PROPERTY) == 0)
        return CODE_NoInterfaces;
    if (strcmp(name, SD_BUS_ERROR_UNKNOWN_OBJECT) == 0)
        return CODE_ObjectNotFound;
    if (strcmp(name, SD_BUS_ERROR_NO_MEMORY) == 0 || r == -ENOMEM)
        return CODE_NotEnoughMemory;
    if (strcmp(name, SD_BUS_ERROR_TIMEOUT) == 0 || strcmp(name, SD_BUS_ERROR_NO_REPLY) == 0 ||
        r == -ETIMEDOUT)
        return CODE_Timeout;
    if (!*name)
        return CODE_NotConnected; /* no reply at all: the bus itself is out of reach */
    return CODE_GenFailure;
}

/* One line on stderr: what failed, the RSM error's name and number, and ntmsd's message (else
 * the error's text). */
int changer_fail(const char *what, uint32_t error, const char *detail) {
    if (detail && *detail)
        fprintf(stderr, "ntms-changer: %s: %s (%lu): %s\n", what, changer_error_constant(error),
                (unsigned long)error, detail);
    else
        fprintf(stderr, "ntms-changer: %s: %s (%lu): %s\n", what, changer_error_constant(error),
                (unsigned long)error, error_text(error));
    return changer_exit_code(error);
}

int changer_fail_bus(const char *what, const sd_bus_error *e, int r) {
    const uint32_t code = changer_error_code(e, r);
    const char *detail = e && e->message ? e->message : NULL;
    char buf[128];
    if (!detail && r < 0) {
        snprintf(buf, sizeof buf, "%s", strerror(-r));
        detail = buf;
    }
    return changer_fail(what, code, detail);
}

int changer_connect(sd_bus **out) {
    sd_bus *bus = NULL;
    int r = sd_bus_open_system(&bus);
    if (r < 0)
        return changer_fail_bus("cannot reach the system bus", NULL, r);
    *out = bus;
    return CHANGER_EXIT_OK;
}

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *prop,
                      char *out, size_t size, sd_bus_error *e) {
    char *s = NULL;
    int r = sd_bus_get_property_string(bus, SERVICE, path, iface, prop, e, &s);
    if (r < 0)
        return r;
    snprintf(out, size, "%s", s);
    free(s);
    return 0;
}

/* A device string names the same node when both resolve to one path (/dev/tape/by-id/... and
 * /dev/sgN); anything else (iscsi://..., sim:...) compares as text. */
static bool same_device(const char *a, const char *b) {
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strcmp(a, b) == 0)
        return true;
    if (a[0] != '/' || b[0] != '/')
        return false;
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* The library whose Device is spec, for a changer named by its device string. */
static int find_by_device(sd_bus *bus, const char *spec, char **path) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    const char *p;
    int r = sd_bus_call_method(bus, SERVICE, ROOT, MANAGER, "ListLibraries", &e, &m, "");
    if (r < 0) {
        r = changer_fail_bus("ListLibraries", &e, r);
        sd_bus_error_free(&e);
        return r;
    }
    r = sd_bus_message_enter_container(m, 'a', "o");
    while (r >= 0 && (r = sd_bus_message_read(m, "o", &p)) > 0) {
        char device[PATH_MAX];
        if (get_string(bus, p, LIBRARY, "Device", device, sizeof device, &e) < 0) {
            sd_bus_error_free(&e); /* a library that left the bus meanwhile */
            continue;
        }
        if (same_device(spec, device)) {
            *path = strdup(p);
            sd_bus_message_unref(m);
            return *path ? CHANGER_EXIT_OK : changer_fail(spec, CODE_NotEnoughMemory, NULL);
        }
    }
    sd_bus_message_unref(m);
    if (r < 0)
        return changer_fail_bus("ListLibraries", NULL, r);
    return changer_fail(spec, CODE_ObjectNotFound,
                        "no library of ntmsd has this name, GUID or device");
}

static int resolve(sd_bus *bus, const char *spec, char **path) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    const char *p;
    int r = sd_bus_call_method(bus, SERVICE, ROOT, MANAGER, "GetLibrary", &e, &m, "s", spec);
    if (r < 0) {
        const uint32_t code = changer_error_code(&e, r);
        if (code == CODE_ObjectNotFound || code == CODE_InvalidParameter) {
            sd_bus_error_free(&e);
            return find_by_device(bus, spec, path);
        }
        r = changer_fail_bus(spec, &e, r);
        sd_bus_error_free(&e);
        return r;
    }
    r = sd_bus_message_read(m, "o", &p);
    if (r >= 0 && !(*path = strdup(p)))
        r = -ENOMEM;
    sd_bus_message_unref(m);
    return r < 0 ? changer_fail_bus(spec, NULL, r) : CHANGER_EXIT_OK;
}

static int add_slot(struct changer_slot **list, size_t *n, uint16_t address, bool port, int full,
                    const char *medium, const char *barcode) {
    struct changer_slot *grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return -ENOMEM;
    *list = grown;
    grown[*n].address = address;
    grown[*n].port = port;
    grown[*n].full = full != 0;
    snprintf(grown[*n].medium, sizeof grown[*n].medium, "%s", medium);
    snprintf(grown[*n].barcode, sizeof grown[*n].barcode, "%s", barcode);
    ++*n;
    return 0;
}

/* ListElements comes in address order: storage slots, ports and drives are numbered as they
 * come, each kind on its own. */
static int read_elements(struct changer *c) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    struct changer_slot *ports = NULL, *drives = NULL;
    size_t nports = 0, ndrives = 0, i;
    const char *kind, *medium, *barcode;
    uint16_t address;
    int full, r;
    r = sd_bus_call_method(c->bus, SERVICE, c->path, LIBRARY, "ListElements", &e, &m, "");
    if (r < 0) {
        r = changer_fail_bus(c->name, &e, r);
        sd_bus_error_free(&e);
        return r;
    }
    r = sd_bus_message_enter_container(m, 'a', "(qsbss)");
    while (r >= 0 &&
           (r = sd_bus_message_read(m, "(qsbss)", &address, &kind, &full, &medium, &barcode)) > 0) {
        if (strcmp(kind, "storage") == 0)
            r = add_slot(&c->slots, &c->storage, address, false, full, medium, barcode);
        else if (strcmp(kind, "port") == 0)
            r = add_slot(&ports, &nports, address, true, full, medium, barcode);
        else if (strcmp(kind, "drive") == 0)
            r = add_slot(&drives, &ndrives, address, false, full, medium, barcode);
    }
    sd_bus_message_unref(m);
    if (r >= 0 && nports) {
        struct changer_slot *all = realloc(c->slots, (c->storage + nports) * sizeof *all);
        if (!all)
            r = -ENOMEM;
        else {
            memcpy(all + c->storage, ports, nports * sizeof *all);
            c->slots = all;
            c->ports = nports;
        }
    }
    if (r >= 0 && ndrives && !(c->drives = calloc(ndrives, sizeof *c->drives)))
        r = -ENOMEM;
    for (i = 0; r >= 0 && i < ndrives; ++i) {
        c->drives[i].address = drives[i].address;
        c->drives[i].full = drives[i].full;
        memcpy(c->drives[i].medium, drives[i].medium, sizeof drives[i].medium);
        memcpy(c->drives[i].barcode, drives[i].barcode, sizeof drives[i].barcode);
    }
    if (r >= 0)
        c->drive_count = ndrives;
    free(ports);
    free(drives);
    return r < 0 ? changer_fail_bus(c->name, NULL, r) : CHANGER_EXIT_OK;
}

/* Calls visit(bus, path, data) for each drive object the library lists in DrivePaths, until a
 * call returns true. */
static int for_each_drive(const struct changer *c,
                          bool (*visit)(sd_bus *bus, const char *path, void *data), void *data) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    const char *p;
    int r = sd_bus_get_property(c->bus, SERVICE, c->path, LIBRARY, "DrivePaths", &e, &m, "ao");
    if (r < 0) {
        r = changer_fail_bus(c->name, &e, r);
        sd_bus_error_free(&e);
        return r;
    }
    r = sd_bus_message_enter_container(m, 'a', "o");
    while (r >= 0 && (r = sd_bus_message_read(m, "o", &p)) > 0)
        if (visit(c->bus, p, data))
            break;
    sd_bus_message_unref(m);
    return r < 0 ? changer_fail_bus(c->name, NULL, r) : CHANGER_EXIT_OK;
}

/* A drive's Drive.HomeSlot into home_address of the changer's drive at its element, when full. A
 * drive that left the bus meanwhile, or a daemon without the property, leaves it 0. */
static bool take_home(sd_bus *bus, const char *path, void *data) {
    struct changer *c = data;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    uint16_t element = 0, home = 0;
    size_t i;
    if (sd_bus_get_property_trivial(bus, SERVICE, path, DRIVE, "Element", &e, 'q', &element) < 0 ||
        sd_bus_get_property_trivial(bus, SERVICE, path, DRIVE, "HomeSlot", &e, 'q', &home) < 0) {
        sd_bus_error_free(&e);
        return false;
    }
    for (i = 0; i < c->drive_count; ++i)
        if (c->drives[i].address == element && c->drives[i].full)
            c->drives[i].home_address = home;
    return false;
}

/* Each full drive's home slot (an element address; 0: not known). */
static int read_homes(struct changer *c) {
    return for_each_drive(c, take_home, c);
}

int changer_open(sd_bus *bus, const char *spec, struct changer *out) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    char state[32];
    int rc;
    memset(out, 0, sizeof *out);
    out->bus = bus;
    snprintf(out->name, sizeof out->name, "%s", spec);
    if ((rc = resolve(bus, spec, &out->path)) != CHANGER_EXIT_OK)
        return rc;
    /* An offline library has no element status to number: say so instead of "0 slots". */
    if (get_string(bus, out->path, LIBRARY, "State", state, sizeof state, &e) < 0) {
        rc = changer_fail_bus(spec, &e, -EIO);
        sd_bus_error_free(&e);
        return rc;
    }
    if (strcmp(state, "online") != 0) {
        char reason[512] = "";
        if (get_string(bus, out->path, LIBRARY, "OfflineReason", reason, sizeof reason, &e) < 0)
            sd_bus_error_free(&e);
        return changer_fail(spec, CODE_LibraryOffline, reason);
    }
    if ((rc = read_elements(out)) != CHANGER_EXIT_OK || (rc = read_homes(out)) != CHANGER_EXIT_OK)
        return rc;
    changer_assign_homes(out);
    return CHANGER_EXIT_OK;
}

void changer_close(struct changer *c) {
    free(c->path);
    free(c->slots);
    free(c->drives);
    memset(c, 0, sizeof *c);
}

struct drive_lookup {
    unsigned number;
    char *id;
    bool found;
};

/* Stops at the drive whose Drive.Number is the one looked up, with its Id. */
static bool match_number(sd_bus *bus, const char *path, void *data) {
    struct drive_lookup *l = data;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    uint32_t n = 0;
    if (sd_bus_get_property_trivial(bus, SERVICE, path, DRIVE, "Number", &e, 'u', &n) >= 0 &&
        n == l->number && get_string(bus, path, DRIVE, "Id", l->id, CHANGER_GUID_SIZE, &e) >= 0)
        l->found = true;
    sd_bus_error_free(&e);
    return l->found;
}

/* The GUID of the drive numbered `number` (Drive.Number, mtx's drive index). */
int changer_drive_id(const struct changer *c, unsigned number, char id[CHANGER_GUID_SIZE]) {
    struct drive_lookup l = {number, id, false};
    char what[300];
    int rc = for_each_drive(c, match_number, &l);
    if (rc != CHANGER_EXIT_OK || l.found)
        return rc;
    snprintf(what, sizeof what, "%s: drive %u", c->name, number);
    return changer_fail(what, CODE_ObjectNotFound, "ntmsd lists no such drive");
}
