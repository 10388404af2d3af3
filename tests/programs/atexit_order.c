/* atexit handlers run in reverse registration order after main returns 3. */
#include <stdio.h>
#include <stdlib.h>

static int counter;

static void first(void) { printf("handler first (registered 1st), counter=%d\n", counter++); }
static void second(void) { printf("handler second (registered 2nd), counter=%d\n", counter++); }
static void third(void)
{
    printf("handler third (registered 3rd), counter=%d\n", counter++);
    fflush(stdout);
}

int main(void)
{
    if (atexit(first) || atexit(second) || atexit(third))
        return 100;
    counter = 10;
    printf("main returning 3\n");
    return 3;
}
