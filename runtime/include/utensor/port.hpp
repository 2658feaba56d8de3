// utensor board port API: the few services the harness firmware and on-board tests need
// from a board (a serial line, a counter, a way to stop).
//
// C linkage, and valid C as well as C++, so board support written in C implements it
// directly. utensor's QEMU dev-platform (platformio/platform/bsp/) implements it for every
// emulated board; a port for real silicon implements the same six functions.
//
// Usage sketch:
//   utensor_port_init();
//   uint32_t t0 = utensor_port_cycles();
//   model.invoke();
//   uint32_t n = utensor_port_cycles() - t0;   // unsigned arithmetic survives one wrap
//   utensor_port_write(buf, len);
//   utensor_port_exit(0);
#ifndef UTENSOR_PORT_HPP
#define UTENSOR_PORT_HPP

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Brings up clocks, the serial UART and the counter; safe to call more than once.
void utensor_port_init(void);

// Sends n bytes on the serial UART, returning once all are handed to the hardware.
void utensor_port_write(const uint8_t* data, size_t n);

// Returns the next received byte (0..255), or -1 if none arrives within timeout_ms
// milliseconds of board time; UTENSOR_PORT_WAIT_FOREVER never times out.
int utensor_port_read_byte(uint32_t timeout_ms);

// Returns a free-running 32-bit counter that wraps: executed instructions under QEMU
// -icount, CPU cycles on silicon (see utensor_port_counter_unit()).
uint32_t utensor_port_cycles(void);

// Returns the unit of utensor_port_cycles(): "instructions" or "cycles".
const char* utensor_port_counter_unit(void);

// Ends the program with an exit code: QEMU exits via semihosting; silicon halts.
void utensor_port_exit(int code);

#ifdef __cplusplus
}
#endif

// Timeout value of utensor_port_read_byte() that waits without limit.
#define UTENSOR_PORT_WAIT_FOREVER 0xFFFFFFFFu

// Marks a point for QEMU's exact instruction counter plugin (scripts/utensor/qemu_plugin,
// QemuSession(icount_plugin=True)): `mov r11, r11`, a no-op compilers never emit. Costs
// one instruction on silicon; expands to nothing off Arm.
#if defined(__arm__) || defined(__thumb__)
#define UTENSOR_PORT_ICOUNT_MARK() __asm__ volatile("mov r11, r11" ::: "memory")
#else
#define UTENSOR_PORT_ICOUNT_MARK() ((void)0)
#endif

#endif  // UTENSOR_PORT_HPP
