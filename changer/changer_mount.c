/*
 * load, unload and transfer: Manager.MountMedia, DismountMedia and MoveMedia, then the wait for their job to
 * end, woken by its PropertiesChanged and Completed signals and reading Job.State each time (a job
 * that already left the bus is brought back with Manager.GetJob).
 */
#define _GNU_SOURCE

#include "changer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SERVICE "org.ntms.Ntms1"
#define ROOT "/org/ntms/Ntms1"
#define MANAGER "org.ntms.Ntms1.Manager"
#define JOB "org.ntms.Ntms1.Job"

/* The RSM values the calls carry (ntmsapi.h): mtx fails at once where RSM would wait. */
enum {
    MOUNT_READ = 0x1,
    MOUNT_WRITE = 0x2,
    MOUNT_ERROR_NOT_AVAILABLE = 0x4,
    MOUNT_ERROR_OFFLINE = 0x8,
    MOUNT_SPECIFIC_DRIVE = 0x10,
    DISMOUNT_IMMEDIATE = 0x2,
    PRIORITY_NORMAL = 0
};

#define X(constant, value, name, text) JOB_##name = value,
enum { NTMS_JOB_STATES(X) JOB_END_ };
#undef X

static bool final_state(uint32_t state) {
    return state == JOB_Passed || state == JOB_Failed || state == JOB_Invalid ||
           state == JOB_Cancelled || state == JOB_Stopped;
}

struct job_end {
    uint32_t state, error;
    char message[512];
};

static int read_job(sd_bus *bus, const char *path, struct job_end *out, sd_bus_error *e) {
    char *message = NULL;
    int r = sd_bus_get_property_trivial(bus, SERVICE, path, JOB, "State", e, 'u', &out->state);
    if (r < 0 || !final_state(out->state))
        return r;
    if ((r = sd_bus_get_property_trivial(bus, SERVICE, path, JOB, "Error", e, 'u', &out->error)) <
            0 ||
        (r = sd_bus_get_property_string(bus, SERVICE, path, JOB, "ErrorMessage", e, &message)) < 0)
        return r;
    snprintf(out->message, sizeof out->message, "%s", message);
    free(message);
    return r;
}

/* A finished job leaves the bus after JobRetentionSec=; GetJob exports it again. */
static int job_again(sd_bus *bus, const char *job, char **path, sd_bus_error *e) {
    sd_bus_message *m = NULL;
    const char *p;
    int r = sd_bus_call_method(bus, SERVICE, ROOT, MANAGER, "GetJob", e, &m, "s", job);
    if (r < 0)
        return r;
    r = sd_bus_message_read(m, "o", &p);
    if (r >= 0) {
        char *copy = strdup(p);
        if (!copy)
            r = -ENOMEM;
        else {
            free(*path);
            *path = copy;
        }
    }
    sd_bus_message_unref(m);
    return r;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *e) {
    (void)m;
    (void)e;
    *(int *)userdata = 1;
    return 0;
}

/* Waits until the job is in a final state; the subscription comes before the first read, so no
 * change is missed between the call's reply and the wait. */
static int wait_job(sd_bus *bus, const char *what, const char *job, const char *job_path) {
    sd_bus_slot *changed = NULL, *completed = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    struct job_end end = {0, 0, ""};
    char *path = strdup(job_path);
    int woken = 0, again = 0, r, rc;
    if (!path)
        return changer_fail(what, CODE_NotEnoughMemory, NULL);
    r = sd_bus_match_signal(bus, &changed, SERVICE, path, "org.freedesktop.DBus.Properties",
                            "PropertiesChanged", on_signal, &woken);
    if (r >= 0)
        r = sd_bus_match_signal(bus, &completed, SERVICE, path, JOB, "Completed", on_signal,
                                &woken);
    while (r >= 0) {
        r = read_job(bus, path, &end, &e);
        if (r < 0 && !again && changer_error_code(&e, r) == CODE_ObjectNotFound) {
            sd_bus_error_free(&e);
            again = 1;
            r = job_again(bus, job, &path, &e);
            continue;
        }
        if (r < 0 || final_state(end.state))
            break;
        /* Signals only wake the loop early: the state is read again at least every second. */
        woken = 0;
        while (!woken && (r = sd_bus_process(bus, NULL)) > 0)
            ;
        if (r >= 0 && !woken)
            r = sd_bus_wait(bus, 1000000);
    }
    sd_bus_slot_unref(changed);
    sd_bus_slot_unref(completed);
    free(path);
    if (r < 0) {
        rc = changer_fail_bus(what, &e, r);
        sd_bus_error_free(&e);
        return rc;
    }
    if (end.state == JOB_Passed)
        return CHANGER_EXIT_OK;
    if (end.error == 0)
        end.error = end.state == JOB_Cancelled ? CODE_Cancelled : CODE_GenFailure;
    return changer_fail(what, end.error, end.message);
}

