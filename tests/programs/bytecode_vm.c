/* A small stack-machine bytecode interpreter (dense switch dispatch) running programs built
 * with a tiny assembler: loops, conditionals, recursive calls. Exit status = last result. */
#include <stdint.h>
#include <stdio.h>

enum op {
    PUSH, POP, DUP, SWAP, OVER, ADD, SUB, MUL, DIV, MOD, NEG, LT, EQ, JMP, JZ, CALL, RET,
    LOAD, STORE, PRINT, HALT
};

static const char *const names[] = {"PUSH", "POP", "DUP", "SWAP", "OVER", "ADD", "SUB",
                                    "MUL", "DIV", "MOD", "NEG", "LT", "EQ", "JMP", "JZ",
                                    "CALL", "RET", "LOAD", "STORE", "PRINT", "HALT"};

static long op_count[HALT + 1];

static int64_t run(const int64_t *code, int trace)
{
    int64_t stack[256], vars[16] = {0};
    int rstack[64];
    int sp = 0, rsp = 0, pc = 0;
    for (;;) {
        int64_t op = code[pc++], a, b;
        op_count[op]++;
        if (trace)
            printf("  pc=%d %s sp=%d\n", pc - 1, names[op], sp);
        switch ((enum op)op) {
        case PUSH:
            stack[sp++] = code[pc++];
            break;
        case POP:
            sp--;
            break;
        case DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case SWAP:
            a = stack[sp - 1];
            stack[sp - 1] = stack[sp - 2];
            stack[sp - 2] = a;
            break;
        case OVER:
            stack[sp] = stack[sp - 2];
            sp++;
            break;
        case ADD:
            b = stack[--sp];
            stack[sp - 1] += b;
            break;
        case SUB:
            b = stack[--sp];
            stack[sp - 1] -= b;
            break;
        case MUL:
            b = stack[--sp];
            stack[sp - 1] *= b;
            break;
        case DIV:
            b = stack[--sp];
            stack[sp - 1] /= b;
            break;
        case MOD:
            b = stack[--sp];
            stack[sp - 1] %= b;
            break;
        case NEG:
            stack[sp - 1] = -stack[sp - 1];
            break;
        case LT:
            b = stack[--sp];
            stack[sp - 1] = stack[sp - 1] < b;
            break;
        case EQ:
            b = stack[--sp];
            stack[sp - 1] = stack[sp - 1] == b;
            break;
        case JMP:
            pc = (int)code[pc];
            break;
        case JZ:
            pc = stack[--sp] == 0 ? (int)code[pc] : pc + 1;
            break;
        case CALL:
            rstack[rsp++] = pc + 1;
            pc = (int)code[pc];
            break;
        case RET:
            pc = rstack[--rsp];
            break;
        case LOAD:
            stack[sp++] = vars[code[pc++]];
            break;
        case STORE:
            vars[code[pc++]] = stack[--sp];
            break;
        case PRINT:
            printf("  out: %lld\n", (long long)stack[--sp]);
            break;
        case HALT:
            return sp ? stack[sp - 1] : 0;
        }
    }
}

/* --- a tiny assembler: emit ops, remember holes for forward jumps, patch them later --- */
static int64_t code[256];
static int len;

static void op0(enum op o) { code[len++] = o; }
static void op1(enum op o, int64_t arg)
{
    code[len++] = o;
    code[len++] = arg;
}
static int hole(enum op o) /* a jump whose target is filled in by patch() */
{
    op1(o, -1);
    return len - 1;
}
static void patch(int at) { code[at] = len; }

int main(void)
{
    /* v1 = sum of i*i for i in [0, 2000) */
    len = 0;
    op1(PUSH, 0), op1(STORE, 0), op1(PUSH, 0), op1(STORE, 1);
    int loop = len;
    op1(LOAD, 0), op1(PUSH, 2000), op0(LT);
    int done = hole(JZ);
    op1(LOAD, 1), op1(LOAD, 0), op1(LOAD, 0), op0(MUL), op0(ADD), op1(STORE, 1);
    op1(LOAD, 0), op1(PUSH, 1), op0(ADD), op1(STORE, 0), op1(JMP, loop);
    patch(done);
    op1(LOAD, 1), op0(HALT);
    printf("sum of squares below 2000 = %lld\n", (long long)run(code, 0));

    /* fact(n) = n < 2 ? 1 : n * fact(n - 1), called recursively */
    len = 0;
    op1(PUSH, 20);
    int call = hole(CALL);
    op0(PRINT), op1(PUSH, 0), op0(HALT);
    patch(call);
    int fact = len;
    op0(DUP), op1(PUSH, 2), op0(LT);
    int recurse = hole(JZ);
    op0(POP), op1(PUSH, 1), op0(RET);
    patch(recurse);
    op0(DUP), op1(PUSH, 1), op0(SUB), op1(CALL, fact), op0(MUL), op0(RET);
    run(code, 0);

    /* collatz step count starting from 27 */
    len = 0;
    op1(PUSH, 27), op1(STORE, 0), op1(PUSH, 0), op1(STORE, 1);
    loop = len;
    op1(LOAD, 0), op1(PUSH, 1), op0(EQ);
    int not_one = hole(JZ);
    op1(LOAD, 1), op0(HALT);
    patch(not_one);
    op1(LOAD, 0), op1(PUSH, 2), op0(MOD);
    int even = hole(JZ);
    op1(LOAD, 0), op1(PUSH, 3), op0(MUL), op1(PUSH, 1), op0(ADD), op1(STORE, 0);
    int count = hole(JMP);
    patch(even);
    op1(LOAD, 0), op1(PUSH, 2), op0(DIV), op1(STORE, 0);
    patch(count);
    op1(LOAD, 1), op1(PUSH, 1), op0(ADD), op1(STORE, 1), op1(JMP, loop);
    printf("collatz(27) steps = %lld\n", (long long)run(code, 0));

    printf("traced run:\n");
    len = 0;
    op1(PUSH, 6), op1(PUSH, 7), op0(MUL), op0(DUP), op0(PRINT), op1(PUSH, -2), op0(SWAP);
    op0(OVER), op0(DIV), op0(NEG), op0(HALT);
    int64_t last = run(code, 1);
    printf("tiny = %lld\n", (long long)last);
    for (int i = 0; i <= HALT; i++)
        printf("%s=%ld%c", names[i], op_count[i], i == HALT ? '\n' : ' ');
    return (int)(last & 0xff);
}
