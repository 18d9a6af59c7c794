/* The dense kernels for x86-64-v3 (AVX2 with FMA): 32-byte vectors, 16 registers. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma,bmi,bmi2,lzcnt,movbe,popcnt")
#define ISA avx2
#define VBYTES 32
#define TILE_M 6
#define UPDATE_ROWS 4
#include "dense_isa.h"
#endif
