/* PAUSE(): a hint to the CPU inside a spin-wait loop (x86 pause, ARM yield), or nothing. */
#ifndef FASTGD_PAUSE_H
#define FASTGD_PAUSE_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define PAUSE() __asm__ __volatile__("yield")
#else
#define PAUSE() ((void)0)
#endif

#endif
