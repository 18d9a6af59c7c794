/* Affine and elastic distortions of images from a counter-based generator: see distort.h. */
#include "distort.h"

#include <math.h>

#include "counter.h"

#define PI 3.14159265358979323846

static int radius(const fastgd_distortion *d)
{
    return d->alpha > 0 ? (int)ceil(3 * d->sigma) : 0;
}

ptrdiff_t fastgd_distort_scratch(const fastgd_distortion *d)
{
    /* The source coordinates; with an elastic part, its two fields, a pass's buffer and the
       Gaussian's weights. */
    const ptrdiff_t n = (ptrdiff_t)d->h * d->w;
    return 2 * n + (d->alpha > 0 ? 3 * n + 2 * radius(d) + 1 : 0);
}

static double spread(double u, double a)
{
    return a * (2 * u - 1);
}

/* field (h x w) <- G_sigma * field, separably: rows, then columns, through tmp. */
static void blur(const fastgd_distortion *d, const double *g, int r, double *field, double *tmp)
{
    const int h = d->h, w = d->w;
    /* Each output a sum over k in increasing order (both passes), vectorised over j. */
    for (int i = 0; i < h; i++) {
        double *out = tmp + i * w;
        const double *row = field + i * w;
        for (int j = 0; j < w; j++)
            out[j] = 0;
        for (int k = -r; k <= r; k++) {
            const double weight = g[k + r];
            const int lo = k < 0 ? -k : 0, hi = k > 0 ? w - k : w;
            for (int j = lo; j < hi; j++)
                out[j] += weight * row[j + k];
        }
    }
    for (int i = 0; i < h; i++) {
        const int lo = i - r < 0 ? -i : -r, hi = i + r >= h ? h - 1 - i : r;
        for (int j = 0; j < w; j++)
            field[i * w + j] = 0;
        for (int k = lo; k <= hi; k++) {
            const double weight = g[k + r];
            const double *row = tmp + (i + k) * w;
            for (int j = 0; j < w; j++)
                field[i * w + j] += weight * row[j];
        }
    }
}

/* The source coordinates of every output pixel, into sx, sy (h x w each); tmp holds 3 h w
   doubles and g 2 r + 1 (with an elastic part). */
static void sources(const fastgd_distortion *d, uint64_t stream, double *sx, double *sy,
                    double *tmp, double *g)
{
    const int h = d->h, w = d->w, r = radius(d);
    const double angle = spread(fastgd_uniform(stream, 0), d->rotation) * (PI / 180);
    const double zoom = 1 + spread(fastgd_uniform(stream, 1), d->scale);
    const double shear = spread(fastgd_uniform(stream, 2), d->shear);
    const double tx = spread(fastgd_uniform(stream, 3), d->shift);
    const double ty = spread(fastgd_uniform(stream, 4), d->shift);
    /* M = R S H = zoom [[c, c shear - s], [s, s shear + c]]; det M = zoom^2. */
    const double c = cos(angle), s = sin(angle);
    const double m00 = zoom * c, m01 = zoom * (c * shear - s);
    const double m10 = zoom * s, m11 = zoom * (s * shear + c);
    const double det = m00 * m11 - m01 * m10;
    const double i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det;
    const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            const double x = j - cx - tx, y = i - cy - ty;
            sx[i * w + j] = i00 * x + i01 * y + cx;
            sy[i * w + j] = i10 * x + i11 * y + cy;
        }
    if (d->alpha <= 0)
        return;
    double total = 0;
    for (int k = -r; k <= r; k++)
        total += g[k + r] = exp(-(double)k * k / (2 * d->sigma * d->sigma));
    for (int k = 0; k <= 2 * r; k++)
        g[k] /= total;
    double *ex = tmp, *ey = tmp + (ptrdiff_t)h * w, *pass = tmp + 2 * (ptrdiff_t)h * w;
    for (ptrdiff_t p = 0; p < (ptrdiff_t)h * w; p++) {
        ex[p] = spread(fastgd_uniform(stream, 16 + 2 * (uint64_t)p), 1);
        ey[p] = spread(fastgd_uniform(stream, 17 + 2 * (uint64_t)p), 1);
    }
    blur(d, g, r, ex, pass);
    blur(d, g, r, ey, pass);
    for (ptrdiff_t p = 0; p < (ptrdiff_t)h * w; p++) {
        sx[p] += d->alpha * ex[p];
        sy[p] += d->alpha * ey[p];
    }
}

/* The bilinear reading of image (h x w) at (x, y), 0 outside. */
#define BILINEAR(NAME, T)                                                                       \
    static double NAME(const T *image, int h, int w, double x, double y)                       \
    {                                                                                           \
        /* Far outside (or NaN, from a degenerate map): 0, before any conversion to integer.  */ \
        if (!(x > -1 && x < w && y > -1 && y < h))                                              \
            return 0;                                                                           \
        const double fx = floor(x), fy = floor(y);                                              \
        const double ax = x - fx, ay = y - fy;                                                  \
        const long x0 = (long)fx, y0 = (long)fy;                                                \
        double v = 0;                                                                           \
        for (int dy = 0; dy < 2; dy++)                                                          \
            for (int dx = 0; dx < 2; dx++) {                                                    \
                const long yy = y0 + dy, xx = x0 + dx;                                          \
                if (yy < 0 || yy >= h || xx < 0 || xx >= w)                                     \
                    continue;                                                                   \
                v += (dy ? ay : 1 - ay) * (dx ? ax : 1 - ax) * (double)image[yy * w + xx];      \
            }                                                                                   \
        return v;                                                                               \
    }

BILINEAR(bilinear_u8, unsigned char)
BILINEAR(bilinear_d, double)
BILINEAR(bilinear_s, float)

static unsigned char to_u8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)(v + 0.5);
}

#define DISTORT(NAME, T, READ, STORE)                                                           \
    void NAME(const fastgd_distortion *d, uint64_t key, const T *src, const ptrdiff_t *rows,   \
              ptrdiff_t r0, ptrdiff_t r1, T *dst, double *scratch)                              \
    {                                                                                           \
        const ptrdiff_t n = (ptrdiff_t)d->h * d->w;                                             \
        double *sx = scratch, *sy = scratch + n, *tmp = scratch + 2 * n, *g = scratch + 5 * n;  \
        for (ptrdiff_t r = r0; r < r1; r++) {                                                   \
            const T *image = src + rows[r] * n;                                                 \
            T *out = dst + r * n;                                                               \
            sources(d, fastgd_stream(key, (uint64_t)rows[r]), sx, sy, tmp, g);                  \
            for (ptrdiff_t p = 0; p < n; p++)                                                   \
                out[p] = STORE(READ(image, d->h, d->w, sx[p], sy[p]));                          \
        }                                                                                       \
    }

#define AS_DOUBLE(v) (v)
#define AS_FLOAT(v) ((float)(v))

DISTORT(fastgd_distort_u8, unsigned char, bilinear_u8, to_u8)
DISTORT(fastgd_distort_d, double, bilinear_d, AS_DOUBLE)
DISTORT(fastgd_distort_s, float, bilinear_s, AS_FLOAT)
