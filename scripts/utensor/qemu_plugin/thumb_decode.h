/* Thumb-2 (Armv7-M / Armv7E-M + FPv4/FPv5-SP) decoding into the cost classes of the cycle
 * model (cycle_model.h). Only what timing depends on is decoded: the class, the register
 * count of a multiple transfer, the registers written, the registers forming a load/store
 * address, every register the encoding names (for dependency checks), and whether and how
 * the instruction may write the PC. Encodings follow the Armv7-M Architecture Reference
 * Manual (DDI0403E), chapter A5 "The Thumb Instruction Set Encoding". */
#ifndef UTENSOR_THUMB_DECODE_H
#define UTENSOR_THUMB_DECODE_H

#include <stdint.h>

enum CostClass {
  C_ALU,      /* data processing, moves, shifts, extends, bit fields, saturation, SIMD add/sub */
  C_IT,       /* IT */
  C_MUL,      /* 32-bit result multiplies and MACs: MUL, MLA, MLS, SMLAxy, SMLAD, SMMLA, USADA8... */
  C_MULL,     /* 64-bit result: SMULL, UMULL, SMLAL, UMLAL, SMLALD, UMAAL... */
  C_DIV,      /* SDIV, UDIV */
  C_LD,       /* single load LDR/LDRB/LDRH/LDRSB/LDRSH (any addressing), LDREX, PLD */
  C_ST_IMM,   /* single store with immediate offset (or pre/post-indexed), STREX */
  C_ST_REG,   /* single store with register offset */
  C_LDRD,     /* LDRD / STRD: two registers */
  C_LDM,      /* LDM, STM, PUSH, POP (n registers) */
  C_BR,       /* B, B<c>, BL, CBZ, CBNZ, BX, BLX, ADD/MOV to PC: 1 cycle + refill if taken */
  C_TB,       /* TBB, TBH */
  C_FP1,      /* VADD, VSUB, VMUL, VNMUL, VABS, VNEG, VCMP, VCVT, VMOV, VMRS/VMSR */
  C_FP_MAC,   /* VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA, VFNMS */
  C_FP_DIV,   /* VDIV, VSQRT */
  C_FP_LD,    /* VLDR, VSTR */
  C_FP_LDM,   /* VLDM, VSTM, VPUSH, VPOP (n single-precision registers) */
  C_FP_MOV2,  /* VMOV of two core registers */
  C_SYS,      /* hints, barriers, CPS, MRS/MSR, SVC, BKPT, UDF */
  C_MARK,     /* the counter marker `mov r11, r11` (a no-op for the model's neighbours) */
  C_COUNT
};

/* How an instruction may write the PC: the refill that follows depends on how early the
 * core knows the target. */
enum PcWrite { PC_NONE = 0, PC_DIRECT = 1, PC_REG = 2, PC_LOAD = 3 };

typedef struct {
  uint8_t cls;     /* enum CostClass */
  uint8_t n;       /* registers transferred (C_LDM, C_FP_LDM) */
  uint8_t pcw;     /* enum PcWrite */
  uint8_t is_load; /* C_LDRD / C_LDM: a load (else store) */
  uint16_t dst;    /* core registers written (bit r) */
  uint16_t addr;   /* core registers forming a load/store address */
  uint16_t refs;   /* every core register the encoding names */
} Insn;

static inline int popcount16(uint32_t v) {
  return __builtin_popcount(v & 0xFFFFu);
}

#define R(x) ((uint16_t)(1u << ((x) & 15u)))

