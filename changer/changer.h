/*
 * ntms-changer: the mtx-changer protocol of Bacula and Bareos, served by ntmsd over D-Bus. See
 * ntms-changer(1). The parts: changer_bus.c (the connection, errors, the library and its
 * elements), changer_list.c (slots, list, listall, loaded) and changer_mount.c (load, unload and
 * the wait for their job).
 */
#ifndef NTMS_CHANGER_H
#define NTMS_CHANGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "common/ntms_vocabulary.h"

/* Win32 codes by their vocabulary names (CODE_ObjectNotFound ...), without <ntmsapi.h>. */
#define X(constant, code, name, where, text) CODE_##name = code,
enum changer_code { NTMS_ERRORS(X) CODE_END_ };
#undef X

/* Exit statuses (ntms-changer(1), EXIT STATUS): those of ntmsctl(1), except that a usage error
 * exits 1 as the mtx-changer scripts' argument check does. */
enum {
    CHANGER_EXIT_OK = 0,
    CHANGER_EXIT_FAILURE = 1,
    CHANGER_EXIT_INVALID = 2,
    CHANGER_EXIT_UNREACHABLE = 3,
    CHANGER_EXIT_ACCESS = 4,
    CHANGER_EXIT_NOT_FOUND = 5,
    CHANGER_EXIT_INVALID_OPERATION = 6,
    CHANGER_EXIT_UNAVAILABLE = 7,
    CHANGER_EXIT_FULL = 8,
    CHANGER_EXIT_DATABASE = 9,
    CHANGER_EXIT_CANCELLED = 10,
    CHANGER_EXIT_TIMEOUT = 11
};

#define CHANGER_GUID_SIZE 37
#define CHANGER_BARCODE_SIZE 64

/* One numbered slot as mtx numbers it: storage elements 1..S in address order, then the
 * import/export elements S+1..S+I. */
struct changer_slot {
    uint16_t address;
    bool port;
    bool full;
    char medium[CHANGER_GUID_SIZE]; /* "" when empty or unknown to ntmsd */
    char barcode[CHANGER_BARCODE_SIZE];
};

/* One drive, numbered 0..D-1 in address order (Drive.Number). home_address: its Drive.HomeSlot
 * (0: not known). home: the slot number reported as the one its cartridge came from
 * (changer_assign_homes; 0 when empty, or unknown with no empty storage slot left). */
struct changer_drive {
    uint16_t address;
    bool full;
    uint16_t home_address;
    unsigned home;
    char medium[CHANGER_GUID_SIZE];
    char barcode[CHANGER_BARCODE_SIZE];
};

struct changer {
    sd_bus *bus;
    char *path; /* the library's object path */
    char name[256];
    struct changer_slot *slots;
    size_t storage, ports; /* slots[0..storage) storage, then ports */
    struct changer_drive *drives;
    size_t drive_count;
};

/* Output flavour of listall: Bacula's script prints ports as I: lines, Bareos's as S: lines and
 * leaves out the empty barcode field of a full element without a label. */
enum changer_flavour { FLAVOUR_BACULA, FLAVOUR_BAREOS };

/* changer_bus.c */
int changer_fail(const char *what, uint32_t error, const char *detail);
int changer_fail_bus(const char *what, const sd_bus_error *e, int r);
uint32_t changer_error_code(const sd_bus_error *e, int r);
const char *changer_error_constant(uint32_t code);
int changer_exit_code(uint32_t error);
int changer_connect(sd_bus **out);
int changer_open(sd_bus *bus, const char *spec, struct changer *out);
void changer_close(struct changer *c);
int changer_drive_id(const struct changer *c, unsigned number, char id[CHANGER_GUID_SIZE]);

/* changer_list.c */
int command_slots(const struct changer *c);
int command_list(const struct changer *c);
int command_listall(const struct changer *c, enum changer_flavour flavour);
int command_loaded(const struct changer *c, unsigned drive);
void changer_assign_homes(struct changer *c);

/* changer_mount.c */
int command_load(struct changer *c, unsigned slot, unsigned drive, const char *device);
int command_unload(struct changer *c, unsigned slot, unsigned drive);
int command_transfer(struct changer *c, unsigned slot, unsigned to);

#endif
