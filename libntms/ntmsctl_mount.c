/*
 * ntmsctl mount MEDIUM [--drive DRIVE] [--timeout S] [--wait] and ntmsctl dismount MEDIUM: RSM's
 * MountNtmsMedia and DismountNtmsMedia. Without --wait a mount returns once it is queued and
 * prints its job (NTMS_MOUNT_NOWAIT); with it, it waits for the drive and prints the drive.
 */
#include "ntmsctl.h"

#include <string.h>

enum { USAGE = 2 };

/* The 8-4-4-4-12 form only. 1 on success. */
static int id_of(const char* what, const char* s, NTMS_GUID* g) {
    uint8_t bytes[16];
    if (!s || strlen(s) != 36 || !ntms_guid_parse(s, 36, bytes)) {
        fprintf(stderr, "ntmsctl: %s '%s' is not a GUID\n", what, s ? s : "");
        return 0;
    }
    ntms_guid_to_fields(bytes, &g->Data1, &g->Data2, &g->Data3, g->Data4);
    return 1;
}

int mount_command(HANDLE h, const char* arg) {
    NTMS_GUID medium, drive, job;
    NTMS_MOUNT_INFORMATION info;
    char id[NTMS_GUID_TEXT_SIZE];
    DWORD options = opt.wait ? 0 : NTMS_MOUNT_NOWAIT, rc;
    DWORD timeout = opt.timeout >= 0 ? (DWORD)opt.timeout * 1000 : INFINITE;
    if (!id_of("medium", arg, &medium))
        return USAGE;
    memset(&drive, 0, sizeof drive);
    if (opt.drive) {
        if (!id_of("drive", opt.drive, &drive))
            return USAGE;
        options |= NTMS_MOUNT_SPECIFIC_DRIVE;
    }
    memset(&job, 0, sizeof job);
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    info.lpReserved = &job;
    rc = MountNtmsMedia(h, &medium, &drive, 1, options, NTMS_PRIORITY_NORMAL, timeout, &info);
    if (rc != ERROR_SUCCESS)
        return fail("mount", rc);
    guid_format(opt.wait ? &drive : &job, id);
    if (opt.json)
        printf("{\"%s\":\"%s\"}\n", opt.wait ? "drive" : "job", id);
    else
        printf("%s\n", id);
    return 0;
}

int dismount_command(HANDLE h, const char* arg) {
    NTMS_GUID medium;
    DWORD rc;
    if (!id_of("medium", arg, &medium))
        return USAGE;
    rc = DismountNtmsMedia(h, &medium, 1, NTMS_DISMOUNT_IMMEDIATE);
    if (rc != ERROR_SUCCESS)
        return fail("dismount", rc);
    if (opt.json)
        printf("{\"dismounted\":\"%s\"}\n", arg);
    else if (legend())
        printf("Dismount queued.\n");
    return 0;
}