static Insn decode16(uint32_t h) {
  Insn d = {C_ALU, 0, PC_NONE, 0, 0, 0, 0};
  uint32_t lo3 = h & 7u, mid3 = (h >> 3) & 7u, hi3 = (h >> 8) & 7u, m3 = (h >> 6) & 7u;
  if (h == 0x46DBu) {
    d.cls = C_MARK;
    return d;
  }
  switch (h >> 11) {
    case 0x00: case 0x01: case 0x02: /* LSL/LSR/ASR #imm */
      d.dst = R(lo3);
      d.refs = R(lo3) | R(mid3);
      return d;
    case 0x03: /* ADD/SUB register or imm3 */
      d.dst = R(lo3);
      d.refs = R(lo3) | R(mid3) | ((h & 0x400u) ? 0 : R(m3));
      return d;
    case 0x04: case 0x05: case 0x06: case 0x07: /* MOV/CMP/ADD/SUB imm8 */
      d.dst = ((h >> 11) == 0x05) ? 0 : R(hi3);
      d.refs = R(hi3);
      return d;
    case 0x08:
      if ((h & 0xFC00u) == 0x4000u) { /* data processing register */
        uint32_t op = (h >> 6) & 0xFu;
        d.cls = (op == 0xDu) ? C_MUL : C_ALU;
        d.dst = (op == 0x8u || op == 0xAu || op == 0xBu) ? 0 : R(lo3);
        d.refs = R(lo3) | R(mid3);
        return d;
      }
      if ((h & 0xFC00u) == 0x4400u) { /* special data processing, BX, BLX */
        uint32_t rdn = ((h >> 4) & 8u) | lo3, rm = (h >> 3) & 15u, op = (h >> 8) & 3u;
        d.refs = R(rdn) | R(rm);
        if (op == 3u) { /* BX / BLX Rm */
          d.cls = C_BR;
          d.pcw = PC_REG;
          d.refs = R(rm);
          d.dst = (h & 0x80u) ? R(14) : 0;
          return d;
        }
        d.dst = (op == 1u) ? 0 : R(rdn); /* CMP writes nothing */
        if (op != 1u && rdn == 15u) {
          d.cls = C_BR;
          d.pcw = PC_REG;
        }
        return d;
      }
      return d;
    case 0x09: /* LDR literal */
      d.cls = C_LD;
      d.dst = R(hi3);
      d.addr = R(15);
      d.refs = R(hi3);
      return d;
    case 0x0A: case 0x0B: { /* load/store register offset */
      uint32_t op = (h >> 9) & 7u;
      d.addr = R(mid3) | R(m3);
      d.refs = R(lo3) | R(mid3) | R(m3);
      if (op < 3u) {
        d.cls = C_ST_REG;
      } else {
        d.cls = C_LD;
        d.dst = R(lo3);
      }
      return d;
    }
    case 0x0C: case 0x0D: case 0x0E: case 0x0F: case 0x10: case 0x11: /* imm5 word/byte/half */
      d.addr = R(mid3);
      d.refs = R(lo3) | R(mid3);
      if (h & 0x800u) {
        d.cls = C_LD;
        d.dst = R(lo3);
      } else {
        d.cls = C_ST_IMM;
      }
      return d;
    case 0x12: case 0x13: /* SP-relative */
      d.addr = R(13);
      d.refs = R(hi3) | R(13);
      if (h & 0x800u) {
        d.cls = C_LD;
        d.dst = R(hi3);
      } else {
        d.cls = C_ST_IMM;
      }
      return d;
    case 0x14: case 0x15: /* ADR, ADD Rd, SP, #imm */
      d.dst = R(hi3);
      d.refs = R(hi3) | R(13);
      return d;
    case 0x16: case 0x17: /* miscellaneous */
      if ((h & 0xFF00u) == 0xB000u) { /* ADD/SUB SP, SP, #imm */
        d.dst = R(13);
        d.refs = R(13);
        return d;
      }
      if ((h & 0xF500u) == 0xB100u) { /* CBZ / CBNZ */
        d.cls = C_BR;
        d.pcw = PC_DIRECT;
        d.refs = R(lo3);
        return d;
      }
      if ((h & 0xFF00u) == 0xB200u || (h & 0xFF00u) == 0xBA00u) { /* extend, REV */
        d.dst = R(lo3);
        d.refs = R(lo3) | R(mid3);
        return d;
      }
      if ((h & 0xFE00u) == 0xB400u) { /* PUSH */
        d.cls = C_LDM;
        d.n = (uint8_t)(popcount16(h & 0xFFu) + ((h >> 8) & 1u));
        d.addr = R(13);
        d.dst = R(13);
        d.refs = (uint16_t)((h & 0xFFu) | ((h & 0x100u) ? R(14) : 0) | R(13));
        return d;
      }
      if ((h & 0xFE00u) == 0xBC00u) { /* POP */
        d.cls = C_LDM;
        d.is_load = 1;
        d.n = (uint8_t)(popcount16(h & 0xFFu) + ((h >> 8) & 1u));
        d.addr = R(13);
        d.dst = (uint16_t)((h & 0xFFu) | R(13));
        d.refs = (uint16_t)(d.dst | ((h & 0x100u) ? R(15) : 0));
        if (h & 0x100u) d.pcw = PC_LOAD;
        return d;
      }
      if ((h & 0xFF00u) == 0xBF00u) {
        d.cls = (h & 0xFu) ? C_IT : C_SYS;
        return d;
      }
      d.cls = C_SYS; /* CPS, BKPT */
      return d;
    case 0x18: /* STM */
      d.cls = C_LDM;
      d.n = (uint8_t)popcount16(h & 0xFFu);
      d.addr = R(hi3);
      d.dst = R(hi3);
      d.refs = (uint16_t)((h & 0xFFu) | R(hi3));
      return d;
    case 0x19: /* LDM */
      d.cls = C_LDM;
      d.is_load = 1;
      d.n = (uint8_t)popcount16(h & 0xFFu);
      d.addr = R(hi3);
      d.dst = (uint16_t)((h & 0xFFu) | R(hi3));
      d.refs = d.dst;
      return d;
    case 0x1A: case 0x1B: /* B<c>, UDF, SVC */
      if (((h >> 8) & 0xEu) == 0xEu) {
        d.cls = C_SYS;
      } else {
        d.cls = C_BR;
        d.pcw = PC_DIRECT;
      }
      return d;
    case 0x1C: /* B */
      d.cls = C_BR;
      d.pcw = PC_DIRECT;
      return d;
    default:
      d.cls = C_SYS;
      return d;
  }
}

