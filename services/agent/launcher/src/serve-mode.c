/*
 * `serve`: the agent's small, long-lived process that starts its task launchers (a "zygote").
 *
 * Forking from the agent (a Node process of ~100 MB of mappings) costs far more than forking
 * from this one, so the agent starts `gantry-task-launcher serve` once, with pipes as stdin and
 * stdout, and asks it to start each task's `gantry-task-launcher run`:
 *
 *   request (stdin)   u32 length (little-endian), then that many bytes: NUL-terminated words
 *                     id, cwd, stdout file, stderr file, argc, argv[0..argc-1], then the
 *                     environment ("K=V") up to the end
 *   replies (stdout)  "started <id> <pid> <start ticks>\n"   the program was exec'd
 *                     "failed <id> <reason>\n"               nothing runs (the reason has no newline)
 *                     "exited <pid> <code> <signal>\n"       a program it started ended (code -1
 *                                                            when a signal ended it, signal 0 when not);
 *                                                            always after that pid's "started"
 *
 * The child, before it execs: starts its own session (pid = pgid), changes to cwd, takes
 * /dev/null as stdin and appends stdout/stderr to the files (created 0666 & ~umask), restores
 * the default signal mask and SIGPIPE, and asks for SIGKILL when this process dies
 * (PR_SET_PDEATHSIG; `run` clears it once its pid file is written, so a launcher either
 * recorded its pid or dies with this process: none runs that the agent cannot find).
 *
 * Ends when stdin closes (the agent stopped or died) or with the agent (PR_SET_PDEATHSIG).
 * What it started keeps running, re-parented to init; the agent then learns of their ends from
 * their exit status files, as after its own restart.
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest request taken (argv and environment of one task); a longer one ends the server. */
#define MAX_REQUEST (8u << 20)

/* One start request, its words pointing into the request buffer. */
struct start_request {
  const char *id, *cwd, *stdout_file, *stderr_file;
  char **argv; /* NULL-terminated */
  char **envp; /* NULL-terminated */
};

/* One reply line to the agent; a broken pipe (the agent is gone) ends the server. */
static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = format_clamped(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n == (int)sizeof line - 1) line[n - 1] = '\n'; /* cut short: still one line */
  if (write_all(STDOUT_FILENO, line, (size_t)n) < 0) _exit(0);
}

/* Splits a request's bytes into words. 0, or -1 when it is not a well-formed request. */
static int parse_request(char *buf, size_t len, struct start_request *r, char ***words_out) {
  if (len == 0 || buf[len - 1] != '\0') return -1;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += buf[i] == '\0';
  char **words = calloc(n + 2, sizeof *words);
  if (words == NULL) return -1;
  size_t k = 0;
  for (char *p = buf; p < buf + len; p += strlen(p) + 1) words[k++] = p;
  *words_out = words;
  if (n < 6) return -1;
  char *end = NULL;
  unsigned long argc = strtoul(words[4], &end, 10);
  if (*end != '\0' || argc < 1 || argc > n - 5) return -1;
  r->id = words[0];
  r->cwd = words[1];
  r->stdout_file = words[2];
  r->stderr_file = words[3];
  /* argv is followed by the environment: a NULL goes between them (words has two spare slots). */
  memmove(&words[6 + argc], &words[5 + argc], (n - 5 - argc) * sizeof *words);
  words[5 + argc] = NULL;
  words[n + 1] = NULL;
  r->argv = &words[5];
  r->envp = &words[6 + argc];
  return 0;
}

/* In the child: says why it cannot exec (through the close-on-exec pipe) and ends. */
static void child_fail(int report_fd, const char *what, const char *detail) __attribute__((noreturn));
static void child_fail(int report_fd, const char *what, const char *detail) {
  char msg[768];
  int n = snprintf(msg, sizeof msg, "%s %s: %s", what, detail, strerror(errno));
  if (n > 0) (void)!write(report_fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
  _exit(EXIT_SETUP);
}

static void redirect(int report_fd, int target, const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0666);
  if (fd < 0) child_fail(report_fd, "cannot open", path);
  if (dup2(fd, target) < 0) child_fail(report_fd, "cannot redirect to", path);
  close(fd);
}

