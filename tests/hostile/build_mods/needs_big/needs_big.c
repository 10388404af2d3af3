/* Honest, but depends on big_static. */
#include "riscade.h"

RISCADE_HOOK void on_tick(int64_t tick) { (void)tick; }

int main(void) { return 0; }
