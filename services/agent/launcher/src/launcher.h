/*
 * gantry-task-launcher: the privileged steps of starting a task (join its cgroups, enter its
 * network namespace, become its user) done by one small process instead of a /bin/sh wrapper.
 * See ../README.md for the modes, their exit codes and the files they write.
 */
#ifndef GANTRY_TASK_LAUNCHER_H
#define GANTRY_TASK_LAUNCHER_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit status when the launcher itself could not do what it was asked (bad arguments, a join, setns or user change that failed): nothing of the task ran. */
#define EXIT_SETUP 125
/* Exit statuses of a command that could not be executed, as a shell reports them. */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

/* A device the task may not use (any access): `c 195:1`, as in v1's devices.deny. */
struct device_rule {
  char type; /* 'c' or 'b' */
  unsigned major, minor;
};

/* What `run` is told to do. */
struct run_options {
  const char *pid_file;
  const char *exit_file;
  const char **cgroup_procs; /* NULL-terminated */
  size_t n_cgroup_procs;
  const char *netns;         /* NULL: stay in the launcher's network namespace */
  const char *user;          /* NULL: stay the launcher's user */
  struct device_rule *denied_devices; /* on cgroup v2: filtered in the task's v2 group */
  size_t n_denied_devices;
  char **argv;               /* NULL-terminated, at least one element */
};

/* What `join` is told to do. */
struct join_options {
  pid_t pid;
  const char *user;
  const char *cwd;
  char **argv;
};

int run_mode(const struct run_options *o);
int join_mode(const struct join_options *o);
/* The agent's launcher server (a zygote): starts programs on request over stdin/stdout; see serve-mode.c. */
int serve_mode(void);

/* Writes all of `text` to `fd` (again after EINTR or a short write). 0, or -1 with errno set. */
int write_all(int fd, const char *text, size_t len);

/* Formats into `buf` (`size` bytes), cut to fit: the length written, or -1 when it cannot be formatted. */
int format_clamped(char *buf, size_t size, const char *fmt, va_list ap);

/* Prints "gantry-task-launcher: <message>" to stderr. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes `text` to `path` atomically: `<path>.tmp`, then rename (a reader sees no file or the
 * whole text). With `durable`, the file and then its directory are fsync'd too, so that the file
 * also survives a crash of the machine. 0, or -1 with errno set.
 */
int write_file_atomically(const char *path, const char *text, int durable);

/* Writes `pid` (decimal) to a cgroup.procs file. 0, or -1 with errno set. */
int join_cgroup(const char *procs_file, pid_t pid);

/* Becomes `user` (name service lookup, its groups, then gid and uid). 0, or -1 having said why. */
int become_user(const char *user);

/* Parses "c 195:1" (optionally followed by an access such as "rwm", which is not narrowed: every access is denied). 0, or -1. */
int parse_device_rule(const char *text, struct device_rule *rule);

/* Whether `dir` is on a cgroup v2 file system. */
int is_cgroup2_dir(const char *dir);

/* Attaches to the v2 group `dir` a device program denying `rules` and allowing every other device. 0, or -1 having said why. */
int deny_devices_v2(const char *dir, const struct device_rule *rules, size_t n);

/* The exit status a shell gives a command that could not be executed (errno of execvp). */
int exec_failure_status(int err);

#endif
