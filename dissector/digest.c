/* dfuscope Wireshark plugin: the frame digest (see digest.h).
 *
 * Every frame is digested twice, once when it is read ahead and once when
 * Wireshark shows it, so this is on the plugin's path for every byte of the
 * capture. With the CRC-32C instruction: three independent CRCs over the
 * 8-byte words of a frame in turn (the instruction takes 3 cycles to give
 * its result and can start one each cycle, so three chains keep it busy),
 * then the last words and bytes into the first; the lengths and the time
 * stamp open the three chains. A byte changed changes the message of one
 * chain only, and a CRC always tells a changed byte (any burst of errors up
 * to 32 bits), so the result, the three CRCs combined by xor at different
 * rotations, changes too.
 */
#include "digest.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DFS_DIGEST_CRC 1
#include <nmmintrin.h>
#endif

uint32_t dfs__frame_digest_mul(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                               int64_t ts_sec, int32_t ts_nsec)
{
    /* 32 bytes per step in four independent lanes (so that the processor
     * multiplies them at the same time instead of waiting on one chain),
     * each 8-byte word multiplied into its lane (a multiply-xorshift mix),
     * the lanes folded together, then the last words and bytes, folded to
     * 32 bits. */
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)caplen << 32 | len);
    h = (h ^ (has_ts ? (uint64_t)ts_sec : 0)) * k;
    h = (h ^ (has_ts ? (uint32_t)ts_nsec : 0) ^ (has_ts ? 1ull << 40 : 0)) * k;
    uint32_t i = 0;
    if (caplen >= 32) {
        uint64_t a = h, b = h ^ 1, c = h ^ 2, e = h ^ 3;
        for (; i + 32 <= caplen; i += 32) {
            uint64_t w[4];
            memcpy(w, data + i, 32);
            a = (a ^ w[0]) * k;
            b = (b ^ w[1]) * k;
            c = (c ^ w[2]) * k;
            e = (e ^ w[3]) * k;
            a ^= a >> 29;
            b ^= b >> 29;
            c ^= c >> 29;
            e ^= e >> 29;
        }
        h = (((a * k ^ b) * k ^ c) * k ^ e) * k;
    }
    for (; i + 8 <= caplen; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (uint32_t j = 0; i < caplen; i++, j++)
        tail |= (uint64_t)data[i] << (8 * j);
    h = (h ^ tail ^ ((uint64_t)(caplen & 7) << 56)) * k;
    h ^= h >> 32;
    return (uint32_t)h;
}

#ifdef DFS_DIGEST_CRC
static bool have_crc(void)
{
    return __builtin_cpu_supports("sse4.2");
}

static uint32_t rotl32(uint32_t v, unsigned n)
{
    return v << n | v >> (32 - n);
}

__attribute__((target("sse4.2"))) static uint32_t
digest_crc(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts, int64_t ts_sec,
           int32_t ts_nsec)
{
    uint64_t a = 0xffffffffu, b = 0xffffffffu, c = 0xffffffffu;
    a = _mm_crc32_u64(a, (uint64_t)caplen << 32 | len);
    b = _mm_crc32_u64(b, has_ts ? (uint64_t)ts_sec : 0);
    c = _mm_crc32_u64(c, has_ts ? (1ull << 32 | (uint32_t)ts_nsec) : 0);
    uint32_t x = (uint32_t)a;
    if (caplen > 0) { /* (no arithmetic on data, which may be null then) */
        const uint8_t *p = data, *end = data + (caplen - caplen % 24);
        for (; p != end; p += 24) {
            uint64_t w0, w1, w2;
            memcpy(&w0, p, 8);
            memcpy(&w1, p + 8, 8);
            memcpy(&w2, p + 16, 8);
            a = _mm_crc32_u64(a, w0);
            b = _mm_crc32_u64(b, w1);
            c = _mm_crc32_u64(c, w2);
        }
        for (end = data + (caplen - caplen % 8); p != end; p += 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            a = _mm_crc32_u64(a, w);
        }
        x = (uint32_t)a;
        for (end = data + caplen; p != end; p++)
            x = _mm_crc32_u8(x, *p);
    }
    return x ^ rotl32((uint32_t)b, 11) ^ rotl32((uint32_t)c, 22);
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_insn(const uint8_t *data, size_t n)
{
    uint32_t x = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        x = _mm_crc32_u8(x, data[i]);
    return ~x;
}
#endif

bool dfs__frame_digest_crc(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec, uint32_t *out)
{
#ifdef DFS_DIGEST_CRC
    if (have_crc()) {
        *out = digest_crc(data, caplen, len, has_ts, ts_sec, ts_nsec);
        return true;
    }
#else
    (void)data, (void)caplen, (void)len, (void)has_ts, (void)ts_sec, (void)ts_nsec, (void)out;
#endif
    return false;
}

bool dfs__crc32c(const uint8_t *data, size_t n, uint32_t *out)
{
#ifdef DFS_DIGEST_CRC
    if (have_crc()) {
        *out = crc32c_insn(data, n);
        return true;
    }
#else
    (void)data, (void)n, (void)out;
#endif
    return false;
}

uint32_t dfs__frame_digest(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec)
{
#ifdef DFS_DIGEST_CRC
    if (have_crc())
        return digest_crc(data, caplen, len, has_ts, ts_sec, ts_nsec);
#endif
    return dfs__frame_digest_mul(data, caplen, len, has_ts, ts_sec, ts_nsec);
}
