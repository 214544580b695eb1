/* ntms-notify.conf(5): one [Notify] section of Key=Value lines, read with inih. */
#define _GNU_SOURCE

#include "ntms_notify.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct parse {
    struct notify_config *c;
    const char *file;
    int failed;
};

static char *dup_text(const char *s) {
    char *d = strdup(s);
    if (!d) {
        fputs("ntms-notify: out of memory\n", stderr);
        exit(1);
    }
    return d;
}

void set_text(char **field, const char *value) {
    char *d = dup_text(value ? value : "");
    free(*field);
    *field = d;
}

/* A header value may not hold a line break: it would start a header of its own. */
static int one_line(const char *value) {
    return strpbrk(value, "\r\n") == NULL;
}

static int add_recipients(struct notify_config *c, const char *value) {
    char *list = dup_text(value), *save = NULL, *word;
    for (word = strtok_r(list, ", \t", &save); word; word = strtok_r(NULL, ", \t", &save)) {
        char **grown;
        /* An address that sendmail would take for an option. */
        if (word[0] == '-' || !strchr(word, '@')) {
            fprintf(stderr, "ntms-notify: To=%s is not a mail address\n", word);
            free(list);
            return 0;
        }
        grown = realloc(c->to, (c->n_to + 2) * sizeof *c->to);
        if (!grown) {
            fputs("ntms-notify: out of memory\n", stderr);
            exit(1);
        }
        c->to = grown;
        c->to[c->n_to++] = dup_text(word);
        c->to[c->n_to] = NULL;
    }
    free(list);
    return 1;
}

static int parse_events(const char *value, unsigned *events) {
    char *list = dup_text(value), *save = NULL, *word;
    int ok = 1;
    *events = 0;
    for (word = strtok_r(list, ", \t", &save); word && ok; word = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(word, "request") == 0)
            *events |= EVENT_REQUEST;
        else if (strcmp(word, "offline") == 0)
            *events |= EVENT_OFFLINE;
        else if (strcmp(word, "online") == 0)
            *events |= EVENT_ONLINE;
        else {
            fprintf(stderr, "ntms-notify: Events= takes request, offline and online, not '%s'\n",
                    word);
            ok = 0;
        }
    }
    free(list);
    return ok;
}

static int on_line(void *user, const char *section, const char *key, const char *value) {
    struct parse *p = user;
    struct notify_config *c = p->c;
    int ok = 1;
    if (strcmp(section, "Notify") != 0) {
        fprintf(stderr, "ntms-notify: %s: unknown section [%s]\n", p->file, section);
        ok = 0;
    } else if (strcmp(key, "To") == 0) {
        ok = one_line(value) && add_recipients(c, value);
    } else if (strcmp(key, "From") == 0) {
        ok = one_line(value) && value[0] && value[0] != '-';
        if (ok)
            set_text(&c->from, value);
        else
            fprintf(stderr, "ntms-notify: From=%s is not a mail address\n", value);
    } else if (strcmp(key, "Sendmail") == 0) {
        ok = value[0] == '/';
        if (ok)
            set_text(&c->sendmail, value);
        else
            fprintf(stderr, "ntms-notify: Sendmail= takes an absolute path, not '%s'\n", value);
    } else if (strcmp(key, "Catalog") == 0) {
        ok = value[0] == '/';
        if (ok)
            set_text(&c->catalog, value);
        else
            fprintf(stderr, "ntms-notify: Catalog= takes an absolute path, not '%s'\n", value);
    } else if (strcmp(key, "Events") == 0) {
        ok = parse_events(value, &c->events);
    } else {
        fprintf(stderr, "ntms-notify: %s: unknown key %s=\n", p->file, key);
        ok = 0;
    }
    p->failed |= !ok;
    return ok;
}

int config_read(const char *file, struct notify_config *c) {
    struct parse p = {c, file, 0};
    char host[256] = "localhost";
    int r;
    memset(c, 0, sizeof *c);
    c->sendmail = dup_text(DEFAULT_SENDMAIL);
    c->catalog = dup_text(DEFAULT_CATALOG);
    c->events = EVENT_REQUEST | EVENT_OFFLINE;
    gethostname(host, sizeof host - 1);
    if (asprintf(&c->from, "ntms-notify@%s", host) < 0)
        c->from = NULL;
    r = ini_parse(file, on_line, &p);
    if (r < 0) {
        fprintf(stderr, "ntms-notify: %s cannot be read\n", file);
        return -1;
    }
    if (r > 0 || p.failed) {
        fprintf(stderr, "ntms-notify: %s: error in line %d\n", file, r);
        return -1;
    }
    if (c->n_to == 0) {
        fprintf(stderr, "ntms-notify: %s names no recipient (To=)\n", file);
        return -1;
    }
    if (c->events == 0) {
        fprintf(stderr, "ntms-notify: %s: Events= is empty: nothing to do\n", file);
        return -1;
    }
    return 0;
}

void config_free(struct notify_config *c) {
    size_t i;
    for (i = 0; i < c->n_to; ++i)
        free(c->to[i]);
    free(c->to);
    free(c->from);
    free(c->sendmail);
    free(c->catalog);
    memset(c, 0, sizeof *c);
}
