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
 * Beside the exact count it estimates cycles on a Cortex-M4 and a Cortex-M7 with the cost
 * model of cycle_model.h (Thumb-2 decoded by thumb_decode.h once per translated block):
 *   utensor-cycles: mark <n> m4 <cycles> m7 <cycles>
 *   utensor-cycles: total m4 <cycles> m7 <cycles>
 * Static costs (class, pairing, pipelining inside a block) are added inline per
 * instruction; what depends on the path (whether a branch was taken, where it went) is
 * added by one callback per executed block, which sees the previous block's last
 * instruction and its own start address.
 *
 * Debian ships QEMU without the plugin header, so the few declarations used are below;
 * they match include/qemu/qemu-plugin.h of QEMU 7.2 (QEMU_PLUGIN_VERSION 1).
 * Build: cc -shared -fPIC -O2 -o libutensor_icount.so icount.c */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle_model.h"

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
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb* tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void* userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb* tb);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);
void qemu_plugin_outs(const char* string);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

/* Cortex-M boards have one vCPU, so one counter needs no atomics. */
static uint64_t s_executed;
static uint64_t s_last_mark;
static uint64_t s_marks;

static uint64_t s_cycles[CORE_COUNT];

/* What the block callback needs of a translated block: where it starts, whether its first
 * instruction is a 32-bit one off a word boundary (a refill then takes one more fetch), and
 * how its last instruction may leave it. Records are never freed: a block QEMU flushes and
 * translates again gets a new one, so s_prev_block always points at live memory (a few
 * kilobytes per firmware). */
typedef struct {
  uint64_t start;
  uint64_t fallthrough; /* address after the last instruction */
  uint8_t first_unaligned32;
  uint8_t last_pcw;       /* enum PcWrite of the last instruction */
  uint8_t last_direct_cond; /* the last instruction is a direct branch that may fall through */
} Block;

/* The M7 model's branch history: the last outcome of each conditional direct branch, in a
 * direct-mapped table indexed by the branch's address (aliasing as a real history table). */
#define HISTORY_ENTRIES 4096u
static uint8_t s_history[HISTORY_ENTRIES];

static const Block* s_prev_block;

static void on_block(unsigned int vcpu_index, void* userdata) {
  (void)vcpu_index;
  Block* b = (Block*)userdata;
  const Block* p = s_prev_block;
  if (p != NULL && p->last_pcw != PC_NONE) {
    int taken = b->start != p->fallthrough;
    if (taken) s_cycles[CORE_M4] += (uint64_t)(kM4Refill[p->last_pcw] + b->first_unaligned32);
    if (p->last_pcw == PC_DIRECT) {
      if (p->last_direct_cond) {
        uint8_t* h = &s_history[(p->fallthrough >> 1) % HISTORY_ENTRIES];
        if (taken != *h) s_cycles[CORE_M7] += M7_REFILL;
        *h = (uint8_t)taken;
      }
    } else if (taken) {
      s_cycles[CORE_M7] += M7_REFILL;
    }
  }
  s_prev_block = b;
}

/* A direct branch that always leaves: B (T2, T4) and BL. */
static int unconditional_direct(const uint8_t* p, size_t size) {
  uint32_t h1 = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
  if (size == 2) return (h1 >> 11) == 0x1Cu;
  uint32_t h2 = (uint32_t)p[2] | ((uint32_t)p[3] << 8);
  return (h2 & 0x8000u) && (h2 & 0x1000u);
}

static const uint8_t kMarker[2] = {0xDB, 0x46}; /* mov r11, r11 (little-endian Thumb) */

static void on_mark(unsigned int vcpu_index, void* userdata) {
  (void)vcpu_index;
  (void)userdata;
  char line[128];
  /* The marker's own inline add has already run: count instructions before it. */
  uint64_t at = s_executed - 1;
  snprintf(line, sizeof line, "utensor-icount: mark %" PRIu64 " at %" PRIu64 " (+%" PRIu64 ")\n",
           s_marks, at, at - s_last_mark);
  qemu_plugin_outs(line);
  /* The marker costs 1 cycle on both cores (it never pairs): cycles before it. */
  snprintf(line, sizeof line, "utensor-cycles: mark %" PRIu64 " m4 %" PRIu64 " m7 %" PRIu64 "\n",
           s_marks, s_cycles[CORE_M4] - 1, s_cycles[CORE_M7] - 1);
  s_marks++;
  s_last_mark = at;
  qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  Block* block = (Block*)calloc(1, sizeof *block);
  if (block == NULL) return;
  block->start = qemu_plugin_tb_vaddr(tb);
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, block);
  Insn prev = {0, 0, 0, 0, 0, 0, 0};
  int paired = 0;
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    const uint8_t* data = (const uint8_t*)qemu_plugin_insn_data(insn);
    size_t size = qemu_plugin_insn_size(insn);
    uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
    Insn cur = thumb_decode(data, size);
    int cost[CORE_COUNT];
    static_costs(i ? &prev : NULL, &cur, &paired, cost);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &s_executed, 1);
    for (int c = 0; c < CORE_COUNT; c++) {
      if (cost[c]) {
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &s_cycles[c],
                                                   (uint64_t)cost[c]);
      }
    }
    if (size == 2 && memcmp(data, kMarker, 2) == 0) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
    if (i == 0) block->first_unaligned32 = (uint8_t)(size == 4 && (vaddr & 2u));
    if (i + 1 == n) {
      block->fallthrough = vaddr + size;
      block->last_pcw = cur.pcw;
      block->last_direct_cond = (uint8_t)(cur.pcw == PC_DIRECT && !unconditional_direct(data, size));
    }
    prev = cur;
  }
}

static void on_plugin_exit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  char line[128];
  snprintf(line, sizeof line, "utensor-icount: total %" PRIu64 "\n", s_executed);
  qemu_plugin_outs(line);
  snprintf(line, sizeof line, "utensor-cycles: total m4 %" PRIu64 " m7 %" PRIu64 "\n",
           s_cycles[CORE_M4], s_cycles[CORE_M7]);
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
