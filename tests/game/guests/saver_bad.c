#define STEP 100
#define RESTORE_FAULTS 1
#include "saver.c"
