/* nRF51 UART0 (BBC micro:bit): polled 8N1 at 115200 baud on the board's USB-serial pins. */
#include "bsp.h"

#define UART_STARTRX (UTENSOR_BSP_UART_BASE + 0x000u)
#define UART_STARTTX (UTENSOR_BSP_UART_BASE + 0x008u)
#define UART_RXDRDY (UTENSOR_BSP_UART_BASE + 0x108u)
#define UART_TXDRDY (UTENSOR_BSP_UART_BASE + 0x11Cu)
#define UART_ENABLE (UTENSOR_BSP_UART_BASE + 0x500u)
#define UART_PSELTXD (UTENSOR_BSP_UART_BASE + 0x50Cu)
#define UART_PSELRXD (UTENSOR_BSP_UART_BASE + 0x514u)
#define UART_RXD (UTENSOR_BSP_UART_BASE + 0x518u)
#define UART_TXD (UTENSOR_BSP_UART_BASE + 0x51Cu)
#define UART_BAUDRATE (UTENSOR_BSP_UART_BASE + 0x524u)

#define ENABLE_UART 4u
#define BAUDRATE_115200 0x01D7E000u
#define MICROBIT_TX_PIN 24u
#define MICROBIT_RX_PIN 25u

void utensor_bsp_uart_init(void) {
  UTENSOR_REG32(UART_PSELTXD) = MICROBIT_TX_PIN;
  UTENSOR_REG32(UART_PSELRXD) = MICROBIT_RX_PIN;
  UTENSOR_REG32(UART_BAUDRATE) = BAUDRATE_115200;
  UTENSOR_REG32(UART_ENABLE) = ENABLE_UART;
  UTENSOR_REG32(UART_STARTTX) = 1u;
  UTENSOR_REG32(UART_STARTRX) = 1u;
}

void utensor_bsp_uart_putc(uint8_t c) {
  UTENSOR_REG32(UART_TXDRDY) = 0u;
  UTENSOR_REG32(UART_TXD) = c;
  while (!UTENSOR_REG32(UART_TXDRDY)) {
  }
}

int utensor_bsp_uart_getc(void) {
  if (UTENSOR_REG32(UART_RXDRDY)) {
    /* Clear the event before reading RXD: the read re-raises it if more bytes wait. */
    UTENSOR_REG32(UART_RXDRDY) = 0u;
    return (int)(UTENSOR_REG32(UART_RXD) & 0xFFu);
  }
  return -1;
}
