/*
 * gantry-task-launcher: the privileged steps of starting a task (join its cgroups, enter its
 * network namespace, become its user) done by one small process instead of a /bin/sh wrapper.
 * See ../README.md for the modes, their exit codes and the files they write.
 */
#ifndef GANTRY_TASK_LAUNCHER_H
#define GANTRY_TASK_LAUNCHER_H

#include <stddef.h>
#include <sys/types.h>

/* Exit status when the launcher itself could not do what it was asked (bad arguments, a join, setns or user change that failed): nothing of the task ran. */
#define EXIT_SETUP 125
/* Exit statuses of a command that could not be executed, as a shell reports them. */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

/* What `run` is told to do. */
struct run_options {
  const char *pid_file;
  const char *exit_file;
  const char **cgroup_procs; /* NULL-terminated */
  size_t n_cgroup_procs;
  const char *netns;         /* NULL: stay in the launcher's network namespace */
  const char *user;          /* NULL: stay the launcher's user */
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

/* Prints "gantry-task-launcher: <message>" to stderr. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes `text` to `path` atomically: `<path>.tmp`, fsync, rename. 0, or -1 with errno set. */
int write_file_atomically(const char *path, const char *text);

/* Writes `pid` (decimal) to a cgroup.procs file. 0, or -1 with errno set. */
int join_cgroup(const char *procs_file, pid_t pid);

/* Becomes `user` (name service lookup, its groups, then gid and uid). 0, or -1 having said why. */
int become_user(const char *user);

/* The exit status a shell gives a command that could not be executed (errno of execvp). */
int exec_failure_status(int err);

#endif
