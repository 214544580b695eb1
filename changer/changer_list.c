/*
 * slots, list, listall and loaded: the lines the mtx-changer scripts of Bacula and Bareos cut out
 * of `mtx status`, made from ntmsd's element list. Each line is what the script prints for the
 * same changer, field for field (ntms-changer(1), OUTPUT).
 */
#include "changer.h"

#include <stdio.h>

/*
 * The slot a full drive's cartridge came from, as mtx prints the drive's source element: ntmsd's
 * Drive.HomeSlot (the slot the mount took it from, or the changer's source address), numbered as
 * mtx numbers slots, whether or not that slot has been filled since. A drive whose home ntmsd
 * does not know (a cartridge put there before ntmsd ran, by a changer that reports no source)
 * gets, in drive order, the lowest-numbered empty storage slot that is neither another drive's
 * home nor given to a lower drive: a slot that `unload` with that number can put it into. Left
 * without one, it gets 0 and is listed as mtx lists a drive whose source it does not know.
 */
static unsigned slot_number(const struct changer *c, uint16_t address) {
    size_t i;
    for (i = 0; address && i < c->storage + c->ports; ++i)
        if (c->slots[i].address == address)
            return (unsigned)(i + 1);
    return 0;
}

static bool is_home(const struct changer *c, unsigned slot) {
    size_t d;
    for (d = 0; d < c->drive_count; ++d)
        if (c->drives[d].full && c->drives[d].home == slot)
            return true;
    return false;
}

void changer_assign_homes(struct changer *c) {
    size_t d, s = 0;
    for (d = 0; d < c->drive_count; ++d)
        c->drives[d].home = c->drives[d].full ? slot_number(c, c->drives[d].home_address) : 0;
    for (d = 0; d < c->drive_count; ++d) {
        if (!c->drives[d].full || c->drives[d].home)
            continue;
        while (s < c->storage && (c->slots[s].full || is_home(c, (unsigned)(s + 1))))
            ++s;
        if (s < c->storage)
            c->drives[d].home = (unsigned)(++s);
    }
}

/* Field 5 of mtx's "Storage Changer DEV:D Drives, N Slots ( I Import/Export )": N counts the
 * import/export slots too. */
int command_slots(const struct changer *c) {
    printf("%zu\n", c->storage + c->ports);
    return CHANGER_EXIT_OK;
}

/* Full storage slots (not the ports) as "n:BARCODE", then full drives as "K:BARCODE". */
int command_list(const struct changer *c) {
    size_t i;
    for (i = 0; i < c->storage; ++i)
        if (c->slots[i].full)
            printf("%zu:%s\n", i + 1, c->slots[i].barcode);
    for (i = 0; i < c->drive_count; ++i)
        if (c->drives[i].full && c->drives[i].home)
            printf("%u:%s\n", c->drives[i].home, c->drives[i].barcode);
    return CHANGER_EXIT_OK;
}

/* A full element's barcode field: Bacula's script always prints it, even empty; Bareos's awk
 * leaves the separator out when mtx printed no volume tag. */
static void tail(enum changer_flavour flavour, const char *barcode) {
    if (flavour == FLAVOUR_BACULA || *barcode)
        printf(":%s", barcode);
    putchar('\n');
}

int command_listall(const struct changer *c, enum changer_flavour flavour) {
    size_t i;
    for (i = 0; i < c->drive_count; ++i) {
        const struct changer_drive *d = &c->drives[i];
        if (!d->full)
            printf("D:%zu:E\n", i);
        else if (d->home) {
            printf("D:%zu:F:%u", i, d->home);
            tail(flavour, d->barcode);
        }
    }
    for (i = 0; i < c->storage + c->ports; ++i) {
        const struct changer_slot *s = &c->slots[i];
        const char kind = s->port && flavour == FLAVOUR_BACULA ? 'I' : 'S';
        if (!s->full)
            printf("%c:%zu:E\n", kind, i + 1);
        else {
            printf("%c:%zu:F", kind, i + 1);
            tail(flavour, s->barcode);
        }
    }
    return CHANGER_EXIT_OK;
}

/* The slot the drive's cartridge came from, 0 for an empty drive. */
int command_loaded(const struct changer *c, unsigned drive) {
    const struct changer_drive *d;
    char detail[80];
    if (drive >= c->drive_count) {
        char what[300];
        snprintf(what, sizeof what, "%s: drive %u", c->name, drive);
        snprintf(detail, sizeof detail, "the library has %zu drives, numbered from 0",
                 c->drive_count);
        return changer_fail(what, CODE_ObjectNotFound, detail);
    }
    d = &c->drives[drive];
    if (d->full && !d->home) {
        char what[300];
        snprintf(what, sizeof what, "%s: drive %u", c->name, drive);
        return changer_fail(what, CODE_NotEmpty,
                            "full, its home unknown, and no empty storage slot is left to report");
    }
    printf("%u\n", d->full ? d->home : 0);
    return CHANGER_EXIT_OK;
}
