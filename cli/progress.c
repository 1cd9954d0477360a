/* The status line for long work (progress.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port.h"
#include "progress.h"

#define LINE_MAX_BYTES 400
#define TICK_MS 100

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool on;
static unsigned width;         /* columns usable: the terminal's, less one */
static size_t shown;           /* columns the line covers now, 0: not shown */
static bool drawn_ever;
static struct timespec last_draw;

/* ticker (run) */
static bool ticker_on, ticker_quit;
static pthread_t ticker;
static pthread_cond_t ticker_cond;
static char text[LINE_MAX_BYTES];
static struct timespec text_since;
static bool text_pending;      /* text (or the line after a hold) not drawn yet */
static long text_secs_drawn;

/* what a signal handler erases */
static volatile sig_atomic_t sig_shown;
static bool sig_installed;

static const char spaces[] = "                                                                ";

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a terminal that went away: nothing to show it on */
        p += w;
        n -= (size_t)w;
    }
}

static void write_spaces(size_t n)
{
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        write_all(spaces, k);
        n -= k;
    }
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void erase_locked(void)
{
    if (!shown)
        return;
    write_all("\r", 1);
    write_spaces(shown);
    write_all("\r", 1);
    shown = 0;
    sig_shown = 0;
}

static void draw_locked(const char *s, const struct timespec *now)
{
    char buf[LINE_MAX_BYTES + 2];
    size_t n = 0;
    buf[n++] = '\r';
    size_t len = 0;
    for (; *s && len < width && n < sizeof buf; s++, len++) {
        unsigned char c = (unsigned char)*s;
        buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    write_all(buf, n);
    if (len < shown)
        write_spaces(shown - len); /* over the rest of a longer line */
    shown = len;
    sig_shown = (sig_atomic_t)len;
    last_draw = *now;
    drawn_ever = true;
}

static bool due_locked(const struct timespec *now)
{
    return on && (!drawn_ever || ms_between(&last_draw, now) >= PROGRESS_INTERVAL_MS);
}

/* SIGINT or SIGTERM with nobody else handling it: erase the line, then die
 * of the signal as before. */
static void on_fatal_signal(int sig)
{
    size_t n = (size_t)sig_shown;
    if (n) {
        write_all("\r", 1);
        write_spaces(n);
        write_all("\r", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
#ifdef _WIN32
        /* (no sigaction: install, and put back someone else's) */
        void (*prev)(int) = signal(sigs[i], on_fatal_signal);
        if (prev != SIG_DFL) {
            if (prev != SIG_ERR)
                signal(sigs[i], prev);
            continue;
        }
        sig_installed = true;
#else
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue; /* someone else's (run stops after the step) */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
        sig_installed = true;
#endif
    }
}

static void restore_signals(void)
{
    if (!sig_installed)
        return;
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
#ifdef _WIN32
        void (*prev)(int) = signal(sigs[i], SIG_DFL);
        if (prev != on_fatal_signal && prev != SIG_ERR)
            signal(sigs[i], prev);
#else
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == on_fatal_signal)
            signal(sigs[i], SIG_DFL);
#endif
    }
    sig_installed = false;
}

bool progress_start(void)
{
    if (!dfs_port_is_terminal(stderr))
        return false;
    unsigned cols = dfs_port_columns(stderr);
    if (cols <= 1)
        cols = 80;
    pthread_mutex_lock(&lock);
    width = cols - 1 < LINE_MAX_BYTES ? cols - 1 : LINE_MAX_BYTES;
    shown = 0;
    drawn_ever = false;
    on = true;
    pthread_mutex_unlock(&lock);
    install_signals();
    return true;
}

bool progress_due(void)
{
    if (!on)
        return false;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&lock);
    bool due = due_locked(&now);
    pthread_mutex_unlock(&lock);
    return due;
}

void progress_show(const char *s)
{
    if (!on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&lock);
    if (on)
        draw_locked(s, &now);
    pthread_mutex_unlock(&lock);
}

void progress_hold(void)
{
    pthread_mutex_lock(&lock);
    if (shown) {
        erase_locked();
        text_pending = true;
    }
}

void progress_release(void)
{
    pthread_mutex_unlock(&lock);
}

void progress_hide(void)
{
    progress_hold();
    progress_release();
}

/* ---- ticker ---------------------------------------------------------------------------- */

static void draw_text_locked(const struct timespec *now)
{
    long secs = (long)(now->tv_sec - text_since.tv_sec);
    if (now->tv_nsec < text_since.tv_nsec)
        secs--;
    char line[LINE_MAX_BYTES + 32];
    if (secs >= 1)
        snprintf(line, sizeof line, "%s (%ld s)", text, secs);
    else
        snprintf(line, sizeof line, "%s", text);
    draw_locked(line, now);
    text_pending = false;
    text_secs_drawn = secs;
}

#ifndef _WIN32
static void *ticker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!ticker_quit) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&ticker_cond, &lock, &until);
        if (ticker_quit || !text[0])
            continue;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!due_locked(&now))
            continue;
        long secs = (long)(now.tv_sec - text_since.tv_sec) -
                    (now.tv_nsec < text_since.tv_nsec ? 1 : 0);
        if (text_pending || secs != text_secs_drawn)
            draw_text_locked(&now);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}
#endif

bool progress_start_ticker(void)
{
    if (!progress_start())
        return false;
#ifdef _WIN32
    /* (run, whose steps wait, is Linux only: progress_set draws the line) */
    return true;
#else
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ticker_cond, &ca);
    pthread_condattr_destroy(&ca);
    text[0] = '\0';
    ticker_quit = false;
    /* signals stay with the main thread (run's Ctrl-C interrupts its waits) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    ticker_on = pthread_create(&ticker, NULL, ticker_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ticker_on)
        pthread_cond_destroy(&ticker_cond);
    /* without the thread the line is still drawn by progress_set */
    return true;
#endif
}

void progress_set(const char *s)
{
    if (!on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&lock);
    snprintf(text, sizeof text, "%s", s);
    text_since = now;
    text_pending = true;
    if (due_locked(&now))
        draw_text_locked(&now);
    pthread_mutex_unlock(&lock);
}

void progress_stop(void)
{
    if (!on)
        return;
    if (ticker_on) {
        pthread_mutex_lock(&lock);
        ticker_quit = true;
        pthread_cond_signal(&ticker_cond);
        pthread_mutex_unlock(&lock);
        pthread_join(ticker, NULL);
        pthread_cond_destroy(&ticker_cond);
        ticker_on = false;
    }
    pthread_mutex_lock(&lock);
    erase_locked();
    on = false;
    text[0] = '\0';
    pthread_mutex_unlock(&lock);
    restore_signals();
}
