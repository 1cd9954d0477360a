/* The reading limit: a bare libpcap pcap_next_ex() loop over a capture file
 * that touches every record (its length, first and last byte) and does
 * nothing else.
 *   bench/pcap_loop FILE
 * Prints the record count, bytes and a checksum of the bytes touched. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t records = 0, bytes = 0;
    uint32_t sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        records++;
        bytes += h->caplen;
        if (h->caplen)
            sum = sum * 31 + data[0] + data[h->caplen - 1];
    }
    if (rc == -1)
        fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    printf("%llu records, %llu bytes, checksum %08x\n", (unsigned long long)records,
           (unsigned long long)bytes, sum);
    return rc == -1;
}
