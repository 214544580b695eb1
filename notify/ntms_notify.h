/*
 * ntms-notify: mails operators through sendmail(1) when ntmsd posts an operator request or a
 * library goes offline, with the text of ntmsd's journal catalog (ntms-notify(8)).
 */
#ifndef NTMS_NOTIFY_H
#define NTMS_NOTIFY_H

#include <stddef.h>

/* Events a mail is sent for (Events= of ntms-notify.conf(5)). */
enum { EVENT_REQUEST = 1, EVENT_OFFLINE = 2, EVENT_ONLINE = 4 };

struct notify_config {
    char **to; /* recipients, NULL-terminated */
    size_t n_to;
    char *from;
    char *sendmail;
    char *catalog;
    unsigned events;
};

/* Reads FILE into *c (defaults first); 0, or -1 after a message on stderr. */
int config_read(const char *file, struct notify_config *c);
void config_free(struct notify_config *c);
/* Replaces *field (freed) with a copy of value ("" for NULL); exits when out of memory. */
void set_text(char **field, const char *value);

/* A journal field of the catalog's text: NTMS_LIBRARY_NAME=lab. */
struct field {
    const char *name;
    const char *value;
};

/* The catalog entry for MESSAGE_ID, its @FIELD@s replaced, into *subject and *body (malloc'ed);
   0, or -1 after a message on stderr. */
int catalog_text(const char *catalog, const char *message_id, const struct field *fields,
                 size_t n_fields, char **subject, char **body);

/* A mail of SUBJECT and BODY (MESSAGE, a blank line, TEXT) to the recipients, through sendmail;
   0, or -1 after a message on stderr. */
int mail_send(const struct notify_config *c, const char *subject, const char *message,
              const char *text);

#endif
