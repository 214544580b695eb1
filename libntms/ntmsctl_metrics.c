/*
 * ntmsctl metrics [FILE]: ntmsd's metrics (org.ntms.Ntms1.Manager.Metrics) in Prometheus' text
 * exposition format, version 0.0.4. Metrics are not part of the RSM API, so this command reads
 * them straight from the bus with sd-bus, as busctl would; everything else of ntmsctl goes
 * through libntms. With FILE, the text replaces FILE atomically (a temporary file beside it,
 * synced, then renamed over it), as node-exporter's textfile collector wants.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include "common/ntms_vocabulary.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

/* The Win32 code of an org.ntms.Ntms1.Error.<Name>, or ERROR_GEN_FAILURE. */
static DWORD error_code(const char *name) {
    size_t n = strlen(NTMS_DBUS_ERROR_PREFIX);
    if (name == NULL || strncmp(name, NTMS_DBUS_ERROR_PREFIX, n) != 0)
        return ERROR_GEN_FAILURE;
#define NTMS_METRICS_ERROR_(constant, code, Name, where, text)                                    \
    if (strcmp(name + n, #Name) == 0)                                                              \
        return code;
    NTMS_ERRORS(NTMS_METRICS_ERROR_)
#undef NTMS_METRICS_ERROR_
    return ERROR_GEN_FAILURE;
}

static int valid_name(const char *s, int colon) {
    size_t i;
    if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (i = 0; s[i]; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon && c == ':')))
            return 0;
    }
    return 1;
}

static int valid_type(const char *t) {
    return strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
           strcmp(t, "histogram") == 0 || strcmp(t, "summary") == 0 ||
           strcmp(t, "untyped") == 0;
}

/* Escaped as the format wants: backslash and newline always, the double quote in label values. */
static void put_escaped(FILE *out, const char *s, int quote) {
    for (; *s; ++s) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (quote && *s == '"')
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

/* The shortest text that reads back as v; Prometheus' words for the infinities and NaN. */
static void put_value(FILE *out, double v) {
    char text[64];
    if (isnan(v)) {
        fputs("NaN", out);
        return;
    }
    if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", out);
        return;
    }
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof text, "%.17g", v);
    fputs(text, out);
}

/* One sample, the reply's (sa{ss}d): 1 when one was written, 0 at the end of the array, or a
 * negative errno. */
static int put_sample(sd_bus_message *m, FILE *out) {
    const char *name, *key, *value;
    double v;
    int r, first = 1;
    if ((r = sd_bus_message_enter_container(m, 'r', "sa{ss}d")) <= 0)
        return r;
    if ((r = sd_bus_message_read(m, "s", &name)) < 0)
        return r;
    if (!valid_name(name, 1))
        return -EBADMSG;
    fputs(name, out);
    if ((r = sd_bus_message_enter_container(m, 'a', "{ss}")) < 0)
        return r;
    while ((r = sd_bus_message_read(m, "{ss}", &key, &value)) > 0) {
        if (!valid_name(key, 0) || strncmp(key, "__", 2) == 0)
            return -EBADMSG;
        fprintf(out, "%s%s=\"", first ? "{" : ",", key);
        put_escaped(out, value, 1);
        fputc('"', out);
        first = 0;
    }
    if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
        return r;
    if (!first)
        fputc('}', out);
    if ((r = sd_bus_message_read(m, "d", &v)) < 0)
        return r;
    fputc(' ', out);
    put_value(out, v);
    fputc('\n', out);
    r = sd_bus_message_exit_container(m);
    return r < 0 ? r : 1;
}

/* The whole reply, a(sssa(sa{ss}d)), as text. */
static int put_families(sd_bus_message *m, FILE *out) {
    int r;
    if ((r = sd_bus_message_enter_container(m, 'a', "(sssa(sa{ss}d))")) < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'r', "sssa(sa{ss}d)")) > 0) {
        const char *name, *type, *help;
        if ((r = sd_bus_message_read(m, "sss", &name, &type, &help)) < 0)
            return r;
        if (!valid_name(name, 1) || !valid_type(type))
            return -EBADMSG;
        fprintf(out, "# HELP %s ", name);
        put_escaped(out, help, 0);
        fprintf(out, "\n# TYPE %s %s\n", name, type);
        if ((r = sd_bus_message_enter_container(m, 'a', "(sa{ss}d)")) < 0)
            return r;
        while ((r = put_sample(m, out)) > 0) {
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 ||
            (r = sd_bus_message_exit_container(m)) < 0)
            return r;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(m);
}

