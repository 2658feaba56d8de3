/* Internal interface between the board-independent part of utensor's QEMU board support
 * (startup.c, port.c) and the one UART driver compiled for the board's family.
 *
 * The builder defines, from the board JSON:
 *   UTENSOR_BSP_UART_BASE   base address of the serial UART
 *   UTENSOR_BSP_SYSTICK_HZ  SysTick processor clock as QEMU models it
 *   UTENSOR_BSP_FPU         1 when the core has an FPU to enable at reset
 *   UTENSOR_BSP_BOARD       board id string
 */
#ifndef UTENSOR_BSP_H
#define UTENSOR_BSP_H

#include <stdint.h>

#ifndef UTENSOR_BSP_UART_BASE
#error "UTENSOR_BSP_UART_BASE is not defined: build with utensor's QEMU dev-platform"
#endif

#define UTENSOR_BSP_BAUD 115200u

/* Enables the UART for 8N1 transmit and receive; idempotent. */
void utensor_bsp_uart_init(void);

/* Sends one byte, waiting while the transmitter is busy. */
void utensor_bsp_uart_putc(uint8_t c);

/* Returns a received byte (0..255) or -1 when none is waiting; never blocks. */
int utensor_bsp_uart_getc(void);

/* Exit code used when the core takes a fault (HardFault, etc.). */
#define UTENSOR_BSP_EXIT_FAULT 70

#define UTENSOR_REG32(addr) (*(volatile uint32_t*)(uintptr_t)(addr))

#endif /* UTENSOR_BSP_H */