/* Reads the (s job, o job_path) reply of a call that queued a job, then waits for it. */
static int follow(sd_bus *bus, const char *what, sd_bus_message *reply) {
    const char *job, *path;
    int r = sd_bus_message_read(reply, "so", &job, &path);
    if (r < 0)
        return changer_fail_bus(what, NULL, r);
    return wait_job(bus, what, job, path);
}

/* Sends `call` (r: how its making went; it is unreferenced here) and waits for the job it
 * queues. */
static int call_and_follow(struct changer *c, const char *what, sd_bus_message *call, int r) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    int rc;
    if (r >= 0)
        r = sd_bus_call(c->bus, call, 0, &e, &reply);
    sd_bus_message_unref(call);
    if (r < 0) {
        rc = changer_fail_bus(what, &e, r);
        sd_bus_error_free(&e);
        return rc;
    }
    rc = follow(c->bus, what, reply);
    sd_bus_message_unref(reply);
    return rc;
}

/* As the scripts' wait_for_drive after a load: up to 300 s until the tape device reports the
 * drive online. Only the st device's status is read (the robot is ntmsd's); a path that is no
 * character device, or a drive that never says online, ends the wait without an error, as there. */
static void wait_for_drive(const char *device) {
    const struct timespec second = {1, 0};
    struct stat st;
    int i;
    if (stat(device, &st) != 0 || !S_ISCHR(st.st_mode))
        return;
    for (i = 0; i <= 300; ++i) {
        struct mtget status;
        const int fd = open(device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        int online = 0;
        if (fd >= 0) {
            online = ioctl(fd, MTIOCGET, &status) == 0 && GMT_ONLINE(status.mt_gstat);
            close(fd);
        }
        if (online)
            return;
        nanosleep(&second, NULL);
    }
}

static int check_drive(const struct changer *c, unsigned drive, const char *what) {
    char detail[80];
    if (drive < c->drive_count)
        return CHANGER_EXIT_OK;
    snprintf(detail, sizeof detail, "the library has %zu drives, numbered from 0",
             c->drive_count);
    return changer_fail(what, CODE_ObjectNotFound, detail);
}

int command_load(struct changer *c, unsigned slot, unsigned drive, const char *device) {
    sd_bus_message *call = NULL;
    const struct changer_slot *s;
    const struct changer_drive *d;
    char what[300], drive_id[CHANGER_GUID_SIZE], detail[80];
    int r, rc;
    snprintf(what, sizeof what, "%s: load slot %u into drive %u", c->name, slot, drive);
    if ((rc = check_drive(c, drive, what)) != CHANGER_EXIT_OK)
        return rc;
    if (slot < 1 || slot > c->storage + c->ports) {
        snprintf(detail, sizeof detail, "the library has slots 1 to %zu", c->storage + c->ports);
        return changer_fail(what, CODE_ObjectNotFound, detail);
    }
    s = &c->slots[slot - 1];
    d = &c->drives[drive];
    if (!s->full)
        return changer_fail(what, CODE_Empty, "the slot is empty");
    if (d->full)
        return changer_fail(what, CODE_NotEmpty, "the drive is full");
    if (!s->medium[0])
        return changer_fail(what, CODE_MediaNotAvailable,
                            "ntmsd does not know the cartridge in the slot yet (inventory)");
    if ((rc = changer_drive_id(c, drive, drive_id)) != CHANGER_EXIT_OK)
        return rc;
    r = sd_bus_message_new_method_call(c->bus, &call, SERVICE, ROOT, MANAGER, "MountMedia");
    if (r >= 0)
        r = sd_bus_message_append(call, "asasuia{sv}", 1, s->medium, 1, drive_id,
                                  (uint32_t)(MOUNT_READ | MOUNT_WRITE | MOUNT_ERROR_NOT_AVAILABLE |
                                             MOUNT_ERROR_OFFLINE | MOUNT_SPECIFIC_DRIVE),
                                  (int32_t)PRIORITY_NORMAL, 1, "application", "s",
                                  "ntms-changer");
    rc = call_and_follow(c, what, call, r);
    if (rc == CHANGER_EXIT_OK)
        wait_for_drive(device);
    return rc;
}

/* SLOT 0 lets ntmsd choose (the slot the cartridge came from, else any free one), as mtx unload
 * without a slot uses the drive's source element. */
int command_unload(struct changer *c, unsigned slot, unsigned drive) {
    sd_bus_message *call = NULL;
    const struct changer_drive *d;
    char what[300], detail[80];
    int r, rc;
    if (slot)
        snprintf(what, sizeof what, "%s: unload drive %u into slot %u", c->name, drive, slot);
    else
        snprintf(what, sizeof what, "%s: unload drive %u", c->name, drive);
    if ((rc = check_drive(c, drive, what)) != CHANGER_EXIT_OK)
        return rc;
    if (slot > c->storage + c->ports) {
        snprintf(detail, sizeof detail, "the library has slots 1 to %zu", c->storage + c->ports);
        return changer_fail(what, CODE_ObjectNotFound, detail);
    }
    if (slot > c->storage)
        return changer_fail(what, CODE_InvalidParameter,
                            "an import/export slot: unload puts cartridges into storage slots");
    d = &c->drives[drive];
    if (!d->full)
        return changer_fail(what, CODE_Empty, "the drive is empty");
    if (slot && c->slots[slot - 1].full)
        return changer_fail(what, CODE_NotEmpty, "the slot is full");
    if (!d->medium[0])
        return changer_fail(what, CODE_MediaNotAvailable,
                            "ntmsd does not know the cartridge in the drive yet (inventory)");
    r = sd_bus_message_new_method_call(c->bus, &call, SERVICE, ROOT, MANAGER, "DismountMedia");
    if (r >= 0)
        r = sd_bus_message_append(call, "asu", 1, d->medium, (uint32_t)DISMOUNT_IMMEDIATE);
    if (r >= 0)
        r = slot ? sd_bus_message_append(call, "a{sv}", 2, "element", "q",
                                         c->slots[slot - 1].address, "application", "s",
                                         "ntms-changer")
                 : sd_bus_message_append(call, "a{sv}", 1, "application", "s", "ntms-changer");
    return call_and_follow(c, what, call, r);
}

/* mtx's "transfer SRC DST" between storage slots: Manager.MoveMedia. The ports are refused: a
 * cartridge comes in through an inject and goes out through an eject. */
int command_transfer(struct changer *c, unsigned slot, unsigned to) {
    sd_bus_message *call = NULL;
    char what[300], detail[80];
    const size_t all = c->storage + c->ports;
    int r;
    snprintf(what, sizeof what, "%s: transfer slot %u to slot %u", c->name, slot, to);
    if (slot < 1 || slot > all || to < 1 || to > all) {
        snprintf(detail, sizeof detail, "the library has slots 1 to %zu", all);
        return changer_fail(what, CODE_ObjectNotFound, detail);
    }
    if (slot > c->storage || to > c->storage)
        return changer_fail(what, CODE_InvalidParameter,
                            "an import/export slot: a transfer moves between storage slots; "
                            "ntmsctl inject and eject use the ports");
    if (slot == to)
        return changer_fail(what, CODE_InvalidParameter, "the same slot");
    if (!c->slots[slot - 1].full)
        return changer_fail(what, CODE_Empty, "the source slot is empty");
    if (c->slots[to - 1].full)
        return changer_fail(what, CODE_NotEmpty, "the destination slot is full");
    if (!c->slots[slot - 1].medium[0])
        return changer_fail(what, CODE_MediaNotAvailable,
                            "ntmsd does not know the cartridge in the slot yet (inventory)");
    r = sd_bus_message_new_method_call(c->bus, &call, SERVICE, ROOT, MANAGER, "MoveMedia");
    if (r >= 0)
        r = sd_bus_message_append(call, "sqa{sv}", c->slots[slot - 1].medium,
                                  c->slots[to - 1].address, 1, "application", "s",
                                  "ntms-changer");
    return call_and_follow(c, what, call, r);
}
