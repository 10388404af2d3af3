/* profiled.c: a program whose call structure and instruction counts are known by hand, for
 * tests/vm/test_profiler.py.
 *
 * g, f, tail, deep and bump are written in assembly (jal, not call: no linker relaxation), so
 * their instructions are counted from the source:
 *   g(n)     2n + 3 (n >= 1): li; n times (addi, blt); mv; ret
 *   f(m, n)  5m + 15 of its own (m >= 1), and calls g(n) m times (jal ra)
 *   tail(n)  2 of its own, then jumps to g(n + 1) (a tail call: j, not jal ra)
 *   deep(n)  9n + 2: recursion n deep (jal ra)
 *   bump()   2: the host call HOSTCALL_BASE + 1 (ecall; ret)
 * and spin and liar (below), which the test calls to attack the profiler's shadow stack.
 * main calls f(10, 100), tail(7), deep(50), bump() 7 times, and jumper(), which longjmps out
 * of a recursion 5 deep in thrower and then calls g(5) through a function pointer (jalr ra).
 * Totals by hand: f 65, tail 2, deep 452, bump 14, g 10 * 203 + 19 + 13 = 2062.
 */
#include <setjmp.h>
#include <stdio.h>

long g(long n);
long f(long m, long n);
long tail(long n);
long deep(long n);
long bump(void);

__asm__(
    ".text\n"
    ".option push\n"
    ".option norelax\n"
    ".globl g\n.type g, @function\n"
    "g:\n"
    "  li t0, 0\n"
    "1: addi t0, t0, 1\n"
    "  blt t0, a0, 1b\n"
    "  mv a0, t0\n"
    "  ret\n"
    ".size g, .-g\n"
    ".globl f\n.type f, @function\n"
    "f:\n"
    "  addi sp, sp, -32\n"
    "  sd ra, 24(sp)\n"
    "  sd s0, 16(sp)\n"
    "  sd s1, 8(sp)\n"
    "  sd s2, 0(sp)\n"
    "  mv s0, a0\n"
    "  mv s2, a1\n"
    "  li s1, 0\n"
    "2: mv a0, s2\n"
    "  jal ra, g\n"
    "  add s1, s1, a0\n"
    "  addi s0, s0, -1\n"
    "  bnez s0, 2b\n"
    "  mv a0, s1\n"
    "  ld ra, 24(sp)\n"
    "  ld s0, 16(sp)\n"
    "  ld s1, 8(sp)\n"
    "  ld s2, 0(sp)\n"
    "  addi sp, sp, 32\n"
    "  ret\n"
    ".size f, .-f\n"
    ".globl tail\n.type tail, @function\n"
    "tail:\n"
    "  addi a0, a0, 1\n"
    "  j g\n"
    ".size tail, .-tail\n"
    ".globl deep\n.type deep, @function\n"
    "deep:\n"
    "  beqz a0, 3f\n"
    "  addi sp, sp, -16\n"
    "  sd ra, 8(sp)\n"
    "  addi a0, a0, -1\n"
    "  jal ra, deep\n"
    "  addi a0, a0, 1\n"
    "  ld ra, 8(sp)\n"
    "  addi sp, sp, 16\n"
    "  ret\n"
    "3: ret\n"
    ".size deep, .-deep\n"
    ".globl bump\n.type bump, @function\n"
    "bump:\n"
    "  ecall\n"  /* a7 is set by the caller (bump_call), so bump is exactly 2 */
    "  ret\n"
    ".size bump, .-bump\n"
    /* Hostile control flow, called from the host only: spin calls itself forever without a
     * stack; liar returns to the address in a1 with a0 = 3 (into g: whose ret then jumps to g
     * again, forever, since ra still points there). */
    ".globl spin\n.type spin, @function\n"
    "spin:\n"
    "  jal ra, spin\n"
    ".size spin, .-spin\n"
    ".globl liar\n.type liar, @function\n"
    "liar:\n"
    "  mv ra, a1\n"
    "  li a0, 3\n"
    "  ret\n"
    ".size liar, .-liar\n"
    ".option pop\n");

static jmp_buf jb;

__attribute__((noinline)) static void thrower(int depth) {
    if (depth == 0)
        longjmp(jb, 1);
    thrower(depth - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

static long (*volatile gp)(long) = g;

__attribute__((noinline)) static long jumper(void) {
    if (!setjmp(jb))
        thrower(5);
    return gp(5);
}

__attribute__((noinline)) static long bump_call(void) {
    register long a7 __asm__("a7") = 0x10001; /* HOSTCALL_BASE + 1 */
    register long a0 __asm__("a0");
    __asm__ volatile("jal ra, bump" : "=r"(a0) : "r"(a7) : "ra", "memory");
    return a0;
}

int main(void) {
    long a = f(10, 100);
    long b = tail(7);
    long c = deep(50);
    long d = 0;
    for (int i = 0; i < 7; i++)
        d += bump_call();
    long e = jumper();
    printf("%ld %ld %ld %ld %ld\n", a, b, c, d, e);
    return 0;
}
