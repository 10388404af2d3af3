/* Hostile: C23 #embed copies a host file into the ELF. */
#include "riscade.h"

static const char stolen[] = {
#embed "@SECRET@" suffix(,)
    0
};

RISCADE_HOOK void on_tick(int64_t tick) { (void)tick; rc_log(stolen, sizeof stolen - 1); }

int main(void) { return 0; }
