/* The dense kernels for any CPU: 16-byte vectors (SSE2 on x86-64, NEON on arm64). */
#define ISA baseline
#define VBYTES 16
#define TILE_M 6
#define UPDATE_ROWS 4
#include "dense_isa.h"
