#define STEP 10
#include "saver.c"
