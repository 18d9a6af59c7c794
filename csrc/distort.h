/* Distortions of training images, drawn afresh for every sample of every epoch (the book's
 * chapter 3, "Expanding the training data"; Simard, Steinkraus and Platt 2003): each image
 * moved by a random affine map, optionally followed by an elastic distortion, read back by
 * bilinear interpolation (0 outside the image). Every number drawn is a function of the
 * epoch's key, the sample's row in the data and the draw's index (counter.h), so an image's
 * distortion does not depend on the threads, the chunks or a resume, and no distorted data is
 * kept beyond the chunk being trained.
 *
 * For an image of h x w pixels with centre c = ((h-1)/2, (w-1)/2), the draws u_k in [0, 1) of
 * the sample's stream give (U(a) = a (2u - 1), uniform in [-a, a]):
 *
 *     angle  = U(rotation) degrees     u_0        zoom   = 1 + U(scale)     u_1
 *     shear  = U(shear)                u_2        shift  = (U(shift), U(shift))   u_3, u_4
 *
 * M = R(angle) S(zoom) H(shear), H = [[1, shear], [0, 1]] acting on (x, y) = (column, row),
 * maps the image onto p' = M (p - c) + c + shift; the output pixel p' reads the input at
 * p = M^-1 (p' - c - shift) + c + alpha * (G_sigma * e)(p'), where e holds a uniform draw in
 * [-1, 1] per pixel and coordinate (u_{16 + 2 i}, u_{17 + 2 i} for pixel i in row-major order),
 * G_sigma * e its convolution with a normalised Gaussian of sigma (radius ceil(3 sigma), zero
 * beyond the edges): Simard's elastic field. alpha = 0: no elastic part, no field drawn.
 *
 * NumPy twin (the tests' oracle): fastgd.core.reference.distort.
 */
#ifndef FASTGD_DISTORT_H
#define FASTGD_DISTORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int h, w;             /* pixels per column and per row */
    double rotation;      /* largest |angle|, degrees */
    double scale;         /* largest |zoom - 1| */
    double shear;         /* largest |shear| */
    double shift;         /* largest |shift| per coordinate, pixels */
    double alpha;         /* the elastic field's strength, pixels (0: none) */
    double sigma;         /* its smoothness, pixels */
} fastgd_distortion;

/* The doubles of scratch a call needs per thread (the elastic fields and the Gaussian). */
ptrdiff_t fastgd_distort_scratch(const fastgd_distortion *d);

/* For rows r in [r0, r1): dst row r = the distortion of src row rows[r] (each h * w values,
   rows of stride h * w), drawn for sample rows[r] under key. uint8 results are rounded to
   the nearest integer. */
void fastgd_distort_u8(const fastgd_distortion *d, uint64_t key, const unsigned char *src,
                       const ptrdiff_t *rows, ptrdiff_t r0, ptrdiff_t r1, unsigned char *dst,
                       double *scratch);
void fastgd_distort_d(const fastgd_distortion *d, uint64_t key, const double *src,
                      const ptrdiff_t *rows, ptrdiff_t r0, ptrdiff_t r1, double *dst,
                      double *scratch);
void fastgd_distort_s(const fastgd_distortion *d, uint64_t key, const float *src,
                      const ptrdiff_t *rows, ptrdiff_t r0, ptrdiff_t r1, float *dst,
                      double *scratch);

#endif
