/* The cycle cost tables of the estimated cycle count, one per core, indexed by the cost
 * classes of thumb_decode.h. The plugin (icount.c) applies them to every executed
 * instruction; scripts/utensor/cycle_model.py states the same assumptions for the JSON.
 *
 * Common assumptions (both cores): zero-wait-state memory for code and data (no flash
 * wait states, no cache misses, no bus contention), interrupts off, the write buffer never
 * full. Conditional instructions skipped inside an IT block cost what they would executed.
 *
 * ---- Cortex-M4 (single issue, 3-stage pipeline) ---------------------------------------
 * Source: Arm Cortex-M4 Technical Reference Manual (DDI0439B), 3.3.1 "Cortex-M4
 * instruction set summary" (Table 3-1) and 3.3.2 "Load/store timings"; FPU: 7.2.3 "FPU
 * instruction set" (Table 7-1). Public reproductions of the same tables: TI SWCU192
 * "Cortex-M4F instructions and their cycle counts" (ti.com/document-viewer/lit/html/SWCU192,
 * GUID-86361CC6...) and its load/store pairing rules (GUID-43FDD803...); the Cortex-M3
 * table with the same P/N notation: developer.arm.com DDI0337 18.2 "Processor instruction
 * timings".
 *   - data processing, IT, MUL/MLA/MLS, SMULL/UMULL/SMLAL/UMLAL, SMLAD & DSP: 1
 *   - SDIV/UDIV: 2..12 by early termination on the operands' leading bits. QEMU 7.2's plugin
 *     API (version 1) cannot read registers, so the model charges a fixed M4_DIV_CYCLES
 *     (the worst case, 12): an upper bound.
 *   - LDR (any width, any addressing): 2; 1 when it directly follows a single load whose
 *     result does not form this one's address ("LDR [any] are pipelined when possible").
 *   - STR with immediate offset: 1 ("always one cycle": the data phase overlaps the next
 *     instruction); STR with register offset: 2, 1 when it follows a single load.
 *   - a load or store whose address uses the result of the data-processing instruction
 *     just before it: +1 ("no forwarding path for this scenario").
 *   - LDRD/STRD 1+N (N=2); LDM/STM/PUSH/POP 1+N; N registers.
 *   - branches 1, and +P when taken; TBB/TBH 2+P; LDR PC 2+P; POP/LDM with PC 1+N+P.
 *     P (pipeline refill, 1..3 in the TRM) = 1 for direct branches (B, B<c>, BL, CBZ: the
 *     target is known at decode and fetched speculatively), 2 for register targets (BX,
 *     BLX, MOV/ADD PC), 3 for loaded targets (LDR PC, POP {PC}, TBB/TBH: "three cycles
 *     for the pipeline reload"); +1 when the target is a 32-bit instruction that is not
 *     word-aligned (two fetches). Taken = the next executed block does not start at the
 *     branch's fall-through address.
 *   - FPU (FPv4-SP): VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/VCVT/VMOV/VMRS 1; VMLA/VMLS/
 *     VNMLA/VNMLS/VFMA/VFMS/VFNMA/VFNMS 3; VDIV/VSQRT 14; VLDR/VSTR 2; VLDM/VSTM/
 *     VPUSH/VPOP 1+N; VMOV of two core registers 2.
 *   - the first instruction of a translated block never pipelines with the one before it
 *     (it follows a branch or a block split).
 *   - literal loads (LDR Rx,[PC,#imm]) cost as any load: the TRM's possible extra cycle of
 *     contention with the fetch unit is not charged.
 *
 * ---- Cortex-M7 (dual issue, 6-stage pipeline): an approximation ------------------------
 * Arm publishes no per-instruction timing table for the Cortex-M7 (its TRM, DDI0489,
 * describes the dual-issue pipeline, the branch predictor and the 64-bit memory
 * interfaces but gives no cycle table). The model is therefore stated, not quoted:
 *   - single-issue costs: data processing, multiplies and MACs (32- and 64-bit), loads,
 *     stores: 1; SDIV/UDIV M7_DIV_CYCLES (12, upper bound as on the M4); LDRD/STRD 1
 *     (64-bit data path); LDM/STM/PUSH/POP and VLDM/VSTM ceil(N/2) (two registers per
 *     cycle), at least 1; VADD/VMUL/VMLA/VFMA & co 1 (pipelined); VDIV/VSQRT 14.
 *   - dual issue: an instruction issues in the same cycle as the one before it (cost 0)
 *     when neither is a multi-cycle class, a system instruction or a PC write (a branch
 *     may be the second of a pair), they are not both memory accesses, not both
 *     multiplies, not both floating point, the second names no register the first writes,
 *     and the first was not itself the second of a pair.
 *   - load-use: an instruction naming a register loaded by the single load just before
 *     it waits 1 cycle (2-cycle load-to-use latency) and does not pair with it.
 *   - branches: direct conditional branches predicted by their own last outcome (first
 *     execution predicted not taken); a correct prediction costs nothing extra, a wrong one
 *     M7_REFILL cycles (4). Register and loaded targets (BX, POP {PC}, LDR PC, TBB) always
 *     pay M7_REFILL when taken; unconditional direct branches are predicted (no refill),
 *     and so is a B made conditional by an IT block (its encoding has no condition).
 */
