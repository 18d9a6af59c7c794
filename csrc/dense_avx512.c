/* The dense kernels for AVX-512 (F, VL, DQ) with FMA: 64-byte vectors, 32 registers. */
#if defined(__x86_64__) && defined(__GNUC__)
/* gcc takes the target for the whole file; clang ignores that pragma (its kernels would be
   built for the baseline ISA under this set's name), and takes it as an attribute of every
   function instead. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx512f,avx512vl,avx512dq,avx2,fma")
#endif
#define ISA avx512
#define VBYTES 64
#define TILE_M 12
/* Eight rows per update tile: 16 independent FMA chains, enough to cover the FMA latency
   with 32 registers (four rows leave the float32 update waiting on its chains). */
#define UPDATE_ROWS 8
#include "dense_isa.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
