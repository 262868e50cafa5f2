/*
 * gantry-task-launcher: argument parsing and mode dispatch.
 *
 *   gantry-task-launcher run --pid-file F --exit-file F [--cgroup-procs FILE]... [--netns PATH]
 *                            [--user NAME] [--deny-device 'c MAJOR:MINOR']... -- argv...
 *   gantry-task-launcher join --pid PID [--user NAME] [--cwd DIR] -- argv...
 *   gantry-task-launcher serve          (the agent's launcher server: see serve-mode.c)
 *
 * A bad command line exits 125 with one line on stderr naming the option and the problem.
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: gantry-task-launcher run --pid-file FILE --exit-file FILE [--cgroup-procs FILE]... [--netns PATH] [--user NAME] [--deny-device 'c|b MAJOR:MINOR']... -- COMMAND [ARG]...\n"
    "       gantry-task-launcher join --pid PID [--user NAME] [--cwd DIR] -- COMMAND [ARG]...\n"
    "       gantry-task-launcher serve\n";

/* Says what is wrong with the command line, shows the usage, and gives the status to exit with. */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  say("%s", msg);
  fputs(USAGE, stderr);
  return EXIT_SETUP;
}

/* Checks what follows the options: a `--` and then at least one word (the command). */
static int command_after_options(int argc, char **argv, char ***command) {
  if (optind >= argc || strcmp(argv[optind - 1], "--") != 0) {
    if (optind < argc) return bad_usage("unexpected argument \"%s\": put the command after --", argv[optind]);
    return bad_usage("%s", "no command: put it after --");
  }
  *command = argv + optind;
  return 0;
}

/*
 * Refuses abbreviated or unknown long options before getopt_long sees them (it would take
 * `--cgroup` for `--cgroup-procs`): every option is spelled out. Every option takes a value.
 */
static int exact_options(int argc, char **argv, const struct option *longs) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0 || strncmp(a, "--", 2) != 0) return 0;
    size_t len = strcspn(a + 2, "=");
    int known = 0;
    for (const struct option *o = longs; o->name != NULL; o++) {
      if (strlen(o->name) == len && strncmp(o->name, a + 2, len) == 0) known = 1;
    }
    if (!known) return bad_usage("unknown option %.*s", (int)len + 2, a);
    if (a[2 + len] != '=') i++; /* its value */
  }
  return 0;
}

/* getopt_long's complaint turned into ours, naming the option. */
static int option_problem(int c, int argc, char **argv) {
  const char *arg = optind - 1 < argc ? argv[optind - 1] : "";
  if (c == ':') return bad_usage("option %s needs a value", arg);
  return bad_usage("unknown option %s", arg);
}

