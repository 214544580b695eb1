/*
 * ntms-changer CHANGER COMMAND [SLOT [ARCHIVE-DEVICE [DRIVE-INDEX]]]: the Changer Command of
 * Bacula and Bareos (%c %o %S %a %d), answered by ntmsd. Arguments are checked as the
 * mtx-changer scripts check them, before ntmsd is asked anything. See ntms-changer(1).
 */
#include "changer.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: ntms-changer [--bareos] CHANGER COMMAND [SLOT [ARCHIVE-DEVICE [DRIVE-INDEX]]]\n"
    "  CHANGER  an ntmsd library: its name, GUID or device string\n"
    "  COMMAND  list | listall | slots          (two arguments suffice)\n"
    "           loaded | load | unload          (all five arguments)\n"
    "           transfer SLOT DESTINATION-SLOT\n"
    "  --bareos  listall as Bareos's mtx-changer prints it (ports as S: lines)\n";

static int usage(const char *problem) {
    if (problem)
        fprintf(stderr, "ntms-changer: %s\n", problem);
    fputs(usage_text, stderr);
    return CHANGER_EXIT_FAILURE;
}

/* A slot or drive number: decimal digits only. */
static int number(const char *text, unsigned *out) {
    char *end;
    unsigned long v;
    if (!text[0] || text[0] < '0' || text[0] > '9')
        return 0;
    v = strtoul(text, &end, 10);
    if (*end || v > UINT_MAX)
        return 0;
    *out = (unsigned)v;
    return 1;
}

/* The minimum argument count of each command, as the scripts' check_parm_count: 0 = unknown. */
static int needed(const char *cmd) {
    if (!strcmp(cmd, "list") || !strcmp(cmd, "listall") || !strcmp(cmd, "slots"))
        return 2;
    if (!strcmp(cmd, "transfer"))
        return 4;
    if (!strcmp(cmd, "loaded") || !strcmp(cmd, "load") || !strcmp(cmd, "unload"))
        return 5;
    return 0;
}

static int run(const char *spec, const char *cmd, unsigned slot, const char *device,
               unsigned drive, enum changer_flavour flavour) {
    struct changer c;
    sd_bus *bus = NULL;
    int rc = changer_connect(&bus);
    if (rc != CHANGER_EXIT_OK)
        return rc;
    rc = changer_open(bus, spec, &c);
    if (rc == CHANGER_EXIT_OK) {
        if (!strcmp(cmd, "slots"))
            rc = command_slots(&c);
        else if (!strcmp(cmd, "list"))
            rc = command_list(&c);
        else if (!strcmp(cmd, "listall"))
            rc = command_listall(&c, flavour);
        else if (!strcmp(cmd, "loaded"))
            rc = command_loaded(&c, drive);
        else if (!strcmp(cmd, "load"))
            rc = command_load(&c, slot, drive, device);
        else if (!strcmp(cmd, "transfer"))
            rc = command_transfer(&c, slot, drive); /* the destination slot, in %a */
        else
            rc = command_unload(&c, slot, drive);
    }
    changer_close(&c);
    sd_bus_flush_close_unref(bus);
    if (fflush(stdout) != 0 && rc == CHANGER_EXIT_OK)
        rc = CHANGER_EXIT_FAILURE;
    return rc;
}

int main(int argc, char **argv) {
    static const struct option options[] = {{"bareos", no_argument, NULL, 'b'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    enum changer_flavour flavour = FLAVOUR_BACULA;
    const char *cmd;
    unsigned slot = 0, drive = 0;
    int opt, n, need;
    /* "+": the changer arguments are positional; nothing after CHANGER is an option. */
    while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (opt) {
        case 'b': flavour = FLAVOUR_BAREOS; break;
        case 'h': fputs(usage_text, stdout); return CHANGER_EXIT_OK;
        case 'V': printf("ntms-changer %s\n", NTMS_VERSION); return CHANGER_EXIT_OK;
        default: return usage(NULL);
        }
    }
    n = argc - optind;
    if (n < 2)
        return usage("insufficient number of arguments: at least CHANGER and COMMAND");
    cmd = argv[optind + 1];
    need = needed(cmd);
    if (!need) {
        fprintf(stderr, "ntms-changer: unknown command '%s'\n", cmd);
        return usage(NULL);
    }
    if (n < need) {
        fprintf(stderr, "ntms-changer: %s expects %d arguments, %d given\n", cmd, need, n);
        return usage(NULL);
    }
    if (!strcmp(cmd, "transfer")) {
        if (!number(argv[optind + 2], &slot) || !number(argv[optind + 3], &drive))
            return usage("transfer takes two slot numbers");
    }
    if (need == 5) {
        if (!number(argv[optind + 4], &drive))
            return usage("the drive index is not a number");
        if (strcmp(cmd, "loaded") != 0 && !number(argv[optind + 2], &slot))
            return usage("the slot is not a number");
    }
    return run(argv[optind], cmd, slot, n >= 4 ? argv[optind + 3] : "", drive, flavour);
}