/* path replaced by the reply as text, or left as it was: 0, or the errno (*bad_reply set when
 * the reply itself is not valid metrics). */
static int write_atomically(const char *path, sd_bus_message *reply, int *bad_reply) {
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof ".tmp-XXXXXX");
    char *dir, *slash;
    FILE *out;
    int fd, r, err = 0;
    if (tmp == NULL)
        return ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    fd = mkstemp(tmp);
    if (fd < 0) {
        err = errno;
        free(tmp);
        return err;
    }
    /* node-exporter runs as another user (prometheus): the file is world-readable, as the
       collector's documentation asks. */
    if (fchmod(fd, 0644) < 0 || (out = fdopen(fd, "w")) == NULL) {
        err = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return err;
    }
    r = put_families(reply, out);
    if (r < 0)
        *bad_reply = -r;
    if (fflush(out) != 0 || fsync(fileno(out)) != 0)
        err = errno;
    if (fclose(out) != 0 && err == 0)
        err = errno;
    if (r >= 0 && err == 0 && rename(tmp, path) != 0)
        err = errno;
    if (r < 0 || err != 0) {
        unlink(tmp);
        free(tmp);
        return err;
    }
    free(tmp);
    dir = strdup(path);
    if (dir != NULL) {
        slash = strrchr(dir, '/');
        if (slash == NULL)
            strcpy(dir, ".");
        else if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        free(dir);
    }
    return 0;
}

int metrics_command(const char *host, const char *path) {
    sd_bus *bus = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    int r, bad = 0, rc = EXIT_SUCCESS;
    if (opt.json) {
        fputs("ntmsctl: metrics prints Prometheus' text format only; --json does not apply\n",
              stderr);
        return 2; /* a usage error, ntmsctl(1) EXIT STATUS */
    }
    r = host ? sd_bus_open_system_remote(&bus, host) : sd_bus_open_system(&bus);
    if (r < 0) {
        fprintf(stderr, "ntmsctl: %s: cannot connect to the system bus: %s\n",
                host ? host : "metrics", strerror(-r));
        return fail(host ? host : "metrics", ERROR_NOT_READY);
    }
    r = sd_bus_call_method(bus, "org.ntms.Ntms1", "/org/ntms/Ntms1", "org.ntms.Ntms1.Manager",
                           "Metrics", &error, &reply, "");
    if (r < 0) {
        DWORD code = error_code(error.name);
        if (code == ERROR_GEN_FAILURE) {
            /* Not ntmsd's own error: no daemon on the bus, or one without Metrics. */
            fprintf(stderr, "ntmsctl: metrics: %s\n",
                    error.message ? error.message : strerror(-r));
            rc = fail("metrics", sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD)
                                     ? ERROR_NOT_SUPPORTED
                                     : ERROR_NOT_READY);
        } else {
            fprintf(stderr, "ntmsctl: metrics: %s\n", error.message ? error.message : "");
            rc = fail("metrics", code);
        }
    } else if (path != NULL) {
        r = write_atomically(path, reply, &bad);
        if (r != 0) {
            fprintf(stderr, "ntmsctl: %s: %s\n", path, strerror(r));
            rc = EXIT_FAILURE;
        }
    } else {
        r = put_families(reply, stdout);
        if (r < 0)
            bad = -r;
        if (fflush(stdout) != 0) {
            fprintf(stderr, "ntmsctl: metrics: %s\n", strerror(errno));
            rc = EXIT_FAILURE;
        }
    }
    if (bad != 0) {
        fprintf(stderr, "ntmsctl: metrics: ntmsd's reply is not valid metrics: %s\n",
                strerror(bad));
        rc = EXIT_FAILURE;
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    sd_bus_flush_close_unref(bus);
    return rc;
}
