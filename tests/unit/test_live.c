/* Unit tests of the live-capture library: the privilege-drop decision, usbmon
 * header byte order, sysfs parsing on a hostile tree, and the follower's
 * hold-back queue. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dfuscope/live.h"
#include "records.h"

/* ---- privilege drop ------------------------------------------------------------ */

static const struct plan_case {
    const char *name;
    uid_t euid;
    const char *sudo_uid, *sudo_gid;
    dfs_result want;
    bool drop;
    uid_t uid;
    gid_t gid;
} plan_cases[] = {
    {"not root: nothing to drop", 1000, "1000", "1000", DFS_OK, false, 0, 0},
    {"root without sudo", 0, NULL, NULL, DFS_OK, false, 0, 0},
    {"root through sudo", 0, "1000", "1001", DFS_OK, true, 1000, 1001},
    {"sudo run by root", 0, "0", "0", DFS_OK, false, 0, 0},
    {"SUDO_UID not a number", 0, "abc", "1", DFS_E_INVAL, false, 0, 0},
    {"SUDO_UID with trailing text", 0, "1000x", "1", DFS_E_INVAL, false, 0, 0},
    {"SUDO_UID negative", 0, "-5", "1", DFS_E_INVAL, false, 0, 0},
    {"SUDO_UID out of range", 0, "99999999999", "1", DFS_E_INVAL, false, 0, 0},
    {"SUDO_UID empty", 0, "", "", DFS_E_INVAL, false, 0, 0},
    {"SUDO_GID missing", 0, "1000", NULL, DFS_E_INVAL, false, 0, 0},
    {"SUDO_GID not a number", 0, "1000", "x", DFS_E_INVAL, false, 0, 0},
};

static void privdrop_plan(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plan_cases / sizeof plan_cases[0]; i++) {
        const struct plan_case *c = &plan_cases[i];
        struct dfs_privdrop p;
        char err[200] = "";
        dfs_result r = dfs_privdrop_plan(c->euid, c->sudo_uid, c->sudo_gid, &p, err, sizeof err);
        if (r != c->want || (r == DFS_OK && (p.drop != c->drop ||
                                             (c->drop && (p.uid != c->uid || p.gid != c->gid)))))
            fail_msg("%s: got %s drop=%d uid=%u gid=%u", c->name, dfs_result_name(r),
                     (int)p.drop, (unsigned)p.uid, (unsigned)p.gid);
        if (r != DFS_OK && !strstr(err, "SUDO_"))
            fail_msg("%s: message does not name the variable: %s", c->name, err);
    }
}

static void privdrop_nothing_to_apply(void **state)
{
    (void)state;
    struct dfs_privdrop p = {.drop = false};
    char err[100];
    assert_int_equal(dfs_privdrop_apply(&p, err, sizeof err), DFS_OK);
}

/* ---- usbmon header byte order ------------------------------------------------------ */

static struct dfs_urb sample_urb(uint8_t xfer)
{
    static const uint8_t setup[8] = {0xa1, 0x03, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00};
    static const uint8_t data[6] = {0, 0x28, 0, 0, 5, 0};
    struct dfs_urb u = urb_ctl_complete(0x1122334455667788ull, 0x0102, 28, 0x80, -32, data, 6,
                                        6);
    u.xfer_type = xfer;
    u.urb_ts_sec = 0x0000000102030405ll;
    u.urb_ts_usec = 0x060708;
    u.flag_setup = xfer == DFS_XFER_CONTROL ? 0 : '-'; /* iso records carry no setup */
    u.has_setup = xfer == DFS_XFER_CONTROL;
    memcpy(u.setup, setup, 8);
    if (xfer == DFS_XFER_ISO) { /* the kernel fills these for iso only */
        u.iso_error_count = 3;
        u.iso_numdesc = 2;
    }
    u.mmapped = true;
    u.interval = 0x0a0b0c0d;
    u.start_frame = 0x11121314;
    u.xfer_flags = 0x21222324;
    u.ndesc = 0;
    return u;
}

