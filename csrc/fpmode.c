#include "fpmode.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>

enum { FTZ = 0x8000, DAZ = 0x0040 };

unsigned int fastgd_flush_subnormals(void)
{
    unsigned int saved = _mm_getcsr();
    _mm_setcsr(saved | FTZ | DAZ);
    return saved;
}

void fastgd_restore_fp(unsigned int saved) { _mm_setcsr(saved); }
#else
unsigned int fastgd_flush_subnormals(void) { return 0; }

void fastgd_restore_fp(unsigned int saved) { (void)saved; }
#endif
