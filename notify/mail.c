/*
 * The mail's text and its way out. The text is the entry of ntmsd's journal catalog for the
 * record's MESSAGE_ID (journalctl -x shows the same), read when the mail is written, with the
 * record's fields in place of its @FIELD@s; the mail goes to sendmail(1) on its standard input.
 */
#define _GNU_SOURCE

#include "ntms_notify.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long sendmail may take before it is killed (a local MTA queues at once). */
#define SENDMAIL_SECS 60

static char *read_file(const char *path) {
    FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t size = 0;
    if (!f)
        return NULL;
    if (getdelim(&text, &size, '\0', f) < 0) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* "-- 3bde3ec0b22048f4bb6e69d68cec059e": an entry's first line, in the catalog's own language
   (an entry with a language after its identifier is a translation). */
static int entry_line(const char *line, const char *end, const char *id) {
    size_t n = (size_t)(end - line);
    return n == 35 && strncmp(line, "-- ", 3) == 0 && (!id || strncasecmp(line + 3, id, 32) == 0);
}

/* TEXT[0..n) with each @NAME@ of a known field replaced by its value; others kept as they are. */
static char *substitute(const char *text, size_t n, const struct field *fields, size_t n_fields) {
    char *out = NULL;
    size_t size = 0, i, k;
    FILE *f = open_memstream(&out, &size);
    if (!f)
        return NULL;
    for (i = 0; i < n; ++i) {
        if (text[i] == '@') {
            size_t j = i + 1;
            while (j < n && (isupper((unsigned char)text[j]) || isdigit((unsigned char)text[j]) ||
                             text[j] == '_'))
                ++j;
            if (j < n && text[j] == '@' && j > i + 1) {
                for (k = 0; k < n_fields; ++k)
                    if (strlen(fields[k].name) == j - i - 1 &&
                        strncmp(fields[k].name, text + i + 1, j - i - 1) == 0)
                        break;
                if (k < n_fields) {
                    fputs(fields[k].value, f);
                    i = j;
                    continue;
                }
            }
        }
        fputc(text[i], f);
    }
    fclose(f);
    return out;
}

int catalog_text(const char *catalog, const char *message_id, const struct field *fields,
                 size_t n_fields, char **subject, char **body) {
    char *text = read_file(catalog);
    const char *p, *eol, *body_start = NULL, *body_end, *subj = NULL, *subj_end = NULL;
    *subject = *body = NULL;
    if (!text) {
        fprintf(stderr, "ntms-notify: the catalog %s cannot be read: %s\n", catalog,
                strerror(errno));
        return -1;
    }
    for (p = text; *p; p = *eol ? eol + 1 : eol) {
        eol = strchrnul(p, '\n');
        if (entry_line(p, eol, message_id)) {
            body_start = *eol ? eol + 1 : eol;
            break;
        }
    }
    if (!body_start) {
        fprintf(stderr, "ntms-notify: the catalog %s has no entry %s\n", catalog, message_id);
        free(text);
        return -1;
    }
    /* Its header lines ("Subject: ...") end at the first empty line. */
    for (p = body_start; *p && *p != '\n'; p = *eol ? eol + 1 : eol) {
        eol = strchrnul(p, '\n');
        if (strncmp(p, "Subject:", 8) == 0) {
            for (subj = p + 8; *subj == ' '; ++subj)
                ;
            subj_end = eol;
        }
    }
    body_start = *p ? p + 1 : p;
    /* The text runs to the next entry. */
    for (p = body_start; *p; p = *eol ? eol + 1 : eol) {
        eol = strchrnul(p, '\n');
        if (entry_line(p, eol, NULL))
            break;
    }
    for (body_end = p; body_end > body_start && isspace((unsigned char)body_end[-1]); --body_end)
        ;
    if (subj)
        *subject = substitute(subj, (size_t)(subj_end - subj), fields, n_fields);
    *body = substitute(body_start, (size_t)(body_end - body_start), fields, n_fields);
    free(text);
    if (!*body || (subj && !*subject)) {
        free(*subject);
        free(*body);
        fputs("ntms-notify: out of memory\n", stderr);
        return -1;
    }
    return 0;
}

/* A header's value on one line; with bytes beyond ASCII as RFC 2047 words of UTF-8. */
static void put_header(FILE *f, const char *name, const char *value) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)value;
    size_t i, n = strlen(value);
    int ascii = 1;
    for (i = 0; i < n; ++i)
        ascii &= s[i] < 0x80;
    fprintf(f, "%s:", name);
    if (ascii) {
        fputc(' ', f);
        for (i = 0; i < n; ++i)
            fputc(s[i] == '\r' || s[i] == '\n' ? ' ' : s[i], f);
        fputc('\n', f);
        return;
    }
    /* Words of at most 45 bytes (60 in base64), never splitting a character. */
    for (i = 0; i < n;) {
        size_t len = n - i < 45 ? n - i : 45, k;
        while (i + len < n && len > 1 && (s[i + len] & 0xc0) == 0x80)
            --len;
        fputs(i ? "\n =?UTF-8?B?" : " =?UTF-8?B?", f);
        for (k = 0; k < len; k += 3) {
            unsigned v = (unsigned)s[i + k] << 16;
            if (k + 1 < len)
                v |= (unsigned)s[i + k + 1] << 8;
            if (k + 2 < len)
                v |= s[i + k + 2];
            fputc(b64[(v >> 18) & 63], f);
            fputc(b64[(v >> 12) & 63], f);
            fputc(k + 1 < len ? b64[(v >> 6) & 63] : '=', f);
            fputc(k + 2 < len ? b64[v & 63] : '=', f);
        }
        fputs("?=", f);
        i += len;
    }
    fputc('\n', f);
}