/* VFP data processing / load-store / transfers (coprocessor 10 and 11). */
static Insn decode_fp(uint32_t h1, uint32_t h2) {
  Insn d = {C_FP1, 0, PC_NONE, 0, 0, 0, 0};
  uint32_t rn = h1 & 15u, rt = (h2 >> 12) & 15u;
  if ((h1 & 0xFFE0u) == 0xEC40u) { /* VMOV two core registers <-> D / two S */
    d.cls = C_FP_MOV2;
    d.dst = (h1 & 0x10u) ? (uint16_t)(R(rt) | R(rn)) : 0;
    d.refs = (uint16_t)(R(rt) | R(rn));
    return d;
  }
  if ((h1 & 0xFE00u) == 0xEC00u) { /* VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP */
    uint32_t p = (h1 >> 8) & 1u, w = (h1 >> 5) & 1u;
    d.addr = R(rn);
    d.refs = R(rn);
    d.is_load = (uint8_t)((h1 >> 4) & 1u);
    if (p == 1u && w == 0u) {
      d.cls = C_FP_LD;
    } else {
      uint32_t imm8 = h2 & 0xFFu;
      d.cls = C_FP_LDM;
      d.n = (uint8_t)(((h2 >> 8) & 1u) ? imm8 & ~1u : imm8); /* doubles: 2 words each */
      d.dst = w ? R(rn) : 0;
    }
    return d;
  }
  if (h2 & 0x10u) { /* VMOV core <-> S, VMRS/VMSR */
    d.dst = (h1 & 0x10u) ? R(rt) : 0;
    if (rt == 15u) d.dst = 0; /* VMRS APSR_nzcv */
    d.refs = R(rt);
    return d;
  }
  /* data processing: opc1 = h1 bits 7, 5:4 */
  uint32_t opc1 = ((h1 >> 5) & 4u) | ((h1 >> 4) & 3u);
  if (opc1 == 0u || opc1 == 1u || opc1 == 5u || opc1 == 6u) {
    d.cls = C_FP_MAC;
  } else if (opc1 == 4u) {
    d.cls = C_FP_DIV;
  } else if (opc1 == 7u && (h1 & 0xFu) == 1u && ((h2 >> 6) & 3u) == 3u) {
    d.cls = C_FP_DIV; /* VSQRT */
  }
  return d;
}

