/* Minimal bare-metal startup for the runtime's firmware checks (no-heap link, size report,
 * on-target tests under QEMU). Any Cortex-M: vector table, .data/.bss setup, C++ static
 * constructors, main(), then exit through Arm semihosting so QEMU's exit code is main's
 * verdict. No newlib syscalls are linked: anything that needs _sbrk fails to link. */
#include <stdint.h>

extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

/* Semihosting call (QEMU: -semihosting-config enable=on,target=native). */
static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Writes a NUL-terminated string to the host's stdout (SYS_WRITE0). */
void fw_puts(const char* s) { semihost(0x04, s); }

/* Ends the program: QEMU exits 0 for ADP_Stopped_ApplicationExit, 1 otherwise. */
void fw_exit(int code) {
  semihost(0x18, (const void*)(uintptr_t)(code == 0 ? 0x20026 : 0x20024));
  for (;;) {
  }
}

void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* Hard-float code faults until CP10/CP11 are enabled (CPACR). */
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();
  fw_exit(main());
}

/* A fault is a failed test, not a hang. */
void Fault_Handler(void) {
  fw_puts("FAULT\n");
  fw_exit(2);
}

__attribute__((section(".isr_vector"), used)) void* const fw_vectors[16] = {
    &__stack_top,   (void*)Reset_Handler, (void*)Fault_Handler, (void*)Fault_Handler,
    (void*)Fault_Handler, (void*)Fault_Handler, (void*)Fault_Handler, 0,
    0, 0, 0, (void*)Fault_Handler,
    (void*)Fault_Handler, 0, (void*)Fault_Handler, (void*)Fault_Handler,
};
