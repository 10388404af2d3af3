#define SAVE_RETURNS 100000
#include "saver.c"
