/* Reset and exception entry for utensor's QEMU boards: vector table, C runtime setup
 * (.data copy, .bss clear, FPU on, static constructors), then main(); main's return value
 * becomes the QEMU exit code through utensor_port_exit(). */
#include <stdint.h>

#include "bsp.h"
#include "utensor/port.hpp"

extern uint32_t __stack_top;
extern uint32_t __data_load__, __data_start__, __data_end__;
extern uint32_t __bss_start__, __bss_end__;

extern int main(void);
extern void __libc_init_array(void);
void utensor_bsp_systick_handler(void);

void Reset_Handler(void);
void utensor_bsp_fault_handler(void);
void utensor_bsp_default_handler(void);

/* Without crti.o (-nostartfiles) __libc_init_array still calls these hooks. */
void _init(void) {}
void _fini(void) {}
/* crtbegin.o is not linked either; C++ static destructors register against this. */
void* __dso_handle __attribute__((weak)) = 0;

#define CPACR 0xE000ED88u
#define CPACR_CP10_CP11_FULL (0xFu << 20)

/* The two copy loops stay loops: GCC would make them memcpy/memset calls, and memset
 * (164 B of newlib-nano's) is linked for nothing else in most firmware. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void) {
#if UTENSOR_BSP_FPU
  /* Before any compiler-generated FP/MVE instruction: they fault while CP10/11 are off. */
  UTENSOR_REG32(CPACR) |= CPACR_CP10_CP11_FULL;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  uint32_t* src = &__data_load__;
  for (uint32_t* dst = &__data_start__; dst < &__data_end__;) {
    *dst++ = *src++;
  }
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;) {
    *dst++ = 0u;
  }
  utensor_port_init();
  __libc_init_array();
  utensor_port_exit(main());
}

static void fault_puts(const char* s) {
  while (*s) {
    utensor_bsp_uart_putc((uint8_t)*s++);
  }
}

/* Reports the fault on the UART so a crashed test is told apart from a silent hang. */
void utensor_bsp_fault_handler(void) {
  static const char hex[] = "0123456789abcdef";
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  char num[3] = {hex[(ipsr >> 4) & 0xFu], hex[ipsr & 0xFu], 0};
  fault_puts("\n[utensor] fault: exception 0x");
  fault_puts(num);
  fault_puts("\n");
  utensor_port_exit(UTENSOR_BSP_EXIT_FAULT);
}

void utensor_bsp_default_handler(void) { utensor_bsp_fault_handler(); }

typedef void (*utensor_vector_t)(void);

#define UTENSOR_BSP_IRQ_COUNT 32

/* 16 system exceptions + external IRQs; none of the IRQs is enabled by utensor. */
__attribute__((section(".vectors"), used)) const utensor_vector_t utensor_bsp_vectors[16 + UTENSOR_BSP_IRQ_COUNT] = {
    (utensor_vector_t)(uintptr_t)&__stack_top,
    Reset_Handler,
    utensor_bsp_fault_handler, /* NMI */
    utensor_bsp_fault_handler, /* HardFault */
    utensor_bsp_fault_handler, /* MemManage */
    utensor_bsp_fault_handler, /* BusFault */
    utensor_bsp_fault_handler, /* UsageFault */
    utensor_bsp_fault_handler, /* SecureFault (v8-M) */
    0, 0, 0,
    utensor_bsp_default_handler, /* SVCall */
    utensor_bsp_default_handler, /* DebugMonitor */
    0,
    utensor_bsp_default_handler, /* PendSV */
    utensor_bsp_systick_handler,
    /* The remaining IRQ entries are filled in below by the designated range. */
    [16 ... 16 + UTENSOR_BSP_IRQ_COUNT - 1] = utensor_bsp_default_handler,
};
