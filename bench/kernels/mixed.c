/* A CoreMark-like mix, per iteration: a linked list (build, reverse, walk, unlink), a small
 * integer matrix product, a number-recognising state machine over a mutating text, and a
 * CRC-16 over all their results.
 * Checksum: crc + 65536 * (sum of the list and matrix results mod 2^16).
 */
#include "bench.h"

#define LIST_N 32
#define MAT_N 8

struct node {
    struct node *next;
    int32_t value;
    int32_t index;
};

static struct node nodes[LIST_N];
static int32_t ma[MAT_N * MAT_N], mb[MAT_N * MAT_N], mc[MAT_N * MAT_N];
static const char text0[] = "5012,1234,-874,+122,0x1F,3.14e2,abc,--5,7.,6E-3,99,+.5,1.2.3,e7,00,";
#define TEXT_N (sizeof(text0) - 1)
static char text[TEXT_N];
static const char alphabet[] = "0123456789.,+-eEx";
#define ALPHABET_N (sizeof(alphabet) - 1)

enum { START, SIGN, INT, FLOAT, EXP_E, EXP_SIGN, SCIENTIFIC, INVALID, NSTATES };

static uint32_t crc8(uint32_t crc, uint32_t byte) {
    crc ^= byte & 0xff;
    for (int k = 0; k < 8; k++)
        crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    return crc;
}

static uint32_t crc16(uint32_t crc, uint32_t word) {
    crc = crc8(crc, word & 0xff);
    return crc8(crc, (word >> 8) & 0xff);
}

static int32_t list_work(int32_t s) {
    for (int i = 0; i < LIST_N; i++) {
        nodes[i].value = (i * 37 + s) & 0xff;
        nodes[i].index = i;
        nodes[i].next = i + 1 < LIST_N ? &nodes[i + 1] : NULL;
    }
    struct node *prev = NULL, *p = &nodes[0];
    while (p) {
        struct node *next = p->next;
        p->next = prev;
        prev = p;
        p = next;
    }
    struct node *head = prev;
    int32_t sum = 0, big = 0, found = 255, pos = 1;
    for (p = head; p; p = p->next, pos++) {
        sum += p->value * pos;
        if (p->value > 128)
            big++;
        if (found == 255 && (p->value & 15) == (s & 15))
            found = p->index;
    }
    /* Unlink every node whose value is odd, then count what is left. */
    while (head && (head->value & 1))
        head = head->next;
    for (p = head; p && p->next;) {
        if (p->next->value & 1)
            p->next = p->next->next;
        else
            p = p->next;
    }
    int32_t left = 0;
    for (p = head; p; p = p->next)
        left++;
    return sum + big * 4096 + found * 65536 + left * 16777216;
}

static int32_t matrix_work(int32_t s) {
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            ma[i * MAT_N + j] = ((i * 13 + j * 7 + s) & 0xff) - 128;
            mb[i * MAT_N + j] = ((i * 5 + j * 11 + s * 3) & 0xff) - 128;
        }
    }
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            int32_t t = 0;
            for (int k = 0; k < MAT_N; k++)
                t += ma[i * MAT_N + k] * mb[k * MAT_N + j];
            mc[i * MAT_N + j] = t;
        }
    }
    int32_t r = 0;
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        if (mc[i] > 0)
            r += mc[i] >> 4;
        else
            r -= i;
    }
    return r;
}

static int state_next(int state, char c) {
    int digit = c >= '0' && c <= '9';
    switch (state) {
    case START:
        return digit ? INT : (c == '+' || c == '-') ? SIGN : c == '.' ? FLOAT : INVALID;
    case SIGN:
        return digit ? INT : c == '.' ? FLOAT : INVALID;
    case INT:
        return digit ? INT : c == '.' ? FLOAT : INVALID;
    case FLOAT:
        return digit ? FLOAT : (c == 'e' || c == 'E') ? EXP_E : INVALID;
    case EXP_E:
        return (c == '+' || c == '-') ? EXP_SIGN : INVALID;
    case EXP_SIGN:
        return digit ? SCIENTIFIC : INVALID;
    case SCIENTIFIC:
        return digit ? SCIENTIFIC : INVALID;
    default:
        return INVALID;
    }
}

static void state_work(int32_t s, uint32_t counts[NSTATES]) {
    text[(s * 7) % TEXT_N] = alphabet[s % ALPHABET_N];
    int state = START;
    for (unsigned i = 0; i < TEXT_N; i++) {
        char c = text[i];
        if (c == ',') {
            counts[state]++;
            state = START;
        } else {
            state = state_next(state, c);
        }
    }
    counts[state]++;
}

BENCH_EXPORT int64_t bench_mixed(int64_t n) {
    for (unsigned i = 0; i < TEXT_N; i++)
        text[i] = text0[i];
    uint32_t crc = 0, total = 0;
    for (int64_t it = 0; it < n; it++) {
        int32_t s = (int32_t)(it & 0xff);
        uint32_t counts[NSTATES] = {0};
        uint32_t l = (uint32_t)list_work(s);
        uint32_t m = (uint32_t)matrix_work(s);
        state_work(s, counts);
        crc = crc16(crc, l & 0xffff);
        crc = crc16(crc, (l >> 16) & 0xffff);
        crc = crc16(crc, m & 0xffff);
        crc = crc16(crc, (m >> 16) & 0xffff);
        for (int k = 0; k < NSTATES; k++)
            crc = crc16(crc, counts[k]);
        total += l + m;
    }
    return (int64_t)(crc + 65536u * (total & 0xffff));
}
