/* Subnormal numbers flushed to zero for the duration of a call into the core.
 *
 * Deltas of saturated sigmoids reach the subnormal range (below 2.2e-308 in double, 1.2e-38 in
 * float), where each operation costs a microcode assist of about a hundred cycles on x86. The
 * core sets FTZ and DAZ in MXCSR (as TensorFlow and XLA do on CPUs) in each of its threads and
 * restores the thread's previous mode before returning. Elsewhere the calls do nothing.
 */
#ifndef FASTGD_FPMODE_H
#define FASTGD_FPMODE_H

/* Flush subnormals to zero in this thread; returns the mode to restore. */
unsigned int fastgd_flush_subnormals(void);
/* Put back the mode fastgd_flush_subnormals returned. */
void fastgd_restore_fp(unsigned int saved);

#endif
