/* exit(7) from deep inside a call chain: stdio buffers are flushed, main never returns. */
#include <stdio.h>
#include <stdlib.h>

static int depth_reached;

static void level3(int x)
{
    printf("level3 x=%d\n", x);
    if (x > 2)
        exit(7);
    printf("not reached\n");
}

static int level2(int x)
{
    depth_reached = 2;
    level3(x + 1);
    return -1;
}

static int level1(int x)
{
    depth_reached = 1;
    return level2(x + 1) * 2;
}

int main(void)
{
    printf("buffered line before exit");
    putchar('\n');
    int r = level1(1);
    printf("main continues %d %d\n", r, depth_reached);
    return 0;
}
