/* utensor_icount: a QEMU TCG plugin (plugin API v1, QEMU >= 7.2) counting executed guest
 * instructions exactly, with markers the firmware places in its code.
 *
 * A marker is the Thumb instruction `mov r11, r11` (0x46DB), a no-op that compilers do
 * not emit (port.hpp: UTENSOR_PORT_ICOUNT_MARK()). Every marker executed prints
 *   utensor-icount: mark <n> at <instructions> (+<since previous mark>)
 * and the exit prints
 *   utensor-icount: total <instructions>
 * to QEMU's log (stderr unless -D FILE), enabled by `-d plugin`.
 *
 * Debian ships QEMU without the plugin header, so the few declarations used are below;
 * they match include/qemu/qemu-plugin.h of QEMU 7.2 (QEMU_PLUGIN_VERSION 1).
 * Build: cc -shared -fPIC -O2 -o libutensor_icount.so icount.c */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
const void* qemu_plugin_insn_data(const struct qemu_plugin_insn* insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn,
                                                enum qemu_plugin_op op, void* ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);
void qemu_plugin_outs(const char* string);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

/* Cortex-M boards have one vCPU, so one counter needs no atomics. */
static uint64_t s_executed;
static uint64_t s_last_mark;
static uint64_t s_marks;

static const uint8_t kMarker[2] = {0xDB, 0x46}; /* mov r11, r11 (little-endian Thumb) */

static void on_mark(unsigned int vcpu_index, void* userdata) {
  (void)vcpu_index;
  (void)userdata;
  char line[128];
  /* The marker's own inline add has already run: count instructions before it. */
  uint64_t at = s_executed - 1;
  snprintf(line, sizeof line, "utensor-icount: mark %" PRIu64 " at %" PRIu64 " (+%" PRIu64 ")\n",
           s_marks, at, at - s_last_mark);
  s_marks++;
  s_last_mark = at;
  qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &s_executed, 1);
    if (qemu_plugin_insn_size(insn) == 2 && memcmp(qemu_plugin_insn_data(insn), kMarker, 2) == 0) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
  }
}

static void on_plugin_exit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  char line[96];
  snprintf(line, sizeof line, "utensor-icount: total %" PRIu64 "\n", s_executed);
  qemu_plugin_outs(line);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc, char** argv) {
  (void)info;
  (void)argc;
  (void)argv;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
}