static int parse_run(int argc, char **argv) {
  static const struct option longs[] = {
      {"pid-file", required_argument, 0, 'p'},
      {"exit-file", required_argument, 0, 'e'},
      {"cgroup-procs", required_argument, 0, 'c'},
      {"netns", required_argument, 0, 'n'},
      {"user", required_argument, 0, 'u'},
      {"deny-device", required_argument, 0, 'D'},
      {0, 0, 0, 0},
  };
  struct run_options o = {0};
  const char **procs = calloc((size_t)argc + 1, sizeof *procs);
  struct device_rule *denied = calloc((size_t)argc + 1, sizeof *denied);
  if (procs == NULL || denied == NULL) return EXIT_SETUP;
  o.cgroup_procs = procs;
  o.denied_devices = denied;
  int c = exact_options(argc, argv, longs);
  if (c != 0) return c;
  while ((c = getopt_long(argc, argv, "+:", longs, NULL)) != -1) {
    switch (c) {
      case 'p':
        if (o.pid_file) return bad_usage("option %s is given twice", "--pid-file");
        o.pid_file = optarg;
        break;
      case 'e':
        if (o.exit_file) return bad_usage("option %s is given twice", "--exit-file");
        o.exit_file = optarg;
        break;
      case 'c':
        if (optarg[0] == '\0') return bad_usage("option %s needs a non-empty value", "--cgroup-procs");
        procs[o.n_cgroup_procs++] = optarg;
        break;
      case 'n':
        if (o.netns) return bad_usage("option %s is given twice", "--netns");
        o.netns = optarg;
        break;
      case 'u':
        if (o.user) return bad_usage("option %s is given twice", "--user");
        o.user = optarg;
        break;
      case 'D':
        if (parse_device_rule(optarg, &denied[o.n_denied_devices]) < 0) return bad_usage("option --deny-device: \"%s\" is not a device (c or b, then MAJOR:MINOR, e.g. \"c 195:1\")", optarg);
        o.n_denied_devices++;
        break;
      default:
        return option_problem(c, argc, argv);
    }
  }
  if (o.pid_file == NULL || o.pid_file[0] == '\0') return bad_usage("option %s is required", "--pid-file");
  if (o.exit_file == NULL || o.exit_file[0] == '\0') return bad_usage("option %s is required", "--exit-file");
  if (o.netns != NULL && o.netns[0] == '\0') return bad_usage("option %s needs a non-empty value", "--netns");
  if (o.user != NULL && o.user[0] == '\0') return bad_usage("option %s needs a non-empty value", "--user");
  int r = command_after_options(argc, argv, &o.argv);
  if (r != 0) return r;
  return run_mode(&o);
}

static int parse_join(int argc, char **argv) {
  static const struct option longs[] = {
      {"pid", required_argument, 0, 'p'},
      {"user", required_argument, 0, 'u'},
      {"cwd", required_argument, 0, 'd'},
      {0, 0, 0, 0},
  };
  struct join_options o = {0};
  const char *pid_text = NULL;
  int c = exact_options(argc, argv, longs);
  if (c != 0) return c;
  while ((c = getopt_long(argc, argv, "+:", longs, NULL)) != -1) {
    switch (c) {
      case 'p':
        if (pid_text) return bad_usage("option %s is given twice", "--pid");
        pid_text = optarg;
        break;
      case 'u':
        if (o.user) return bad_usage("option %s is given twice", "--user");
        o.user = optarg;
        break;
      case 'd':
        if (o.cwd) return bad_usage("option %s is given twice", "--cwd");
        o.cwd = optarg;
        break;
      default:
        return option_problem(c, argc, argv);
    }
  }
  if (pid_text == NULL) return bad_usage("option %s is required", "--pid");
  char *end = NULL;
  errno = 0;
  long pid = strtol(pid_text, &end, 10);
  if (errno != 0 || end == pid_text || *end != '\0' || pid < 1 || pid > 0x3fffffff) return bad_usage("option --pid: \"%s\" is not a process id (a whole number above 0)", pid_text);
  o.pid = (pid_t)pid;
  if (o.user != NULL && o.user[0] == '\0') return bad_usage("option %s needs a non-empty value", "--user");
  if (o.cwd != NULL && o.cwd[0] == '\0') return bad_usage("option %s needs a non-empty value", "--cwd");
  int r = command_after_options(argc, argv, &o.argv);
  if (r != 0) return r;
  return join_mode(&o);
}

int main(int argc, char **argv) {
  if (argc < 2) return bad_usage("%s", "no mode: run, join or serve");
  /* The mode's own options start after the mode word. */
  if (strcmp(argv[1], "run") == 0) return parse_run(argc - 1, argv + 1);
  if (strcmp(argv[1], "join") == 0) return parse_join(argc - 1, argv + 1);
  if (strcmp(argv[1], "serve") == 0) {
    if (argc > 2) return bad_usage("%s", "serve takes no arguments");
    return serve_mode();
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(USAGE, stdout);
    return 0;
  }
  return bad_usage("unknown mode \"%s\": run, join or serve", argv[1]);
}
