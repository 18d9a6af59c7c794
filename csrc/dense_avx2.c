/* The dense kernels for x86-64-v3 (AVX2 with FMA): 32-byte vectors, 16 registers. */
#if defined(__x86_64__) && defined(__GNUC__)
/* gcc takes the target for the whole file; clang ignores that pragma (its kernels would be
   built for the baseline ISA under this set's name), and takes it as an attribute of every
   function instead. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,lzcnt,movbe,popcnt"))), apply_to = function)
#else
#pragma GCC target("avx2,fma,bmi,bmi2,lzcnt,movbe,popcnt")
#endif
#define ISA avx2
#define VBYTES 32
#define TILE_M 6
#define UPDATE_ROWS 4
#include "dense_isa.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