static void host_order_matches_host_encoding(void **state)
{
    (void)state;
    const uint8_t xfers[] = {DFS_XFER_CONTROL, DFS_XFER_ISO, DFS_XFER_BULK};
    const int lts[] = {DFS_LINKTYPE_USB_LINUX, DFS_LINKTYPE_USB_LINUX_MMAPPED};
    for (size_t x = 0; x < sizeof xfers; x++) {
        for (size_t l = 0; l < 2; l++) {
            struct dfs_urb u = sample_urb(xfers[x]);
            uint8_t big[256], host[256], out[256];
            size_t nb = dfs_usbmon_encode(&u, lts[l], DFS_ORDER_BIG, big, sizeof big);
            size_t nh = dfs_usbmon_encode(&u, lts[l], DFS_ORDER_HOST, host, sizeof host);
            assert_true(nb > 0 && nb == nh);
            struct dfs_record r = {.linktype = lts[l], .order = DFS_ORDER_BIG,
                                   .caplen = (uint32_t)nb, .data = big};
            assert_int_equal(dfs_usbmon_host_order(&r, out, sizeof out), nb);
            assert_memory_equal(out, host, nb);
            /* already in host order: copied as is */
            r.order = DFS_ORDER_HOST;
            r.data = host;
            assert_int_equal(dfs_usbmon_host_order(&r, out, sizeof out), nh);
            assert_memory_equal(out, host, nh);
            /* cut at every length: never reads past caplen (ASan), swaps
             * only whole fields */
            for (uint32_t cut = 0; cut < nb; cut++) {
                uint8_t *exact = malloc(cut ? cut : 1);
                memcpy(exact, big, cut);
                r.order = DFS_ORDER_BIG;
                r.data = exact;
                r.caplen = cut;
                assert_int_equal(dfs_usbmon_host_order(&r, out, sizeof out), cut);
                free(exact);
            }
        }
    }
}

static void host_order_iso_descriptors(void **state)
{
    (void)state;
    struct dfs_urb u = sample_urb(DFS_XFER_ISO);
    u.ndesc = 2;
    u.data = NULL;
    u.data_len = 0;
    u.len_cap = 0;
    uint8_t big[256], out[256];
    size_t n = dfs_usbmon_encode(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_BIG, big,
                                 sizeof big);
    assert_int_equal(n, 64 + 2 * 16);
    /* descriptor 1: status -18, offset 0x100, length 0x200, big-endian */
    const uint8_t d1[16] = {0xff, 0xff, 0xff, 0xee, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0};
    memcpy(big + 64 + 16, d1, 16);
    struct dfs_record r = {.linktype = DFS_LINKTYPE_USB_LINUX_MMAPPED, .order = DFS_ORDER_BIG,
                           .caplen = (uint32_t)n, .data = big};
    assert_int_equal(dfs_usbmon_host_order(&r, out, sizeof out), n);
    int32_t status;
    uint32_t offset, length;
    memcpy(&status, out + 80, 4);
    memcpy(&offset, out + 84, 4);
    memcpy(&length, out + 88, 4);
    assert_int_equal(status, -18);
    assert_int_equal(offset, 0x100);
    assert_int_equal(length, 0x200);
    /* too small an output buffer */
    assert_int_equal(dfs_usbmon_host_order(&r, out, 10), 0);
}

/* ---- sysfs ---------------------------------------------------------------------------- */

/* snprintf into a path buffer; a path that does not fit fails the test */
#define PATH_PRINTF(buf, ...)                                                                  \
    do {                                                                                       \
        int n_ = snprintf((buf), sizeof(buf), __VA_ARGS__);                                    \
        assert_true(n_ > 0 && (size_t)n_ < sizeof(buf));                                       \
    } while (0)

