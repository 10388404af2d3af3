/* Classic recursion: fib, ackermann, hanoi, mutual recursion. Exit status = fib(20) & 0xff. */
#include <stdio.h>

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int ack(int m, int n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static long moves;
static int peg_height[3];

static void hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    peg_height[from]--;
    peg_height[to]++;
    moves++;
    if (n >= 9)
        printf("move disk %d from %c to %c\n", n, 'A' + from, 'A' + to);
    hanoi(n - 1, via, to, from);
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

int main(void)
{
    for (int i = 0; i <= 20; i += 5)
        printf("fib(%d)=%ld\n", i, fib(i));
    for (int m = 0; m <= 2; m++)
        for (int n = 0; n <= 3; n++)
            printf("ack(%d,%d)=%d\n", m, n, ack(m, n));
    printf("ack(3,3)=%d\n", ack(3, 3));
    peg_height[0] = 10;
    hanoi(10, 0, 2, 1);
    printf("hanoi moves=%ld pegs=%d,%d,%d\n", moves, peg_height[0], peg_height[1],
           peg_height[2]);
    printf("is_even(777)=%d is_odd(777)=%d\n", is_even(777), is_odd(777));
    return (int)(fib(20) & 0xff);
}
