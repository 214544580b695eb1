/*
 * ntmsctl drives [LIBRARY]: each drive (NTMS_DRIVE) of one library or of all, with its library,
 * number, element, state, cartridge and identity. RSM's drive record has no element address or
 * barcode: libntms puts them in the description ("element 2, loaded with S00001L8"), read back
 * here; vendor and product come from the drive's NTMS_DRIVE_TYPE.
 */
#include "ntmsctl.h"

#include <stdlib.h>
#include <string.h>

struct drive_row {
    char id[37], library[NTMS_OBJECTNAME_LENGTH], vendor[NTMS_VENDORNAME_LENGTH],
        product[NTMS_PRODUCTNAME_LENGTH], barcode[NTMS_DESCRIPTION_LENGTH];
    unsigned long number, element;
    int loaded;
    int in_use; /* a mount holds it */
    const NTMS_DRIVEINFORMATIONA *d;
};

/* "element N, empty" or "element N, loaded|inuse[ with BARCODE]" */
static void parse_description(const char *text, struct drive_row *r) {
    const char *with = strstr(text, " with ");
    r->element = strncmp(text, "element ", 8) == 0 ? strtoul(text + 8, NULL, 10) : 0;
    r->in_use = strstr(text, ", inuse") != NULL;
    r->loaded = r->in_use || strstr(text, ", loaded") != NULL;
    r->barcode[0] = '\0';
    if (r->loaded && with)
        snprintf(r->barcode, sizeof r->barcode, "%s", with + 6);
}

static void print_drive(const struct drive_row *r, int first) {
    const char *state = r->in_use ? "inuse" : r->loaded ? "loaded" : "empty";
    if (opt.json) {
        printf("%s{\"id\":\"%s\",\"library\":", first ? "" : ",", r->id);
        json_string(r->library);
        printf(",\"number\":%lu,\"element\":%lu,\"state\":\"%s\",\"barcode\":", r->number,
               r->element, state);
        json_string(r->barcode);
        printf(",\"vendor\":");
        json_string(r->vendor);
        printf(",\"product\":");
        json_string(r->product);
        printf(",\"serial\":");
        json_string(r->d->szSerialNumber);
        printf(",\"device\":");
        json_string(r->d->szDeviceName);
        printf("}");
        return;
    }
    printf("%-16s %6lu %7lu  ", r->library, r->number, r->element);
    print_state(state, 7, 0, 0);
    printf(" %-10s %-8s %-16s %-12s %s\n", r->barcode[0] ? r->barcode : "-",
           r->vendor[0] ? r->vendor : "-", r->product[0] ? r->product : "-",
           r->d->szSerialNumber[0] ? r->d->szSerialNumber : "-",
           r->d->szDeviceName[0] ? r->d->szDeviceName : "-");
}

int drives_command(HANDLE h, const char *arg) {
    NTMS_GUID library, *list;
    DWORD n, i, rc;
    int shown = 0;
    if (arg) {
        rc = find_library(h, arg, &library);
        if (rc != ERROR_SUCCESS)
            return fail(arg, rc);
    }
    rc = enumerate(h, arg ? &library : NULL, NTMS_DRIVE, &list, &n);
    if (rc != ERROR_SUCCESS)
        return fail("enumerate", rc);
    if (opt.json)
        printf("[");
    else if (legend())
        printf("LIBRARY          NUMBER ELEMENT  STATE   BARCODE    VENDOR   PRODUCT          "
               "SERIAL       DEVICE\n");
    for (i = 0; i < n; ++i) {
        NTMS_OBJECTINFORMATIONA drive, lib, type;
        struct drive_row r;
        /* A drive may leave the bus between the two calls (its library's device removed). */
        if (get_info(h, &list[i], NTMS_DRIVE, &drive) != ERROR_SUCCESS)
            continue;
        memset(&r, 0, sizeof r);
        r.d = &drive.Info.Drive;
        guid_format(&list[i], r.id);
        r.number = r.d->Number;
        parse_description(drive.szDescription, &r);
        if (get_info(h, &drive.Info.Drive.Library, NTMS_LIBRARY, &lib) == ERROR_SUCCESS)
            snprintf(r.library, sizeof r.library, "%s", lib.szName);
        if (get_info(h, &drive.Info.Drive.DriveType, NTMS_DRIVE_TYPE, &type) == ERROR_SUCCESS) {
            snprintf(r.vendor, sizeof r.vendor, "%s", type.Info.DriveType.szVendor);
            snprintf(r.product, sizeof r.product, "%s", type.Info.DriveType.szProduct);
        }
        print_drive(&r, shown++ == 0);
    }
    if (opt.json)
        printf("]\n");
    else if (legend())
        printf("\n%d drives listed.\n", shown);
    free(list);
    return exit_code(ERROR_SUCCESS);
}
