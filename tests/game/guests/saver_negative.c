#define SAVE_RETURNS (-5)
#include "saver.c"
