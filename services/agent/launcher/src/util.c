/* Small helpers shared by the launcher's modes. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int format_clamped(char *buf, size_t size, const char *fmt, va_list ap) {
  int n = vsnprintf(buf, size, fmt, ap);
  if (n < 0) return -1;
  return (size_t)n >= size ? (int)size - 1 : n;
}

void say(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = format_clamped(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  /* One write, so that the line is not interleaved with the task's own output. */
  char line[1100];
  int m = snprintf(line, sizeof line, "gantry-task-launcher: %.*s\n", n, buf);
  if (m > 0) (void)!write(STDERR_FILENO, line, (size_t)m < sizeof line ? (size_t)m : sizeof line - 1);
}

int write_all(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, text, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    text += w;
    len -= (size_t)w;
  }
  return 0;
}

int write_file_atomically(const char *path, const char *text, int durable) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  if (write_all(fd, text, strlen(text)) < 0 || (durable && fsync(fd) < 0)) {
    int e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
  }
  if (close(fd) < 0 || rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  if (!durable) return 0;
  /* The rename is durable once the directory is synced too. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  return 0;
}

int join_cgroup(const char *procs_file, pid_t pid) {
  char text[32];
  int len = snprintf(text, sizeof text, "%d\n", (int)pid);
  int fd = open(procs_file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (write_all(fd, text, (size_t)len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return close(fd);
}

int become_user(const char *user) {
  errno = 0;
  struct passwd *pw = getpwnam(user);
  if (pw == NULL) {
    if (errno != 0) say("user \"%s\": lookup failed: %s", user, strerror(errno));
    else say("user \"%s\" does not exist", user);
    return -1;
  }
  /* Groups first, then the gid, then the uid: after setuid nothing else may be changed. */
  if (initgroups(pw->pw_name, pw->pw_gid) < 0) {
    say("user \"%s\": initgroups failed: %s", user, strerror(errno));
    return -1;
  }
  if (setgid(pw->pw_gid) < 0) {
    say("user \"%s\": setgid(%u) failed: %s", user, (unsigned)pw->pw_gid, strerror(errno));
    return -1;
  }
  if (setuid(pw->pw_uid) < 0) {
    say("user \"%s\": setuid(%u) failed: %s", user, (unsigned)pw->pw_uid, strerror(errno));
    return -1;
  }
  return 0;
}

int exec_failure_status(int err) {
  return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
