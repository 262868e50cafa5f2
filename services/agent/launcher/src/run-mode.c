/*
 * `run`: starts a task and stays as its parent until it ends.
 *
 *   1. writes its own pid to --pid-file (temp file, rename): an agent that died before it
 *      recorded the pid still finds the task;
 *   2. becomes a child subreaper and forks the task; the child, before it execs anything of the
 *      task: starts its own session (the task's process group), on cgroup v2 attaches a device
 *      filter denying --deny-device to the task's group, joins the task's cgroups
 *      (--cgroup-procs), enters the network namespace (--netns), becomes the user (--user),
 *      asks for SIGKILL if the launcher dies, then execs argv. A failure there is reported to
 *      the launcher through a close-on-exec pipe: nothing of the task ran, status 125 (126/127
 *      when argv cannot be executed, as a shell says);
 *   3. waits, reaping orphans. Signals meant for the task (SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 *      SIGUSR1, SIGUSR2) are forwarded to the task's process group: the launcher survives them
 *      and so still records the status. The launcher stays outside the task's cgroups, so
 *      killing everything in them (SIGKILL escalation, an OOM kill) does not kill it either;
 *   4. when the task's first process ends: SIGKILLs what is left of its process group and every
 *      orphan it was handed as subreaper (processes that left the group), writes the status to
 *      --exit-file (temp file, fsync, rename; "<status>\n", 128+signal when signalled) and
 *      exits with that status.
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals the launcher passes on to the task's process group instead of acting on them. */
static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

/* What the child reports when it could not exec the task. */
struct setup_failure {
  int status;
  char message[512];
};

/* In the child: says what failed (to the launcher, through the pipe) and ends with `status`. */
static void child_fail(int pipe_fd, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));
static void child_fail(int pipe_fd, int status, const char *fmt, ...) {
  struct setup_failure f = {.status = status};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f.message, sizeof f.message, fmt, ap);
  va_end(ap);
  (void)!write(pipe_fd, &f, sizeof f);
  _exit(status);
}

/* On cgroup v2: the device filter on the task's v2 group (the one among --cgroup-procs), before the task joins it. */
static void deny_devices(const struct run_options *o, int pipe_fd) {
  for (size_t i = 0; i < o->n_cgroup_procs; i++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", o->cgroup_procs[i]);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) continue;
    *slash = '\0';
    if (!is_cgroup2_dir(dir)) continue;
    if (deny_devices_v2(dir, o->denied_devices, o->n_denied_devices) < 0) child_fail(pipe_fd, EXIT_SETUP, "cannot filter the devices of cgroup %s (see above)", dir);
    return;
  }
  child_fail(pipe_fd, EXIT_SETUP, "--deny-device needs a cgroup v2 group among --cgroup-procs (on v1 the devices hierarchy's devices.deny does it)");
}

/* The child's part: every privileged step, then the task. Never returns. */
static void start_task(const struct run_options *o, int pipe_fd, pid_t launcher, const sigset_t *original_mask) {
  if (setsid() < 0) child_fail(pipe_fd, EXIT_SETUP, "setsid failed: %s", strerror(errno));
  if (o->n_denied_devices > 0) deny_devices(o, pipe_fd);
  pid_t self = getpid();
  for (size_t i = 0; i < o->n_cgroup_procs; i++) {
    if (join_cgroup(o->cgroup_procs[i], self) < 0) child_fail(pipe_fd, EXIT_SETUP, "cannot join cgroup %s: %s", o->cgroup_procs[i], strerror(errno));
  }
  if (o->netns != NULL) {
    int fd = open(o->netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) child_fail(pipe_fd, EXIT_SETUP, "cannot open network namespace %s: %s", o->netns, strerror(errno));
    if (setns(fd, CLONE_NEWNET) < 0) child_fail(pipe_fd, EXIT_SETUP, "cannot enter network namespace %s: %s", o->netns, strerror(errno));
    close(fd);
  }
  if (o->user != NULL && become_user(o->user) < 0) child_fail(pipe_fd, EXIT_SETUP, "cannot run as user \"%s\" (see above)", o->user);
  /* Set after the user change, which clears it. The task dies with the launcher, not unsupervised. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail(pipe_fd, EXIT_SETUP, "prctl(PR_SET_PDEATHSIG) failed: %s", strerror(errno));
  if (getppid() != launcher) _exit(EXIT_SETUP); /* the launcher died meanwhile: nobody would record the status */
  sigprocmask(SIG_SETMASK, original_mask, NULL);
  execvp(o->argv[0], o->argv);
  int err = errno;
  child_fail(pipe_fd, exec_failure_status(err), "cannot execute %s: %s", o->argv[0], strerror(err));
}