static int write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* sendmail's end: its exit status, or -1 when it had to be killed. */
static int reap(pid_t pid) {
    int status, i;
    for (i = 0; i < SENDMAIL_SECS * 10; ++i) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0 && errno != EINTR)
            return -1;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

int mail_send(const struct notify_config *c, const char *subject, const char *message,
              const char *text) {
    char *mail = NULL, date[64];
    size_t size = 0, i;
    time_t now = time(NULL);
    struct tm tm;
    FILE *f = open_memstream(&mail, &size);
    int fds[2], rc, status;
    pid_t pid;
    if (!f)
        return -1;
    put_header(f, "From", c->from);
    fputs("To: ", f);
    for (i = 0; i < c->n_to; ++i)
        fprintf(f, "%s%s", i ? ", " : "", c->to[i]);
    fputc('\n', f);
    put_header(f, "Subject", subject);
    /* RFC 5322's date, in English whatever the locale. */
    localtime_r(&now, &tm);
    {
        static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        char zone[8];
        strftime(zone, sizeof zone, "%z", &tm);
        snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday],
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, zone);
    }
    fprintf(f, "Date: %s\n", date);
    fputs("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
          "Content-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n\n", f);
    fprintf(f, "%s\n\n%s\n", message, text);
    if (fclose(f) != 0)
        return -1;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "ntms-notify: pipe: %s\n", strerror(errno));
        free(mail);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        /* -i: a line of a single dot does not end the mail; -f: the envelope sender. */
        const char **argv = calloc(c->n_to + 6, sizeof *argv);
        if (!argv || dup2(fds[0], STDIN_FILENO) < 0)
            _exit(127);
        argv[0] = c->sendmail;
        argv[1] = "-i";
        argv[2] = "-f";
        argv[3] = c->from;
        argv[4] = "--";
        for (i = 0; i < c->n_to; ++i)
            argv[5 + i] = c->to[i];
        execv(c->sendmail, (char *const *)argv);
        fprintf(stderr, "ntms-notify: %s cannot be run: %s\n", c->sendmail, strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    if (pid < 0) {
        fprintf(stderr, "ntms-notify: fork: %s\n", strerror(errno));
        close(fds[1]);
        free(mail);
        return -1;
    }
    rc = write_all(fds[1], mail, size);
    close(fds[1]);
    free(mail);
    status = reap(pid);
    if (rc != 0 || status != 0) {
        fprintf(stderr, "ntms-notify: %s failed (exit status %d): the mail \"%s\" was not sent\n",
                c->sendmail, status, subject);
        return -1;
    }
    return 0;
}
