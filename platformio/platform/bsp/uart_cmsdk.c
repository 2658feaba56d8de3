/* CMSDK APB UART (Arm MPS2/MPS3 FPGA images): polled 8N1. */
#include "bsp.h"

#define UART_DATA (UTENSOR_BSP_UART_BASE + 0x00u)
#define UART_STATE (UTENSOR_BSP_UART_BASE + 0x04u)
#define UART_CTRL (UTENSOR_BSP_UART_BASE + 0x08u)
#define UART_BAUDDIV (UTENSOR_BSP_UART_BASE + 0x10u)

#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_RX_EN 0x3u

void utensor_bsp_uart_init(void) {
  /* The divider must be >= 16 or the UART (and QEMU's model) refuses to send. */
  UTENSOR_REG32(UART_BAUDDIV) = UTENSOR_BSP_SYSTICK_HZ / UTENSOR_BSP_BAUD;
  UTENSOR_REG32(UART_CTRL) = CTRL_TX_RX_EN;
}

void utensor_bsp_uart_putc(uint8_t c) {
  while (UTENSOR_REG32(UART_STATE) & STATE_TX_FULL) {
  }
  UTENSOR_REG32(UART_DATA) = c;
}

int utensor_bsp_uart_getc(void) {
  if (UTENSOR_REG32(UART_STATE) & STATE_RX_FULL) {
    return (int)(UTENSOR_REG32(UART_DATA) & 0xFFu);
  }
  return -1;
}
