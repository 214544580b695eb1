/*
 * ntmsctl backup FILE: an online backup of ntmsd's database (NtmsBackupDatabase(3)) written into a
 * new file beside FILE, which then replaces it.
 */
#define _POSIX_C_SOURCE 200809L

#include "ntmsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <ntmsapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* FILE's directory ("." for a bare name) into dir, of size n; 0 when it does not fit. */
static int directory_of(const char *path, char *dir, size_t n) {
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 1;
    if (len + 1 > n)
        return 0;
    if (!slash)
        memcpy(dir, ".", 2);
    else if (len == 0)
        memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    return 1;
}

static int local_failure(const char *path, const char *what) {
    fprintf(stderr, "ntmsctl: %s: %s: %s\n", path, what, strerror(errno));
    return EXIT_OTHER;
}

/* The backup goes into a new file beside FILE, created by us with our rights and mode 0600, which
   replaces FILE in one rename once ntmsd has written and synced it: FILE is never half-written,
   and a symbolic link at FILE is refused rather than followed or replaced. */
int backup_command(HANDLE h, const char *path) {
    char dir[4096], tmp[4096 + 32];
    struct stat st;
    int fd, dfd, n;
    DWORD rc;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            fprintf(stderr, "ntmsctl: %s is a symbolic link; name the file itself\n", path);
            return EXIT_USAGE;
        }
        if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "ntmsctl: %s exists and is not a regular file\n", path);
            return EXIT_USAGE;
        }
    } else if (errno != ENOENT) {
        return local_failure(path, "cannot be looked at");
    }
    n = snprintf(tmp, sizeof tmp, "%s.ntmsctl-XXXXXX", path);
    if (!directory_of(path, dir, sizeof dir) || n < 0 || (size_t)n >= sizeof tmp) {
        fprintf(stderr, "ntmsctl: %s: name too long\n", path);
        return EXIT_USAGE;
    }
    fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
    if (fd < 0)
        return local_failure(dir, "no file can be created there");
    rc = NtmsBackupDatabase(h, fd);
    if (rc != ERROR_SUCCESS) {
        close(fd);
        unlink(tmp);
        return fail("backup", rc);
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return local_failure(tmp, "cannot be written");
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return local_failure(path, "cannot be replaced");
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (!opt.json && legend())
        printf("Database backed up to %s.\n", path);
    return EXIT_OK;
}
