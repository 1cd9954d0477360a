/* The timeline's geometry, its broken time axis and its label rows
 * (axis.c), shared by the lanes and the section of timeline.c. */
#ifndef DFS_CLI_REPORT_AXIS_H
#define DFS_CLI_REPORT_AXIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RP_TL_W 1160.0   /* width of the figure */
#define RP_TL_PX0 190.0  /* where the time axis starts (lane labels on its left) */
#define RP_TL_PX1 1140.0 /* and where it ends */
#define RP_TL_BRK_W 34.0 /* width of a break in the axis */
#define RP_TL_MAX_BREAKS 10
#define RP_TL_MAX_SEGS (RP_TL_MAX_BREAKS + 1)
#define RP_TL_MAX_LABELS 256

/* A stretch of time [t0, t1] drawn linearly over [x0, x1]; between two
 * stretches a break leaves out time without activity. */
struct rp_seg {
    double t0, t1, x0, x1;
};

struct rp_axis {
    struct rp_seg s[RP_TL_MAX_SEGS];
    size_t n;
};

/* Labels above a lane, in two rows, that must not overlap. */
struct rp_labels {
    double x0[2][RP_TL_MAX_LABELS], x1[2][RP_TL_MAX_LABELS];
    size_t n[2];
};

/* x of time t on the axis (in a break: interpolated across it). */
double rp_ax_x(const struct rp_axis *a, double t);
/* Build the broken time axis from the activity times t[0..n) (sorted in
 * place). Each stretch gets a width from its share of the time and of the
 * activity, the one holding `focus` (the verdict) twice that. */
void rp_ax_build(struct rp_axis *a, double *t, size_t n, double focus);
/* The axis line, its grid lines and times at y, and the breaks. */
void rp_write_axis(FILE *o, const struct rp_axis *a, double y, double height);

/* A free label row for [x - width/2, x + width/2]: 0 or 1, -1 if none. */
int rp_label_room_at(struct rp_labels *l, double x, double width);
/* The same, moving the label up to 36 px away from x when it does not fit;
 * *x is updated to the centre used. */
int rp_label_room_near(struct rp_labels *l, double *x, double width, bool only_right);
/* y of a label row, from the lane's top */
double rp_label_y(int row);

#endif
