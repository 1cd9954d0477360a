/* dfuscope Wireshark plugin: the digest that tells whether a frame Wireshark
 * shows is the frame the read-ahead pass decoded (see prepass.h).
 *
 * Plain C (libc), so it is tested without Wireshark.
 */
#ifndef DFS_DISSECTOR_DIGEST_H
#define DFS_DISSECTOR_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Identity of a frame as Wireshark hands it to dissectors: its bytes, its
 * captured and original lengths and its time stamp. Not cryptographic: it
 * tells a changed file. Any change of the bytes within 4 consecutive bytes
 * (one changed byte, say) always changes it. Both computations of a
 * process (read ahead, then shown) use the same method: CRC-32C on a
 * processor that has the instruction (x86-64 with SSE 4.2), else a
 * multiply-xorshift hash (dfs__frame_digest_mul). */
uint32_t dfs__frame_digest(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec);

/* The two methods, for the tests. dfs__frame_digest_crc returns false (and
 * leaves *out) when the processor has no CRC-32C instruction. */
uint32_t dfs__frame_digest_mul(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                               int64_t ts_sec, int32_t ts_nsec);
bool dfs__frame_digest_crc(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec, uint32_t *out);

/* CRC-32C (Castagnoli, RFC 3720) of n bytes, as the standard defines it
 * (initial value and final xor all ones), with the instruction the digest
 * uses; false when the processor has none. For the tests. */
bool dfs__crc32c(const uint8_t *data, size_t n, uint32_t *out);

#endif