#ifndef UTENSOR_CYCLE_MODEL_H
#define UTENSOR_CYCLE_MODEL_H

#include "thumb_decode.h"

enum Core { CORE_M4 = 0, CORE_M7 = 1, CORE_COUNT = 2 };

#define M4_DIV_CYCLES 12
#define M7_DIV_CYCLES 12
#define M7_REFILL 4

/* Base cost per class; -1: depends on N (computed in class_cost()). */
static const int8_t kCost[CORE_COUNT][C_COUNT] = {
    /*           ALU IT MUL MULL DIV            LD ST_IMM ST_REG LDRD LDM BR TB FP1 FP_MAC FP_DIV FP_LD FP_LDM FP_MOV2 SYS MARK */
    /* M4 */ {1, 1, 1, 1, M4_DIV_CYCLES, 2, 1, 2, 3, -1, 1, 2, 1, 3, 14, 2, -1, 2, 1, 1},
    /* M7 */ {1, 1, 1, 1, M7_DIV_CYCLES, 1, 1, 1, 1, -1, 1, 1, 1, 1, 14, 1, -1, 1, 1, 1},
};

/* Refill P of a taken PC write on the M4, by enum PcWrite. */
static const int8_t kM4Refill[4] = {0, 1, 2, 3};

static inline int class_cost(int core, const Insn* d) {
  int c = kCost[core][d->cls];
  if (c >= 0) return c;
  if (core == CORE_M4) return 1 + d->n;
  return d->n > 1 ? (d->n + 1) / 2 : 1;
}

static inline int is_mem(int cls) {
  return cls == C_LD || cls == C_ST_IMM || cls == C_ST_REG || cls == C_FP_LD;
}

static inline int is_fp(int cls) {
  return cls == C_FP1 || cls == C_FP_MAC || cls == C_FP_DIV || cls == C_FP_LD || cls == C_FP_MOV2;
}

static inline int is_mul(int cls) { return cls == C_MUL || cls == C_MULL; }

/* Classes that occupy the pipeline alone on the M7. */
static inline int m7_single(int cls) {
  return cls == C_DIV || cls == C_LDRD || cls == C_LDM || cls == C_FP_LDM || cls == C_FP_DIV ||
         cls == C_FP_MOV2 || cls == C_SYS || cls == C_MARK || cls == C_TB;
}

static inline int m7_pairs(const Insn* a, const Insn* b) {
  if (m7_single(a->cls) || m7_single(b->cls) || a->pcw != PC_NONE) return 0;
  if (b->pcw != PC_NONE && b->pcw != PC_DIRECT) return 0;
  if (is_mem(a->cls) && is_mem(b->cls)) return 0;
  if (is_mul(a->cls) && is_mul(b->cls)) return 0;
  if (is_fp(a->cls) && is_fp(b->cls)) return 0;
  if (a->dst & b->refs) return 0;
  return 1;
}

/* Static cost of instruction `cur` given the instruction before it in the same block
 * (prev == NULL for the first). *paired is the M7 pairing state: in, whether prev was the
 * second of a pair; out, whether cur is. */
static inline void static_costs(const Insn* prev, const Insn* cur, int* paired, int out[CORE_COUNT]) {
  /* Cortex-M4 */
  int c4 = class_cost(CORE_M4, cur);
  if (prev) {
    int prev_ld = prev->cls == C_LD && prev->pcw == PC_NONE;
    if (cur->cls == C_LD && prev_ld && !(prev->dst & cur->addr)) c4 = 1;
    if (cur->cls == C_ST_REG && prev_ld && !(prev->dst & cur->addr)) c4 = 1;
    int prev_dp = prev->cls == C_ALU || prev->cls == C_MUL || prev->cls == C_MULL;
    int cur_ls = is_mem(cur->cls) || cur->cls == C_LDRD || cur->cls == C_LDM ||
                 cur->cls == C_FP_LDM || cur->cls == C_TB;
    if (cur_ls && prev_dp && (prev->dst & cur->addr & 0x7FFFu)) c4 += 1;
  }
  out[CORE_M4] = c4;
  /* Cortex-M7 */
  int c7 = class_cost(CORE_M7, cur);
  int now_paired = 0;
  if (prev) {
    int load_use = (prev->cls == C_LD || prev->cls == C_LDRD || (prev->cls == C_LDM && prev->is_load)) &&
                   (prev->dst & cur->refs);
    if (load_use) {
      c7 += 1;
    } else if (!*paired && m7_pairs(prev, cur)) {
      c7 = 0;
      now_paired = 1;
    }
  }
  *paired = now_paired;
  out[CORE_M7] = c7;
}

#endif
