/*
 * Device filtering on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program, built here instruction
 * by instruction (as runc does; no libbpf), attached to the task's group. v2 has no devices.deny
 * file: the kernel asks the group's programs instead, for every open/mknod of a device node by a
 * process in the group. The program denies the listed devices (whatever the access) and allows
 * everything else, which is what v1's devices.deny entries do for a group that inherits "a *:* rwm".
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270

int parse_device_rule(const char *text, struct device_rule *rule) {
  char type;
  unsigned major, minor;
  char access[8] = "rwm";
  int n = sscanf(text, "%c %u:%u %7s", &type, &major, &minor, access);
  if (n < 3 || (type != 'c' && type != 'b') || strspn(access, "rwm") != strlen(access) || access[0] == '\0') return -1;
  rule->type = type;
  rule->major = major;
  rule->minor = minor;
  return 0;
}

int is_cgroup2_dir(const char *dir) {
  struct statfs st;
  return statfs(dir, &st) == 0 && st.f_type == CGROUP2_MAGIC;
}

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
  return i;
}

int deny_devices_v2(const char *dir, const struct device_rule *rules, size_t n) {
  /* r2 = device type (low 16 bits of access_type), r3 = major, r4 = minor; per rule: all equal → return 0 (deny). */
  size_t max = 4 + n * 5 + 2;
  struct bpf_insn *prog = calloc(max, sizeof *prog);
  if (prog == NULL) return -1;
  size_t k = 0;
  prog[k++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, (__s16)offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  prog[k++] = insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  prog[k++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, (__s16)offsetof(struct bpf_cgroup_dev_ctx, major), 0);
  prog[k++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, (__s16)offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
  for (size_t i = 0; i < n; i++) {
    int type = rules[i].type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
    /* Each jump skips the rest of this rule's 5 instructions. */
    prog[k++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 4, type);
    prog[k++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 3, (__s32)rules[i].major);
    prog[k++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 2, (__s32)rules[i].minor);
    prog[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    prog[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  prog[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  prog[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

  static char log[8192];
  log[0] = '\0';
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(unsigned long)prog;
  load.insn_cnt = (__u32)k;
  load.license = (__u64)(unsigned long)"Apache-2.0";
  load.log_buf = (__u64)(unsigned long)log;
  load.log_size = sizeof log;
  load.log_level = 1;
  int prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  free(prog);
  if (prog_fd < 0) {
    say("cannot load the device filter: %s%s%s", strerror(errno), log[0] ? "; verifier: " : "", log);
    return -1;
  }
  int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    say("cannot open cgroup %s: %s", dir, strerror(errno));
    close(prog_fd);
    return -1;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (__u32)dir_fd;
  attach.attach_bpf_fd = (__u32)prog_fd;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
  int e = errno;
  close(dir_fd);
  /* The group keeps the program while it is attached; this fd is no longer needed. */
  close(prog_fd);
  if (r < 0) {
    say("cannot attach the device filter to %s: %s", dir, strerror(e));
    return -1;
  }
  return 0;
}