/* The child's part: session, directory, output files, signals, then the program. Never returns. */
static void start_child(const struct start_request *r, int report_fd, pid_t server, const sigset_t *original_mask) {
  if (setsid() < 0) child_fail(report_fd, "setsid", "failed");
  if (chdir(r->cwd) < 0) child_fail(report_fd, "cannot change to", r->cwd);
  redirect(report_fd, STDIN_FILENO, "/dev/null", O_RDONLY);
  redirect(report_fd, STDOUT_FILENO, r->stdout_file, O_WRONLY | O_CREAT | O_APPEND);
  redirect(report_fd, STDERR_FILENO, r->stderr_file, O_WRONLY | O_CREAT | O_APPEND);
  signal(SIGPIPE, SIG_DFL);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail(report_fd, "prctl", "PR_SET_PDEATHSIG");
  if (getppid() != server) _exit(EXIT_SETUP); /* the server died meanwhile: nobody reports this start */
  sigprocmask(SIG_SETMASK, original_mask, NULL);
  execve(r->argv[0], r->argv, r->envp);
  child_fail(report_fd, "cannot execute", r->argv[0]);
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks); 0 when it cannot be read. */
static unsigned long long start_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (p == NULL) return 0;
  /* After ")": state is field 3; start time is field 22, i.e. 20 fields on. */
  for (int field = 2; field < 22 && p != NULL; field++) p = strchr(p + 1, ' ');
  return p == NULL ? 0 : strtoull(p + 1, NULL, 10);
}

static void start_one(const struct start_request *r, pid_t server, const sigset_t *original_mask) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    reply("failed %s pipe: %s\n", r->id, strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    reply("failed %s fork: %s\n", r->id, strerror(errno));
    close(report[0]);
    close(report[1]);
    return;
  }
  if (pid == 0) {
    close(report[0]);
    start_child(r, report[1], server, original_mask);
  }
  close(report[1]);
  /* EOF: the exec succeeded (the pipe closed on exec); text: why it did not. */
  char msg[768];
  ssize_t got;
  do got = read(report[0], msg, sizeof msg - 1);
  while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got > 0) {
    msg[got] = '\0';
    for (char *c = msg; *c; c++) if (*c == '\n') *c = ' ';
    (void)waitpid(pid, NULL, 0); /* reaped here: no "exited" for a start that failed */
    reply("failed %s %s\n", r->id, msg);
    return;
  }
  /* Read before any reaping: until this server waits for it, the pid is not reused. */
  reply("started %s %d %llu\n", r->id, (int)pid, start_ticks(pid));
}

static void reap_children(void) {
  for (;;) {
    int wstatus;
    pid_t pid = waitpid(-1, &wstatus, WNOHANG);
    if (pid <= 0) return;
    if (WIFEXITED(wstatus)) reply("exited %d %d 0\n", (int)pid, WEXITSTATUS(wstatus));
    else if (WIFSIGNALED(wstatus)) reply("exited %d -1 %d\n", (int)pid, WTERMSIG(wstatus));
  }
}

int serve_mode(void) {
  pid_t server = getpid();
  /* Dies with the agent that started it (stdin's EOF says the same, this also when the pipe is shared). */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (chdir("/") < 0) say("chdir / failed: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld, original;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &original);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    say("signalfd failed: %s", strerror(errno));
    return EXIT_SETUP;
  }

  size_t cap = 64 * 1024, have = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return EXIT_SETUP;
  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      say("poll failed: %s", strerror(errno));
      return EXIT_SETUP;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {}
      reap_children();
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (have == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) return EXIT_SETUP;
      buf = bigger;
      cap *= 2;
    }
    ssize_t got = read(STDIN_FILENO, buf + have, cap - have);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0; /* the agent closed its end */
    have += (size_t)got;
    /* Every complete request in the buffer, in order. */
    size_t at = 0;
    while (have - at >= 4) {
      const unsigned char *b = (const unsigned char *)buf + at;
      uint32_t len = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
      if (len > MAX_REQUEST) {
        say("request of %u bytes refused (at most %u)", len, MAX_REQUEST);
        return EXIT_SETUP;
      }
      if (have - at - 4 < len) {
        if (len + 4 > cap) {
          char *bigger = realloc(buf, len + 4);
          if (bigger == NULL) return EXIT_SETUP;
          buf = bigger;
          cap = len + 4;
        }
        break;
      }
      struct start_request r;
      char **words = NULL;
      if (parse_request(buf + at + 4, len, &r, &words) < 0) {
        say("malformed start request of %u bytes", len);
        return EXIT_SETUP;
      }
      start_one(&r, server, &original);
      free(words);
      at += 4 + len;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
}