/* Signals the task's process group (or the task alone, before its setsid made the group). */
static void signal_task(pid_t task, int sig) {
  if (kill(-task, sig) < 0 && errno == ESRCH) (void)kill(task, sig);
}

/* SIGKILLs every process this launcher is the parent of (the orphans it was handed as subreaper). True when there was any. */
static int kill_children(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  FILE *f = fopen(path, "re");
  if (f == NULL) return 0;
  int pid, any = 0;
  while (fscanf(f, "%d", &pid) == 1) {
    (void)kill(pid, SIGKILL);
    any = 1;
  }
  fclose(f);
  return any;
}

/* Status as a shell gives it: the exit code, or 128 + the signal. */
static int status_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return EXIT_SETUP;
}

/* Records the status (the agent reads it, also after its own restart) and exits with it. */
static int finish(const struct run_options *o, int status) {
  char text[16];
  snprintf(text, sizeof text, "%d\n", status);
  if (write_file_atomically(o->exit_file, text, 1) < 0) say("cannot write the exit status %d to %s: %s", status, o->exit_file, strerror(errno));
  return status;
}

int run_mode(const struct run_options *o) {
  pid_t launcher = getpid();
  /* Blocked from the start: a kill arriving before the task exists is held and forwarded once it does. */
  sigset_t waited, original;
  sigemptyset(&waited);
  for (size_t i = 0; i < N_FORWARDED; i++) sigaddset(&waited, FORWARDED[i]);
  sigaddset(&waited, SIGCHLD);
  sigprocmask(SIG_BLOCK, &waited, &original);

  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d\n", (int)launcher);
  /*
   * Not fsync'd: the pid file has to outlive the agent's death, not the machine's (no task
   * survives a power loss, and the page cache outlives any process); a sync here would hold up
   * every task's start by a journal commit. The exit status is synced: it is the one record of
   * how the task ended.
   */
  if (write_file_atomically(o->pid_file, pid_text, 0) < 0) {
    say("cannot write the pid file %s: %s", o->pid_file, strerror(errno));
    return EXIT_SETUP;
  }
  /*
   * Started by the agent's launcher server (serve), this launcher was to die with the server
   * until its pid was on file (so that none runs the agent cannot find); from here on it
   * outlives it, like the task.
   */
  (void)prctl(PR_SET_PDEATHSIG, 0);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) say("prctl(PR_SET_CHILD_SUBREAPER) failed: %s; orphans of the task go to init", strerror(errno));

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
    say("pipe failed: %s", strerror(errno));
    return finish(o, EXIT_SETUP);
  }
  pid_t task = fork();
  if (task < 0) {
    say("fork failed: %s", strerror(errno));
    return finish(o, EXIT_SETUP);
  }
  if (task == 0) {
    close(pipe_fds[0]);
    start_task(o, pipe_fds[1], launcher, &original);
  }
  close(pipe_fds[1]);

  /* EOF: the exec succeeded (the pipe closed on exec). A report: the task never ran. */
  struct setup_failure failure;
  ssize_t got;
  do got = read(pipe_fds[0], &failure, sizeof failure);
  while (got < 0 && errno == EINTR);
  close(pipe_fds[0]);
  int failed = got == (ssize_t)sizeof failure;
  if (failed) say("%s", failure.message);

  int status = -1;
  while (status < 0) {
    /* Look at each ended child without reaping it first (WNOWAIT): the task's group is killed while its zombie still holds the group id, so that id cannot have been reused. */
    for (;;) {
      siginfo_t ended;
      ended.si_pid = 0;
      if (waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT) < 0 || ended.si_pid == 0) break;
      int wstatus = 0;
      if (ended.si_pid == task) {
        /* The task's first process ended: nothing of its group outlives it. */
        (void)kill(-task, SIGKILL);
        (void)waitpid(task, &wstatus, 0);
        status = failed ? failure.status : status_of(wstatus);
        break;
      }
      (void)waitpid(ended.si_pid, &wstatus, 0); /* an orphan handed to us */
    }
    if (status >= 0) break;
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    signal_task(task, sig);
  }

  /* Nor do the orphans handed to us (processes that left the task's group). */
  for (;;) {
    int any = kill_children();
    int wstatus;
    pid_t p = waitpid(-1, &wstatus, any ? 0 : WNOHANG);
    if (p < 0 && errno == ECHILD) break;
    if (p <= 0 && !any) break;
  }
  return finish(o, status);
}
