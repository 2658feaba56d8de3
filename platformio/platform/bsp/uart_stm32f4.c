/* STM32F4 USART1 (netduinoplus2): polled 8N1 at 115200 baud from an 84 MHz APB2. */
#include "bsp.h"

#define RCC_APB2ENR 0x40023844u
#define RCC_APB2ENR_USART1EN (1u << 4)

#define USART_SR (UTENSOR_BSP_UART_BASE + 0x00u)
#define USART_DR (UTENSOR_BSP_UART_BASE + 0x04u)
#define USART_BRR (UTENSOR_BSP_UART_BASE + 0x08u)
#define USART_CR1 (UTENSOR_BSP_UART_BASE + 0x0Cu)

#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

#define APB2_HZ 84000000u

void utensor_bsp_uart_init(void) {
  UTENSOR_REG32(RCC_APB2ENR) |= RCC_APB2ENR_USART1EN;
  UTENSOR_REG32(USART_BRR) = (APB2_HZ + UTENSOR_BSP_BAUD / 2u) / UTENSOR_BSP_BAUD;
  UTENSOR_REG32(USART_CR1) = CR1_UE | CR1_TE | CR1_RE;
}

void utensor_bsp_uart_putc(uint8_t c) {
  while (!(UTENSOR_REG32(USART_SR) & SR_TXE)) {
  }
  UTENSOR_REG32(USART_DR) = c;
}

int utensor_bsp_uart_getc(void) {
  if (UTENSOR_REG32(USART_SR) & SR_RXNE) {
    return (int)(UTENSOR_REG32(USART_DR) & 0xFFu);
  }
  return -1;
}