static void put(const char *dir, const char *name, const char *content)
{
    char p[1024];
    PATH_PRINTF(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static char *device_dir(const char *root, const char *name)
{
    static char p[1024];
    PATH_PRINTF(p, "%s/sys/bus/usb/devices/%s", root, name);
    assert_int_equal(mkdir(p, 0755), 0);
    return p;
}

static void mkdirs(const char *root, const char *rel)
{
    char p[1024];
    PATH_PRINTF(p, "%s%s", root, rel);
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void sysfs_hostile_tree(void **state)
{
    (void)state;
    char root[] = "/tmp/dfs-sysfs-XXXXXX";
    assert_non_null(mkdtemp(root));
    mkdirs(root, "/sys/bus/usb/devices");
    char *d = device_dir(root, "1-1");
    put(d, "busnum", "1\n");
    put(d, "devnum", "6\n");
    put(d, "idVendor", "0483\n");
    put(d, "idProduct", "df11\n");
    put(d, "serial", "205F\x1b[31m3548\n"); /* an escape sequence */
    char longname[400];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    put(d, "product", longname);
    d = device_dir(root, "1-1:1.0");
    put(d, "bInterfaceClass", "fe\n");
    put(d, "bInterfaceSubClass", "01\n");
    put(d, "bInterfaceProtocol", "02\n");
    d = device_dir(root, "1-2");
    put(d, "busnum", "1\n");
    put(d, "devnum", "300\n"); /* out of range: skipped */
    put(d, "idVendor", "0483\n");
    put(d, "idProduct", "df11\n");
    d = device_dir(root, "1-3");
    put(d, "busnum", "1\n"); /* no devnum: skipped */
    d = device_dir(root, "2-1");
    put(d, "busnum", "2\n");
    put(d, "devnum", "3\n");
    put(d, "idVendor", "0483\n");
    put(d, "idProduct", "df11\n");

    struct dfs_sysfs_device *devs;
    size_t n;
    char err[1024];
    assert_int_equal(dfs_sysfs_devices(root, &devs, &n, err, sizeof err), DFS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(devs[0].bus, 1);
    assert_int_equal(devs[0].devnum, 6);
    assert_true(devs[0].dfu_mode);
    assert_false(devs[0].dfu_runtime);
    assert_string_equal(devs[0].serial, "205F?[31m3548");
    assert_int_equal(strlen(devs[0].product), sizeof devs[0].product - 1);
    assert_int_equal(devs[1].bus, 2);
    free(devs);

    struct dfs_sysfs_device dev;
    assert_int_equal(dfs_sysfs_find(root, false, 2, 3, &dev, err, sizeof err), DFS_OK);
    assert_string_equal(dev.name, "2-1");
    assert_int_equal(dfs_sysfs_find(root, true, 0x0483, 0xdf11, &dev, err, sizeof err),
                     DFS_E_LIMIT);
    assert_non_null(strstr(err, "1.6 (serial 205F?[31m3548)"));
    assert_int_equal(dfs_sysfs_find(root, true, 0x1234, 0x5678, &dev, err, sizeof err),
                     DFS_E_NOTFOUND);
    assert_non_null(strstr(err, "no USB device 1234:5678"));

    /* usbmon */
    char msg[600];
    assert_int_equal(dfs_usbmon_check(root, 1, msg, sizeof msg), DFS_USBMON_NOT_LOADED);
    assert_non_null(strstr(msg, "modprobe usbmon"));
    mkdirs(root, "/dev");
    put(root, "dev/usbmon0", "");
    assert_int_equal(dfs_usbmon_check(root, 1, msg, sizeof msg), DFS_USBMON_NO_SUCH_BUS);
    assert_non_null(strstr(msg, "usbmon0"));
    assert_int_equal(dfs_usbmon_check(root, 0, msg, sizeof msg), DFS_USBMON_OK);

    char cmd[1100];
    PATH_PRINTF(cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dfs_sysfs_devices(root, &devs, &n, err, sizeof err), DFS_E_NOTFOUND);
}

/* ---- follower --------------------------------------------------------------------------- */

struct script {
    uint8_t bufs[64][128];
    struct dfs_record recs[64];
    int keep[64]; /* 1 when the record belongs to the followed device */
    size_t n;
};

static void add_ctl(struct script *s, uint64_t id, uint8_t dev, const uint8_t setup[8],
                    const uint8_t *reply, uint32_t reply_len, int keep)
{
    struct dfs_urb u = urb_ctl_submit(id, 1, dev, setup, NULL, 0);
    s->recs[s->n] = rec_of(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, s->n + 1, s->bufs[s->n], 128);
    s->keep[s->n++] = keep;
    u = urb_ctl_complete(id, 1, dev, setup[0] & 0x80, 0, reply, reply_len, reply_len);
    s->recs[s->n] = rec_of(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, s->n + 1, s->bufs[s->n], 128);
    s->keep[s->n++] = keep;
}

static const uint8_t GETSTATUS[8] = {0xa1, 3, 0, 0, 0, 0, 6, 0};
static const uint8_t STATUS_IDLE[6] = {0, 0, 0, 0, 2, 0};
static const uint8_t GET_DEVICE[8] = {0x80, 6, 0, 1, 0, 0, 64, 0};
static const uint8_t MOUSE_DESC[18] = {18, 1, 0, 2, 0, 0, 0, 8, 0x6d, 0x04, 0x77, 0xc0,
                                       0, 2, 1, 2, 0, 1};

/* The followed device 1.5 talks while a mouse enumerates at address 0: the
 * mouse's records are held until it is identified, the device's records
 * behind them wait, and the order is kept. */
static void build(struct script *s)
{
    memset(s, 0, sizeof *s);
    add_ctl(s, 1, 5, GETSTATUS, STATUS_IDLE, 6, 1);
    struct dfs_urb u = urb_ctl_submit(2, 1, 0, GET_DEVICE, NULL, 0); /* mouse, pending */
    s->recs[s->n] = rec_of(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, s->n + 1, s->bufs[s->n], 128);
    s->keep[s->n++] = 0;
    add_ctl(s, 3, 5, GETSTATUS, STATUS_IDLE, 6, 1); /* held behind the mouse */
    u = urb_ctl_complete(2, 1, 0, 0x80, 0, MOUSE_DESC, 18, 18);
    s->recs[s->n] = rec_of(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, s->n + 1, s->bufs[s->n], 128);
    s->keep[s->n++] = 0;
    add_ctl(s, 4, 5, GETSTATUS, STATUS_IDLE, 6, 1);
}

static int notes;
static void count_note(void *user, const char *msg)
{
    (void)user;
    (void)msg;
    notes++;
}

static void run_follower(uint32_t max_held, uint64_t *kept, size_t *n_kept, uint64_t *max_seen)
{
    struct script s;
    build(&s);
    struct dfs_follow_target t = {.by_addr = true, .bus = 1, .devnum = 5};
    struct dfs_follower_options o;
    dfs_follower_options_init(&o);
    o.max_held = max_held;
    dfs_follower *f;
    assert_int_equal(dfs_follower_new(&t, &o, count_note, NULL, &f), DFS_OK);
    *n_kept = 0;
    *max_seen = 0;
    for (size_t i = 0; i < s.n; i++) {
        assert_int_equal(dfs_follower_push(f, &s.recs[i]), DFS_OK);
        struct dfs_follower_stats st;
        dfs_follower_stats(f, &st);
        if (st.held > *max_seen)
            *max_seen = st.held;
        struct dfs_record r;
        while (dfs_follower_pop(f, &r))
            kept[(*n_kept)++] = r.frame;
    }
    assert_int_equal(dfs_follower_finish(f), DFS_OK);
    struct dfs_record r;
    while (dfs_follower_pop(f, &r))
        kept[(*n_kept)++] = r.frame;
    dfs_follower_free(f);
}

static void follower_holds_back_in_order(void **state)
{
    (void)state;
    uint64_t kept[64], max_seen;
    size_t n;
    notes = 0;
    run_follower(0, kept, &n, &max_seen);
    const uint64_t want[] = {1, 2, 4, 5, 7, 8};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kept[i], want[i]);
    assert_true(max_seen >= 3); /* mouse submit + the device's two records */
    assert_int_equal(notes, 0);
}

static void follower_limit_is_reported(void **state)
{
    (void)state;
    uint64_t kept[64], max_seen;
    size_t n;
    notes = 0;
    run_follower(1, kept, &n, &max_seen);
    const uint64_t want[] = {1, 2, 4, 5, 7, 8};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kept[i], want[i]);
    assert_true(max_seen <= 2);
    assert_int_equal(notes, 1); /* the mouse decided at the limit, and said so */
}

static void follower_misuse(void **state)
{
    (void)state;
    struct script s;
    build(&s);
    struct dfs_follow_target t = {.by_addr = true, .bus = 1, .devnum = 5};
    dfs_follower *f;
    assert_int_equal(dfs_follower_new(&t, NULL, NULL, NULL, &f), DFS_OK);
    assert_int_equal(dfs_follower_push(f, &s.recs[0]), DFS_OK);
    /* record 1 not popped: a second push must refuse, not lose it */
    assert_int_equal(dfs_follower_push(f, &s.recs[1]), DFS_E_STATE);
    struct dfs_record r;
    assert_true(dfs_follower_pop(f, &r));
    assert_int_equal(r.frame, 1);
    dfs_follower_free(f);
    struct dfs_follow_target none = {0};
    assert_int_equal(dfs_follower_new(&none, NULL, NULL, NULL, &f), DFS_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(privdrop_plan),
        cmocka_unit_test(privdrop_nothing_to_apply),
        cmocka_unit_test(host_order_matches_host_encoding),
        cmocka_unit_test(host_order_iso_descriptors),
        cmocka_unit_test(sysfs_hostile_tree),
        cmocka_unit_test(follower_holds_back_in_order),
        cmocka_unit_test(follower_limit_is_reported),
        cmocka_unit_test(follower_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
