/* utensor port API (utensor/port.hpp) for QEMU-emulated boards, plus the newlib system
 * calls: stdout/stderr go to the board UART, exit() leaves QEMU through semihosting.
 *
 * Counter: SysTick on the processor clock, extended to 64 bits by its wrap interrupt.
 * With `qemu-system-arm -icount shift=0` virtual time advances exactly 1 ns per executed
 * instruction, so ticks * 1e9 / UTENSOR_BSP_SYSTICK_HZ is the instruction count, with a
 * resolution of one SysTick period: 40 instructions on MPS2 (25 MHz), 50 on AN505
 * (20 MHz), 31.25 on AN547 (32 MHz), 62.5 on micro:bit (16 MHz), 5.95 on netduinoplus2
 * (168 MHz). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bsp.h"
#include "utensor/port.hpp"

#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#define SYST_CSR_ENABLE_TICKINT_CPUCLK 0x7u
#define SYST_RELOAD 0x00FFFFFFu

#define NS_PER_S 1000000000u

static volatile uint32_t s_systick_wraps;
static volatile int s_initialised;

void utensor_bsp_systick_handler(void) { s_systick_wraps++; }

static uint32_t gcd_u32(uint32_t a, uint32_t b) {
  while (b != 0u) {
    uint32_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* ns-per-tick as a reduced fraction, so the 64-bit product stays far from overflow. */
#define TICK_GCD (gcd_u32(NS_PER_S, UTENSOR_BSP_SYSTICK_HZ))

static uint64_t systick_ticks(void) {
  uint32_t wraps, value;
  do {
    wraps = s_systick_wraps;
    value = UTENSOR_REG32(SYST_CVR);
  } while (wraps != s_systick_wraps);
  return (uint64_t)wraps * (SYST_RELOAD + 1u) + (SYST_RELOAD - value);
}

void utensor_port_init(void) {
  if (s_initialised) {
    return;
  }
  s_initialised = 1;
  utensor_bsp_uart_init();
  UTENSOR_REG32(SYST_RVR) = SYST_RELOAD;
  UTENSOR_REG32(SYST_CVR) = 0u;
  UTENSOR_REG32(SYST_CSR) = SYST_CSR_ENABLE_TICKINT_CPUCLK;
}

void utensor_port_write(const uint8_t* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    utensor_bsp_uart_putc(data[i]);
  }
}

int utensor_port_read_byte(uint32_t timeout_ms) {
  const uint64_t start = systick_ticks();
  const uint64_t limit = (uint64_t)timeout_ms * (UTENSOR_BSP_SYSTICK_HZ / 1000u);
  for (;;) {
    int c = utensor_bsp_uart_getc();
    if (c >= 0) {
      return c;
    }
    if (timeout_ms != UTENSOR_PORT_WAIT_FOREVER && systick_ticks() - start >= limit) {
      return -1;
    }
  }
}

uint32_t utensor_port_cycles(void) {
  const uint32_t g = TICK_GCD;
  return (uint32_t)(systick_ticks() * (NS_PER_S / g) / (UTENSOR_BSP_SYSTICK_HZ / g));
}

const char* utensor_port_counter_unit(void) { return "instructions"; }

static int semihosting_call(int op, void* arg) {
  register int r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

void utensor_port_exit(int code) {
  /* SYS_EXIT_EXTENDED carries the exit code; plain SYS_EXIT only tells success apart. */
  uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
  semihosting_call(SYS_EXIT_EXTENDED, block);
  semihosting_call(SYS_EXIT, (void*)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                          : ADP_STOPPED_RUNTIME_ERROR));
  for (;;) {
  }
}

/* ---- newlib system calls ---------------------------------------------------------- */

int _write(int fd, const char* buf, int len);
int _read(int fd, char* buf, int len);
void* _sbrk(ptrdiff_t incr);
int _close(int fd);
int _fstat(int fd, struct stat* st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
int _kill(int pid, int sig);
int _getpid(void);
void _exit(int code);

int _write(int fd, const char* buf, int len) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  utensor_port_write((const uint8_t*)buf, (size_t)len);
  return len;
}

int _read(int fd, char* buf, int len) {
  if (fd != 0) {
    errno = EBADF;
    return -1;
  }
  if (len <= 0) {
    return 0;
  }
  buf[0] = (char)utensor_port_read_byte(UTENSOR_PORT_WAIT_FOREVER);
  return 1;
}

/* Only stdio's buffers use the heap (the model path never allocates): it spans the RAM
 * between .bss and the reserved stack, bounds given by the linker script. */
extern char __heap_start__, __heap_end__;
static char* s_heap_top;

void* _sbrk(ptrdiff_t incr) {
  if (s_heap_top == NULL) {
    s_heap_top = &__heap_start__;
  }
  if (incr > &__heap_end__ - s_heap_top || incr < &__heap_start__ - s_heap_top) {
    errno = ENOMEM;
    return (void*)-1;
  }
  char* previous = s_heap_top;
  s_heap_top += incr;
  return previous;
}

int _close(int fd) {
  (void)fd;
  return -1;
}

int _fstat(int fd, struct stat* st) {
  (void)fd;
  st->st_mode = S_IFCHR;
  return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

int _lseek(int fd, int offset, int whence) {
  (void)fd;
  (void)offset;
  (void)whence;
  return 0;
}

int _kill(int pid, int sig) {
  (void)pid;
  (void)sig;
  errno = EINVAL;
  return -1;
}

int _getpid(void) { return 1; }

void _exit(int code) {
  utensor_port_exit(code);
  for (;;) {
  }
}
