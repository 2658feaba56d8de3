// Cycle counting on Cortex-M silicon through the DWT cycle counter (DWT_CYCCNT), for board
// ports of utensor/port.hpp (runtime/src/port/arduino.cpp uses it).
//
// DWT_CYCCNT exists on ARMv7-M (Cortex-M3, M4, M7) and ARMv8-M Mainline (M33, M35P, M55,
// M85) when the vendor implemented it; never on ARMv6-M (M0, M0+) or ARMv8-M Baseline
// (M23). Off those architectures (and on the host) the functions compile to "no counter".
// Valid C and C++, like port.hpp.
//
// Usage sketch:
//   if (utensor_cortexm_cycle_counter_start()) {
//     uint32_t t0 = utensor_cortexm_cycles();
//     work();
//     uint32_t cycles = utensor_cortexm_cycles() - t0;  // unsigned: survives one wrap
//   }
#ifndef UTENSOR_PORT_CORTEXM_HPP
#define UTENSOR_PORT_CORTEXM_HPP

#include <stdint.h>

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__) || \
    defined(__ARM_ARCH_8_1M_MAIN__)
#define UTENSOR_CORTEXM_HAS_DWT 1
#else
#define UTENSOR_CORTEXM_HAS_DWT 0
#endif

#define UTENSOR_CORTEXM_DEMCR (*(volatile uint32_t*)0xE000EDFCu)
#define UTENSOR_CORTEXM_DWT_CTRL (*(volatile uint32_t*)0xE0001000u)
#define UTENSOR_CORTEXM_DWT_CYCCNT (*(volatile uint32_t*)0xE0001004u)
#define UTENSOR_CORTEXM_DWT_LAR (*(volatile uint32_t*)0xE0001FB0u)

// Enables and zeroes DWT_CYCCNT; returns 1 if it now counts, 0 if the core has none.
static inline int utensor_cortexm_cycle_counter_start(void) {
#if UTENSOR_CORTEXM_HAS_DWT
  UTENSOR_CORTEXM_DEMCR |= (1u << 24);  // TRCENA: powers the DWT block
  // Cortex-M7 (and some M4 parts) ignore DWT writes until the lock access register is
  // unlocked; elsewhere this address is reserved and writes are ignored.
  UTENSOR_CORTEXM_DWT_LAR = 0xC5ACCE55u;
  if (UTENSOR_CORTEXM_DWT_CTRL & (1u << 25)) return 0;  // NOCYCCNT: not implemented
  UTENSOR_CORTEXM_DWT_CYCCNT = 0u;
  UTENSOR_CORTEXM_DWT_CTRL |= 1u;  // CYCCNTENA
  // A counter that does not move (debug block unclocked, emulator) is no counter.
  uint32_t a = UTENSOR_CORTEXM_DWT_CYCCNT;
  for (volatile int i = 0; i < 8; ++i) {
  }
  return UTENSOR_CORTEXM_DWT_CYCCNT != a;
#else
  return 0;
#endif
}

// Returns the current DWT_CYCCNT (valid after utensor_cortexm_cycle_counter_start() == 1).
static inline uint32_t utensor_cortexm_cycles(void) {
#if UTENSOR_CORTEXM_HAS_DWT
  return UTENSOR_CORTEXM_DWT_CYCCNT;
#else
  return 0u;
#endif
}

#endif  // UTENSOR_PORT_CORTEXM_HPP
