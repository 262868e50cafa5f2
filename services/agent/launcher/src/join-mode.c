/*
 * `join`: runs a command inside a running task, for `gantry task exec`. The calling process
 * joins every cgroup hierarchy the task's pid is in (writing its own pid to cgroup.procs under
 * where that hierarchy is mounted), enters the task's net, ipc, uts and mnt namespaces where
 * they differ from its own, becomes the user, changes directory and execs the command with the
 * environment it was given. Exit 125 with a message on stderr when any of that fails; 126/127
 * when the command cannot be executed (as a shell says). The command gets SIGKILL when the
 * process that started it (the agent's exec session) dies: no exec outlives a dead agent.
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HIERARCHIES 64

/* One line of /proc/<pid>/cgroup: "id:controllers:path". */
struct membership {
  char controllers[256];
  char path[4096];
};

/* Reads /proc/<pid>/cgroup (pid 0: self). Returns how many lines, or -1 having said why. */
static int read_memberships(pid_t pid, struct membership *out, int max) {
  char file[64];
  if (pid == 0) snprintf(file, sizeof file, "/proc/self/cgroup");
  else snprintf(file, sizeof file, "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(file, "re");
  if (f == NULL) {
    say("cannot read %s: %s", file, strerror(errno));
    return -1;
  }
  char line[4608];
  int n = 0;
  while (n < max && fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *first = strchr(line, ':');
    char *second = first ? strchr(first + 1, ':') : NULL;
    if (second == NULL) continue;
    *second = '\0';
    snprintf(out[n].controllers, sizeof out[n].controllers, "%s", first + 1);
    snprintf(out[n].path, sizeof out[n].path, "%s", second + 1);
    n++;
  }
  fclose(f);
  return n;
}

/* Whether every comma-separated word of `needed` is one of the comma-separated `options`. */
static int has_all(const char *options, const char *needed) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", needed);
  char *save = NULL;
  for (char *w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
    size_t len = strlen(w);
    const char *p = options;
    int found = 0;
    while (*p) {
      size_t seg = strcspn(p, ",");
      if (seg == len && strncmp(p, w, len) == 0) found = 1;
      p += seg;
      if (*p == ',') p++;
    }
    if (!found) return 0;
  }
  return 1;
}

/*
 * Where the hierarchy of `controllers` ("" for the v2 unified one) is mounted, as the directory
 * standing for `path`: the mount point plus the path below the mount's root. 0, or -1 when it is
 * not mounted here (or the path is outside what is mounted).
 */
static int cgroup_dir(const char *controllers, const char *path, char *dir, size_t size) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) return -1;
  char line[8192];
  int found = -1;
  while (found < 0 && fgets(line, sizeof line, f) != NULL) {
    /* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
    char root[4096], point[4096];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2) continue;
    char *dash = strstr(line, " - ");
    if (dash == NULL) continue;
    char fstype[64], source[256], super[1024];
    if (sscanf(dash + 3, "%63s %255s %1023s", fstype, source, super) != 3) continue;
    int v2 = controllers[0] == '\0';
    if (v2 ? strcmp(fstype, "cgroup2") != 0 : (strcmp(fstype, "cgroup") != 0 || !has_all(super, controllers))) continue;
    size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (rl > 0 && (strncmp(path, root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/'))) continue;
    snprintf(dir, size, "%s%s", point, path + rl);
    found = 0;
  }
  fclose(f);
  return found;
}

/* Joins the task's cgroups: each hierarchy where the task is somewhere else than this process. */
static int join_cgroups_of(pid_t pid) {
  static struct membership theirs[MAX_HIERARCHIES], ours[MAX_HIERARCHIES];
  int nt = read_memberships(pid, theirs, MAX_HIERARCHIES);
  int no = read_memberships(0, ours, MAX_HIERARCHIES);
  if (nt < 0 || no < 0) return -1;
  for (int i = 0; i < nt; i++) {
    int same = 0;
    for (int j = 0; j < no; j++) {
      if (strcmp(theirs[i].controllers, ours[j].controllers) == 0 && strcmp(theirs[i].path, ours[j].path) == 0) same = 1;
    }
    if (same) continue;
    const char *name = theirs[i].controllers[0] ? theirs[i].controllers : "unified (v2)";
    char dir[4096], procs[4200];
    if (cgroup_dir(theirs[i].controllers, theirs[i].path, dir, sizeof dir) < 0) {
      say("cannot join cgroup %s:%s of pid %d: that hierarchy is not mounted here", name, theirs[i].path, (int)pid);
      return -1;
    }
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    if (join_cgroup(procs, getpid()) < 0) {
      say("cannot join cgroup %s of pid %d (%s): %s", name, (int)pid, procs, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* The namespaces a command in the task enters, in the order entered (mnt last: after it, this process sees the task's file system). */
static const struct {
  const char *name;
  int type;
} NAMESPACES[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS}};
#define N_NAMESPACES (sizeof NAMESPACES / sizeof NAMESPACES[0])

/* Enters each namespace of `pid` that differs from this process's own. All are opened before the first is entered. */
static int enter_namespaces_of(pid_t pid) {
  int fds[N_NAMESPACES];
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    char theirs[64], ours[64];
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, NAMESPACES[i].name);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", NAMESPACES[i].name);
    struct stat st, self;
    fds[i] = -1;
    if (stat(theirs, &st) < 0) {
      say("cannot read %s: %s", theirs, strerror(errno));
      goto fail;
    }
    if (stat(ours, &self) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino) continue;
    fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      say("cannot open %s: %s", theirs, strerror(errno));
      goto fail;
    }
  }
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], NAMESPACES[i].type) < 0) {
      say("cannot enter the %s namespace of pid %d: %s", NAMESPACES[i].name, (int)pid, strerror(errno));
      goto fail;
    }
    close(fds[i]);
    fds[i] = -1;
  }
  return 0;
fail:
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    if (fds[i] >= 0) close(fds[i]);
  }
  return -1;
}

int join_mode(const struct join_options *o) {
  pid_t starter = getppid();
  if (kill(o->pid, 0) < 0 && errno == ESRCH) {
    say("no process %d to join", (int)o->pid);
    return EXIT_SETUP;
  }
  if (join_cgroups_of(o->pid) < 0) return EXIT_SETUP;
  if (enter_namespaces_of(o->pid) < 0) return EXIT_SETUP;
  if (o->user != NULL && become_user(o->user) < 0) return EXIT_SETUP;
  if (o->cwd != NULL && chdir(o->cwd) < 0) {
    say("cannot change directory to %s: %s", o->cwd, strerror(errno));
    return EXIT_SETUP;
  }
  /*
   * Set last: a change of user clears it. execvp keeps it (unless the command is set-user-ID or
   * has file capabilities). A starter that died before it was set is seen by getppid().
   */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
    say("prctl(PR_SET_PDEATHSIG) failed: %s", strerror(errno));
    return EXIT_SETUP;
  }
  if (getppid() != starter) {
    say("the process that started this exec is gone");
    return EXIT_SETUP;
  }
  execvp(o->argv[0], o->argv);
  int err = errno;
  say("cannot execute %s: %s", o->argv[0], strerror(err));
  return exec_failure_status(err);
}
