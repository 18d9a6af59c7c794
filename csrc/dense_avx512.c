/* The dense kernels for AVX-512 (F, VL, DQ) with FMA: 64-byte vectors, 32 registers. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx512f,avx512vl,avx512dq,avx2,fma")
#define ISA avx512
#define VBYTES 64
#define TILE_M 12
/* Eight rows per update tile: 16 independent FMA chains, enough to cover the FMA latency
   with 32 registers (four rows leave the float32 update waiting on its chains). */
#define UPDATE_ROWS 8
#include "dense_isa.h"
#endif
