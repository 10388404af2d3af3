/* CRC-32 (IEEE, reflected) of generated data: table-driven and bitwise, which must agree. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc_table(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t crc_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

int main(void)
{
    make_table();
    const char *check = "123456789";
    printf("crc32(\"123456789\")=%08x (expect cbf43926)\n",
           crc_table((const unsigned char *)check, strlen(check)));
    static unsigned char data[65536];
    uint32_t x = 2463534242u; /* xorshift32 */
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    uint32_t t = crc_table(data, sizeof data);
    uint32_t b = crc_bitwise(data, 4096);
    printf("crc32(64 KiB)=%08x crc32(first 4 KiB) table=%08x bitwise=%08x\n", t,
           crc_table(data, 4096), b);
    for (size_t len = 0; len <= 16; len += 4)
        printf("crc32(len %2zu)=%08x\n", len, crc_table(data + 100, len));
    return crc_table(data, 4096) == b ? 0 : 1;
}