static Insn decode32(uint32_t h1, uint32_t h2) {
  Insn d = {C_ALU, 0, PC_NONE, 0, 0, 0, 0};
  uint32_t rn = h1 & 15u, rd = (h2 >> 8) & 15u, rt = (h2 >> 12) & 15u, rm = h2 & 15u;
  uint32_t op1 = (h1 >> 11) & 3u;
  if (((h1 & 0xEE00u) == 0xEC00u || (h1 & 0xEF00u) == 0xEE00u) && ((h2 >> 9) & 7u) == 5u) {
    return decode_fp(h1, h2);
  }
  if (op1 == 1u) {
    if ((h1 & 0x0600u) == 0x0000u && (h1 & 0x40u) == 0u) { /* LDM/STM/PUSH.W/POP.W */
      uint32_t l = (h1 >> 4) & 1u, w = (h1 >> 5) & 1u;
      d.cls = C_LDM;
      d.is_load = (uint8_t)l;
      d.n = (uint8_t)popcount16(h2);
      d.addr = R(rn);
      d.dst = (uint16_t)((l ? (h2 & 0x7FFFu) : 0) | (w ? R(rn) : 0));
      d.refs = (uint16_t)(h2 | R(rn));
      if (l && (h2 & 0x8000u)) d.pcw = PC_LOAD;
      return d;
    }
    if ((h1 & 0x0600u) == 0x0000u) { /* dual, exclusive, table branch */
      if ((h1 & 0xFFF0u) == 0xE8D0u && (h2 & 0xFFE0u) == 0xF000u) {
        d.cls = C_TB;
        d.pcw = PC_LOAD;
        d.addr = (uint16_t)(R(rn) | R(rm));
        d.refs = d.addr;
        return d;
      }
      uint32_t p = (h1 >> 8) & 1u, w = (h1 >> 5) & 1u, l = (h1 >> 4) & 1u;
      d.addr = R(rn);
      if (p || w) { /* LDRD / STRD */
        d.cls = C_LDRD;
        d.is_load = (uint8_t)l;
        d.dst = (uint16_t)((l ? (R(rt) | R(rd)) : 0) | (w ? R(rn) : 0));
        d.refs = (uint16_t)(R(rt) | R(rd) | R(rn));
      } else { /* LDREX / STREX (and the byte/half forms) */
        d.cls = l ? C_LD : C_ST_IMM;
        d.dst = l ? R(rt) : R(rd);
        d.refs = (uint16_t)(R(rt) | R(rd) | R(rn));
      }
      return d;
    }
    if ((h1 & 0x0600u) == 0x0200u) { /* data processing (shifted register) */
      d.dst = R(rd);
      d.refs = (uint16_t)(R(rd) | R(rn) | R(rm));
      if (rd == 15u) d.dst = 0; /* TST, TEQ, CMP, CMN */
      return d;
    }
    d.cls = C_SYS; /* other coprocessor */
    return d;
  }
  if (op1 == 2u) {
    if ((h2 & 0x8000u) == 0u) { /* data processing (immediate) */
      d.dst = R(rd);
      d.refs = (uint16_t)(R(rd) | R(rn));
      if (rd == 15u) d.dst = 0;
      return d;
    }
    /* branches and miscellaneous control */
    uint32_t op = (h2 >> 12) & 5u;
    if (op == 0u) {
      if (((h1 >> 7) & 7u) != 7u) { /* B<c>.W */
        d.cls = C_BR;
        d.pcw = PC_DIRECT;
        return d;
      }
      d.cls = C_SYS; /* MSR, MRS, hints, barriers */
      if ((h1 & 0xFFE0u) == 0xF3E0u) { /* MRS */
        d.cls = C_ALU;
        d.dst = R(rd);
        d.refs = R(rd);
      }
      return d;
    }
    d.cls = C_BR; /* B.W, BL */
    d.pcw = PC_DIRECT;
    if (op & 4u) d.dst = R(14);
    return d;
  }
  /* op1 == 3 */
  if ((h1 & 0xFE00u) == 0xF800u) { /* single load / store */
    uint32_t load = (h1 >> 4) & 1u;
    int reg_offset = (h1 & 0x80u) == 0u && (h2 & 0x0FC0u) == 0u;
    d.addr = (uint16_t)(R(rn) | (reg_offset ? R(rm) : 0));
    d.refs = (uint16_t)(d.addr | R(rt));
    /* writeback: T4 imm8 form (bit 11 set) with W (bit 8) */
    uint16_t wb = ((h1 & 0x80u) == 0u && (h2 & 0x0800u) && (h2 & 0x0100u) && rn != 15u) ? R(rn) : 0;
    if (load) {
      d.cls = C_LD;
      if (rt == 15u) {
        if (((h1 >> 5) & 3u) == 2u) { /* LDR PC */
          d.pcw = PC_LOAD;
        } /* else PLD/PLI */
      } else {
        d.dst = R(rt);
      }
      d.dst |= wb;
    } else {
      d.cls = reg_offset ? C_ST_REG : C_ST_IMM;
      d.dst = wb;
    }
    return d;
  }
  if ((h1 & 0xFF00u) == 0xFA00u) { /* data processing (register), parallel add/sub, misc */
    d.dst = R(rd);
    d.refs = (uint16_t)(R(rd) | R(rn) | R(rm));
    return d;
  }
  if ((h1 & 0xFF80u) == 0xFB00u) { /* multiply, MAC, absolute difference */
    uint32_t ra = rt;
    d.cls = C_MUL;
    d.dst = R(rd);
    d.refs = (uint16_t)(R(rd) | R(rn) | R(rm) | (ra != 15u ? R(ra) : 0));
    return d;
  }
  if ((h1 & 0xFF80u) == 0xFB80u) { /* long multiply, long MAC, divide */
    uint32_t op = (h1 >> 4) & 7u, op2 = (h2 >> 4) & 15u;
    if ((op == 1u || op == 3u) && op2 == 15u) {
      d.cls = C_DIV;
      d.dst = R(rd);
      d.refs = (uint16_t)(R(rd) | R(rn) | R(rm));
      return d;
    }
    d.cls = C_MULL;
    d.dst = (uint16_t)(R(rt) | R(rd));
    d.refs = (uint16_t)(R(rt) | R(rd) | R(rn) | R(rm));
    return d;
  }
  d.cls = C_SYS; /* coprocessor, unallocated */
  return d;
}

/* p: the instruction's bytes (little-endian halfwords); size 2 or 4. */
static Insn thumb_decode(const uint8_t* p, size_t size) {
  uint32_t h1 = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
  if (size < 4) return decode16(h1);
  uint32_t h2 = (uint32_t)p[2] | ((uint32_t)p[3] << 8);
  return decode32(h1, h2);
}

#undef R

#endif
