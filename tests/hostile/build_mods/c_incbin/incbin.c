/* Hostile: the assembler's .incbin copies a host file into the ELF. */
#include "riscade.h"

__asm__(".section .rodata\n.global stolen\nstolen:\n.incbin \"@SECRET@\"\n.byte 0\n.text\n");
extern const char stolen[];

RISCADE_HOOK void on_tick(int64_t tick) { (void)tick; rc_log(stolen, 8); }

int main(void) { return 0; }
